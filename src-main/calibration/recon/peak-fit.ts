// The peak fit of a calibration spectrum: a binned least-squares fit (Neyman χ², σ = √n, at least 1) by
// Levenberg–Marquardt (ml-levenberg-marquardt), of a Gaussian core or a Crystal Ball (Gaussian core with a
// power-law low tail: the shower leakage and the pile-up pedestal shifts pull events low). The library
// gives no uncertainties: the covariance is (JᵀWJ)⁻¹ with the Jacobian at the optimum (central differences),
// scaled by χ²/ndf when that is above 1 (as PDG does for an underestimated spread). Pure code: it runs in
// the calibration worker and in the tests.
import { levenbergMarquardt } from 'ml-levenberg-marquardt';
import { inverse, Matrix } from 'ml-matrix';
// The same model functions draw the fitted curve on screen.
import { crystalBallDensity, gaussDensity, type PeakModelName } from '../../shared/peak-model';

export type PeakModel = PeakModelName;

export interface FitParameter {
  name: string;
  value: number;
  error: number;
}

export interface PeakFit {
  model: PeakModel;
  converged: boolean;
  /** Why the fit is not usable (null when it is). */
  problem: string | null;
  /** Yield N, mean μ, width σ (and α, n for the Crystal Ball), each with its uncertainty. */
  parameters: FitParameter[];
  mean: number;
  meanError: number;
  sigma: number;
  chi2: number;
  ndf: number;
  iterations: number;
  /** The fitted histogram: bin low edge of the first bin, bin width, counts. */
  histogram: { min: number; width: number; counts: number[] };
  /** Fit range (the model is drawn over it). */
  range: [number, number];
  /** (data − model) / σ per bin inside the range, NaN outside. */
  residuals: number[];
}

/** Restarts from the optimum before a fit whose χ² still moves is declared not converged. */
const RESTARTS = 8;

export interface PeakFitOptions {
  model: PeakModel;
  bins?: number;
  /** Gaussian core: fit within μ ± this many σ (after a first pass). */
  coreSigmas?: number;
  /** Fit in this fixed range instead (one pass). */
  range?: readonly [number, number];
}

/** Median and a robust σ (1.4826 × MAD) of values. */
export function robustCentre(values: ArrayLike<number>): { median: number; sigma: number } {
  const sorted = Float64Array.from(values).sort();
  const median = sorted[sorted.length >> 1] ?? Number.NaN;
  const dev = Float64Array.from(sorted, (v) => Math.abs(v - median)).sort();
  return { median, sigma: 1.4826 * (dev[dev.length >> 1] ?? Number.NaN) };
}

function histogram(values: ArrayLike<number>, min: number, max: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const scale = bins / (max - min);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i]! - min) * scale);
    if (b >= 0 && b < bins) counts[b]!++;
  }
  return counts;
}

/**
 * Fit the peak of `values` (one number per event). A Gaussian core is fitted twice: first within
 * median ± 2.5 robust σ, then within μ ± `coreSigmas` σ of the first fit; the Crystal Ball once, from 6 σ
 * below to 3 σ above the median.
 */
export function fitPeak(values: ArrayLike<number>, options: PeakFitOptions): PeakFit {
  const bins = options.bins ?? 60;
  const { median, sigma } = robustCentre(values);
  if (!(sigma > 0) || !Number.isFinite(median)) return failed(options.model, 'the spectrum has no spread: every event gives the same value');
  if (options.range) {
    const [lo, hi] = options.range;
    const start = options.model === 'gauss' ? [values.length, median, sigma] : [values.length, median, sigma, 1.5, 3];
    return fitRange(values, options.model, lo, hi, bins, start);
  }
  if (options.model === 'gauss') {
    const first = fitRange(values, options.model, median - 2.5 * sigma, median + 2.5 * sigma, bins, [values.length, median, sigma]);
    if (!first.converged) return first;
    const k = options.coreSigmas ?? 2;
    return fitRange(values, options.model, first.mean - k * first.sigma, first.mean + k * first.sigma, bins, [values.length, first.mean, first.sigma]);
  }
  return fitRange(values, options.model, median - 6 * sigma, median + 3 * sigma, bins, [values.length, median, sigma, 1.5, 3]);
}

function failed(model: PeakModel, problem: string): PeakFit {
  return { model, converged: false, problem, parameters: [], mean: Number.NaN, meanError: Number.NaN, sigma: Number.NaN, chi2: Number.NaN, ndf: 0, iterations: 0, histogram: { min: 0, width: 1, counts: [] }, range: [0, 0], residuals: [] };
}

type Model = (p: number[]) => (x: number) => number;

function fitRange(values: ArrayLike<number>, model: PeakModel, min: number, max: number, bins: number, start: number[]): PeakFit {
  const counts = histogram(values, min, max, bins);
  const width = (max - min) / bins;
  const x = counts.map((_, i) => min + (i + 0.5) * width);
  const sigmas = counts.map((c) => Math.sqrt(Math.max(c, 1)));
  const inRange = counts.reduce((n, c) => n + c, 0);
  const base = { model, histogram: { min, width, counts }, range: [min, max] as [number, number] };
  const names = model === 'gauss' ? ['N', 'μ', 'σ'] : ['N', 'μ', 'σ', 'α', 'n'];
  if (inRange < 5 * names.length) return { ...failed(model, `only ${inRange} events in the fit range`), ...base };
  const f: Model =
    model === 'gauss'
      ? ([n, mu, s]) => (v) => width * gaussDensity(v, n!, mu!, s!)
      : ([n, mu, s, a, p]) => (v) => width * crystalBallDensity(v, n!, mu!, s!, a!, p!);
  const span = max - min;
  const p0 = start.map((v, i) => (i === 0 ? inRange : v));
  const minValues = model === 'gauss' ? [0, min - span, span / bins / 10] : [0, min - span, span / bins / 10, 0.2, 1.05];
  const maxValues = model === 'gauss' ? [10 * values.length, max + span, 2 * span] : [10 * values.length, max + span, 2 * span, 10, 50];
  // Pre-whitened (data and model divided by σ, unit weights): the library's step weighs its curvature
  // matrix by σ² instead of 1/σ², so it would crawl with real weights; with unit weights both agree.
  const index = x.map((_, i) => i);
  const whitened = counts.map((c, i) => c / sigmas[i]!);
  const g = (params: number[]) => {
    const m = f(params);
    return (i: number) => m(x[i]!) / sigmas[i]!;
  };
  const run = (initialValues: number[], maxIterations: number) =>
    levenbergMarquardt({ x: index, y: whitened }, g, {
      initialValues,
      minValues,
      maxValues,
      maxIterations,
      damping: 1e-3,
      gradientDifference: initialValues.map((v) => Math.max(Math.abs(v) * 1e-6, 1e-9)),
      centralDifference: true,
      errorTolerance: 1e-10,
    });
  // Restarted from its own optimum until χ² stays put: a fit that still moves after RESTARTS has not converged.
  let result;
  let chi2: number;
  let settled = false;
  try {
    result = run(p0, 60);
    chi2 = chiSquare(f(result.parameterValues), x, counts, sigmas);
    for (let r = 0; r < RESTARTS && !settled; r++) {
      const again = run(result.parameterValues, 30);
      const chi2Again = chiSquare(f(again.parameterValues), x, counts, sigmas);
      settled = Math.abs(chi2Again - chi2) <= 1e-4 * Math.max(1, chi2);
      if (chi2Again <= chi2) {
        result = again;
        chi2 = chi2Again;
      }
    }
  } catch (error) {
    return { ...failed(model, `the fit failed: ${error instanceof Error ? error.message : String(error)}`), ...base };
  }
  const p = result.parameterValues;
  const ndf = bins - p.length;
  const cov = covariance(f, p, x, sigmas);
  const scale = ndf > 0 && chi2 / ndf > 1 ? chi2 / ndf : 1;
  const errors = p.map((_, i) => (cov ? Math.sqrt(cov[i]![i]! * scale) : Number.NaN));
  const model0 = f(p);
  const residuals = x.map((v, i) => (counts[i]! - model0(v)) / sigmas[i]!);
  const [, mu, s] = p as [number, number, number];
  let problem: string | null = null;
  if (!p.every(Number.isFinite)) problem = 'the fit gave parameters that are not numbers';
  else if (!cov || !errors.every((e) => Number.isFinite(e))) problem = 'the fit has no defined uncertainties (its curvature matrix is singular)';
  else if (!settled) problem = `the fit did not converge (χ² = ${chi2.toFixed(1)} still moved after ${RESTARTS} restarts)`;
  else if (mu < min || mu > max) problem = `the fitted peak (${mu.toPrecision(4)}) lies outside the fit range`;
  else if (s >= span) problem = 'the fitted width is as wide as the whole range: there is no peak';
  else if (ndf > 0 && chi2 / ndf > 25) problem = `the model does not describe the spectrum (χ²/ndf = ${(chi2 / ndf).toFixed(1)})`;
  return {
    ...base,
    converged: problem === null,
    problem,
    parameters: names.map((name, i) => ({ name, value: p[i]!, error: errors[i]! })),
    mean: mu,
    meanError: errors[1]!,
    sigma: s,
    chi2,
    ndf,
    iterations: result.iterations,
    residuals,
  };
}

function chiSquare(m: (x: number) => number, x: number[], y: number[], s: number[]): number {
  let chi2 = 0;
  for (let i = 0; i < x.length; i++) chi2 += ((y[i]! - m(x[i]!)) / s[i]!) ** 2;
  return chi2;
}

/** (JᵀWJ)⁻¹ with the Jacobian by central differences at `p`; null when it cannot be inverted. */
function covariance(f: Model, p: number[], x: number[], s: number[]): number[][] | null {
  const jac = new Matrix(x.length, p.length);
  for (let k = 0; k < p.length; k++) {
    const h = Math.max(Math.abs(p[k]!) * 1e-5, 1e-8);
    const up = f(p.map((v, i) => (i === k ? v + h : v)));
    const down = f(p.map((v, i) => (i === k ? v - h : v)));
    for (let i = 0; i < x.length; i++) jac.set(i, k, (up(x[i]!) - down(x[i]!)) / (2 * h) / s[i]!);
  }
  try {
    const inv = inverse(jac.transpose().mmul(jac));
    const out = inv.to2DArray();
    return out.every((row, i) => row[i]! > 0 && row.every(Number.isFinite)) ? out : null;
  } catch {
    return null;
  }
}
