// `na64rc ctl export …`: a run's spills, the runs, or a run's histograms as files for offline analysis
// (Parquet or CSV, columns in docs/export-schema.md; ROOT JSON in a zip), written by the server's exports.
import { writeFileSync } from 'node:fs';
import type { ExportedTable, RunsExport, TableFormat } from '../shared/api/exports';
import { withApi, output, type CtlContext } from './ctl';
import { CliError } from './errors';

function write(ctx: CtlContext, file: ExportedTable, out: string | undefined, what: string): void {
  const path = out ?? file.fileName;
  try {
    writeFileSync(path, Buffer.from(file.data, 'base64'));
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
  output(ctx, { file: path, mime: file.mime, rows: file.rows, bytes: file.bytes }, `wrote ${file.rows} ${what} to ${path} (${file.bytes} bytes)`);
}

export async function ctlExportRuns(ctx: CtlContext, query: RunsExport, out: string | undefined): Promise<void> {
  const file = await withApi(ctx, (api) => api.exports.runs(query));
  write(ctx, file, out, 'runs');
}

export async function ctlExportSpills(ctx: CtlContext, run: number, o: { format: TableFormat; out?: string }): Promise<void> {
  const file = await withApi(ctx, (api) => api.exports.spills({ run, format: o.format }));
  write(ctx, file, o.out, 'spills');
}

export async function ctlExportHistograms(ctx: CtlContext, run: number, o: { from?: number; to?: number; out?: string }): Promise<void> {
  const file = await withApi(ctx, (api) => api.exports.histograms({ run, ...(o.from !== undefined ? { from: o.from } : {}), ...(o.to !== undefined ? { to: o.to } : {}) }));
  write(ctx, file, o.out, 'histogram files');
}
