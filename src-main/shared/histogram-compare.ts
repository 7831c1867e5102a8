// Comparing histograms as ROOT does: the Kolmogorov–Smirnov test of TH1::KolmogorovTest, the χ² test of
// TH1::Chi2Test (unweighted–unweighted "UU" and weighted–weighted "WW"), their probabilities
// (TMath::KolmogorovProb, TMath::Prob), normalisation, and the ratio and difference of two histograms with
// their errors. Environment-free: the API computes the tests, the Compare view draws the ratio pad.
//
// The binned Kolmogorov test (as ROOT documents it): the test is defined for unbinned data; on histograms the
// largest gap between the cumulative sums is taken at the bin edges only, so it can only be smaller than the
// unbinned one, and the probability returned is too large (the test is conservative: it accepts more than it
// should). Use it to rank and flag, not as an exact p-value; the coarser the binning, the larger the bias.
// The effective number of entries of each histogram is (Σw)²/Σw², so weighted histograms count as fewer
// events. Under- and overflow are left out, as ROOT does by default.
import type { Hist1DSnapshot, HistSnapshot } from './histogram';

// ── probabilities ───────────────────────────────────────────────────────────────────────────────────────

/** ROOT's TMath::Nint: the nearest integer, halves to the even one. */
function nint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * TMath::KolmogorovProb (CERNLIB PROBKL), line for line: the probability that the Kolmogorov statistic
 * exceeds z, for z = d·√(n₁n₂/(n₁+n₂)). Theta-function inversion below 0.755, the alternating series above.
 */
export function kolmogorovProb(z: number): number {
  const fj = [-2, -8, -18, -32];
  const w = 2.50662827;
  const c1 = -1.2337005501361697;
  const c2 = -11.103304951225528;
  const c3 = -30.842513753404244;
  const u = Math.abs(z);
  if (u < 0.2) return 1;
  if (u < 0.755) {
    const v = 1 / (u * u);
    return 1 - (w * (Math.exp(c1 * v) + Math.exp(c2 * v) + Math.exp(c3 * v))) / u;
  }
  if (u < 6.8116) {
    const r = [0, 0, 0, 0];
    const v = u * u;
    const maxj = Math.max(1, nint(3 / u));
    for (let j = 0; j < maxj; j++) r[j] = Math.exp(fj[j]! * v);
    return 2 * (r[0]! - r[1]! + r[2]! - r[3]!);
  }
  return 0;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: relative error below 10⁻¹⁴). */
export function lnGamma(x: number): number {
  const g = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
    9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const y = x - 1;
  let a = g[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += g[i]! / (y + i);
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularised upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a): series below a + 1, continued fraction above. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return Number.NaN;
  if (x === 0) return 1;
  const lnPrefix = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    // P(a, x) = e^(−x) x^a / Γ(a+1) · Σ xⁿ / ((a+1)…(a+n))
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lnPrefix));
  }
  // Lentz's continued fraction for Γ(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lnPrefix) * h;
}

/** TMath::Prob: the probability of a χ² at least this large with ndf degrees of freedom (0 for ndf ≤ 0). */
export function chi2Prob(chi2: number, ndf: number): number {
  if (ndf <= 0) return 0;
  if (chi2 <= 0) return chi2 < 0 ? 0 : 1;
  return gammaQ(ndf / 2, chi2 / 2);
}

// ── binning ─────────────────────────────────────────────────────────────────────────────────────────────

/** Same kind and the same bins on every axis: the tests, the ratio and the difference need it. */
export function sameBinning(a: HistSnapshot, b: HistSnapshot): boolean {
  const axis = (p: { nbins: number; min: number; max: number }, q: { nbins: number; min: number; max: number }) => p.nbins === q.nbins && p.min === q.min && p.max === q.max;
  if (a.kind !== b.kind || !axis(a.x, b.x)) return false;
  return a.kind === 'TH1D' || (b.kind === 'TH2D' && axis(a.y, b.y));
}

/** The global bin numbers of the in-range bins (1D: 1…n; 2D: every cell with 1 ≤ bx ≤ nx, 1 ≤ by ≤ ny). */
function inRangeBins(h: HistSnapshot): number[] {
  if (h.kind === 'TH1D') return Array.from({ length: h.x.nbins }, (_, i) => i + 1);
  const out: number[] = [];
  const stride = h.x.nbins + 2;
  for (let by = 1; by <= h.y.nbins; by++) for (let bx = 1; bx <= h.x.nbins; bx++) out.push(bx + stride * by);
  return out;
}

/**
 * Whether a histogram was filled with unit weights, as ROOT decides it in Chi2Test: the sum of weights and the
 * effective entries (Σw)²/Σw² differ by less than one.
 */
export function isUnweighted(h: HistSnapshot): boolean {
  const { sumw, sumw2 } = h.stats;
  const effective = sumw2 > 0 ? (sumw * sumw) / sumw2 : 0;
  return Math.abs(sumw - effective) < 1;
}

// ── the tests ───────────────────────────────────────────────────────────────────────────────────────────

export interface KolmogorovResult {
  /** TH1::KolmogorovTest's answer: the probability of a distance at least this large for compatible shapes. */
  probability: number;
  /** The largest gap between the normalised cumulative sums (option "M"). */
  distance: number;
  /** The statistic handed to KolmogorovProb: distance × √(n₁n₂/(n₁+n₂)), n the effective entries. */
  z: number;
  effectiveEntries: [number, number];
}

export type TestRefusal = { refused: string };

/** TH1::KolmogorovTest with the default option (no under/overflow, shapes only). 1D histograms. */
export function kolmogorovTest(h1: HistSnapshot, h2: HistSnapshot): KolmogorovResult | TestRefusal {
  if (h1.kind !== 'TH1D' || h2.kind !== 'TH1D') return { refused: 'the Kolmogorov test is done on 1D histograms' };
  if (!sameBinning(h1, h2)) return { refused: 'the histograms have different bins' };
  let sum1 = 0;
  let sum2 = 0;
  let w1 = 0;
  let w2 = 0;
  for (let bin = 1; bin <= h1.x.nbins; bin++) {
    sum1 += h1.contents[bin]!;
    sum2 += h2.contents[bin]!;
    w1 += h1.sumw2[bin]!;
    w2 += h2.sumw2[bin]!;
  }
  if (sum1 === 0 || sum2 === 0) return { refused: `${sum1 === 0 ? 'the first' : 'the second'} histogram is empty` };
  // Zero errors mean "an exact function": the statistic is scaled by the other histogram's entries alone.
  const exact1 = !(w1 > 0);
  const exact2 = !(w2 > 0);
  if (exact1 && exact2) return { refused: 'both histograms have zero errors' };
  const esum1 = exact1 ? 0 : (sum1 * sum1) / w1;
  const esum2 = exact2 ? 0 : (sum2 * sum2) / w2;
  let rsum1 = 0;
  let rsum2 = 0;
  let dfmax = 0;
  for (let bin = 1; bin <= h1.x.nbins; bin++) {
    rsum1 += h1.contents[bin]! / sum1;
    rsum2 += h2.contents[bin]! / sum2;
    dfmax = Math.max(dfmax, Math.abs(rsum1 - rsum2));
  }
  const z = exact1 ? dfmax * Math.sqrt(esum2) : exact2 ? dfmax * Math.sqrt(esum1) : dfmax * Math.sqrt((esum1 * esum2) / (esum1 + esum2));
  return { probability: kolmogorovProb(z), distance: dfmax, z, effectiveEntries: [esum1, esum2] };
}

export type Chi2Mode = 'UU' | 'WW';

export interface Chi2Result {
  chi2: number;
  ndf: number;
  /** TMath::Prob(χ², ndf): what TH1::Chi2Test returns. */
  pValue: number;
  mode: Chi2Mode;
  /**
   * Chi2TestX's igood, in words: bins with fewer than 1 event (UU) or fewer than 10 effective events (WW) in
   * the first or second histogram, where the χ² approximation is poor.
   */
  lowStatistics: { first: boolean; second: boolean };
}

/**
 * TH1::Chi2Test / Chi2TestX over the in-range bins (1D or 2D; bins empty in both leave the ndf).
 * 'UU': both histograms count events (unweighted); 'WW': both weighted, the errors from Σw² per bin.
 * Without a mode, ROOT's automatic choice: UU when both are unweighted (isUnweighted), else WW (ROOT would take
 * "UW" when only the second is weighted; WW treats that case too, with the first histogram's own errors).
 */
export function chi2Test(h1: HistSnapshot, h2: HistSnapshot, mode?: Chi2Mode): Chi2Result | TestRefusal {
  if (!sameBinning(h1, h2)) return { refused: 'the histograms have different bins' };
  const m: Chi2Mode = mode ?? (isUnweighted(h1) && isUnweighted(h2) ? 'UU' : 'WW');
  const bins = inRangeBins(h1);
  let ndf = bins.length - 1;
  let sum1 = 0;
  let sum2 = 0;
  let sumw1 = 0;
  let sumw2 = 0;
  for (const bin of bins) {
    sum1 += h1.contents[bin]!;
    sum2 += h2.contents[bin]!;
    sumw1 += h1.sumw2[bin]!;
    sumw2 += h2.sumw2[bin]!;
  }
  if (sum1 === 0 || sum2 === 0) return { refused: `${sum1 === 0 ? 'the first' : 'the second'} histogram is empty` };
  let chi2 = 0;
  let low1 = false;
  let low2 = false;
  if (m === 'UU') {
    for (const bin of bins) {
      const cnt1 = h1.contents[bin]!;
      const cnt2 = h2.contents[bin]!;
      if (Math.trunc(cnt1) === 0 && Math.trunc(cnt2) === 0) {
        ndf--;
        continue;
      }
      if (cnt1 < 1) low1 = true;
      if (cnt2 < 1) low2 = true;
      const delta = sum2 * cnt1 - sum1 * cnt2;
      chi2 += (delta * delta) / (cnt1 + cnt2);
    }
    chi2 /= sum1 * sum2;
  } else {
    if (sumw1 <= 0 && sumw2 <= 0) return { refused: 'both histograms have zero errors' };
    for (const bin of bins) {
      const cnt1 = h1.contents[bin]!;
      const cnt2 = h2.contents[bin]!;
      const e1sq = h1.sumw2[bin]!;
      const e2sq = h2.sumw2[bin]!;
      if (cnt1 * cnt1 === 0 && cnt2 * cnt2 === 0) {
        ndf--;
        continue;
      }
      if (e1sq === 0 && e2sq === 0) return { refused: `bin ${bin} has zero errors in both histograms` };
      const sigma = sum1 * sum1 * e2sq + sum2 * sum2 * e1sq;
      const delta = sum2 * cnt1 - sum1 * cnt2;
      chi2 += (delta * delta) / sigma;
      if (e1sq > 0 && (cnt1 * cnt1) / e1sq < 10) low1 = true;
      if (e2sq > 0 && (cnt2 * cnt2) / e2sq < 10) low2 = true;
    }
  }
  return { chi2, ndf, pValue: chi2Prob(chi2, ndf), mode: m, lowStatistics: { first: low1, second: low2 } };
}

// ── normalisation, ratio, difference ────────────────────────────────────────────────────────────────────

export type Normalisation = 'none' | 'area' | 'events';

/** The in-range integral (Σ contents over the in-range bins). */
export function integral(h: HistSnapshot): number {
  let s = 0;
  for (const bin of inRangeBins(h)) s += h.contents[bin]!;
  return s;
}

/** A copy scaled by `factor` as TH1::Scale does: contents × f, Σw² × f², the fill statistics scaled; entries kept. */
export function scaled<T extends HistSnapshot>(h: T, factor: number): T {
  const f2 = factor * factor;
  const stats = Object.fromEntries(Object.entries(h.stats).map(([k, v]) => [k, k === 'sumw2' ? v * f2 : v * factor])) as T['stats'];
  return { ...h, contents: h.contents.map((c) => c * factor), sumw2: h.sumw2.map((e) => e * f2), stats };
}

/**
 * The factor a histogram is drawn with: 'area' to unit in-range integral, 'events' per event reconstructed
 * (`events`: the events the histogram was filled from), 'none' 1. Null when it cannot be (no entries, no events).
 */
export function normalisationFactor(h: HistSnapshot, how: Normalisation, events: number | null): number | null {
  if (how === 'none') return 1;
  if (how === 'area') {
    const s = integral(h);
    return s > 0 ? 1 / s : null;
  }
  return events !== null && events > 0 ? 1 / events : null;
}

export interface BinPoint {
  /** Bin centre. */
  x: number;
  /** Null where the value is not defined (a ratio over an empty bin). */
  value: number | null;
  error: number | null;
}

function centre(h: Hist1DSnapshot, bin: number): number {
  return h.x.min + ((bin - 0.5) * (h.x.max - h.x.min)) / h.x.nbins;
}

/**
 * a / b per in-range bin with the error of uncorrelated histograms (TH1::Divide without "B"):
 * σ = |r|·√(σa²/a² + σb²/b²), written as √(σa²·b² + σb²·a²)/b² so that an empty numerator bin has an error.
 * Undefined (null) where b is 0.
 */
export function ratio(a: Hist1DSnapshot, b: Hist1DSnapshot): BinPoint[] | null {
  if (!sameBinning(a, b)) return null;
  const out: BinPoint[] = [];
  for (let bin = 1; bin <= a.x.nbins; bin++) {
    const va = a.contents[bin]!;
    const vb = b.contents[bin]!;
    if (vb === 0) {
      out.push({ x: centre(a, bin), value: null, error: null });
      continue;
    }
    const error = Math.sqrt(a.sumw2[bin]! * vb * vb + b.sumw2[bin]! * va * va) / (vb * vb);
    out.push({ x: centre(a, bin), value: va / vb, error });
  }
  return out;
}

/** a − b per in-range bin, σ = √(σa² + σb²). */
export function difference(a: Hist1DSnapshot, b: Hist1DSnapshot): BinPoint[] | null {
  if (!sameBinning(a, b)) return null;
  const out: BinPoint[] = [];
  for (let bin = 1; bin <= a.x.nbins; bin++) {
    out.push({ x: centre(a, bin), value: a.contents[bin]! - b.contents[bin]!, error: Math.sqrt(a.sumw2[bin]! + b.sumw2[bin]!) });
  }
  return out;
}
