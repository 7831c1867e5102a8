// HV history at the scale of the experiment: 200 channels polled at 1 Hz for 30 simulated days, written
// through the real history writer (deadband, maximum interval, roll-ups, retention) into a real SQLite
// file, one transaction per simulated hour of polls (the server commits each poll; in bulk the commit
// and WAL checkpoint cost would measure the disk, not the writer). Then the 30-day plot of one channel (1000 points)
// from the roll-ups, against the baseline of computing the same plot from the raw samples.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../drivers/twin/random';
import { openDatabase } from '../../src-main/archive/database';
import { HvHistory } from '../../src-main/hv/history';

const CHANNELS = 200;
const DAYS = Number(process.env['HV_BENCH_DAYS'] ?? 30);
const T0 = Date.UTC(2026, 4, 1);
const SECONDS = DAYS * 86_400;

const dir = mkdtempSync(join(tmpdir(), 'na64rc-hv-bench-'));
const file = join(dir, 'na64rc.sqlite');
const db = openDatabase(file);
const names = Array.from({ length: CHANNELS }, (_, i) => `CH${i}`);
const history = new HvHistory(db, names);

// Readback noise as the simulators give it (σ 0.4 V, 0.05 µA), from a table so the bench measures the
// writer, not the random number generator.
const rng = new Random(1);
const NOISE = 65_537;
const vNoise = Float64Array.from({ length: NOISE }, () => 0.4 * rng.gauss());
const iNoise = Float64Array.from({ length: NOISE }, () => 0.05 * rng.gauss());
const vset = Float64Array.from({ length: CHANNELS }, (_, i) => 1100 + 10 * (i % 40));
const vmon = new Float64Array(CHANNELS);
const imon = new Float64Array(CHANNELS);
const status = new Int32Array(CHANNELS).fill(1);

const started = performance.now();
let k = 0;
for (let hour = 0; hour < SECONDS / 3600; hour++) {
  history.transaction(() => {
    for (let s = hour * 3600; s < hour * 3600 + 3600; s++) {
      // Once a day every channel is ramped down and up again (an access to the zone): 50 V/s both ways.
      const inDay = s % 86_400;
      for (let c = 0; c < CHANNELS; c++) {
        const ramp = inDay >= 43_200 && inDay < 43_200 + 120 ? Math.max(0, vset[c]! - 50 * Math.min(inDay - 43_200, 43_320 - inDay)) : vset[c]!;
        k = (k + 7919) % NOISE;
        vmon[c] = ramp + vNoise[k]!;
        imon[c] = ramp / 5 + iNoise[k]!;
        status[c] = ramp < vset[c]! ? 5 : 1;
      }
      history.record(T0 + s * 1000, vmon, imon, status);
    }
  });
}
const writeS = (performance.now() - started) / 1000;
db.pragma('wal_checkpoint(TRUNCATE)');
const dbBytes = statSync(file).size;

const to = T0 + SECONDS * 1000;
const from = to - 30 * 86_400_000;
const raw = db.prepare<[number, number, number, number], { b: number; n: number; mean: number; lo: number; hi: number }>(
  `SELECT (t / ?) AS b, count(*) AS n, avg(vmon) AS mean, min(vmon) AS lo, max(vmon) AS hi
   FROM hv_samples WHERE channel = (SELECT id FROM hv_channels WHERE name = 'CH7') AND t >= ? AND t <= ? GROUP BY b LIMIT ?`,
);

function median(fn: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return times.sort((a, b) => a - b)[3]!;
}

const answer = history.query('CH7', from, to, 1000, to);
const query30dMs = median(() => history.query('CH7', from, to, 1000, to));
const rawScanMs = median(() => raw.all(3_600_000, from, to, 1_000_000));
const rows = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
console.log(`${CHANNELS} channels × ${DAYS} days at 1 Hz = ${(CHANNELS * SECONDS / 1e6).toFixed(0)} M readings written in ${writeS.toFixed(1)} s`);
console.log(`database ${(dbBytes / 1e6).toFixed(1)} MB: ${rows('hv_samples')} raw samples, ${rows('hv_rollups')} roll-up rows`);
console.log(`30-day plot of one channel: ${answer.points.length} points at the ${answer.level} level in ${query30dMs.toFixed(2)} ms (raw-table scan baseline ${rawScanMs.toFixed(2)} ms)`);
console.log(
  JSON.stringify({
    bench: 'hv-history',
    channels: CHANNELS,
    days: DAYS,
    dbBytes,
    query30dMs: +query30dMs.toFixed(3),
    rawScanBaselineMs: +rawScanMs.toFixed(3),
    rollupVsRawScan: +(query30dMs / rawScanMs).toFixed(4),
    points: answer.points.length,
    level: answer.level,
    writeSeconds: +writeS.toFixed(1),
    readingsPerSecond: Math.round((CHANNELS * SECONDS) / writeS),
  }),
);
db.close();
rmSync(dir, { recursive: true, force: true });
