// API contract of the exports for offline analysis: a run's spills and the runs as Parquet or CSV (columns in
// docs/export-schema.md), and a run's histograms as ROOT JSON in one zip. The HTTP routes
// (/api/v1/runs?format=…, /api/v1/runs/{run}/spills?format=…, /api/v1/runs/{run}/histograms.zip) and
// `na64rc ctl export` call these procedures.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { RunQuery } from './runs';
import { RunNumber, SpillNumber } from './schemas';

export const TableFormat = z.enum(['parquet', 'csv']);
export type TableFormat = z.infer<typeof TableFormat>;

/** A file made for download: its name, type and bytes (base64). */
export const ExportedTable = z.object({
  fileName: z.string(),
  mime: z.string(),
  /** Rows in a table; files in an archive. */
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  data: z.string().describe('the file, base64'),
});
export type ExportedTable = z.infer<typeof ExportedTable>;

/**
 * The runs to export: the runs list's filters and sort, and the format; every run that matches (up to 100000)
 * unless `limit` and `offset` cut a page of it.
 */
export const RunsExportInput = RunQuery.omit({ limit: true, offset: true }).extend({
  limit: z.number().int().min(1).max(100_000).optional().describe('at most this many runs (default: every run that matches, up to 100000)'),
  offset: z.number().int().min(0).max(10_000_000).optional().describe('skip this many'),
  format: TableFormat,
});
export type RunsExport = z.input<typeof RunsExportInput>;

export const SpillsExportInput = z.object({ run: RunNumber, format: TableFormat });

export const HistogramsExportInput = z.object({
  run: RunNumber,
  from: SpillNumber.optional().describe('first spill (default: the first)'),
  to: SpillNumber.optional().describe('last spill (default: the last)'),
});

const NotFound = { NOT_FOUND: { message: 'no such run' } };
const BadRequest = { BAD_REQUEST: { message: 'cannot export this' } };

export const exportsContract = {
  exports: {
    runs: oc.input(RunsExportInput).output(ExportedTable),
    spills: oc.errors(NotFound).input(SpillsExportInput).output(ExportedTable),
    histograms: oc.errors({ ...NotFound, ...BadRequest }).input(HistogramsExportInput).output(ExportedTable),
  },
};
