// `na64rc ctl calibration …`: the ECAL calibration of a running server, for scripts: sets (list, show,
// diff, approve, activate, rollback, export, import), beam scans (start, status, pause, resume, extend,
// stop, fit) and the LED gain tracking.
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { CalibrationDiff, CalibrationSetDetail, CalibrationSetView, ScanView } from '../shared/api/calibration';
import { withApi, output, time, type CtlContext } from './ctl';
import { CliError } from './errors';

const STATUS = { draft: '✎ draft', approved: '✓ approved', active: '★ active', retired: '· retired' } as const;
const TOWER: Record<string, string> = {
  collecting: '… collecting',
  pending: '… waiting for the fit',
  ok: '✓ ok',
  'too-few-events': '! too few events',
  dead: '✕ dead',
  saturated: '✕ saturated',
  'fit-failed': '✕ fit failed',
  'not-converged': '✕ not converged',
};

function describeSet(s: CalibrationSetView): string {
  const who = [s.approvedBy ? `approved by ${s.approvedBy}` : '', s.activatedBy ? `activated by ${s.activatedBy}` : ''].filter(Boolean).join(', ');
  return `${STATUS[s.status].padEnd(11)} ${s.version}  ${time(s.createdAt)}  by ${s.author}${s.sourceRuns ? `  runs ${s.sourceRuns}` : ''}${who ? `  (${who})` : ''}\n            ${s.comment}`;
}

export function describeScan(s: ScanView): string {
  const left = s.timeLeftMs === null ? '' : `, ≈ ${Math.ceil(s.timeLeftMs / 1000)} s left`;
  return [
    `scan ${s.id} in run ${s.run}: ${s.status}${s.aim ? `, beam on ${s.aim}` : s.steering ? '' : ', following the cell with the maximum energy'}${left} (${s.eventsPerCell} events per cell, ${s.model === 'gauss' ? 'Gaussian core' : 'Crystal Ball'})`,
    ...s.cells.map((c) => `  ${c.cell.padEnd(6)} ${String(c.events).padStart(6)} / ${c.needed}  ${TOWER[c.status] ?? c.status}${c.reason ? `  ${c.reason}` : ''}`),
    ...(s.message ? [s.message] : []),
  ].join('\n');
}

export async function ctlCalibrationList(ctx: CtlContext): Promise<void> {
  const sets = await withApi(ctx, (api) => api.calibration.sets.list());
  output(ctx, sets, sets.map(describeSet).join('\n'));
}

export async function ctlCalibrationShow(ctx: CtlContext, version: string): Promise<void> {
  const d: CalibrationSetDetail = await withApi(ctx, (api) => api.calibration.sets.get({ version }));
  const ecal = d.values.filter((v) => v.cell.startsWith('ECAL'));
  output(
    ctx,
    d,
    [
      describeSet(d),
      ...(d.fits.length ? ['beam-scan fits:', ...d.fits.map((f) => `  ${f.tower.padEnd(6)} ${(TOWER[f.status] ?? f.status).padEnd(18)} ${f.reason}`)] : []),
      'ECAL constants (GeV per ADC count ± uncertainty):',
      ...ecal.map((v) => `  ${v.cell.padEnd(10)} ${v.gevPerAdc.toExponential(5)} ± ${v.uncertainty.toExponential(2)}`),
      `${d.values.length - ecal.length} other cells; LED reference for ${Object.keys(d.ledReference).length} cells`,
    ].join('\n'),
  );
}

export async function ctlCalibrationDiff(ctx: CtlContext, from: string, to: string): Promise<void> {
  const d: CalibrationDiff = await withApi(ctx, (api) => api.calibration.sets.diff({ from, to }));
  const pct = (x: number | null) => (x === null ? '   —  ' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`.padStart(7));
  const outliers = d.rows.filter((r) => r.outlier);
  output(
    ctx,
    d,
    [
      `${from} → ${to}: main section, relative change per cell (x across, y down)`,
      ...d.main[0]!.map((_, y) => d.main.map((col) => pct(col[y] ?? null)).join(' ')),
      `largest changes${outliers.length ? ` (${outliers.length} beyond ±${100 * d.outlierLimit} % flagged ⚑)` : ''}:`,
      ...d.rows.slice(0, 12).map((r) => `  ${r.outlier ? '⚑' : ' '} ${r.cell.padEnd(10)} ${pct(r.change)}  ${r.from.toExponential(4)} → ${r.to.toExponential(4)}`),
    ].join('\n'),
  );
}

export async function ctlCalibrationApprove(ctx: CtlContext, version: string, comment: string): Promise<void> {
  const s = await withApi(ctx, (api) => api.calibration.sets.approve({ version, comment }));
  output(ctx, s, `approved ${s.version}; activate it with: na64rc ctl calibration activate ${s.version}`);
}

export async function ctlCalibrationActivate(ctx: CtlContext, version: string, comment: string): Promise<void> {
  const s = await withApi(ctx, (api) => api.calibration.sets.activate({ version, comment }));
  output(ctx, s, `${s.version} is active from the next spill (logged in the logbook)`);
}

export async function ctlCalibrationRollback(ctx: CtlContext, version: string, reason: string): Promise<void> {
  const s = await withApi(ctx, (api) => api.calibration.sets.rollback({ version, reason }));
  output(ctx, s, `rolled back: ${s.version} is active from the next spill (logged in the logbook)`);
}

export async function ctlCalibrationExport(ctx: CtlContext, version: string, o: { format: string; out?: string }): Promise<void> {
  if (o.format !== 'json' && o.format !== 'csv') throw new CliError(`unknown format "${o.format}"; use json or csv`);
  const file = await withApi(ctx, (api) => api.calibration.sets.export({ version, format: o.format as 'json' | 'csv' }));
  if (!o.out) {
    ctx.print(file.content.trimEnd());
    return;
  }
  try {
    writeFileSync(o.out, file.content);
  } catch (error) {
    throw new CliError(`cannot write ${o.out}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  ctx.print(`wrote ${o.out}`);
}

export async function ctlCalibrationImport(ctx: CtlContext, path: string, o: { format?: string; version?: string }): Promise<void> {
  const format = o.format ?? (extname(path).toLowerCase() === '.csv' ? 'csv' : 'json');
  if (format !== 'json' && format !== 'csv') throw new CliError(`unknown format "${format}"; use json or csv`);
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const s = await withApi(ctx, (api) => api.calibration.sets.import({ content, format, ...(o.version ? { version: o.version } : {}) }));
  output(ctx, s, `imported ${s.version} as a draft; approve and activate it to use it`);
}

export async function ctlCalibrationScanStart(ctx: CtlContext, o: { cells: string; events?: number; model?: string }): Promise<void> {
  if (o.model && o.model !== 'gauss' && o.model !== 'crystal-ball') throw new CliError(`unknown model "${o.model}"; use gauss or crystal-ball`);
  const cells = o.cells.trim() === 'all' ? ('all' as const) : o.cells.split(/\s*;\s*|\s+/).filter(Boolean);
  const s = await withApi(ctx, (api) =>
    api.calibration.scan.start({ cells, ...(o.events ? { eventsPerCell: o.events } : {}), ...(o.model ? { model: o.model as 'gauss' | 'crystal-ball' } : {}) }),
  );
  output(ctx, s, describeScan(s));
}

export async function ctlCalibrationScan(ctx: CtlContext, action: 'status' | 'pause' | 'resume' | 'stop' | 'fit'): Promise<void> {
  const s = await withApi(ctx, (api) => (action === 'status' ? api.calibration.scan.status() : api.calibration.scan[action]()));
  if (!s) {
    output(ctx, s, 'no beam scan since the server started');
    return;
  }
  output(ctx, s, describeScan(s));
}

export async function ctlCalibrationScanExtend(ctx: CtlContext, o: { events?: number; cells?: string }): Promise<void> {
  if (o.events === undefined && o.cells === undefined) throw new CliError('say what to extend: --events N and/or --cells "x,y; …"');
  const s = await withApi(ctx, (api) =>
    api.calibration.scan.extend({ ...(o.events ? { eventsPerCell: o.events } : {}), ...(o.cells ? { cells: o.cells.split(/\s*;\s*|\s+/).filter(Boolean) } : {}) }),
  );
  output(ctx, s, describeScan(s));
}

export async function ctlCalibrationLed(ctx: CtlContext, o: { cell?: string; run?: number }): Promise<void> {
  if (o.cell) {
    const cell = o.cell;
    const t = await withApi(ctx, (api) => api.calibration.led.trend({ cell, ...(o.run ? { run: o.run } : {}) }));
    output(
      ctx,
      t,
      [
        `${t.cell}: LED reference ${t.reference === null ? 'none yet' : t.reference.toFixed(1)} ADC${t.run ? `, run ${t.run}` : ''}`,
        'spill  LED amplitude  correction  from',
        ...t.points.map((p) => `${String(p.spill).padStart(5)}  ${(p.amplitude === null ? '—' : p.amplitude.toFixed(1)).padStart(13)}  ${p.correction.toFixed(4).padStart(10)}  ${p.source}`),
      ].join('\n'),
    );
    return;
  }
  const n = await withApi(ctx, (api) => api.calibration.led.now());
  const worst = [...n.cells].filter((c) => c.ratio !== null).sort((a, b) => Math.abs(b.ratio! - 1) - Math.abs(a.ratio! - 1));
  output(
    ctx,
    n,
    [
      `last LED gap: ${n.sequence === null ? 'none yet' : `after DAQ spill ${n.sequence}`}; largest drift ${n.maxDrift === null ? '—' : `${(100 * n.maxDrift).toFixed(2)} %`}; source ${n.source}`,
      ...worst.slice(0, 8).map((c) => `  ${c.cell.padEnd(10)} gain ×${c.ratio!.toFixed(4)}  correction ${c.correction.toFixed(4)}  (${c.source})`),
    ].join('\n'),
  );
}
