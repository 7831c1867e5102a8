// Prometheus text exposition (/metrics) of the run, the beam and the last spill, for the control room's
// other monitoring tools. Same token as the JSON API.
import type { Core } from '../core/core';
import { DEVICE_STATES } from '../shared/api/devices';
import { RunState } from '../shared/api/schemas';
import { admissionMetrics } from '../server/admission';

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(core: Core): string {
  const s = core.status();
  const lines: string[] = [];
  const metric = (name: string, help: string, type: 'gauge' | 'counter', samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${Number.isFinite(value) ? value : 'NaN'}`);
  };
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
  lines.push(...admissionMetrics());
  return lines.join('\n') + '\n';
}
