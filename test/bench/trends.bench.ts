// Trends at the scale of a year of data taking: 40,000 spills (100 runs of 400) in a real SQLite file with
// their DQ rows, the per-spill figures and the per-channel figures of 122 channels, the LED records as the
// calibration stores them (JSON per spill), and a week of one HV channel's raw samples. Then each kind of
// trend over all 40,000 spills (every point, and thinned to the default 10,000), a time range, and the JSON
// of the answer; against the baseline of reading an ECAL cell's LED factor out of spill_led's JSON (what a
// trend would cost without the per-channel index). Median of 5 runs each. TRENDS_BENCH_SPILLS sets the size.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src-main/archive/database';
import { TrendStore } from '../../src-main/compare/trends';
import type { TrendQuantityName } from '../../src-main/shared/api/compare';
import { loadSetup } from '../../setups/load';

const SPILLS = Number(process.env['TRENDS_BENCH_SPILLS'] ?? 40_000);
const PER_RUN = 400;
const RUNS = Math.ceil(SPILLS / PER_RUN);
const CYCLE_MS = 16_800;
const T0 = Date.UTC(2026, 4, 1);

const dir = mkdtempSync(join(tmpdir(), 'na64rc-trends-bench-'));
const file = join(dir, 'na64rc.sqlite');
const db = openDatabase(file);
const setup = loadSetup('invisible-e');
const channels = setup.cells.map((c) => c.name);
const ecal = setup.cells.filter((c) => c.kind === 'ecal').map((c) => c.name);

let seed = 1;
const rnd = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;

const started = performance.now();
const q = {
  run: db.prepare(`INSERT INTO runs (number, type, setup, started_at, stopped_at, end_state) VALUES (?, 'physics', 'invisible-e', ?, ?, 'ended')`),
  spill: db.prepare(
    `INSERT INTO spills (run, spill, started_at, ended_at, events_seen, events_processed, intensity, ecal_mean_gev, ecal_peak_gev, daq_recorded, dead_time_fraction)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
  ),
  dq: db.prepare(
    `INSERT INTO spill_dq (run, spill, verdict, detectors, checks, calibration_version, eot, beam_events, beam_electrons, beam_hadrons, beam_muons,
       electron_efficiency, hadron_suppression, suppression_is_limit, calo_hadrons, beam_energy_gev, signal_candidates)
     VALUES (?, ?, 'good', '{}', '[]', 'v1', ?, ?, ?, ?, 0, ?, ?, 0, 0, ?, 0)`,
  ),
  figures: db.prepare(`INSERT INTO spill_figures (run, spill, ecal_width_gev) VALUES (?, ?, ?)`),
  channel: db.prepare(`INSERT INTO spill_channel_figures (channel, run, spill, pedestal, led_amplitude, led_factor) VALUES (?, ?, ?, ?, ?, ?)`),
  led: db.prepare(`INSERT INTO spill_led (run, spill, calibration_version, cells, source, max_drift) VALUES (?, ?, 'v1', ?, 'spill', NULL)`),
  hvChannel: db.prepare(`INSERT INTO hv_channels (name) VALUES (?)`),
  hv: db.prepare(`INSERT INTO hv_samples (channel, t, vmon, imon, status) VALUES (?, ?, ?, ?, 1)`),
};
for (let r = 1; r <= RUNS; r++) {
  db.transaction(() => {
    const runStart = T0 + (r - 1) * PER_RUN * CYCLE_MS;
    q.run.run(r, runStart, runStart + PER_RUN * CYCLE_MS);
    for (let s = 1; s <= PER_RUN && (r - 1) * PER_RUN + s <= SPILLS; s++) {
      const t = runStart + (s - 1) * CYCLE_MS;
      const events = 8000 + Math.floor(rnd() * 1000);
      q.spill.run(r, s, t, t + 4800, events, events, 5e6 * (0.8 + 0.4 * rnd()), 85 + rnd(), 99 + rnd(), 0.02 * rnd());
      const tagged = Math.floor(events * 0.9);
      q.dq.run(r, s, 4.9e6, tagged, Math.floor(tagged * 0.989), Math.floor(tagged * 0.01), 0.97 + 0.02 * rnd(), 300 + 100 * rnd(), 99 + rnd());
      q.figures.run(r, s, 1.4 + 0.1 * rnd());
      const led: Record<string, [number, number, string]> = {};
      for (const c of channels) {
        const isEcal = c.startsWith('ECAL');
        const amplitude = isEcal ? 1000 + 10 * rnd() : null;
        const factor = isEcal ? 1 + 0.01 * rnd() : null;
        if (isEcal) led[c] = [amplitude!, factor!, 'spill'];
        q.channel.run(c, r, s, 200 + rnd(), amplitude, factor);
      }
      q.led.run(r, s, JSON.stringify(led));
    }
  })();
}
// One HV channel: a raw sample at least every 5 minutes, and a step now and then.
const hvId = Number(q.hvChannel.run('ECAL1-3-3').lastInsertRowid);
db.transaction(() => {
  const end = T0 + SPILLS * CYCLE_MS;
  let v = 1100;
  for (let t = T0 - 600_000; t <= end; t += 300_000) {
    if (rnd() < 0.05) v += rnd() < 0.5 ? -3 : 3;
    q.hv.run(hvId, t, v + 0.4 * rnd(), 220);
  }
})();
db.pragma('wal_checkpoint(TRUNCATE)');
const buildS = (performance.now() - started) / 1000;
const dbMb = statSync(file).size / 1e6;

const trends = new TrendStore(db);
function median(fn: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return +times[2]!.toFixed(1);
}
const all = { from: 1, to: RUNS, limit: 50_000 };
const time = (quantity: TrendQuantityName, extra: object = {}) => median(() => trends.get({ quantity, ...all, ...extra }));
const figures = {
  ecal_peak_ms: time('ecal.peak'),
  purity_ms: time('purity'),
  ecal_width_ms: time('ecal.width'),
  pedestal_ms: time('pedestal', { channel: 'ECAL1-3-3' }),
  led_factor_ms: time('led.factor', { channel: 'ECAL1-3-3' }),
  hv_vmon_ms: time('hv.vmon', { channel: 'ECAL1-3-3' }),
  thinned_to_10000_ms: median(() => trends.get({ quantity: 'purity', from: 1, to: RUNS, limit: 10_000 })),
  time_range_ms: median(() => trends.get({ quantity: 'purity', since: T0, until: T0 + SPILLS * CYCLE_MS, limit: 50_000 })),
  json_of_answer_ms: (() => {
    const answer = trends.get({ quantity: 'purity', ...all });
    return median(() => JSON.stringify(answer));
  })(),
};
const full = [figures.ecal_peak_ms, figures.purity_ms, figures.ecal_width_ms, figures.pedestal_ms, figures.led_factor_ms, figures.hv_vmon_ms];
const baseline = db.prepare(`SELECT run, spill, json_extract(cells, '$."ECAL1-3-3"[1]') AS v FROM spill_led WHERE run BETWEEN ? AND ? ORDER BY run, spill`);
const ledJsonBaselineMs = median(() => baseline.all(1, RUNS));
const check = trends.get({ quantity: 'led.factor', channel: 'ECAL1-3-3', ...all });
if (check.shown !== SPILLS) throw new Error(`expected ${SPILLS} points, got ${check.shown}`);

console.log(`${SPILLS} spills in ${RUNS} runs, ${channels.length} channels (${ecal.length} ECAL cells), database ${dbMb.toFixed(0)} MB, built in ${buildS.toFixed(0)} s`);
for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(22)} ${v} ms`);
console.log(`  season view (the Trends view's default, 10,000 points of ${SPILLS} spills): ${figures.thinned_to_10000_ms} ms; full resolution ${Math.min(...full)}–${Math.max(...full)} ms (bar: 300 ms)`);
console.log(`  baseline: an ECAL cell's LED factor out of spill_led's JSON: ${ledJsonBaselineMs} ms (the per-channel index: ${figures.led_factor_ms} ms)`);
console.log(JSON.stringify({ bench: 'trends', spills: SPILLS, ...figures, led_json_baseline_ms: ledJsonBaselineMs, db_mb: +dbMb.toFixed(0) }));
db.close();
rmSync(dir, { recursive: true, force: true });
