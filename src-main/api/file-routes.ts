// The routes of /api/v1 that answer with a file or switch format (`?format=csv`, `?format=root`): thin
// adapters over the contract's procedures, called with the caller's session, so that validation, errors
// and role checks are the procedures' own. Served and documented with the contract's GET routes
// (src-main/api/http-api.ts); the WebSocket clients call the procedures themselves.
import { call, os as base } from '@orpc/server';
import { z } from 'zod';
import { badSpillsCsv } from '../dq/bad-spills-csv';
import { HvAudit } from '../hv/audit';
import { AuditPage, AuditQuery } from '../shared/api/audit';
import { CalibrationSetDetail, Version } from '../shared/api/calibration';
import { BadSpill } from '../shared/api/dq';
import { HvAuditEntry, HvChannelName, HvHistory } from '../shared/api/hv';
import { AttachmentHash, ExportFormat } from '../shared/api/logbook';
import { HistogramsExportInput, RunsExportInput, type ExportedTable } from '../shared/api/exports';
import { RunPage } from '../shared/api/runs';
import { HistogramName, QueryFlag, QueryTime, RunNumber, SpillNumber, SpillSummary } from '../shared/api/schemas';
import type { HistSnapshot } from '../shared/histogram';
import { histogramCsv } from '../shared/histogram-csv';
import { toRootJson } from '../shared/root-json';
import type { ApiContext } from './implementer';
import type { Router } from './router';

const os = base.$context<ApiContext>();

/** Headers of every file handed out: never sniffed, never run, never framed. */
const FILE_HEADERS = { 'content-security-policy': "sandbox; default-src 'none'" };

const CSV = 'text/csv; charset=utf-8';
const PARQUET = 'application/vnd.apache.parquet';
/** A ROOT JSON object as TBufferJSON writes it (TH1D, TH2D). */
const RootJson = z.looseObject({ _typename: z.string() });

/** The answer: JSON of `json`, or a file of one of `media` (any type when none is named). */
function answer(json: z.ZodType | null, ...media: string[]) {
  const file = media.length ? media.map((m) => z.file().mime(m)) : [z.file()];
  return z.object({ headers: z.record(z.string(), z.string()).optional(), body: json ? z.union([json, ...file]) : z.union(file) });
}

const HistogramFormat = z.enum(['root', 'csv']).default('root').describe('root: ROOT JSON (TBufferJSON, as JSROOT reads it); csv: bin table');
const DataFormat = z.enum(['json', 'csv']).default('json');
const TableFormat = z
  .enum(['json', 'parquet', 'csv'])
  .default('json')
  .describe('json: the list; parquet or csv: the table for analysis, columns in docs/export-schema.md');

function route(path: `/${string}`, summary: string, tag: string, media: string) {
  // `detailed` lets a route set its headers; the body is JSON, or a File whose type and name become the
  // response's Content-Type and Content-Disposition.
  return os.route({ method: 'GET', path, summary, tags: [tag], description: `Answers ${media}.`, outputStructure: 'detailed' });
}

function csv(text: string, filename: string): { body: File } {
  return { body: new File([text], filename.replace(/[^A-Za-z0-9._-]/g, '_'), { type: CSV }) };
}

function histogram(h: HistSnapshot, format: 'root' | 'csv', filename: string) {
  return format === 'csv' ? csv(histogramCsv(h), `${filename}.csv`) : { body: toRootJson(h) };
}

/** A file a procedure made (base64) as the download it is. */
function download(file: ExportedTable) {
  return {
    headers: { ...FILE_HEADERS, 'content-disposition': contentDisposition(file.fileName) },
    body: new File([Buffer.from(file.data, 'base64')], file.fileName, { type: file.mime }),
  };
}

/** "report.pdf" for Content-Disposition: an ASCII fallback and the exact UTF-8 name (RFC 6266). */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function fileRouter(router: Router) {
  return {
    runs: route(
      '/runs',
      'Runs with filters (setup, type, dates, DQ, sign-off, EOT, duration, text, logbook), sorted and paged, with the total; ?format=parquet|csv: one row per run of every run that matches (limit, offset cut a page)',
      'runs',
      'JSON, application/vnd.apache.parquet or text/csv',
    )
      .input(RunsExportInput.extend({ format: TableFormat }))
      .output(answer(RunPage, PARQUET, CSV))
      .handler(async ({ input: { format, ...query }, context }) =>
        format === 'json' ? { body: await call(router.runs.list, query, { context }) } : download(await call(router.exports.runs, { ...query, format }, { context })),
      ),

    runSpills: route('/runs/{run}/spills', "The run's spills with their DAQ counts and data-quality verdicts; as a table for analysis with ?format=parquet|csv", 'archive', 'JSON, application/vnd.apache.parquet or text/csv')
      .input(z.object({ run: RunNumber, format: TableFormat }))
      .output(answer(z.array(SpillSummary), PARQUET, CSV))
      .handler(async ({ input: { format, run }, context }) =>
        format === 'json' ? { body: await call(router.runs.spills, { run }, { context }) } : download(await call(router.exports.spills, { run, format }, { context })),
      ),

    runHistogramsZip: route('/runs/{run}/histograms.zip', "The run's histograms as ROOT JSON in one zip: run-accumulated and per spill (at most 500 spills: from, to)", 'archive', 'application/zip')
      .input(HistogramsExportInput)
      .output(answer(null, 'application/zip'))
      .handler(async ({ input, context }) => download(await call(router.exports.histograms, input, { context }))),

    runHistogram: route('/runs/{run}/histograms/{name}', 'A run-accumulated histogram as ROOT JSON or CSV', 'data quality', 'ROOT JSON or text/csv')
      .input(z.object({ run: RunNumber, name: HistogramName, format: HistogramFormat }))
      .output(answer(RootJson, CSV))
      .handler(async ({ input, context }) => histogram(await call(router.dq.histogram, input, { context }), input.format, `run${input.run}-${input.name}`)),

    spillHistogram: route('/spills/{run}/{spill}/histograms/{name}', "A spill's histogram as ROOT JSON or CSV", 'archive', 'ROOT JSON or text/csv')
      .input(z.object({ run: RunNumber, spill: SpillNumber, name: HistogramName, format: HistogramFormat }))
      .output(answer(RootJson, CSV))
      .handler(async ({ input, context }) =>
        histogram(await call(router.histograms.get, input, { context }), input.format, `run${input.run}-spill${input.spill}-${input.name}`),
      ),

    referenceHistogram: route('/dq/references/{id}/histograms/{name}', 'A reference histogram as ROOT JSON or CSV', 'data quality', 'ROOT JSON or text/csv')
      .input(z.object({ id: z.number().int().positive(), name: HistogramName, format: HistogramFormat }))
      .output(answer(RootJson, CSV))
      .handler(async ({ input, context }) => histogram(await call(router.dq.references.histogram, input, { context }), input.format, `reference${input.id}-${input.name}`)),

    badSpills: route('/dq/bad-spills', "Bad and Medium spills with each detector's verdict and the reasons", 'data quality', 'JSON or text/csv')
      .input(
        z.object({
          run: RunNumber.optional(),
          from: z.number().int().nonnegative().optional(),
          to: z.number().int().nonnegative().optional(),
          limit: z.number().int().min(1).max(100_000).default(100_000),
          format: DataFormat,
        }),
      )
      .output(answer(z.array(BadSpill), CSV))
      .handler(async ({ input: { format, ...query }, context }) => {
        const rows = await call(router.dq.badSpills, query, { context });
        return format === 'csv' ? csv(badSpillsCsv(rows), query.run ? `bad-spills-run${query.run}.csv` : 'bad-spills.csv') : { body: rows };
      }),

    hvHistory: route('/hv/{channel}/history', "One HV channel's history at the level that fits `points` (CSV: the raw samples)", 'HV', 'JSON or text/csv')
      .input(
        z.object({
          channel: HvChannelName,
          from: z.number().int().nonnegative().optional().describe('ms since the epoch; default: an hour ago'),
          to: z.number().int().nonnegative().optional().describe('ms since the epoch; default: now'),
          points: z.number().int().optional(),
          format: DataFormat,
        }),
      )
      .output(answer(HvHistory, CSV))
      .handler(async ({ input, context }) => {
        const now = Date.now();
        const range = { channel: input.channel, from: input.from ?? now - 3_600_000, to: input.to ?? now };
        if (input.format === 'json') return { body: await call(router.hv.history, { ...range, points: input.points }, { context }) };
        const file = await call(router.hv.historyCsv, range, { context });
        return csv(file.content, file.filename);
      }),

    hvAudit: route('/hv-audit', 'The HV audit trail, newest first', 'HV', 'JSON or text/csv')
      .input(z.object({ limit: z.number().int().min(1).max(100_000).default(1000), channel: HvChannelName.optional(), format: DataFormat }))
      .output(answer(z.array(HvAuditEntry), CSV))
      .handler(async ({ input: { format, ...query }, context }) => {
        const entries = await call(router.hv.audit, query, { context });
        return format === 'csv' ? csv(HvAudit.csv(entries), 'hv-audit.csv') : { body: entries };
      }),

    audit: route(
      '/audit',
      'Every control action of every domain, newest first: who, role, from where, when, what, old → new, why, result (ok, refused, failed); filters and paging; ?format=csv: every row that matches',
      'audit',
      'JSON or text/csv',
    )
      .input(
        AuditQuery.extend({
          from: QueryTime.optional().describe('ms since 1970 or an ISO date; inclusive'),
          to: QueryTime.optional().describe('ms since 1970 or an ISO date; exclusive'),
          format: DataFormat,
        }),
      )
      .output(answer(AuditPage, CSV))
      .handler(async ({ input: { format, limit, offset, ...filter }, context }) => {
        if (format === 'json') return { body: await call(router.audit.list, { ...filter, limit, offset }, { context }) };
        const file = await call(router.audit.csv, filter, { context });
        return csv(file.content, file.filename);
      }),

    calibrationSet: route('/calibration/sets/{version}', 'One calibration set with its per-cell values', 'calibration', 'JSON or text/csv')
      .input(z.object({ version: Version, format: DataFormat }))
      .output(answer(CalibrationSetDetail, CSV))
      .handler(async ({ input, context }) => {
        if (input.format === 'json') return { body: await call(router.calibration.sets.get, input, { context }) };
        const file = await call(router.calibration.sets.export, input, { context });
        return csv(file.content, file.filename);
      }),

    attachment: route('/logbook/attachments/{hash}', 'A logbook attachment: raster images inline, everything else as a sandboxed download', 'logbook', 'the file')
      .input(z.object({ hash: AttachmentHash, thumbnail: QueryFlag.optional(), name: z.string().max(255).optional() }))
      .output(answer(null))
      .handler(async ({ input, context }) => {
        const thumbnail = input.thumbnail ?? false;
        const file = await call(router.logbook.attachment, { hash: input.hash, thumbnail }, { context });
        // Raster images may be shown; everything else (SVG and HTML above all) is a download, as bytes.
        const image = file.kind === 'image';
        const name = input.name ?? (thumbnail ? `${input.hash}.thumb.png` : input.hash);
        return {
          headers: { ...FILE_HEADERS, 'content-disposition': image ? 'inline' : contentDisposition(name) },
          body: new File([Buffer.from(file.data, 'base64')], name, { type: image ? file.mime : 'application/octet-stream' }),
        };
      }),

    export: route('/logbook/export', "The logbook's entries of a run or a date range, as a download", 'logbook', 'application/zip or text/html')
      .input(z.object({ run: RunNumber.optional(), from: QueryTime.optional(), to: QueryTime.optional(), format: ExportFormat.default('zip') }))
      .output(answer(null))
      .handler(async ({ input, context }) => {
        const file = await call(router.logbook.export, input, { context });
        return {
          headers: { ...FILE_HEADERS, 'content-disposition': contentDisposition(file.fileName) },
          body: new File([Buffer.from(file.data, 'base64')], file.fileName, { type: file.mime }),
        };
      }),
  };
}
