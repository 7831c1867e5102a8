// The read-only HTTP JSON API for scripts, reviewers and other control-room tools:
//   GET /api/v1/status
//   GET /api/v1/runs[?limit=N&before=RUN]
//   GET /api/v1/runs/:run
//   GET /api/v1/runs/:run/spills
//   GET /api/v1/spills/:run/:spill/histograms                 → names
//   GET /api/v1/spills/:run/:spill/histograms/:name[?format=root|csv]
//   GET /api/v1/logbook?q=…  and the rest of the logbook's routes (src-main/logbook/http-routes.ts)
//   GET /api/v1/alarms[?all=1]              → current alarms with state, priority, value, since
//   GET /api/v1/alarms/log[?from&to&alarm&limit]
//   GET /api/v1/hv                                              → supplies and channels, status words, age
//   GET /api/v1/hv/:channel/history?from&to[&points][&format=csv] (ms since the epoch; CSV is raw samples)
//   GET /api/v1/hv-audit[?limit=N&channel=NAME][&format=csv]
//   GET /api/v1/runs/:run/histograms[/:name[?format=root|csv]]  → run-accumulated histograms
//   GET /api/v1/dq/… (src-main/dq/http-routes.ts): EOT, bad spills (JSON/CSV), a spill's checks, references
//   GET /api/v1/calibration/sets[/:version[?format=csv]] (src-main/calibration/http-routes.ts)
//   GET /api/v1/devices                                         → every device: address, state, identity, health
//   GET /api/v1/devices/log[?device=ID&limit=N]                 → device state changes and operator actions
//   GET /api/v1/site                                            → the site file in use
//   GET /api/v1/runs/:run/site                                  → the site file and devices that took a run
// Errors are JSON {"error": {"code", "message"}} with the matching HTTP status.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../core/core';
import { handleLogbookHttp } from '../logbook/http-routes';
import { HistogramName, RunNumber, SpillNumber } from '../shared/api/schemas';
import type { HistSnapshot } from '../shared/histogram';
import { histogramCsv } from '../shared/histogram-csv';
import { handleDqHttp } from '../dq/http-routes';
import { handleCalibrationHttp } from '../calibration/http-routes';
import { toRootJson } from '../shared/root-json';
import { HistoryQuery, HvChannelName } from '../shared/api/hv';
import { HvAudit } from '../hv/audit';
import { UnknownChannelError } from '../hv/history';
import { streamCsv } from '../server/stream-body';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false } }, raw: string, what: string): T {
  const value = /^\d+$/.test(raw) ? Number(raw) : raw;
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'BAD_REQUEST', `${what} "${raw.slice(0, 64)}" is not valid`);
  return result.data;
}

/** A histogram as ROOT JSON (default) or CSV (`?format=csv`). */
export function sendHistogram(res: ServerResponse, url: URL, h: HistSnapshot, filename: string): void {
  const format = url.searchParams.get('format') ?? 'root';
  if (format === 'root') return sendJson(res, 200, toRootJson(h));
  if (format === 'csv') return sendCsv(res, histogramCsv(h), `${filename}.csv`);
  throw new HttpError(400, 'BAD_REQUEST', `unknown format "${format.slice(0, 32)}"; use root or csv`);
}

export function sendCsv(res: ServerResponse, text: string, filename: string): void {
  // (also used by the data-quality routes)
  res.writeHead(200, {
    'Content-Type': 'text/csv; charset=utf-8',
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

function handleHv(core: Core, res: ServerResponse, url: URL, channel: string | undefined, what: string | undefined): void {
  if (channel === undefined) return sendJson(res, 200, core.hv.overview());
  if (what !== 'history') throw new HttpError(404, 'NOT_FOUND', `no such resource: ${url.pathname}`);
  const now = Date.now();
  const p = url.searchParams;
  const number = (name: string, fallback: number) => {
    const raw = p.get(name);
    if (raw === null) return fallback;
    if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, 'BAD_REQUEST', `${name} "${raw.slice(0, 32)}" is not a whole number (ms since the epoch, or points)`);
    return Number(raw);
  };
  const query = HistoryQuery.safeParse({
    channel,
    from: number('from', now - 3_600_000),
    to: number('to', now),
    points: number('points', 1000),
  });
  if (!query.success) throw new HttpError(400, 'BAD_REQUEST', query.error.issues.map((i) => i.message).join('; '));
  const q = query.data;
  try {
    if (p.get('format') === 'csv') return void streamCsv(res, core.hv.history.csvPages(q.channel, q.from, q.to), `hv-${q.channel}-${q.from}-${q.to}.csv`);
    return sendJson(res, 200, core.hv.history.query(q.channel, q.from, q.to, q.points));
  } catch (error) {
    if (error instanceof UnknownChannelError) throw new HttpError(404, 'NOT_FOUND', error.message);
    throw error;
  }
}

function handleHvAudit(core: Core, res: ServerResponse, url: URL): void {
  const limit = parse(RunNumber.max(100_000), url.searchParams.get('limit') ?? '1000', 'limit');
  const channelRaw = url.searchParams.get('channel');
  const channel = channelRaw === null ? undefined : parse(HvChannelName, channelRaw, 'channel');
  const entries = core.hv.audit.list({ limit, ...(channel ? { channel } : {}) });
  if (url.searchParams.get('format') === 'csv') return sendCsv(res, HvAudit.csv(entries), 'hv-audit.csv');
  return sendJson(res, 200, entries);
}

/** Answer one request whose path starts with /api/. The caller has checked the token. */
export function handleApi(core: Core, req: IncomingMessage, res: ServerResponse, url: URL): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed: this API is read-only`);
  }
  let parts: string[];
  try {
    parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'malformed percent-encoding in the path');
  }
  if (parts[0] !== 'api' || parts[1] !== 'v1') throw new HttpError(404, 'NOT_FOUND', `no API at ${url.pathname}`);
  if (parts[2] === 'logbook') return handleLogbookHttp(core.logbook, res, url, parts.slice(3), req.method === 'HEAD');
  const [, , resource, a, b, c, d, ...extra] = parts;
  const notFound = () => new HttpError(404, 'NOT_FOUND', `no such resource: ${url.pathname}`);
  if (extra.length) throw notFound();

  if (resource === 'status' && a === undefined) return sendJson(res, 200, core.status());
  if (resource === 'hv' && c === undefined) return handleHv(core, res, url, a, b);
  if (resource === 'hv-audit' && a === undefined) return handleHvAudit(core, res, url);
  if (resource === 'site' && a === undefined) return sendJson(res, 200, core.devices.siteInfo());
  if (resource === 'devices' && a === undefined) return sendJson(res, 200, core.devices.list());
  if (resource === 'devices' && a === 'log' && b === undefined) {
    const limit = parse(RunNumber.max(1000), url.searchParams.get('limit') ?? '100', 'limit');
    const device = url.searchParams.get('device');
    if (device !== null && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(device)) throw new HttpError(400, 'BAD_REQUEST', `device "${device.slice(0, 40)}" is not a device id`);
    return sendJson(res, 200, core.deviceStore.list(device, limit));
  }

  if (resource === 'runs') {
    if (a === undefined) {
      const limit = parse(RunNumber.max(1000), url.searchParams.get('limit') ?? '100', 'limit');
      const beforeRaw = url.searchParams.get('before');
      const before = beforeRaw === null ? undefined : parse(RunNumber, beforeRaw, 'before');
      return sendJson(res, 200, core.archive.listRuns(limit, before));
    }
    const run = parse(RunNumber, a, 'run number');
    const found = core.archive.getRun(run);
    if (!found) throw new HttpError(404, 'NOT_FOUND', `run ${run} does not exist`);
    if (b === undefined) return sendJson(res, 200, found);
    if (b === 'spills' && c === undefined) return sendJson(res, 200, core.archive.listSpills(run));
    if (b === 'site' && c === undefined) return sendJson(res, 200, core.deviceStore.runSite(run));
    // Run-accumulated histograms: names, or one of them (blinded like every histogram served).
    if (b === 'histograms' && d === undefined) {
      if (c === undefined) return sendJson(res, 200, core.dq.store.runHistogramNames(run));
      const name = parse(HistogramName, c, 'histogram name');
      const h = core.dq.store.runHistogram(run, name);
      if (!h) throw new HttpError(404, 'NOT_FOUND', `no run-accumulated histogram ${name} for run ${run}`);
      return sendHistogram(res, url, core.dq.present(run, h), `run${run}-${name}`);
    }
    throw notFound();
  }

  if (resource === 'alarms') {
    if (a === undefined) {
      // Current alarms: everything not normal, or all with ?all=1.
      const all = url.searchParams.get('all') === '1';
      return sendJson(res, 200, core.alarms.engine.list().filter((v) => all || v.state !== 'normal'));
    }
    if (a === 'log' && b === undefined) {
      const num = (name: string) => {
        const raw = url.searchParams.get(name);
        if (raw === null) return undefined;
        if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, 'BAD_REQUEST', `${name} must be a time in ms since the epoch`);
        return Number(raw);
      };
      const limit = num('limit') ?? 500;
      if (limit < 1 || limit > 10_000) throw new HttpError(400, 'BAD_REQUEST', 'limit must be 1…10000');
      const alarm = url.searchParams.get('alarm') ?? undefined;
      if (alarm !== undefined && alarm.length > 128) throw new HttpError(400, 'BAD_REQUEST', 'alarm id too long');
      return sendJson(res, 200, core.alarms.store.log({ from: num('from'), to: num('to'), alarm, limit }));
    }
    throw notFound();
  }

  if (resource === 'spills' && a !== undefined && b !== undefined && c === 'histograms') {
    const run = parse(RunNumber, a, 'run number');
    const spill = parse(SpillNumber, b, 'spill number');
    const name = d === undefined ? undefined : parse(HistogramName, d, 'histogram name');
    if (!core.archive.spillExists(run, spill)) throw new HttpError(404, 'NOT_FOUND', `spill ${spill} of run ${run} does not exist`);
    if (name === undefined) return sendJson(res, 200, core.archive.histogramNames(run, spill));
    const h = core.archive.histogram(run, spill, name);
    if (!h) throw new HttpError(404, 'NOT_FOUND', `no histogram ${name} for spill ${spill} of run ${run}`);
    return sendHistogram(res, url, core.dq.present(run, h), `run${run}-spill${spill}-${name}`);
  }

  if (resource === 'dq') return handleDqHttp(core, res, url, parts.slice(3));
  if (resource === 'calibration') return handleCalibrationHttp(core, res, url, parts.slice(3));

  throw notFound();
}
