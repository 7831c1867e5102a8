// The exports' part of the API (read-only, open to every session like the lists they export). The runs
// export lists its runs through the runs list's own procedure, so that its query means the same.
import { call } from '@orpc/server';
import { archiveRouter } from '../archive/api';
import type { Core } from '../core/core';
import { os } from '../api/implementer';
import type { ExportedTable, TableFormat } from '../shared/api/exports';
import type { Run } from '../shared/api/schemas';
import { ExportError } from './analysis-export';
import { CSV_MIME, PARQUET_MIME, toCsv, toParquet, type Table } from './tabular';

function file<R>(table: Table<R>, format: TableFormat, base: string): ExportedTable {
  const bytes = format === 'parquet' ? toParquet(table) : Buffer.from(toCsv(table), 'utf8');
  return {
    fileName: `${base}.${format}`,
    mime: format === 'parquet' ? PARQUET_MIME : CSV_MIME,
    rows: table.rows.length,
    bytes: bytes.byteLength,
    data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
  };
}

/** A runs export holds at most this many runs. */
const MAX_EXPORT_RUNS = 100_000;

export function exportsRouter(core: Core) {
  const archive = archiveRouter(core);
  type Errors = { NOT_FOUND: (o: { message: string }) => Error; BAD_REQUEST?: (o: { message: string }) => Error };
  /** An ExportError as the contract's error of its code (404, 400); anything else as it is. */
  const fail = (errors: Errors, error: unknown): never => {
    const make = error instanceof ExportError ? errors[error.code] : undefined;
    throw make ? make({ message: (error as Error).message }) : error;
  };
  return {
    exports: {
      runs: os.exports.runs.handler(async ({ input: { format, limit, offset, ...query }, context }) => {
        // Page through the runs list (its filters, sort and order) up to the limit.
        const want = limit ?? MAX_EXPORT_RUNS;
        const runs: Run[] = [];
        for (let at = offset ?? 0; runs.length < want; ) {
          const page = await call(archive.runs.list, { ...query, offset: at, limit: Math.min(1000, want - runs.length) }, { context });
          runs.push(...page.runs);
          at += page.runs.length;
          if (page.runs.length === 0 || at >= page.total) break;
        }
        return file(core.exports.runs(runs), format, 'runs');
      }),
      spills: os.exports.spills.handler(({ input, errors }) => {
        try {
          return file(core.exports.spills(input.run), input.format, `run${input.run}-spills`);
        } catch (error) {
          return fail(errors, error);
        }
      }),
      histograms: os.exports.histograms.handler(async ({ input, errors }) => {
        try {
          const zip = await core.exports.histograms(input.run, { from: input.from, to: input.to });
          return { fileName: zip.fileName, mime: 'application/zip', rows: zip.files, bytes: zip.data.byteLength, data: Buffer.from(zip.data).toString('base64') };
        } catch (error) {
          return fail(errors, error);
        }
      }),
    },
  };
}
