// Read-only HTTP routes of data quality (token checked by the caller):
//   GET /api/v1/dq/eot[?run=N]                                   → run and total EOT against the goal
//   GET /api/v1/dq/bad-spills[?run=N&from=MS&to=MS][&format=csv] → Bad and Medium spills with their reasons
//   GET /api/v1/dq/spills/:run/:spill                            → the spill's verdicts and every check
//   GET /api/v1/dq/references                                    → the setup's references, newest first
//   GET /api/v1/dq/references/:id/histograms/:name[?format=root|csv]
import type { ServerResponse } from 'node:http';
import type { Core } from '../core/core';
import { HttpError, sendCsv, sendHistogram, sendJson } from '../api/http-api';
import { HistogramName, RunNumber, SpillNumber } from '../shared/api/schemas';
import { badSpillsCsv } from './bad-spills-csv';
import { reasons, toView } from './dq-service';

function whole(url: URL, name: string, max = Number.MAX_SAFE_INTEGER, min = 0): number | undefined {
  const raw = url.searchParams.get(name);
  if (raw === null) return undefined;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) > max || Number(raw) < min) throw new HttpError(400, 'BAD_REQUEST', `${name} "${raw.slice(0, 32)}" is not a whole number in range`);
  return Number(raw);
}

function number<T>(schema: { safeParse(v: unknown): { success: boolean; data?: T } }, raw: string, what: string): T {
  const r = schema.safeParse(/^\d{1,15}$/.test(raw) ? Number(raw) : raw);
  if (!r.success) throw new HttpError(400, 'BAD_REQUEST', `${what} "${raw.slice(0, 64)}" is not valid`);
  return r.data as T;
}

export function handleDqHttp(core: Core, res: ServerResponse, url: URL, parts: string[]): void {
  const dq = core.dq;
  const [what, a, b, c, d, ...extra] = parts;
  const notFound = () => new HttpError(404, 'NOT_FOUND', `no such resource: ${url.pathname}`);
  if (extra.length) throw notFound();
  if (what === 'eot' && a === undefined) {
    const run = whole(url, 'run', 2 ** 31 - 1, 1);
    return sendJson(res, 200, dq.eot(run ?? core.runControl.current()?.number ?? null));
  }
  if (what === 'bad-spills' && a === undefined) {
    const run = whole(url, 'run', 2 ** 31 - 1, 1);
    const spills = dq.store.badSpills({ run, from: whole(url, 'from'), to: whole(url, 'to'), limit: whole(url, 'limit', 100_000, 1) ?? 100_000 });
    const rows = spills.map((s) => ({ run: s.run, spill: s.spill, startedAt: s.startedAt, endedAt: s.endedAt, verdict: s.dq.verdict, detectors: s.dq.detectors, reasons: reasons(s.checks) }));
    const format = url.searchParams.get('format') ?? 'json';
    if (format === 'json') return sendJson(res, 200, rows);
    if (format !== 'csv') throw new HttpError(400, 'BAD_REQUEST', `unknown format "${format.slice(0, 32)}"; use json or csv`);
    return sendCsv(res, badSpillsCsv(rows), run ? `bad-spills-run${run}.csv` : 'bad-spills.csv');
  }
  if (what === 'spills' && a !== undefined && b !== undefined && c === undefined) {
    const run = number<number>(RunNumber, a, 'run number');
    const spill = number<number>(SpillNumber, b, 'spill number');
    const stored = dq.store.spill(run, spill);
    if (!stored) throw new HttpError(404, 'NOT_FOUND', `spill ${spill} of run ${run} has no data-quality record`);
    return sendJson(res, 200, { run, spill, dq: stored.dq, checks: stored.checks });
  }
  if (what === 'references') {
    if (a === undefined) return sendJson(res, 200, dq.store.references(core.setup.name).map(toView));
    if (b === 'histograms' && c !== undefined && d === undefined) {
      const id = number<number>(RunNumber, a, 'reference id');
      const name = number<string>(HistogramName, c, 'histogram name');
      const h = dq.referenceHistogram(id, name);
      if (!h) throw new HttpError(404, 'NOT_FOUND', `no histogram ${name} in reference ${id}`);
      return sendHistogram(res, url, h, `reference${id}-${name}`);
    }
  }
  throw notFound();
}
