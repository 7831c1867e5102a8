// Logbook search on 100,000 entries: full-text queries (words, prefixes, phrases, boolean, with and without
// filters) through the logbook's own search, against a baseline LIKE scan of titles and bodies in the same
// database. Ends with one JSON line {"bench":"logbook-search","entries":…,"p95Ms":…}.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Random } from '../../drivers/twin/random';
import { openDatabase } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { silentLogger } from '../../src-main/log';
import { Logbook } from '../../src-main/logbook/logbook';
import { LogbookStore } from '../../src-main/logbook/logbook-store';

const ENTRIES = Number(process.env['LOGBOOK_BENCH_ENTRIES'] ?? 100_000);
const REPEATS = 5;
const WORDS = (
  'spill run beam ECAL HCAL VETO SRD trigger rate pedestal calibration LED scan HV trip ramp voltage current cell module ' +
  'intensity electron muon hadron pion target dump counter scaler DAQ event readout buffer busy timeout restart shift ' +
  'expert called fixed checked nominal unstable noisy dead hot channel threshold gain drift temperature magnet collimator ' +
  'SPS cycle supercycle extraction flattop T2 H4 straw tracker micromega MM GEM wire chamber synchrotron radiation detector'
).split(' ');
const AUTHORS = ['alice', 'bob', 'carla', 'dmitri', 'elena', 'felix', 'gosha', 'hanna', 'ivan', 'julia'];
const TAGS = ['hv', 'ecal', 'hcal', 'daq', 'beam', 'trigger', 'calibration', 'srd', 'veto', 'shift'];

const dir = mkdtempSync(join(tmpdir(), 'na64rc-bench-logbook-'));
const db = openDatabase(join(dir, 'na64rc.sqlite'));
const logbook = new Logbook(db, new RunsArchive(db), dir, silentLogger());
const store = new LogbookStore(db, 0);
const rng = new Random(8);
const pick = <T>(list: readonly T[]) => list[Math.floor(rng.uniform() * list.length)]!;
const words = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

const t0 = performance.now();
const start = Date.UTC(2025, 4, 1);
db.transaction(() => {
  for (let i = 0; i < ENTRIES; i++) {
    const run = 1 + Math.floor(i / 40);
    store.insert({
      parentId: null,
      origin: i % 7 === 0 ? 'system' : 'person',
      kind: 'note',
      author: pick(AUTHORS),
      authorRole: 'shifter',
      shift: 'bench',
      at: start + i * 90_000,
      title: `${words(4)} ${i % 1000 === 0 ? 'quench' : ''}`.trim(),
      body: `${words(20 + Math.floor(rng.uniform() * 60))}. ECAL${i % 2}-${i % 6}-${(i >> 3) % 6} at spill ${1 + (i % 200)}.`,
      tags: [pick(TAGS), pick(TAGS), ...(i % 1000 === 7 ? ['quench'] : [])].filter((t, k, a) => a.indexOf(t) === k),
      links: [{ kind: 'run', run }],
      facts: {},
      attachments: [],
    });
  }
})();
const fillMs = performance.now() - t0;

const QUERIES: { q: string; author?: string; tag?: string; run?: number; from?: number; to?: number }[] = [
  { q: 'spill' },
  { q: 'trip' },
  { q: 'quench' },
  { q: 'trig*' },
  { q: '"HV trip"' },
  { q: 'beam NOT muon' },
  { q: 'hv OR ecal' },
  { q: 'ECAL1-3-2' },
  { q: 'title:calibration' },
  { q: 'NEAR(pedestal drift, 5)' },
  { q: 'ecal', author: 'alice' },
  { q: 'beam', tag: 'hv' },
  { q: 'beam', tag: 'quench' },
  { q: 'spill', run: 1234 },
  { q: 'trigger', from: start + 30 * 86_400_000, to: start + 31 * 86_400_000 },
  { q: '', author: 'bob', tag: 'daq' },
  { q: '', run: 2000 },
  { q: 'nonexistentword' },
];

function p(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const times: number[] = [];
let hits = 0;
for (let r = 0; r < REPEATS; r++) {
  for (const query of QUERIES) {
    const t = performance.now();
    hits += logbook.search({ ...query, limit: 50 }).hits.length;
    times.push(performance.now() - t);
    if (process.env['LOGBOOK_BENCH_VERBOSE'] && r === REPEATS - 1) console.log(JSON.stringify(query), (performance.now() - t).toFixed(2));
  }
}
times.sort((a, b) => a - b);

// Baseline: what a search without the index costs, a LIKE scan of titles and bodies, newest first.
const like = db.prepare<[string, string], { id: number }>(
  `SELECT id FROM logbook_entries WHERE title LIKE ? OR body LIKE ? ORDER BY id DESC LIMIT 50`,
);
const likeTimes: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  for (const word of ['spill', 'trip', 'quench', 'trig', 'pedestal', 'nonexistentword']) {
    const t = performance.now();
    like.all(`%${word}%`, `%${word}%`);
    likeTimes.push(performance.now() - t);
  }
}
likeTimes.sort((a, b) => a - b);

db.close();
rmSync(dir, { recursive: true, force: true });

const round = (x: number) => Math.round(x * 100) / 100;
console.log(`filled ${ENTRIES} entries in ${(fillMs / 1000).toFixed(1)} s; ${QUERIES.length} queries × ${REPEATS}, ${hits} hits`);
console.log(`search  p50 ${round(p(times, 0.5))} ms, p95 ${round(p(times, 0.95))} ms, max ${round(times.at(-1)!)} ms`);
console.log(`LIKE    p50 ${round(p(likeTimes, 0.5))} ms, p95 ${round(p(likeTimes, 0.95))} ms`);
console.log(
  JSON.stringify({
    bench: 'logbook-search',
    entries: ENTRIES,
    queries: times.length,
    p50Ms: round(p(times, 0.5)),
    p95Ms: round(p(times, 0.95)),
    maxMs: round(times.at(-1)!),
    likeP95Ms: round(p(likeTimes, 0.95)),
    speedupP95: round(p(likeTimes, 0.95) / p(times, 0.95)),
  }),
);
