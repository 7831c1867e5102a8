// Monitor throughput on a fixed simulated event file (the twin's invisible-e spills as DATE bytes): events
// per second through the full worker pipeline (decode → pedestal, amplitude, peak time → calibration →
// per-event physics → every histogram) in one thread; the same per-event processing written with NumPy
// (test/bench/monitor_numpy.py) on the same events as the peer baseline; a plain single-pass read of the
// same bytes as the memory-speed limit; and the pool with 1 and 2 workers.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { silentLogger } from '../../src-main/log';
import { MonitorPool } from '../../src-main/monitor/pool';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { batchOf, encodedSpill, twinFor } from '../support/twin-data';

const { setup, twin, encoder } = twinFor('invisible-e', 1);
const config = monitorConfigFor(setup);
const EVENTS = 30_000;
const BATCH = 500;
const events: Uint8Array[] = [];
for (let s = 0; events.length < EVENTS; s++) events.push(...encodedSpill(twin, encoder, s, EVENTS - events.length).events);
const all = batchOf(events);

function batches() {
  const out = [];
  for (let first = 0; first < EVENTS; first += BATCH) out.push(batchOf(events.slice(first, first + BATCH)));
  return out;
}

const rate = (ms: number) => Math.round((EVENTS / ms) * 1000);
function best(times: number, fn: () => number): number {
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < times; i++) ms = Math.min(ms, fn());
  return ms;
}

/** One pass over the words, summed (the sum is returned so the loop cannot be optimised away). */
function readOnce(words: Uint32Array): number {
  let sink = 0;
  for (let i = 0; i < words.length; i++) sink = (sink + words[i]!) | 0;
  return sink;
}

/** The memory-speed limit: every 32-bit word of the events read once. */
function limit(): number {
  const words = new Uint32Array(all.data.buffer, all.data.byteOffset, all.data.byteLength >>> 2);
  let sink = 0;
  const ms = best(5, () => {
    const t = performance.now();
    sink ^= readOnce(words);
    return performance.now() - t;
  });
  if (sink === 42) console.log('');
  return rate(ms);
}

function inThread(): number {
  const list = batches();
  return rate(
    best(5, () => {
      const t = performance.now();
      const spill = new SpillHistograms(config);
      for (const b of list) spill.fill(b);
      spill.snapshots();
      if (spill.processed !== EVENTS) throw new Error(`processed ${spill.processed} of ${EVENTS}`);
      return performance.now() - t;
    }),
  );
}

async function pooled(workers: number): Promise<number> {
  const pool = new MonitorPool(silentLogger(), workers, 10_000);
  pool.configure(config);
  await new Promise((r) => setTimeout(r, 500)); // workers started
  let ms = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const list = batches();
    const t = performance.now();
    pool.begin(`b:${round}`);
    for (const b of list) pool.submit(`b:${round}`, b);
    const result = await pool.end(`b:${round}`, 120_000);
    ms = Math.min(ms, performance.now() - t);
    if (result.processed !== EVENTS) throw new Error(`the pool processed ${result.processed} of ${EVENTS}`);
  }
  await pool.close();
  return rate(ms);
}

/** A python3 with NumPy: `python3`, then Debian's. */
function findPython(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', 'import numpy'], { stdio: 'ignore' });
    if (r.status === 0) return python;
  }
  return null;
}

function numpyPeer(): number | null {
  const python = findPython();
  if (!python) {
    console.log('NumPy peer skipped: no python3 with numpy found. Install it with: apt-get install -y python3-numpy');
    return null;
  }
  const dir = mkdtempSync(join(tmpdir(), 'na64rc-bench-'));
  try {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, addressToCell: Array.from(config.addressToCell) }));
    writeFileSync(join(dir, 'events.u32'), all.data);
    writeFileSync(join(dir, 'offsets.u32'), new Uint8Array(all.offsets.buffer));
    const script = join(dirname(fileURLToPath(import.meta.url)), 'monitor_numpy.py');
    // OpenBLAS tuning variables slow NumPy on some processors (see the workplace notes): not for this run.
    const env = { ...process.env };
    delete env['OPENBLAS_CORETYPE'];
    delete env['OPENBLAS_L2_SIZE'];
    const r = spawnSync(python, [script, join(dir, 'config.json'), join(dir, 'events.u32'), join(dir, 'offsets.u32'), '3'], { encoding: 'utf8', env, maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`the NumPy peer failed: ${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; processed: number; numpy: string };
    if (out.processed !== EVENTS) throw new Error(`the NumPy peer processed ${out.processed} of ${EVENTS}`);
    console.log(`NumPy ${out.numpy} (${python})`);
    return Math.round(EVENTS / out.seconds);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

inThread(); // JIT warm-up
const limitRate = limit();
const recon = inThread();
const numpy = numpyPeer();
const one = await pooled(1);
const two = await pooled(2);
const mb = ((all.data.byteLength / EVENTS) * recon) / 1e6;
console.log(`${EVENTS} events, ${(all.data.byteLength / EVENTS / 1024).toFixed(1)} kB each (${setup.cells.length} channels × 32 samples)`);
console.log(`memory-speed limit (read every word once): ${limitRate.toLocaleString()} events/s`);
console.log(`full pipeline, one thread: ${recon.toLocaleString()} events/s (${mb.toFixed(0)} MB/s, ${(recon / limitRate).toFixed(3)} × the limit)`);
if (numpy) console.log(`NumPy peer, same processing: ${numpy.toLocaleString()} events/s (ours ${(recon / numpy).toFixed(2)} ×)`);
console.log(`pool, 1 worker: ${one.toLocaleString()} events/s; 2 workers: ${two.toLocaleString()} events/s (${(two / one).toFixed(2)} ×)`);
console.log(JSON.stringify({ bench: 'monitor', events: EVENTS, eventsPerSec: recon, numpyEventsPerSec: numpy, limitEventsPerSec: limitRate, workers: { '1': one, '2': two } }));
