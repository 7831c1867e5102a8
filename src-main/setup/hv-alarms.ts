// HV alarms, generated per channel (and per supply: its interlock) from the site's HV map (nobody hand-writes 500 alarm definitions;
// CAENHVAsyn's lesson): trip, |VMON − VSET|, over-current, stale readback. A supply that cannot be reached
// is a device alarm (src-main/devices/device-alarms.ts), as for every device.
import type { HvMap } from '../../setups/hv-map';
import type { AlarmDefinitionInput } from '../alarms/definitions';

/** |VMON − VSET| beyond which a channel that should be stable is in alarm (V). Named defaults: PMT gain
 *  goes as V^7, so 10 V at ~1.2 kV is ≈6 % gain, visible in the ECAL peak; 50 V is ≈30 %. */
export const HV_DEVIATION_VOLTS = { medium: 10, high: 50 };
/** Ramping channels are not stable yet: the deviation alarm waits this long. */
const DEVIATION_DELAY_MS = 10_000;

/** The interlock alarm waits this long (two poll periods of the supplies) before it is raised. */
export const INTERLOCK_DELAY_MS = 2000;

/** One per supply the map names: its interlock opened and switched channels off. */
function interlockAlarms(map: HvMap): AlarmDefinitionInput[] {
  const supplies = [...new Set(map.channels.map((c) => c.device))];
  return supplies.map((supply): AlarmDefinitionInput => {
    const fed = [...new Set(map.channels.filter((c) => c.device === supply).map((c) => c.detector))].join(', ');
    return {
      id: `hv.interlock:${supply}`,
      name: `HV interlock open on ${supply}: channels switched off`,
      group: 'hv',
      input: `hv:${supply}:interlock-off`,
      unit: 'channels',
      condition: { kind: 'above', levels: [{ priority: 'high', set: 1 }] },
      // A chain of boards is read board by board: two polls, so the count it is raised with is the whole of it.
      delayMs: INTERLOCK_DELAY_MS,
      guidance: {
        cause: `The external interlock (or kill) input of ${supply} opened: a door, a safety chain, a gas or cooling interlock, or its cable. The supply switched its channels off.`,
        consequence: `The ${fed} cells it feeds give no signal: their energy is missing from every event; spills taken now are bad for physics.`,
        action: `Find why the interlock opened (safety chain, doors, the supply's interlock cable) before anything else; once it is closed again, switch the channels on from the HV view; call the HV expert.`,
      },
      view: 'hv',
    };
  });
}

export function hvAlarms(map: HvMap): AlarmDefinitionInput[] {
  return [...interlockAlarms(map), ...hvChannelAlarms(map)];
}

function hvChannelAlarms(map: HvMap): AlarmDefinitionInput[] {
  return map.channels.flatMap((c): AlarmDefinitionInput[] => [
    {
      id: `hv.trip:${c.name}`,
      name: `HV trip ${c.name}`,
      group: 'hv',
      input: `hv:${c.name}:trip`,
      condition: { kind: 'true', priority: 'high' },
      // Not latching here: the supply itself latches a trip until the channel is cleared and switched on.
      guidance: {
        cause: `The HV of ${c.name} (${c.device} channel ${c.channel}) switched off: its current reached ISET for the trip time (a PMT or cable discharge, a beam splash, or ISET too low).`,
        consequence: `The ${c.detector} cell gives no signal: its energy is lost from the sums and calibrations; spills taken now are degraded.`,
        action: 'Note the spill in the logbook; clear the trip and switch the channel on from the HV view; if it trips again, leave it off and call the HV expert.',
      },
      view: 'hv',
    },
    {
      id: `hv.deviation:${c.name}`,
      name: `HV deviation ${c.name}`,
      group: 'hv',
      input: `hv:${c.name}:deviation`,
      unit: 'V',
      condition: {
        kind: 'above',
        levels: [
          { priority: 'medium', set: HV_DEVIATION_VOLTS.medium },
          { priority: 'high', set: HV_DEVIATION_VOLTS.high },
        ],
        deadband: 2,
      },
      delayMs: DEVIATION_DELAY_MS,
      guidance: {
        cause: `VMON of ${c.name} differs from VSET: the supply cannot hold the voltage (load, failing channel) or a setpoint changed.`,
        consequence: 'The PMT gain (∝ V⁷) is off: the cell\'s energy scale is wrong by several per cent.',
        action: 'Check the channel in the HV view (ramp, current); if it persists, switch it off and on; call the HV expert.',
      },
      view: 'hv',
    },
    {
      id: `hv.over-current:${c.name}`,
      name: `HV over-current ${c.name}`,
      group: 'hv',
      input: `hv:${c.name}:over-current`,
      condition: { kind: 'true', priority: 'medium' },
      delayMs: 2000,
      guidance: {
        cause: `The current of ${c.name} is at its limit (ISET): a discharge, a damaged divider, or too much light.`,
        consequence: 'The channel will trip soon; its gain is already unstable.',
        action: 'Watch IMON in the HV view; lower the voltage or switch off if it rises; call the HV expert.',
      },
      view: 'hv',
    },
    {
      id: `hv.stale:${c.name}`,
      name: `HV readback stale ${c.name}`,
      group: 'hv',
      input: `hv:${c.name}:stale`,
      condition: { kind: 'true', priority: 'low' },
      delayMs: 5000,
      guidance: {
        cause: `The readback of ${c.name} stopped updating or repeats the same value: the supply does not answer or its readback is stuck.`,
        consequence: 'What the HV view shows may not be what the channel does; a trip could go unnoticed.',
        action: 'Check the supply state in the HV view; if the supply is offline, check its cable and power; call the HV expert.',
      },
      view: 'hv',
    },
  ]);
}
