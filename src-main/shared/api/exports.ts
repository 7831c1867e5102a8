// API contract of the exports for offline analysis: a run's spills and the runs as Parquet or CSV (columns in
// docs/export-schema.md), and a run's histograms as ROOT JSON in one zip. The HTTP routes
// (/api/v1/runs?format=…, /api/v1/runs/{run}/spills?format=…, /api/v1/runs/{run}/histograms.zip) and
// `na64rc ctl export` call these procedures.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { archiveContract } from './archive';
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

/** The runs to export: the same query as the runs list, and the format. */
export const RunsExportInput = archiveContract.runs.list['~orpc'].inputSchema!.extend({ format: TableFormat });

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
