// The alarms every setup has (DAQ, system), their guidance, and the run-type profiles that suppress what
// does not matter in a run type. Detector-specific alarms (HV channels, data quality) join from their domains.
import type { AlarmDefinitionInput, RunTypeProfiles } from '../alarms/definitions';

export const COMMON_ALARMS: AlarmDefinitionInput[] = [
  {
    id: 'daq.no-spill',
    name: 'No spill from the SPS',
    group: 'daq',
    input: 'daq:cycles-without-spill',
    unit: 'cycles',
    condition: { kind: 'above', levels: [{ priority: 'medium', set: 2 }, { priority: 'high', set: 5 }] },
    guidance: {
      cause: 'The SPS is not extracting to the North Area, the H4/M2 beam line is closed, or the spill signals do not reach the DAQ.',
      consequence: 'No data is taken while the run goes on; EOT does not grow.',
      action: 'Check the SPS page and the beam-line status; call the CCC/BE-OP if the beam is expected. Note the beam loss in the logbook; stop the run if the beam stays off.',
    },
    view: 'shift',
  },
  {
    id: 'daq.event-loss',
    name: 'Events not processed by the monitor',
    group: 'daq',
    input: 'daq:processed-fraction',
    condition: { kind: 'below', levels: [{ priority: 'medium', set: 0.95 }, { priority: 'high', set: 0.5 }], deadband: 0.02 },
    guidance: {
      cause: 'The monitor workers cannot keep up with the trigger rate (machine overloaded, too few workers).',
      consequence: 'Histograms and data-quality checks see only part of each spill (the raw data is not affected).',
      action: 'Check the machine load; restart the server with more --workers; tell the DAQ expert if it persists.',
    },
    view: 'shift',
  },
  {
    id: 'daq.trigger-rate-low',
    name: 'Trigger rate low for the beam intensity',
    group: 'daq',
    input: 'daq:triggers-per-particle',
    unit: '× usual',
    condition: { kind: 'below', levels: [{ priority: 'medium', set: 0.5 }], deadband: 0.05 },
    count: { times: 2, withinMs: 120_000 },
    delayMs: 60_000,
    guidance: {
      cause: 'Fewer triggers per beam particle than over the last spills: a counter lost HV or threshold, the trigger logic changed, or DAQ dead time rose.',
      consequence: 'Fewer recorded events per spill; EOT counts become unreliable.',
      action: 'Check the beam-counter amplitudes and the HV of S0–S2; check the DAQ dead time; call the trigger expert.',
    },
    view: 'shift',
  },
  {
    id: 'daq.trigger-rate-high',
    name: 'Trigger rate high for the beam intensity',
    group: 'daq',
    input: 'daq:triggers-per-particle',
    unit: '× usual',
    condition: { kind: 'above', levels: [{ priority: 'medium', set: 2 }], deadband: 0.1 },
    count: { times: 2, withinMs: 120_000 },
    delayMs: 60_000,
    guidance: {
      cause: 'More triggers per beam particle than over the last spills: a noisy or hot counter, a lowered threshold, beam halo.',
      consequence: 'Dead time and data volume grow; physics triggers are diluted.',
      action: 'Look for a hot channel in the counter amplitudes; check the veto HV; call the trigger expert.',
    },
    view: 'shift',
  },
  {
    id: 'daq.bad-spill',
    name: 'Damaged or skipped events in the spill',
    group: 'daq',
    input: 'daq:bad-fraction',
    condition: { kind: 'above', levels: [{ priority: 'low', set: 0.01 }, { priority: 'medium', set: 0.1 }], deadband: 0.005 },
    guidance: {
      cause: 'Events of the last spill were corrupt, cut short, out of order, or arrived without a start of burst (DAQ or TCS problems).',
      consequence: 'The spill is flagged bad; its events are not in the histograms; the offline analysis should skip it.',
      action: 'Note the spill in the logbook; if it repeats, check the DAQ computer and the TCS; call the DAQ expert.',
    },
    view: 'runs',
  },
  {
    id: 'daq.missing-source',
    name: 'Front-end source missing from the events',
    group: 'daq',
    input: 'daq:missing-sources',
    unit: 'sources',
    condition: { kind: 'above', levels: [{ priority: 'high', set: 1 }] },
    guidance: {
      cause: 'A front-end (S-Link source) stopped sending data: its readout crashed, lost power or lost its link.',
      consequence: 'Events without it are skipped: the spill is lost for physics (the NA64 2025 "bad spills").',
      action: 'Check which source is missing in the spill tooltip; restart that front-end; call the DAQ expert.',
    },
    view: 'runs',
  },
  {
    id: 'daq.dead-time',
    name: 'DAQ dead time high',
    group: 'daq',
    input: 'daq:dead-time',
    condition: { kind: 'above', levels: [{ priority: 'low', set: 0.2 }, { priority: 'medium', set: 0.4 }], deadband: 0.02 },
    guidance: {
      cause: 'The DAQ was busy for a large part of the spill: trigger rate too high for the readout (intensity, noisy trigger).',
      consequence: 'Events are lost in proportion; EOT counting needs the dead-time correction.',
      action: 'Check the trigger rates and the beam intensity; ask the run coordinator whether to lower the intensity.',
    },
    view: 'shift',
  },
  {
    id: 'system.disk-space',
    name: 'Disk space low in the data directory',
    group: 'system',
    input: 'system:disk-free-gb',
    unit: 'GB',
    condition: { kind: 'below', levels: [{ priority: 'medium', set: 5 }, { priority: 'high', set: 1 }, { priority: 'critical', set: 0.2 }], deadband: 0.5 },
    staleAfterMs: 120_000,
    guidance: {
      cause: 'The disk holding the database, the logs and the attachments is filling up.',
      consequence: 'When it is full, spills, alarms and logbook entries can no longer be stored.',
      action: 'Free space or move old data away now; tell the run coordinator.',
    },
    view: 'shift',
  },
  {
    id: 'system.worker-restarted',
    name: 'Monitor worker restarted',
    group: 'system',
    input: 'system:worker-restarts-10min',
    condition: { kind: 'above', levels: [{ priority: 'low', set: 1 }, { priority: 'medium', set: 3 }] },
    guidance: {
      cause: 'A monitor worker thread failed and was replaced (a bug or corrupt input).',
      consequence: 'Part of a spill was not processed; repeated restarts mean the monitoring is unreliable.',
      action: 'Note the spill in the logbook; if it repeats, send the server log (na64rc.log) to the software expert.',
    },
    view: 'shift',
  },
  {
    id: 'system.database-errors',
    name: 'Database write errors',
    group: 'system',
    input: 'system:database-errors-10min',
    condition: { kind: 'above', levels: [{ priority: 'high', set: 1 }] },
    latch: true,
    guidance: {
      cause: 'The database refused a write (disk full, file permissions, corruption).',
      consequence: 'Spills, alarms or logbook entries may be missing from the record.',
      action: 'Check disk space and the server log; call the software expert; write down what happened in the paper logbook meanwhile.',
    },
    view: 'shift',
  },
  {
    id: 'system.event-loop-lag',
    name: 'Control software not responsive',
    group: 'engine',
    input: 'system:event-loop-lag-ms',
    unit: 'ms',
    condition: { kind: 'above', levels: [{ priority: 'medium', set: 500 }, { priority: 'high', set: 2000 }], deadband: 100 },
    guidance: {
      cause: 'The core process was blocked (overloaded machine, a slow query or a bug).',
      consequence: 'Commands, alarms and displays react late.',
      action: 'Check the machine load; tell the software expert with the time it happened.',
    },
    view: 'shift',
  },
];

/** Suppression by design per run type (critical alarms always come through). */
export const RUN_TYPE_PROFILES: RunTypeProfiles = {
  physics: { suppress: [] },
  // Calibration steers the beam cell by cell: rates per particle change by design.
  calibration: { suppress: ['daq.trigger-rate-low', 'daq.trigger-rate-high', 'dq'] },
  // LED and pedestal runs are taken without beam: no spill is expected.
  led: { suppress: ['daq', 'dq'] },
  pedestal: { suppress: ['daq', 'dq'] },
  cosmics: { suppress: ['daq', 'dq'] },
};
