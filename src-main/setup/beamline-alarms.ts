// The beam line's alarms, generated from the site's devices: per scaler a counter that stopped and missed
// end-of-burst reads, per digitizer its bad data-quality checks, and one for the beam counters disagreeing
// with the DAQ's end-of-burst scaler. None of them means anything without beam: with the beam alarms of
// the DAQ and the data quality they are suppressed by design while the SPS is off (BEAM_OFF_SUPPRESS).
import type { AlarmDefinitionInput } from '../alarms/definitions';
import { CROSSCHECK_TOLERANCE } from '../counters/counter-math';
import type { SiteDevice } from '../devices/site-file';

/** Alarms that only make sense with beam: suppressed by design while the SPS is off (not a flood of them). */
export const BEAM_OFF_SUPPRESS = ['daq.no-spill', 'daq.trigger-rate-low', 'daq.trigger-rate-high', 'daq.dead-time', 'dq', 'counters.*', 'digitizer.*'];

export function beamlineAlarms(devices: readonly Pick<SiteDevice, 'id' | 'kind' | 'address'>[]): AlarmDefinitionInput[] {
  const scalers = devices.filter((d) => d.kind === 'scaler');
  const digitizers = devices.filter((d) => d.kind === 'digitizer');
  const perScaler = scalers.flatMap((d): AlarmDefinitionInput[] => [
    {
      id: `counters.stuck:${d.id}`,
      name: `Beam counter stuck on ${d.id}`,
      group: 'beamline',
      input: `counters:${d.id}:stuck`,
      unit: 'counters',
      condition: { kind: 'above', levels: [{ priority: 'medium', set: 1 }] },
      count: { times: 2, withinMs: 300_000 },
      guidance: {
        cause: 'A beam counter counted nothing in a spill while the others counted the beam: its discriminator, its HV, its cable, or the scaler channel.',
        consequence: 'The intensity cross-check and the counter rates lose that counter.',
        action: 'See which counter in the Counters view; check its HV and its discriminator output; call the beam-line expert.',
      },
      view: 'counters',
    },
    {
      id: `counters.missed-eob:${d.id}`,
      name: `End-of-burst read missed on ${d.id}`,
      group: 'beamline',
      input: `counters:${d.id}:missed-eob`,
      unit: 'spills',
      condition: { kind: 'above', levels: [{ priority: 'low', set: 1 }, { priority: 'medium', set: 3 }] },
      guidance: {
        cause: 'The scaler or its VME bridge did not answer at the end of the spill (busy bridge, network, crate).',
        consequence: "Those spills have no counter counts and are not cross-checked with the DAQ; the intensity stays the DAQ's.",
        action: 'Look at the scaler in the Devices view; if it repeats, check the bridge and the crate; call the beam-line expert.',
      },
      view: 'counters',
    },
  ]);
  const crossCheck: AlarmDefinitionInput[] = scalers.length
    ? [
        {
          id: 'counters.daq-mismatch',
          name: "Beam counters disagree with the DAQ's scaler",
          group: 'beamline',
          input: 'counters:daq-mismatch',
          condition: { kind: 'above', levels: [{ priority: 'medium', set: CROSSCHECK_TOLERANCE }, { priority: 'high', set: 5 * CROSSCHECK_TOLERANCE }], deadband: 0.005 },
          guidance: {
            cause: "The beam counters and the DAQ's end-of-burst scaler counted different numbers of triggers or particles in the last spill: a miscounting counter or gate, a wrong dead-time gate, or a DAQ scaler problem.",
            consequence: 'The intensity and the EOT of those spills are uncertain; the spills are flagged in data quality with both numbers.',
            action: 'Compare both numbers in the Counters view; check the counters\' thresholds and the gate cables; call the DAQ and beam-line experts.',
          },
          view: 'counters',
        },
      ]
    : [];
  const perDigitizer = digitizers.map(
    (d): AlarmDefinitionInput => ({
      id: `digitizer.bad:${d.id}`,
      name: `Digitizer ${d.id}: bad channels`,
      group: 'beamline',
      input: `digitizer:${d.id}:bad-checks`,
      unit: 'checks',
      condition: { kind: 'above', levels: [{ priority: 'low', set: 1 }] },
      count: { times: 2, withinMs: 300_000 },
      guidance: {
        cause: 'A digitizer channel went dead, saturates, or its baseline drifted (the signal, its cable, the input range or the device).',
        consequence: 'The waveforms of that signal are not usable for monitoring.',
        action: 'See the checks in the Digitizers view; check the cable and the input range; call the beam-line expert.',
      },
      view: 'digitizers',
    }),
  );
  return [...perScaler, ...crossCheck, ...perDigitizer];
}
