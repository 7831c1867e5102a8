// What the Compare and Trends views show, as plain functions: the colour of each overlaid source, the
// words for a test's probability, the text of a source, the points of the ratio / difference pad, and the
// runs of a trend as shaded areas. No Vue, no ECharts: tested on their own.
import type { ComparedHistogram, HistogramSource, Trend } from '@shared/api/compare';
import { sourceText } from '@shared/api/compare';
import { difference, ratio, type BinPoint } from '@shared/histogram-compare';

/** One colour per source, in order: the first (what the others are tested against) is the blue of every plot. */
export const SOURCE_COLOURS = ['#58a6ff', '#e3b341', '#3fb950', '#ff6b61', '#d2a8ff', '#79c0ff'] as const;

/**
 * A test's probability in words, colour and icon (never colour alone). The bars are named defaults: at
 * p ≥ 0.05 the shapes are compatible, below 0.01 they differ, between is a tension worth a look. (KS on
 * binned data is conservative: its p-values run high; see src-main/shared/histogram-compare.ts.)
 */
export const COMPATIBLE_P = 0.05;
export const DIFFERENT_P = 0.01;

export interface Judgement {
  state: 'good' | 'warn' | 'bad' | 'idle';
  icon: string;
  word: string;
}

export function judge(p: number | null): Judgement {
  if (p === null || !Number.isFinite(p)) return { state: 'idle', icon: '–', word: 'not tested' };
  if (p >= COMPATIBLE_P) return { state: 'good', icon: '✓', word: 'compatible' };
  if (p >= DIFFERENT_P) return { state: 'warn', icon: '!', word: 'tension' };
  return { state: 'bad', icon: '✕', word: 'differs' };
}

/** A probability as a person reads it: 3 significant digits, "< 1e-15" for what the double cannot hold. */
export function formatP(p: number): string {
  if (p === 0) return '< 1e-15';
  if (p < 1e-3) return p.toExponential(1);
  return p.toPrecision(3);
}

/** The worst (smallest) of a compared histogram's two probabilities, or null when neither was tested. */
export function worstP(h: ComparedHistogram): number | null {
  const v = h.versusFirst;
  if (!v) return null;
  const ps = ['probability' in v.kolmogorov ? v.kolmogorov.probability : null, 'pValue' in v.chi2 ? v.chi2.pValue : null].filter((p): p is number => p !== null);
  return ps.length ? Math.min(...ps) : null;
}

/** A source as text (the URL's form: run:12, spill:12/5, ref:3) and in words. */
export { sourceText };
export function sourceWords(s: HistogramSource): string {
  return s.kind === 'run' ? `run ${s.run} accumulated` : s.kind === 'spill' ? `run ${s.run} spill ${s.spill}` : `reference #${s.id}`;
}

export type Pad = 'ratio' | 'difference';

/** The pad's points of each source after the first, against the first: [x, value, error] (null value: a gap). */
export function padSeries(histograms: readonly ComparedHistogram[], pad: Pad): { index: number; points: BinPoint[] }[] {
  const first = histograms[0]?.histogram;
  if (!first || first.kind !== 'TH1D') return [];
  const out: { index: number; points: BinPoint[] }[] = [];
  histograms.forEach((h, index) => {
    if (index === 0 || h.histogram.kind !== 'TH1D') return;
    const points = pad === 'ratio' ? ratio(h.histogram, first) : difference(h.histogram, first);
    if (points) out.push({ index, points });
  });
  return out;
}

/** A trend's runs as [first index, last index] of its points (the shaded areas and boundary lines). */
export function runSpans(trend: Trend): { run: number; from: number; to: number }[] {
  const spans: { run: number; from: number; to: number }[] = [];
  trend.points.run.forEach((run, i) => {
    const last = spans.at(-1);
    if (last && last.run === run) last.to = i;
    else spans.push({ run, from: i, to: i });
  });
  return spans;
}

/** A trend value as a person reads it, with its unit ('' for a fraction: shown as a percentage). */
export function formatTrendValue(v: number | null, unit: string): string {
  if (v === null) return 'no value';
  if (unit === '') return `${(100 * v).toFixed(2)} %`;
  if (unit === 'EOT' || unit === 'particles' || Math.abs(v) >= 1e5) return `${v.toExponential(3)}${unit ? ` ${unit}` : ''}`;
  return `${+v.toPrecision(5)} ${unit}`;
}
