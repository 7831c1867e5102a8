// Where the calibrated ECAL sum of a shower aimed at each tower must peak, relative to E_beam: the share of
// the shower inside the ECAL (lateral leakage at the edges) for the beam spot, the lateral profile and the
// resolution, measured with the statistic the scan uses (WINDOW). Near an edge the leakage changes fast
// with the hit position and the spectrum is skewed: its mean, its median and a Gaussian core fit are up to
// ≈ 1 % apart there, so target and data must be measured the same way.
import { erf } from '../../shared/peak-model';

/**
 * The peak statistic: the mean of the events between these shares of the tower's target. Unlike a Gaussian
 * core fit it does not depend on the exact shape: on the skewed spectrum of an edge tower a core fit moves
 * by ≈ 0.5 % with the electronic noise, the window mean by < 0.05 %. The window keeps hadrons, MIPs and most
 * pile-up out.
 */
export const WINDOW = [0.75, 1.12] as const;

/** Mean of the values inside [lo, hi] with its statistical error. */
export function windowMean(values: ArrayLike<number>, lo: number, hi: number): { mean: number; error: number; n: number } {
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo || v > hi) continue;
    n++;
    sum += v;
    sum2 += v * v;
  }
  const mean = n ? sum / n : Number.NaN;
  return { mean, error: n > 1 ? Math.sqrt(Math.max(0, sum2 / n - mean * mean) / (n - 1)) : Number.NaN, n };
}

export interface TargetModel {
  nx: number;
  ny: number;
  pitchMm: number;
  /** Beam spot σ at the ECAL face (mm). */
  spotMm: number;
  /** One-axis lateral profile: core share and the two exponential lengths (mm). */
  profile: { core: number; b1: number; b2: number };
  /** Tower (x, y) whose electrons must read E_beam. */
  beamCell: readonly [number, number];
  energyGeV: number;
  /** Relative resolution of the ECAL sum (σ/E) the peaks are fitted with. */
  resolution: number;
}

/**
 * The expected spectrum is sampled deterministically (no random numbers: symmetric towers get the same
 * target): the hit position on equal-probability points of the Gaussian spot per axis, times
 * equal-probability points of the Gaussian resolution.
 */
const SPOT_POINTS = 48;
const RESOLUTION_POINTS = 24;

function profileCdf(x: number, p: TargetModel['profile']): number {
  const a = x < 0 ? 0.5 * Math.exp(x / p.b1) : 1 - 0.5 * Math.exp(-x / p.b1);
  const b = x < 0 ? 0.5 * Math.exp(x / p.b2) : 1 - 0.5 * Math.exp(-x / p.b2);
  return p.core * a + (1 - p.core) * b;
}

/** The n equal-probability points of a standard normal: Φ⁻¹((i + ½) / n), by bisection. */
function normalQuantiles(n: number): number[] {
  const cdf = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));
  return Array.from({ length: n }, (_, i) => {
    const p = (i + 0.5) / n;
    let lo = -10;
    let hi = 10;
    for (let k = 0; k < 60; k++) {
      const mid = (lo + hi) / 2;
      if (cdf(mid) < p) lo = mid;
      else hi = mid;
    }
    return (lo + hi) / 2;
  });
}

/** Per tower (x·ny + y): the window mean of the ECAL sum of showers aimed at it, as a share of E_beam. */
export function peakShares(m: TargetModel): number[] {
  const share = (x: number, n: number) => profileCdf(n * m.pitchMm - x, m.profile) - profileCdf(-x, m.profile);
  const spot = normalQuantiles(SPOT_POINTS);
  const res = normalQuantiles(RESOLUTION_POINTS);
  return Array.from({ length: m.nx * m.ny }, (_, t) => {
    const cx = (Math.floor(t / m.ny) + 0.5) * m.pitchMm;
    const cy = ((t % m.ny) + 0.5) * m.pitchMm;
    const sx = spot.map((z) => share(cx + m.spotMm * z, m.nx));
    const sy = spot.map((z) => share(cy + m.spotMm * z, m.ny));
    const values = new Float64Array(SPOT_POINTS * SPOT_POINTS * RESOLUTION_POINTS);
    let i = 0;
    for (const a of sx) for (const b of sy) for (const r of res) values[i++] = a * b * (1 + m.resolution * r);
    // The window is relative to the result: a few fixed-point steps from the plain containment.
    let peak = share(cx, m.nx) * share(cy, m.ny);
    for (let k = 0; k < 8; k++) peak = windowMean(values, peak * WINDOW[0], peak * WINDOW[1]).mean;
    return peak;
  });
}

/** Per tower: the target peak (GeV), scaled so the beam cell's is E_beam. */
export function towerTargets(m: TargetModel): number[] {
  const shares = peakShares(m);
  const ref = shares[m.beamCell[0] * m.ny + m.beamCell[1]]!;
  return shares.map((v) => (m.energyGeV * v) / ref);
}
