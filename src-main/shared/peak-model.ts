// The peak models of the calibration fit as pure functions, environment-free so that the screen draws the
// fitted curve from the parameters the API returns (src-main/calibration/recon/peak-fit.ts fits with the
// same formulas: Gaussian core, or Crystal Ball with a low-side power-law tail, both normalised to a yield N).

export type PeakModelName = 'gauss' | 'crystal-ball';

const SQRT_HALF_PI = Math.sqrt(Math.PI / 2);

/** erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5×10⁻⁷), as the fit uses it. */
export function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const ax = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * ax);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-ax * ax);
  return sign * y;
}

/** Gaussian normalised to a yield N: counts per unit x. */
export function gaussDensity(x: number, n: number, mu: number, sigma: number): number {
  const t = (x - mu) / sigma;
  return (n / (sigma * Math.sqrt(2 * Math.PI))) * Math.exp(-0.5 * t * t);
}

/** Crystal Ball normalised to a yield N (low-side tail for α > 0, tail power n > 1). */
export function crystalBallDensity(x: number, n: number, mu: number, sigma: number, alpha: number, power: number): number {
  const a = Math.abs(alpha);
  const t = (x - mu) / sigma;
  const c = (power / a / (power - 1)) * Math.exp(-0.5 * a * a);
  const d = SQRT_HALF_PI * (1 + erf(a / Math.SQRT2));
  const norm = n / (sigma * (c + d));
  if (t > -a) return norm * Math.exp(-0.5 * t * t);
  const b = power / a - a;
  return norm * (power / a) ** power * Math.exp(-0.5 * a * a) * (b - t) ** -power;
}

/**
 * Expected counts in a bin of `binWidth` centred at x, for the fitted parameters in the fit's order
 * (N, μ, σ, and α, n for the Crystal Ball). Null when the parameters do not fit the model.
 */
export function peakCounts(model: PeakModelName, parameters: readonly number[], binWidth: number): ((x: number) => number) | null {
  const [n, mu, sigma, alpha, power] = parameters;
  if (n === undefined || mu === undefined || sigma === undefined || !(sigma > 0)) return null;
  if (model === 'gauss') return (x) => binWidth * gaussDensity(x, n, mu, sigma);
  if (alpha === undefined || power === undefined || !(power > 1) || alpha === 0) return null;
  return (x) => binWidth * crystalBallDensity(x, n, mu, sigma, alpha, power);
}
