// Prometheus text exposition (/metrics) of the run, the beam and the last spill, for the control room's
// other monitoring tools. Same token as the JSON API.
import type { Core } from '../core/core';
import type { EotStatus } from '../shared/api/dq';
import { DEVICE_STATES } from '../shared/api/devices';
import { RunState } from '../shared/api/schemas';
import { ALARM_STATES, PRIORITIES } from '../shared/alarms';

export type Metric = (name: string, help: string, type: 'gauge' | 'counter', samples: [string, number][]) => void;
import { admissionMetrics } from '../server/admission';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Writes a metric into `lines`: its HELP and TYPE, then one line per sample (labels as given; NaN when not finite). */
export function metricWriter(lines: string[]): Metric {
  return (name, help, type, samples) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 'NaN'}`);
  };
}

export function renderMetrics(core: Core): string {
  const s = core.status();
  const lines: string[] = [];
  const metric = metricWriter(lines);
  metric('na64rc_info', 'Version, setup, site and simulation mode of the server.', 'gauge', [
    [`{version="${escapeLabel(s.version)}",setup="${escapeLabel(s.setup)}",site="${escapeLabel(s.site)}",simulation="${s.simulation}"}`, 1],
  ]);
  metric(
    'na64rc_run_state',
    'Run state: 1 for the current state.',
    'gauge',
    RunState.options.map((state) => [`{state="${state}"}`, s.run.state === state ? 1 : 0]),
  );
  metric('na64rc_run_number', 'Current run number, or the last one when idle.', 'gauge', [['', s.run.current?.number ?? s.run.lastRunNumber]]);
  metric('na64rc_run_spill', 'Last spill number of the current run.', 'gauge', [['', s.run.spill]]);
  metric('na64rc_beam_in_spill', '1 while the SPS spill is on.', 'gauge', [['', s.beam.phase === 'spill' ? 1 : 0]]);
  metric('na64rc_monitor_worker_restarts_total', 'Monitor worker threads restarted after a failure.', 'counter', [['', core.monitorRestarts()]]);
  const devices = core.devices.list();
  const now = Date.now();
  const dev = (d: { id: string; plugin: string }) => `device="${escapeLabel(d.id)}",plugin="${escapeLabel(d.plugin)}"`;
  metric('na64rc_device_up', '1 while the device answers (online or degraded).', 'gauge', devices.map((d) => [`{${dev(d)}}`, d.state === 'online' || d.state === 'degraded' ? 1 : 0]));
  metric(
    'na64rc_device_state',
    'Device lifecycle state: 1 for the current state.',
    'gauge',
    devices.flatMap((d) => DEVICE_STATES.map((state): [string, number] => [`{${dev(d)},state="${state}"}`, d.state === state ? 1 : 0])),
  );
  metric('na64rc_device_reconnects_total', 'Connections made again after they had been lost.', 'counter', devices.map((d) => [`{${dev(d)}}`, d.reconnects]));
  metric(
    'na64rc_device_last_seen_seconds',
    'Seconds since the device last answered (NaN if never).',
    'gauge',
    devices.map((d) => [`{${dev(d)}}`, d.lastSeenAt === null ? Number.NaN : Math.max(0, (now - d.lastSeenAt) / 1000)]),
  );
  if (s.lastSpill) {
    const l = s.lastSpill;
    metric('na64rc_last_spill_events', 'Events the DAQ delivered in the last spill.', 'gauge', [['', l.eventsSeen]]);
    metric('na64rc_last_spill_processed_ratio', 'Fraction of the last spill the monitor processed.', 'gauge', [['', l.processedFraction]]);
    metric('na64rc_last_spill_intensity', 'Particles on target in the last spill.', 'gauge', [['', l.intensity]]);
    metric('na64rc_last_spill_ecal_peak_gev', 'Peak of the ECAL total energy in the last spill, GeV.', 'gauge', [['', l.ecalPeakGeV ?? Number.NaN]]);
  }
  controlRoomMetrics(core, metric);
  livenessMetrics(core, metric);
  lines.push(...admissionMetrics());
  return lines.join('\n') + '\n';
}

/** What a control room graphs besides the run: alarms, HV channels, EOT, spills, data quality, dead time. */
function controlRoomMetrics(core: Core, metric: Metric): void {
  const alarms = core.alarms.engine.list();
  const count = new Map<string, number>();
  for (const a of alarms) {
    const key = `${a.state}|${a.priority ?? a.maxPriority}`;
    count.set(key, (count.get(key) ?? 0) + 1);
  }
  metric(
    'na64rc_alarms',
    'Alarms by ISA-18.2 state and priority (the current priority of an active alarm, the highest it can reach otherwise).',
    'gauge',
    ALARM_STATES.flatMap((state) => PRIORITIES.map((priority): [string, number] => [`{state="${state}",priority="${priority}"}`, count.get(`${state}|${priority}`) ?? 0])),
  );
  const hv = core.hv.overview();
  const supplies = [...new Set(hv.channels.map((c) => c.supply))];
  const bySupply = (test: (c: (typeof hv.channels)[number]) => boolean) =>
    supplies.map((supply): [string, number] => [`{supply="${escapeLabel(supply)}"}`, hv.channels.filter((c) => c.supply === supply && test(c)).length]);
  metric('na64rc_hv_channels', 'HV channels of the map on each supply.', 'gauge', bySupply(() => true));
  metric('na64rc_hv_channels_on', 'HV channels switched on, per supply (from the status words).', 'gauge', bySupply((c) => c.on === true));
  metric('na64rc_hv_channels_tripped', 'HV channels tripped, per supply.', 'gauge', bySupply((c) => c.conditions.includes('trip')));
  metric('na64rc_hv_channels_interlocked', 'HV channels held off by an open interlock, per supply.', 'gauge', bySupply((c) => c.conditions.includes('interlock')));
  const s = core.status();
  onTargetMetrics(core.dq.eot(s.run.current?.number ?? null), metric);
  const tally = core.spillTally;
  metric('na64rc_spills_total', 'Spills stored since start: taken (with data) or lost (the DAQ stream was down).', 'counter', [
    ['{daq="taken"}', tally.taken],
    ['{daq="lost"}', tally.lost],
  ]);
  metric('na64rc_spill_rate_per_minute', 'Spills with data stored per minute over the last 5 minutes (from the DAQ, not the SPS clock).', 'gauge', [['', tally.perMinute()]]);
  metric(
    'na64rc_dq_verdicts_total',
    'Data-quality verdicts of the spills stored since start (none: not judged, e.g. a lost spill).',
    'counter',
    Object.entries(tally.verdicts).map(([verdict, n]): [string, number] => [`{verdict="${verdict}"}`, n]),
  );
  const stages = Object.entries(core.spills.stageTotals);
  metric('na64rc_spill_end_stage_seconds_sum', 'Time of a live spill\'s end, by stage, from its end of burst (merge: the monitor finishing the spill; assess: data quality; then the screens\' event, for a blinded run; write: the transaction; subscribers: the other domains), summed over the live spills since start.', 'counter', stages.map(([stage, t]): [string, number] => [`{stage="${stage}"}`, t.ms / 1000]));
  metric('na64rc_spill_end_stage_seconds_count', 'Live spills counted in na64rc_spill_end_stage_seconds_sum, by stage.', 'counter', stages.map(([stage, t]): [string, number] => [`{stage="${stage}"}`, t.spills]));
  const dead = s.lastSpill?.daq?.deadTimeFraction;
  metric('na64rc_last_spill_dead_time_ratio', 'DAQ dead time of the last spill (fraction of the spill; NaN if unknown).', 'gauge', [['', dead ?? Number.NaN]]);
  const daq = s.beam.daq;
  metric(
    'na64rc_daq_stream_state',
    'Whether spills arrive from the DAQ: 1 for the current state (spills, lost, no-spill).',
    'gauge',
    (['spills', 'lost', 'no-spill'] as const).map((state): [string, number] => [`{state="${state}"}`, daq?.state === state ? 1 : 0]),
  );
}

/**
 * What the setup counts on target. The `na64rc_eot_*` names stay whatever the setup counts (dashboards use
 * them); the `unit` label says what they are (EOT, MOT, POT). A hadron beam with a CEDAR adds its kaons.
 */
export function onTargetMetrics(eot: EotStatus, metric: Metric): void {
  const setup = `setup="${escapeLabel(eot.setup)}"`;
  const unit = `unit="${eot.unit}"`;
  const words = `${eot.words} (${eot.unit})`;
  metric('na64rc_eot_run', `${words} of the current run (0 when idle).`, 'gauge', [[`{${unit}}`, eot.runEot]]);
  metric('na64rc_eot_total', `${words} of the setup in total.`, 'gauge', [[`{${setup},${unit}}`, eot.totalEot]]);
  metric('na64rc_eot_goal', `The setup's ${eot.unit} goal.`, 'gauge', [[`{${setup},${unit}}`, eot.goal]]);
  const k = eot.kaons;
  if (!k) return;
  metric('na64rc_kot_run', `${k.words} (KOT) of the current run (0 when idle).`, 'gauge', [['{unit="KOT"}', k.runKot]]);
  metric('na64rc_kot_total', `${k.words} (KOT) of the setup in total.`, 'gauge', [[`{${setup},unit="KOT"}`, k.totalKot]]);
  metric('na64rc_kot_goal', "The setup's KOT goal.", 'gauge', [[`{${setup},unit="KOT"}`, k.goal]]);
}

/** The core's own health: event-loop lag, database write latency, and the age of every heartbeat. */
function livenessMetrics(core: Core, metric: Metric): void {
  const lag = core.loopLag.lag();
  metric('na64rc_event_loop_lag_seconds', 'How late the core event loop ran its timers over the last 10 s window.', 'gauge', [
    ['{stat="max"}', lag.maxMs / 1000],
    ['{stat="p99"}', lag.p99Ms / 1000],
    ['{stat="mean"}', lag.meanMs / 1000],
  ]);
  const db = core.liveness.dbWriter.latency();
  metric('na64rc_db_write_latency_seconds', 'Time of the database writer\'s probe commit: the last one and the largest of the last minute (NaN before the first).', 'gauge', [
    ['{stat="last"}', db.lastMs === null ? Number.NaN : db.lastMs / 1000],
    ['{stat="max"}', db.maxMs === null ? Number.NaN : db.maxMs / 1000],
  ]);
  metric('na64rc_db_write_failures_total', 'Probe writes the database refused since start.', 'counter', [['', core.liveness.dbWriter.failures]]);
  const beats = core.liveness.heartbeats.list();
  metric('na64rc_heartbeat_age_seconds', 'Seconds since each source last proved alive (DAQ stream, devices, monitor workers, database writer).', 'gauge', beats.map((b) => [`{source="${escapeLabel(b.id)}"}`, b.ageMs / 1000]));
  metric('na64rc_heartbeat_stale', '1 while a source is silent beyond its bound (its liveness.stale alarm).', 'gauge', beats.map((b) => [`{source="${escapeLabel(b.id)}"}`, b.stale ? 1 : 0]));
}
