// Monitor throughput on a fixed simulated event file (the twin's invisible-e spills as DATE bytes): events
// per second through the full worker pipeline (decode → pedestal, amplitude, peak time → calibration →
// per-event physics → every histogram) in one thread; the same per-event processing written with NumPy
// (test/bench/monitor_numpy.py) on the same events as the peer baseline; two memory baselines on the same
// bytes in the same run — copying them (TypedArray.set into a preallocated buffer: what the machine's memory
// does) and a plain read of every 32-bit word (what a JavaScript loop over them does) — with the pipeline as
// a fraction of each; and the pool with 1 worker and with as many as the machine has cores (at least 2).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
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

/** Plain typed-array read: every 32-bit word of the events read once and summed, in a JavaScript loop. */
function readBaseline(): number {
  const words = new Uint32Array(all.data.buffer, all.data.byteOffset, all.data.byteLength >>> 2);
  let sink = 0;
  const ms = best(5, () => {
    const t = performance.now();
    sink ^= readOnce(words);
    return performance.now() - t;
  });
  if (sink === 42) console.log('');
  return ms;
}

/** Copy: the same bytes copied once with TypedArray.set into a preallocated buffer (memcpy speed). */
function copyBaseline(): number {
  const into = new Uint8Array(all.data.byteLength);
  const ms = best(5, () => {
    const t = performance.now();
    into.set(all.data);
    return performance.now() - t;
  });
  if (into[into.length - 1] !== all.data[all.data.length - 1]) throw new Error('the copy baseline copied something else');
  return ms;
}

/**
 * The pipeline in this thread, best of 5: events per second of wall time, and per second of this process's
 * CPU time (user + system), which on a machine shared with other work moves less from run to run: time spent
 * waiting for a core is not in it (caches the other work evicted still are).
 */
function inThread(): { wall: number; cpu: number } {
  const list = batches();
  let cpuMs = Number.POSITIVE_INFINITY;
  const wallMs = best(5, () => {
    const t = performance.now();
    const cpu = process.cpuUsage();
    const spill = new SpillHistograms(config);
    for (const b of list) spill.fill(b);
    spill.snapshots();
    const used = process.cpuUsage(cpu);
    if (spill.processed !== EVENTS) throw new Error(`processed ${spill.processed} of ${EVENTS}`);
    cpuMs = Math.min(cpuMs, (used.user + used.system) / 1000);
    return performance.now() - t;
  });
  return { wall: rate(wallMs), cpu: rate(cpuMs) };
}

async function pooled(workers: number): Promise<number> {
  // Imported only now: with the logger (pino's CommonJS packages, through tsx's loader) imported first, the
  // in-thread pipeline ran 0.90× as fast, as it does once an ArrayBuffer was detached (see below). The worker
  // imports neither, so the in-thread figure is measured in a thread that has loaded no more than it.
  const { MonitorPool } = await import('../../src-main/monitor/pool');
  const { silentLogger } = await import('../../src-main/log');
  const pool = new MonitorPool(silentLogger(), workers, 10_000);
  pool.configure(config);
  await new Promise((r) => setTimeout(r, 500)); // workers started
  let ms = Number.POSITIVE_INFINITY;
  // A round to warm the workers' compiler up, then the best of 5: as the in-thread figure is measured.
  for (let round = 0; round < 6; round++) {
    const list = batches();
    const t = performance.now();
    pool.begin(`b:${round}`);
    for (const b of list) pool.submit(`b:${round}`, b);
    const result = await pool.end(`b:${round}`, 120_000);
    if (round > 0) ms = Math.min(ms, performance.now() - t);
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
const readMs = readBaseline();
const copyMs = copyBaseline();
const { wall: recon, cpu: reconCpu } = inThread();
// The same after an ArrayBuffer was detached in this thread (what a transfer does to its sender): from then on
// V8 checks every typed-array access for it. The monitor worker therefore copies what it posts.
{
  const buffer = new ArrayBuffer(8);
  structuredClone(buffer, { transfer: [buffer] });
}
const { wall: detached } = inThread();
const numpy = numpyPeer();
const cores = availableParallelism();
const many = Math.max(2, cores);
const one = await pooled(1);
const pool = await pooled(many);
const bytes = all.data.byteLength;
const gbps = (ms: number) => bytes / 1e9 / (ms / 1000);
const readRate = rate(readMs);
const copyRate = rate(copyMs);
const mb = ((bytes / EVENTS) * recon) / 1e6;
console.log(`${EVENTS} events, ${(bytes / EVENTS / 1024).toFixed(1)} kB each (${setup.cells.length} channels × 32 samples), ${(bytes / 1e6).toFixed(0)} MB`);
console.log(`machine: ${cores} cores available (os.availableParallelism), ${cpus()[0]?.model ?? 'unknown processor'}`);
console.log(`baseline copy (TypedArray.set into a preallocated buffer): ${copyRate.toLocaleString()} events/s, ${gbps(copyMs).toFixed(1)} GB/s`);
console.log(`baseline read (sum of every Uint32 word, a JavaScript loop): ${readRate.toLocaleString()} events/s, ${gbps(readMs).toFixed(2)} GB/s`);
console.log(
  `full pipeline, one thread: ${recon.toLocaleString()} events/s (${mb.toFixed(0)} MB/s) = ${(recon / copyRate).toFixed(4)} × the copy, ${(recon / readRate).toFixed(3)} × the read`,
);
console.log(`full pipeline, one thread, once an ArrayBuffer was detached in it: ${detached.toLocaleString()} events/s (${(detached / recon).toFixed(3)} ×)`);
console.log(`full pipeline, one thread, per CPU second of this process: ${reconCpu.toLocaleString()} events (load average ${loadavg().map((l) => l.toFixed(1)).join(' ')})`);
if (numpy) console.log(`NumPy peer, same processing: ${numpy.toLocaleString()} events/s (ours ${(recon / numpy).toFixed(2)} ×)`);
console.log(`pool, 1 worker: ${one.toLocaleString()} events/s; ${many} workers: ${pool.toLocaleString()} events/s (${(pool / one).toFixed(2)} × one worker, on ${cores} cores)`);
console.log(
  JSON.stringify({
    bench: 'monitor',
    events: EVENTS,
    cores,
    eventsPerSec: recon,
    eventsPerCpuSec: reconCpu,
    eventsPerSecDetached: detached,
    numpyEventsPerSec: numpy,
    copyEventsPerSec: copyRate,
    copyGBps: +gbps(copyMs).toFixed(2),
    readEventsPerSec: readRate,
    readGBps: +gbps(readMs).toFixed(2),
    pipelineVsCopy: +(recon / copyRate).toFixed(4),
    pipelineVsRead: +(recon / readRate).toFixed(4),
    workers: { '1': one, [many]: pool },
    workerScaling: +(pool / one).toFixed(2),
  }),
);
