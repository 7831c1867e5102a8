// The logbook's read-only HTTP routes (under /api/v1/logbook), for scripts and reviewers:
//   GET /api/v1/logbook?q=…&from=&to=&author=&tag=&run=&origin=person|system&attachments=1|0&before=ID&limit=N
//   GET /api/v1/logbook/:id                     → the entry
//   GET /api/v1/logbook/:id/thread              → its whole thread
//   GET /api/v1/logbook/:id/revisions           → its earlier texts
//   GET /api/v1/logbook/attachments/:hash[?thumbnail=1]
//   GET /api/v1/logbook/export?run=N | from=&to= [&format=zip|html]
// Attachments and exports are always downloads in a sandbox: a browser never runs what a file contains.
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { HttpError, sendJson } from '../api/http-api';
import { AttachmentHash, EntryId, ExportFormat, Origin, SearchQuery, Tag } from '../shared/api/logbook';
import { RunNumber } from '../shared/api/schemas';
import { LogbookError, type Logbook } from './logbook';
import { SearchSyntaxError } from './search-query';

const STATUS: Record<LogbookError['code'], number> = { NOT_FOUND: 404, BAD_REQUEST: 400, CONFLICT: 409, FORBIDDEN: 403 };

/** Headers of every file handed out: never sniffed, never run, never framed. */
const FILE_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "sandbox; default-src 'none'",
  'Cache-Control': 'no-store',
};

/** A query or path value checked by its schema; digits are a number unless the value is text (`numeric` false). */
function value<S extends z.ZodType>(schema: S, raw: string | null, what: string, numeric = true): z.output<S> | undefined {
  if (raw === null || raw === '') return undefined;
  const result = schema.safeParse(numeric && /^\d+$/.test(raw) ? Number(raw) : raw);
  if (!result.success) throw new HttpError(400, 'BAD_REQUEST', `${what} "${raw.slice(0, 64)}" is not valid: ${result.error.issues[0]?.message ?? ''}`.trimEnd());
  return result.data;
}

/** A time as ms since the epoch or as an ISO 8601 date ("2026-11-24", "2026-11-24T07:00"). */
function time(raw: string | null, what: string): number | undefined {
  if (raw === null || raw === '') return undefined;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new HttpError(400, 'BAD_REQUEST', `${what} "${raw.slice(0, 64)}" is not a time (ms since 1970, or an ISO date like 2026-11-24T07:00)`);
  return ms;
}

function flag(raw: string | null, what: string): boolean | undefined {
  if (raw === null || raw === '') return undefined;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new HttpError(400, 'BAD_REQUEST', `${what} is 1 or 0, not "${raw.slice(0, 16)}"`);
}

/** "report.pdf" for Content-Disposition: an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function sendFile(res: ServerResponse, bytes: Buffer, mime: string, disposition: string, head: boolean): void {
  res.writeHead(200, { 'Content-Type': mime, 'Content-Length': bytes.length, 'Content-Disposition': disposition, ...FILE_HEADERS });
  res.end(head ? undefined : bytes);
}

function answer(logbook: Logbook, res: ServerResponse, url: URL, parts: string[], head: boolean): void {
  const p = url.searchParams;
  const [a, b, ...extra] = parts;
  const notFound = () => new HttpError(404, 'NOT_FOUND', `no such resource: ${url.pathname}`);
  if (extra.length) throw notFound();

  if (a === undefined) {
    const query = SearchQuery.safeParse({
      q: p.get('q') ?? '',
      from: time(p.get('from'), 'from'),
      to: time(p.get('to'), 'to'),
      author: p.get('author') ?? undefined,
      tag: value(Tag, p.get('tag'), 'tag', false),
      run: value(RunNumber, p.get('run'), 'run'),
      origin: value(Origin, p.get('origin'), 'origin', false),
      hasAttachment: flag(p.get('attachments'), 'attachments'),
      before: value(EntryId, p.get('before'), 'before'),
      limit: value(SearchQuery.shape.limit, p.get('limit'), 'limit'),
    });
    if (!query.success) throw new HttpError(400, 'BAD_REQUEST', query.error.issues[0]?.message ?? 'invalid search');
    return sendJson(res, 200, logbook.search(query.data));
  }

  if (a === 'attachments' && b !== undefined) {
    const hash = value(AttachmentHash, b, 'attachment', false)!;
    const thumbnail = flag(p.get('thumbnail'), 'thumbnail') ?? false;
    const file = logbook.attachment(hash, thumbnail);
    // Raster images may be shown; everything else (SVG and HTML above all) is a download, as bytes.
    const mime = file.kind === 'image' ? file.mime : 'application/octet-stream';
    const name = p.get('name') ?? (thumbnail ? `${hash}.thumb.png` : hash);
    return sendFile(res, file.bytes, mime, file.kind === 'image' ? 'inline' : contentDisposition(name), head);
  }

  if (a === 'export' && b === undefined) {
    const run = value(RunNumber, p.get('run'), 'run');
    const from = time(p.get('from'), 'from');
    const to = time(p.get('to'), 'to');
    if (run === undefined && from === undefined && to === undefined) throw new HttpError(400, 'BAD_REQUEST', 'export a run (?run=N) or a date range (?from=…&to=…)');
    const format = value(ExportFormat, p.get('format'), 'format', false) ?? 'zip';
    const file = logbook.export({ run, from, to, format });
    return sendFile(res, Buffer.from(file.data, 'base64'), file.mime, contentDisposition(file.fileName), head);
  }

  const id = value(EntryId, a, 'entry id')!;
  if (b === undefined) return sendJson(res, 200, logbook.get(id));
  if (b === 'thread') return sendJson(res, 200, logbook.thread(id));
  if (b === 'revisions') return sendJson(res, 200, logbook.revisions(id));
  throw notFound();
}

/** Answer a request under /api/v1/logbook; `parts` are the path segments after it. */
export function handleLogbookHttp(logbook: Logbook, res: ServerResponse, url: URL, parts: string[], head: boolean): void {
  try {
    answer(logbook, res, url, parts, head);
  } catch (error) {
    if (error instanceof LogbookError) throw new HttpError(STATUS[error.code], error.code, error.message);
    if (error instanceof SearchSyntaxError) throw new HttpError(400, 'BAD_REQUEST', error.message);
    throw error;
  }
}
