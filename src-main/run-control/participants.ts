// The services that take part in run transitions, in their sequence order: the DAQ stream must be up, the HV
// of the setup at its setpoints with no channel tripped, the active calibration set must load for the
// monitor, the beam-line counters are armed where they answer. Each reads its service's state as it is
// now; none changes anything (the run control does, once all are ready).
import type { DriverState } from '../../drivers/sdk/index';
import type { HvCommand, HvOverview } from '../shared/api/hv';
import { HV_DEVIATION_VOLTS } from '../setup/hv-alarms';
import type { ParticipantAnswer, TransitionParticipant } from './transition';

/** A device's state as the participants read it. */
interface DeviceLike {
  readonly id: string;
  state(): DriverState;
  stateReason(): string;
}

const up = (state: DriverState) => state === 'online' || state === 'degraded';
const list = (names: readonly string[], most = 4) => (names.length <= most ? names.join(', ') : `${names.slice(0, most).join(', ')} and ${names.length - most} more`);

/** How long a start waits for the DAQ stream to come back before it is refused. */
export const DAQ_WAIT_MS = 30_000;
/** How long a start waits for the HV to reach its setpoints (a ramp of a few hundred volts at 10–50 V/s). */
export const HV_WAIT_MS = 60_000;

export function daqParticipant(source: () => DeviceLike): TransitionParticipant {
  return {
    name: 'DAQ stream',
    sequence: 100,
    transitions: ['start', 'resume'],
    check(): ParticipantAnswer {
      const s = source();
      if (up(s.state())) return { verdict: 'ready', detail: `${s.id} ${s.state()}` };
      return { verdict: 'defer', waitingFor: `the DAQ stream ${s.id} is ${s.state()} (${s.stateReason()})`, timeoutMs: DAQ_WAIT_MS };
    },
  };
}

/**
 * The setup's HV: a tripped channel refuses (someone must look at it first); a supply that does not answer,
 * a command whose readback has not confirmed it yet (the readings are a poll old), a channel still ramping
 * or off its setpoint by more than the deviation alarm's first level holds the start back until it is there. Channels switched off are the shifter's choice (a pedestal run, a dead PMT) and
 * are named, not refused.
 */
export function hvParticipant(overview: () => HvOverview, commands: () => readonly HvCommand[] = () => []): TransitionParticipant {
  return {
    name: 'HV at setpoint',
    sequence: 200,
    transitions: ['start', 'resume'],
    check(): ParticipantAnswer {
      const o = overview();
      if (!o.channels.length) return { verdict: 'ready', detail: 'no HV channels in this setup' };
      const tripped = o.channels.filter((c) => c.conditions.includes('trip')).map((c) => c.name);
      if (tripped.length) return { verdict: 'refuse', reason: `${list(tripped)} tripped: clear the trip and switch on from the HV view, or switch off on purpose` };
      const silent = o.supplies.filter((s) => !up(s.state));
      if (silent.length) return { verdict: 'defer', waitingFor: `HV supply ${list(silent.map((s) => `${s.id} ${s.state}`))} not answering`, timeoutMs: HV_WAIT_MS };
      const inFlight = commands().filter((c) => c.channels.some((x) => x.phase === 'requested' || x.phase === 'sent' || x.phase === 'acknowledged'));
      if (inFlight.length) return { verdict: 'defer', waitingFor: `HV command not yet confirmed by the readback: ${inFlight[0]!.description}`, timeoutMs: HV_WAIT_MS };
      const unread = o.channels.filter((c) => c.vmon === null || c.vset === null || c.on === null);
      if (unread.length) return { verdict: 'defer', waitingFor: `no HV reading yet of ${list(unread.map((c) => c.name))}`, timeoutMs: HV_WAIT_MS };
      const off = o.channels.filter((c) => !c.on).map((c) => c.name);
      const moving = o.channels.filter(
        (c) => c.on && (c.conditions.includes('ramp-up') || c.conditions.includes('ramp-down') || Math.abs(c.vmon! - c.vset!) > HV_DEVIATION_VOLTS.medium),
      );
      if (moving.length) {
        const first = moving[0]!;
        return {
          verdict: 'defer',
          waitingFor: `HV not at setpoint: ${moving.length} channel${moving.length === 1 ? '' : 's'} (${first.name} at ${first.vmon!.toFixed(0)} V of ${first.vset!.toFixed(0)} V${moving.length > 1 ? ', …' : ''})`,
          timeoutMs: HV_WAIT_MS,
        };
      }
      const on = o.channels.length - off.length;
      return { verdict: 'ready', detail: `${on} channel${on === 1 ? '' : 's'} at setpoint${off.length ? `; off: ${list(off)}` : ''}` };
    },
  };
}

/** The active calibration set must load for the monitor (a set that cannot be read refuses the start). */
export function calibrationParticipant(calibration: { activeVersion(): string; monitorConfig(): unknown }): TransitionParticipant {
  return {
    name: 'Calibration set',
    sequence: 300,
    transitions: ['start'],
    check(): ParticipantAnswer {
      calibration.monitorConfig();
      return { verdict: 'ready', detail: `${calibration.activeVersion()} loaded for the monitor` };
    },
  };
}

/**
 * The beam-line counters are armed for the run where they answer; one that does not is named, never a reason
 * to hold the run back (the DAQ's own end-of-burst scaler still counts the spills, and a counter that keeps
 * reconnecting would otherwise keep the beam from being taken).
 */
export function countersParticipant(scalers: () => readonly DeviceLike[]): TransitionParticipant {
  return {
    name: 'Beam counters',
    sequence: 400,
    transitions: ['start', 'resume'],
    check(): ParticipantAnswer {
      const all = scalers();
      if (!all.length) return { verdict: 'ready', detail: "none in this site: the DAQ's end-of-burst scaler counts" };
      const offline = all.filter((s) => !up(s.state())).map((s) => `${s.id} ${s.state()}`);
      const armed = all.filter((s) => up(s.state()));
      return {
        verdict: 'ready',
        detail: `${armed.length ? `armed: ${list(armed.map((s) => s.id))}` : 'none armed'}${offline.length ? `; not answering: ${list(offline)} (the DAQ's scaler counts alone)` : ''}`,
      };
    },
  };
}
