// One pair of alarms per device of the site, generated from the site file: the device cannot be reached
// (offline: high, at once, because nothing it does is seen any more), and the device answers only in part
// (degraded: garbage, timeouts, a refused read, a damaged stream; medium, after a few seconds, so one bad
// reply is not an alarm). Its return to online clears them. The inputs come from the drivers host.
import type { AlarmDefinitionInput } from '../alarms/definitions';
import type { SiteDevice } from './site-file';

/** A degraded device is alarmed when it stays so this long (a single garbled reply is not an alarm). */
export const DEGRADED_DELAY_MS = 5000;

const WHAT: Record<SiteDevice['kind'], { group: 'hv' | 'daq' | 'beamline'; view: string; consequence: string; offlineAction: string }> = {
  'hv-supply': {
    group: 'hv',
    view: 'devices',
    consequence: 'Its channels cannot be read or switched; trips and deviations are not seen. Commands to it are refused.',
    offlineAction: "Check the supply's power and its network or serial cable; the driver reconnects by itself; call the HV expert if it stays offline.",
  },
  'event-source': {
    group: 'daq',
    view: 'devices',
    consequence: 'No events reach the monitor: spills in the gap are recorded as lost, with no data; EOT is not counted.',
    offlineAction: 'Check that the DAQ is running and its monitoring stream is served; the driver reconnects by itself; call the DAQ expert if it stays offline.',
  },
  digitizer: {
    group: 'beamline',
    view: 'digitizers',
    consequence: 'Its waveforms, spectra and checks stop; the counters and the DAQ are not affected.',
    offlineAction: 'Check the USB cable (or the USB/IP server) and the device power; it comes back by itself when plugged in; call the beam-line expert if it stays offline.',
  },
  scaler: {
    group: 'beamline',
    view: 'counters',
    consequence: 'The beam counters are not read: no per-spill counts, rates or cross-check with the DAQ; the intensity falls back on the DAQ end-of-burst scaler.',
    offlineAction: 'Check the VME crate power and the bridge (network cable, its power); the driver reconnects by itself; call the beam-line expert if it stays offline.',
  },
  timing: {
    group: 'beamline',
    view: 'counters',
    consequence: 'The SPS timing signals are not seen: the spill clock runs on the DAQ start and end of burst until it is back.',
    offlineAction: 'Check the VME crate and the bridge, and that the SPS timing reaches the input register; call the beam-line expert if it stays offline.',
  },
};

export function deviceAlarms(devices: readonly Pick<SiteDevice, 'id' | 'kind' | 'address'>[]): AlarmDefinitionInput[] {
  return devices.flatMap((d): AlarmDefinitionInput[] => {
    const w = WHAT[d.kind];
    return [
      {
        id: `device.offline:${d.id}`,
        name: `Device ${d.id} offline`,
        group: w.group,
        input: `device:${d.id}:offline`,
        condition: { kind: 'true', priority: 'high' },
        guidance: {
          cause: `The connection to ${d.id} (${d.address}) is lost or cannot be made: cable or network, power, or the device hangs.`,
          consequence: w.consequence,
          action: w.offlineAction,
        },
        view: w.view,
      },
      {
        id: `device.degraded:${d.id}`,
        name: `Device ${d.id} degraded`,
        group: w.group,
        input: `device:${d.id}:degraded`,
        condition: { kind: 'true', priority: 'medium' },
        delayMs: DEGRADED_DELAY_MS,
        guidance: {
          cause: `${d.id} (${d.address}) answers, but not all of it is usable: garbled or late replies, a refused read, damaged or incomplete data.`,
          consequence: 'What the app shows of it may be incomplete or old.',
          action: 'See the Devices view for the reason; reconnect it (expert) if it does not recover; call the expert of the device.',
        },
        view: w.view,
      },
    ];
  });
}
