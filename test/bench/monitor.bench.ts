// Monitor throughput: events per second through decoding, reconstruction and histogramming, in one thread
// and through the worker pool (1 and 2 workers), against a baseline that only reads every byte once.
import { monitorConfigFor } from '../../src-main/core/core';
import { silentLogger } from '../../src-main/log';
import { MonitorPool } from '../../src-main/monitor/pool';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { batchOf, encodedSpill, twinFor } from '../support/twin-data';

const { setup, twin, encoder } = twinFor('invisible-e', 1);
const config = monitorConfigFor(setup);
const EVENTS = 20_000;
const BATCH = 500;
const events: Uint8Array[] = [];
for (let s = 0; events.length < EVENTS; s++) events.push(...encodedSpill(twin, encoder, s, EVENTS - events.length).events);
const data = batchOf(events).data;

function batches() {
  const out = [];
  for (let first = 0; first < EVENTS; first += BATCH) out.push(batchOf(events.slice(first, first + BATCH)));
  return out;
}

function rate(ms: number): number {
  return Math.round((EVENTS / ms) * 1000);
}

function baseline(): number {
  const t = performance.now();
  let sink = 0;
  for (let i = 0; i < data.length; i++) sink += data[i]!;
  const ms = performance.now() - t;
  if (sink === 42) console.log('');
  return rate(ms);
}

function inThread(): number {
  const list = batches();
  const t = performance.now();
  const spill = new SpillHistograms(config);
  for (const b of list) spill.fill(b);
  spill.snapshots();
  return rate(performance.now() - t);
}

async function pooled(workers: number): Promise<{ rate: number; processed: number }> {
  const pool = new MonitorPool(silentLogger(), workers, 10_000);
  pool.configure(config);
  await new Promise((r) => setTimeout(r, 300)); // workers started
  const list = batches();
  const t = performance.now();
  pool.begin('b:1');
  for (const b of list) pool.submit('b:1', b);
  const result = await pool.end('b:1', 60_000);
  const ms = performance.now() - t;
  await pool.close();
  return { rate: rate(ms), processed: result.processed };
}

// Warm up the JIT once, then measure.
baseline();
inThread();
const base = baseline();
const recon = inThread();
const one = await pooled(1);
const two = await pooled(2);
console.log(`baseline (read every byte): ${base.toLocaleString()} events/s`);
console.log(`decode + reconstruction + histogram, one thread: ${recon.toLocaleString()} events/s (${(recon / base).toFixed(3)} × baseline)`);
console.log(`through the pool, 1 worker: ${one.rate.toLocaleString()} events/s (${(one.rate / recon).toFixed(2)} × in-thread), ${one.processed} processed`);
console.log(`through the pool, 2 workers: ${two.rate.toLocaleString()} events/s (${(two.rate / recon).toFixed(2)} × in-thread), ${two.processed} processed`);
console.log(
  JSON.stringify({
    bench: 'monitor',
    events: EVENTS,
    baselineEventsPerS: base,
    inThreadEventsPerS: recon,
    pool1EventsPerS: one.rate,
    pool2EventsPerS: two.rate,
    inThreadVsBaseline: +(recon / base).toFixed(3),
    pool1VsInThread: +(one.rate / recon).toFixed(3),
    pool2VsInThread: +(two.rate / recon).toFixed(3),
  }),
);
