// Logbook search on 100,000 entries: full-text queries (words, prefixes, phrases, boolean, with and without
// filters) through the logbook's own search, against a baseline without the index in the same database: the
// same queries as LIKE scans of title, body and tags — the same terms, the same filters (author, tag, run,
// time window), newest first, the same limit (one more than asked, as the search fetches). LIKE finds
// substrings, so it matches at least what FTS5 does (more for a word inside another; NEAR becomes AND). The
// search's times include its highlights, snippets and entries as objects; the baseline returns rows only,
// and checks a tag or run filter per entry (the search looks a rare one up first).
// Ends with one JSON line {"bench":"logbook-search","entries":…,"p95Ms":…}.
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

/** The baseline's text condition: SQL over e.title, e.body, e.tags with its parameters (null: none). */
interface LikeText {
  sql: string;
  params: string[];
}
const has = (term: string, columns: readonly string[] = ['e.title', 'e.body', 'e.tags']): LikeText => ({
  sql: `(${columns.map((c) => `${c} LIKE ?`).join(' OR ')})`,
  params: columns.map(() => `%${term}%`),
});
const both = (a: LikeText, b: LikeText): LikeText => ({ sql: `${a.sql} AND ${b.sql}`, params: [...a.params, ...b.params] });
const either = (a: LikeText, b: LikeText): LikeText => ({ sql: `(${a.sql} OR ${b.sql})`, params: [...a.params, ...b.params] });
const without = (a: LikeText, b: LikeText): LikeText => ({ sql: `${a.sql} AND NOT ${b.sql}`, params: [...a.params, ...b.params] });

type Group = 'text' | 'text + filter' | 'filter only';
const QUERIES: { group: Group; q: string; like: LikeText | null; author?: string; tag?: string; run?: number; from?: number; to?: number }[] = [
  { group: 'text', q: 'spill', like: has('spill') },
  { group: 'text', q: 'trip', like: has('trip') },
  { group: 'text', q: 'quench', like: has('quench') },
  { group: 'text', q: 'trig*', like: has('trig') },
  { group: 'text', q: '"HV trip"', like: has('HV trip') },
  { group: 'text', q: 'beam NOT muon', like: without(has('beam'), has('muon')) },
  { group: 'text', q: 'hv OR ecal', like: either(has('hv'), has('ecal')) },
  { group: 'text', q: 'ECAL1-3-2', like: has('ECAL1-3-2') },
  { group: 'text', q: 'title:calibration', like: has('calibration', ['e.title']) },
  { group: 'text', q: 'NEAR(pedestal drift, 5)', like: both(has('pedestal'), has('drift')) },
  { group: 'text + filter', q: 'ecal', like: has('ecal'), author: 'alice' },
  { group: 'text + filter', q: 'beam', like: has('beam'), tag: 'hv' },
  { group: 'text + filter', q: 'beam', like: has('beam'), tag: 'quench' },
  { group: 'text + filter', q: 'spill', like: has('spill'), run: 1234 },
  { group: 'text + filter', q: 'trigger', like: has('trigger'), from: start + 30 * 86_400_000, to: start + 31 * 86_400_000 },
  { group: 'filter only', q: '', like: null, author: 'bob', tag: 'daq' },
  { group: 'filter only', q: '', like: null, run: 2000 },
  { group: 'text', q: 'nonexistentword', like: has('nonexistentword') },
];
const LIMIT = 50;

function p(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const times: number[] = [];
const byQuery = QUERIES.map(() => ({ fts: [] as number[], like: [] as number[], ftsHits: 0, likeHits: 0 }));
let hits = 0;
for (let r = 0; r < REPEATS; r++) {
  QUERIES.forEach(({ group: _group, like: _like, ...query }, i) => {
    const t = performance.now();
    const found = logbook.search({ ...query, limit: LIMIT }).hits.length;
    const ms = performance.now() - t;
    hits += found;
    times.push(ms);
    byQuery[i]!.fts.push(ms);
    byQuery[i]!.ftsHits = found;
  });
}
times.sort((a, b) => a - b);

// Baseline: the same queries without the index: LIKE scans with the same filters, newest first, the same
// limit (+ 1), the same entry columns.
const ENTRY_COLUMNS = `e.id, e.thread_id, e.parent_id, e.origin, e.kind, e.author, e.author_role, e.shift, e.created_at,
  e.updated_at, e.edited_by, e.revision, e.title, e.body, e.tags, e.links, e.facts, e.attachments,
  (SELECT r.thread_state FROM logbook_entries r WHERE r.id = e.thread_id) AS state`;
function likeQuery(query: (typeof QUERIES)[number]): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.like) {
    where.push(query.like.sql);
    params.push(...query.like.params);
  }
  const add = (clause: string, value: unknown) => {
    where.push(clause);
    params.push(value);
  };
  if (query.from !== undefined) add('e.created_at >= ?', query.from);
  if (query.to !== undefined) add('e.created_at < ?', query.to);
  if (query.author !== undefined) add('e.author = ?', query.author);
  if (query.tag !== undefined) add('EXISTS (SELECT 1 FROM logbook_tags t WHERE t.tag = ? AND t.entry_id = e.id)', query.tag);
  if (query.run !== undefined) add('EXISTS (SELECT 1 FROM logbook_links l WHERE l.run = ? AND l.entry_id = e.id)', query.run);
  params.push(LIMIT + 1);
  return { sql: `SELECT ${ENTRY_COLUMNS} FROM logbook_entries e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT ?`, params };
}
const likeStatements = QUERIES.map((query) => {
  const { sql, params } = likeQuery(query);
  return { statement: db.prepare(sql), params };
});
const likeTimes: number[] = [];
for (let r = 0; r < REPEATS; r++) {
  likeStatements.forEach(({ statement, params }, i) => {
    const t = performance.now();
    const rows = statement.all(...params).length;
    const ms = performance.now() - t;
    likeTimes.push(ms);
    byQuery[i]!.like.push(ms);
    byQuery[i]!.likeHits = Math.min(LIMIT, rows);
  });
}
likeTimes.sort((a, b) => a - b);

db.close();
rmSync(dir, { recursive: true, force: true });

const round = (x: number) => Math.round(x * 100) / 100;
const median = (list: number[]) => p([...list].sort((a, b) => a - b), 0.5);
console.log(`filled ${ENTRIES} entries in ${(fillMs / 1000).toFixed(1)} s; ${QUERIES.length} queries × ${REPEATS}, ${hits} hits, limit ${LIMIT}`);
console.log('per query (median of the repeats): FTS5 search ms / LIKE ms (hits FTS5 / LIKE, at most the limit)');
QUERIES.forEach((query, i) => {
  const b = byQuery[i]!;
  const filters = [query.author && `author ${query.author}`, query.tag && `tag ${query.tag}`, query.run && `run ${query.run}`, query.from && 'one day'].filter(Boolean).join(', ');
  console.log(
    `  ${JSON.stringify(query.q).padEnd(26)} ${filters.padEnd(22)} ${round(median(b.fts)).toFixed(2).padStart(8)} / ${round(median(b.like)).toFixed(2).padStart(8)}  (${b.ftsHits} / ${b.likeHits})`,
  );
});
const groups = [...new Set(QUERIES.map((q) => q.group))];
const groupTimes = (group: Group, side: 'fts' | 'like') =>
  QUERIES.flatMap((q, i) => (q.group === group ? byQuery[i]![side] : [])).sort((a, b) => a - b);
for (const group of groups) {
  const f = groupTimes(group, 'fts');
  const l = groupTimes(group, 'like');
  console.log(`${group.padEnd(14)} search p50 ${round(p(f, 0.5))} ms, p95 ${round(p(f, 0.95))} ms; LIKE p50 ${round(p(l, 0.5))} ms, p95 ${round(p(l, 0.95))} ms`);
}
console.log(`all queries    search p50 ${round(p(times, 0.5))} ms, p95 ${round(p(times, 0.95))} ms, max ${round(times.at(-1)!)} ms; LIKE p50 ${round(p(likeTimes, 0.5))} ms, p95 ${round(p(likeTimes, 0.95))} ms`);
console.log(
  JSON.stringify({
    bench: 'logbook-search',
    entries: ENTRIES,
    queries: times.length,
    p50Ms: round(p(times, 0.5)),
    p95Ms: round(p(times, 0.95)),
    maxMs: round(times.at(-1)!),
    likeP50Ms: round(p(likeTimes, 0.5)),
    likeP95Ms: round(p(likeTimes, 0.95)),
    speedupP95: round(p(likeTimes, 0.95) / p(times, 0.95)),
    groups: Object.fromEntries(
      groups.map((g) => [g, { p95Ms: round(p(groupTimes(g, 'fts'), 0.95)), likeP95Ms: round(p(groupTimes(g, 'like'), 0.95)) }]),
    ),
  }),
);
