// One alarm per heartbeat source (src-main/liveness): the source that stopped is named, and the alarm's
// value is how long it has been silent. Group 'system': a silent DAQ stream, worker or database matters in
// every run type and with or without beam, so no run-type profile or "no beam" suppresses it.
import type { AlarmDefinitionInput } from '../alarms/definitions';
import { inputOf, type HeartbeatSource } from '../liveness/heartbeats';

type Described = Pick<HeartbeatSource, 'id' | 'what' | 'staleAfterMs'> & { kind: 'daq-stream' | 'device' | 'monitor-worker' | 'db-writer' };

const GUIDANCE: Record<Described['kind'], { cause: string; consequence: string; action: string; view: string; priority: 'medium' | 'high' }> = {
  'daq-stream': {
    cause: 'The DAQ monitoring stream is not connected, or it stopped sending: the DAQ computer, its network, or the monitoring server.',
    consequence: 'No events reach the monitor: the spills of the gap are recorded as lost, with no data; EOT is not counted; the screens show no spill.',
    action: 'Check the DAQ (is it taking data?) and its monitoring stream in the Devices view; call the DAQ expert. The stream reconnects by itself when it is back.',
    view: 'devices',
    priority: 'high',
  },
  device: {
    cause: 'The device has not answered (no reply, no data) for longer than its polling allows: cable or network, power, or the device hangs.',
    consequence: 'What the screens show of it is old; faults on it (trips, interlocks, counts) are not seen.',
    action: 'See the Devices view for its state and last answer; check its power and cable; reconnect it (expert); call the expert of the device.',
    view: 'devices',
    priority: 'medium',
  },
  'monitor-worker': {
    cause: 'A monitor worker thread stopped answering: it hangs on an event or the machine is overloaded.',
    consequence: 'Its share of every spill is not reconstructed: histograms and data-quality checks are incomplete or late.',
    action: 'Check the machine load; if it stays silent restart the server between runs; send the server log (na64rc.log) to the software expert.',
    view: 'shift',
    priority: 'medium',
  },
  'db-writer': {
    cause: 'The database has not accepted a write: the disk is full or slow, the file is locked by another program, or the file is damaged.',
    consequence: 'Spills, alarms, HV history and logbook entries may not be stored.',
    action: 'Check disk space and the server log; call the software expert; write down what happens in the paper logbook meanwhile.',
    view: 'shift',
    priority: 'high',
  },
};

export function livenessAlarms(sources: readonly Described[]): AlarmDefinitionInput[] {
  return sources.map((s): AlarmDefinitionInput => {
    const g = GUIDANCE[s.kind];
    return {
      id: `liveness.stale:${s.id}`,
      name: `Silent: ${s.what} (no heartbeat)`,
      group: 'system',
      input: inputOf(s.id),
      unit: 's',
      condition: { kind: 'above', levels: [{ priority: g.priority, set: Math.max(1, Math.round(s.staleAfterMs / 1000)) }] },
      guidance: { cause: g.cause, consequence: g.consequence, action: g.action },
      view: g.view,
    };
  });
}

export type { Described as LivenessSource };
