// How the ECAL calibration looks: colour, icon and word of set, scan, tower and LED states; the colours and
// texts of the 6×6 map in each of its modes (coefficient against the nominal set, change against another
// set, fit quality); the fitted curve drawn from the fit's parameters.
import type { CalibrationDiff, CalibrationSetView, LedTrend, PeakFitView, ScanView } from '@shared/api/calibration';
import { peakCounts } from '@shared/peak-model';
import type { Look } from './presentation';

export type Section = 0 | 1;
export const SECTION_NAMES: Record<Section, string> = { 0: 'ECAL0 preshower', 1: 'ECAL1 main' };
/** The main section first: it holds most of the shower. */
export const SECTIONS: readonly { value: Section; label: string }[] = [
  { value: 1, label: SECTION_NAMES[1] },
  { value: 0, label: SECTION_NAMES[0] },
];

export function setStatusLook(status: CalibrationSetView['status']): Look {
  switch (status) {
    case 'draft':
      return { tone: 'info', icon: '✎', label: 'DRAFT' };
    case 'approved':
      return { tone: 'warn', icon: '✓', label: 'APPROVED' };
    case 'active':
      return { tone: 'good', icon: '★', label: 'ACTIVE' };
    case 'retired':
      return { tone: 'idle', icon: '⌫', label: 'RETIRED' };
  }
}

export function scanStatusLook(status: ScanView['status'] | null): Look {
  switch (status) {
    case 'running':
      return { tone: 'good', icon: '▶', label: 'RUNNING' };
    case 'paused':
      return { tone: 'warn', icon: '‖', label: 'PAUSED' };
    case 'fitting':
      return { tone: 'info', icon: '⟳', label: 'FITTING' };
    case 'done':
      return { tone: 'good', icon: '✓', label: 'DONE' };
    case 'stopped':
      return { tone: 'idle', icon: '■', label: 'STOPPED' };
    case 'failed':
      return { tone: 'bad', icon: '✕', label: 'FAILED' };
    default:
      return { tone: 'idle', icon: '–', label: 'NO SCAN' };
  }
}

const TOWER_LOOKS: Record<string, Look> = {
  collecting: { tone: 'info', icon: '…', label: 'COLLECTING' },
  pending: { tone: 'info', icon: '◷', label: 'WAITING FOR FIT' },
  ok: { tone: 'good', icon: '✓', label: 'OK' },
  'too-few-events': { tone: 'warn', icon: '▽', label: 'TOO FEW EVENTS' },
  dead: { tone: 'bad', icon: '✕', label: 'DEAD' },
  saturated: { tone: 'bad', icon: '▲', label: 'SATURATED' },
  'fit-failed': { tone: 'bad', icon: '✕', label: 'FIT FAILED' },
  'not-converged': { tone: 'warn', icon: '↻', label: 'NOT CONVERGED' },
};

export function towerStatusLook(status: string): Look {
  return TOWER_LOOKS[status] ?? { tone: 'warn', icon: '?', label: status.toUpperCase() };
}

export function ledSourceLook(source: LedTrend['points'][number]['source']): Look {
  switch (source) {
    case 'spill':
      return { tone: 'good', icon: '●', label: 'THIS SPILL' };
    case 'previous':
      return { tone: 'warn', icon: '◀', label: 'PREVIOUS SPILLS' };
    case 'run':
      return { tone: 'warn', icon: '∑', label: 'RUN AVERAGE' };
    case 'none':
      return { tone: 'bad', icon: '–', label: 'NO CORRECTION' };
  }
}

// ── the map ────────────────────────────────────────────────────────────────────────────────────────────

export interface MapCell {
  x: number;
  y: number;
  value: number | null;
  /** What the cell shows as text (never colour alone). */
  text: string;
  colour: string;
  /** The full sentence (tooltip and screen reader). */
  title: string;
}

/** Map colours: a dark neutral for "as the reference", blue for lower, orange for higher; grey for none. */
export const NO_VALUE = '#161d26';
const NEUTRAL = [42, 53, 67];
const LOWER = [31, 111, 235];
const HIGHER = [219, 109, 40];
const TONE_COLOURS: Record<string, string> = { good: '#2f7d3c', warn: '#9a7a1c', bad: '#b23a33', info: '#2d5f96', idle: '#3a4552', critical: '#a8318f' };

/** Colour of a relative value on the diverging scale that saturates at ±limit. */
export function relativeColour(rel: number | null, limit: number): string {
  if (rel === null || !Number.isFinite(rel)) return NO_VALUE;
  const t = Math.min(1, Math.abs(rel) / limit);
  const end = rel < 0 ? LOWER : HIGHER;
  const mix = NEUTRAL.map((c, i) => Math.round(c + (end[i]! - c) * t));
  return `rgb(${mix.join(', ')})`;
}

export function toneColour(tone: Look['tone']): string {
  return TONE_COLOURS[tone] ?? NO_VALUE;
}

export function formatRelative(rel: number | null, digits = 2): string {
  if (rel === null || !Number.isFinite(rel)) return '—';
  const pct = 100 * rel;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(digits)} %`;
}

export function formatCoefficient(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toPrecision(4);
}

export const cellName = (section: Section, x: number, y: number) => `ECAL${section}-${x}-${y}`;
export const towerName = (x: number, y: number) => `(${x},${y})`;

/** The ECAL's size from the cell names of a set (6×6 here; the muon setup's ECAL is smaller). */
export function ecalSize(cells: readonly { cell: string }[]): { nx: number; ny: number } {
  let nx = 0;
  let ny = 0;
  for (const { cell } of cells) {
    const m = /^ECAL[01]-(\d+)-(\d+)$/.exec(cell);
    if (!m) continue;
    nx = Math.max(nx, Number(m[1]) + 1);
    ny = Math.max(ny, Number(m[2]) + 1);
  }
  return { nx, ny };
}

function grid(nx: number, ny: number, cell: (x: number, y: number) => MapCell): MapCell[] {
  const out: MapCell[] = [];
  for (let x = 0; x < nx; x++) for (let y = 0; y < ny; y++) out.push(cell(x, y));
  return out;
}

/** Coefficient changes beyond this saturate the colour (the twin's gains spread by ±15 %). */
export const COEFFICIENT_COLOUR_LIMIT = 0.15;

/** Each cell's constant in GeV per ADC count as text, coloured by its change against the nominal set. */
export function coefficientCells(values: readonly { cell: string; gevPerAdc: number; uncertainty: number }[], nominal: readonly { cell: string; gevPerAdc: number }[] | null, section: Section): MapCell[] {
  const { nx, ny } = ecalSize(values);
  const own = new Map(values.map((v) => [v.cell, v]));
  const ref = new Map((nominal ?? []).map((v) => [v.cell, v.gevPerAdc]));
  return grid(nx, ny, (x, y) => {
    const name = cellName(section, x, y);
    const v = own.get(name);
    const r = ref.get(name);
    const rel = v && r ? v.gevPerAdc / r - 1 : null;
    return {
      x,
      y,
      value: v?.gevPerAdc ?? null,
      text: v ? `${formatCoefficient(v.gevPerAdc)}\n${formatRelative(rel, 1)}` : '—',
      colour: relativeColour(rel, COEFFICIENT_COLOUR_LIMIT),
      title: v ? `${name}: ${formatCoefficient(v.gevPerAdc)} ± ${v.uncertainty.toPrecision(2)} GeV/ADC, ${formatRelative(rel)} against nominal` : `${name}: no value`,
    };
  });
}

/** Each cell's relative change between two sets; outliers (beyond the diff's limit) marked ⚠. */
export function changeCells(diff: CalibrationDiff, section: Section): MapCell[] {
  const rows = diff[section === 1 ? 'main' : 'preshower'];
  const byCell = new Map(diff.rows.map((r) => [r.cell, r]));
  return grid(rows.length, rows[0]?.length ?? 0, (x, y) => {
    const rel = rows[x]?.[y] ?? null;
    const outlier = rel !== null && Math.abs(rel) > diff.outlierLimit;
    const row = byCell.get(cellName(section, x, y));
    return {
      x,
      y,
      value: rel,
      text: `${outlier ? '⚠ ' : ''}${formatRelative(rel, 1)}`,
      colour: relativeColour(rel, diff.outlierLimit),
      title: `${cellName(section, x, y)}: ${row ? `${formatCoefficient(row.from)} → ${formatCoefficient(row.to)} GeV/ADC, ` : ''}${formatRelative(rel)} from ${diff.from} to ${diff.to}${outlier ? ' (outlier)' : ''}`,
    };
  });
}

/** χ²/ndf beyond which a fit is suspect (warn) and wrong (bad). */
export const CHI2_WARN = 2;
export const CHI2_BAD = 5;

export function chi2Look(chi2ndf: number | null): Look {
  if (chi2ndf === null || !Number.isFinite(chi2ndf)) return { tone: 'idle', icon: '–', label: 'no fit' };
  const label = `χ²/ndf ${chi2ndf.toFixed(2)}`;
  if (chi2ndf > CHI2_BAD) return { tone: 'bad', icon: '✕', label };
  if (chi2ndf > CHI2_WARN) return { tone: 'warn', icon: '!', label };
  return { tone: 'good', icon: '✓', label };
}

export interface TowerQuality {
  status: string;
  reason: string;
  chi2ndf: number | null;
}

/** Each tower's fit: status colours, the χ²/ndf (or the status word) as text; towers without a fit grey. */
export function qualityCells(nx: number, ny: number, fits: ReadonlyMap<string, TowerQuality>): MapCell[] {
  return grid(nx, ny, (x, y) => {
    const f = fits.get(towerName(x, y));
    if (!f) return { x, y, value: null, text: '—', colour: NO_VALUE, title: `${towerName(x, y)}: not in this set's beam scan` };
    const status = towerStatusLook(f.status);
    const look = f.status === 'ok' ? chi2Look(f.chi2ndf) : status;
    return {
      x,
      y,
      value: f.chi2ndf,
      text: f.status === 'ok' ? `${look.icon} ${f.chi2ndf === null ? 'OK' : f.chi2ndf.toFixed(2)}` : `${status.icon} ${status.label}`,
      colour: toneColour(look.tone),
      title: `${towerName(x, y)}: ${status.label}${f.chi2ndf === null ? '' : `, χ²/ndf ${f.chi2ndf.toFixed(2)}`}${f.reason ? ` — ${f.reason}` : ''}`,
    };
  });
}

// ── the fit ────────────────────────────────────────────────────────────────────────────────────────────

/** The fitted curve over the fit range as [x, expected counts per bin] (empty when it cannot be drawn). */
export function fitCurve(fit: PeakFitView, points = 200): [number, number][] {
  const f = peakCounts(fit.model, fit.parameters.map((p) => p.value), fit.histogram.width);
  const [lo, hi] = fit.range;
  if (!f || !(hi > lo)) return [];
  return Array.from({ length: points + 1 }, (_, i) => {
    const x = lo + ((hi - lo) * i) / points;
    return [x, f(x)] as [number, number];
  });
}

/** The spectrum as [bin centre, counts]. */
export function fitBins(fit: PeakFitView): [number, number][] {
  return fit.histogram.counts.map((c, i) => [fit.histogram.min + (i + 0.5) * fit.histogram.width, c]);
}

/** Residuals as [bin centre, (data − model)/σ], leaving out bins outside the fit range (NaN or null). */
export function fitResiduals(fit: PeakFitView): [number, number][] {
  const out: [number, number][] = [];
  fit.residuals.forEach((r, i) => {
    if (typeof r === 'number' && Number.isFinite(r)) out.push([fit.histogram.min + (i + 0.5) * fit.histogram.width, r]);
  });
  return out;
}

/** A value with its uncertainty to the uncertainty's two significant digits: "99.97 ± 0.031". */
export function withError(value: number, error: number): string {
  if (!Number.isFinite(value)) return '—';
  if (!(Number.isFinite(error) && error > 0)) return `${value.toPrecision(5)} ± ?`;
  const digits = Math.max(0, Math.min(8, 1 - Math.floor(Math.log10(error))));
  return `${value.toFixed(digits)} ± ${error.toFixed(digits)}`;
}

export function chi2ndfOf(fit: PeakFitView | null): number | null {
  return fit && fit.ndf > 0 && Number.isFinite(fit.chi2) ? fit.chi2 / fit.ndf : null;
}
