// The comparison statistics against known values. Probabilities were computed with SciPy 1.17.1 on this
// machine (scipy.special.kolmogorov for TMath::KolmogorovProb, scipy.stats.chi2.sf for TMath::Prob); the test
// statistics of the small histograms below are worked out by hand from ROOT's formulas (TH1::KolmogorovTest,
// TH1::Chi2TestX) and were checked with the same few lines of Python.
import { describe, expect, it } from 'vitest';
import { Hist1D, Hist2D, type Hist1DSnapshot } from '../../src-main/shared/histogram';
import {
  chi2Prob,
  chi2Test,
  difference,
  gammaQ,
  integral,
  isUnweighted,
  kolmogorovProb,
  kolmogorovTest,
  lnGamma,
  normalisationFactor,
  ratio,
  sameBinning,
  scaled,
  type Chi2Result,
  type KolmogorovResult,
} from '../../src-main/shared/histogram-compare';

/** A 1D histogram with these in-range contents (and Σw² = `errors2`, default: the contents, as unit-weight fills give). */
function hist(contents: number[], errors2 = contents, name = 'h'): Hist1DSnapshot {
  const h = new Hist1D(name, name, { nbins: contents.length, min: 0, max: contents.length, title: 'x' });
  contents.forEach((c, i) => {
    h.contents[i + 1] = c;
    h.sumw2[i + 1] = errors2[i]!;
    h.entries += c;
    h.sumw += c;
    h.sumwSq += errors2[i]!;
    h.sumwx += c * (i + 0.5);
    h.sumwx2 += c * (i + 0.5) ** 2;
  });
  return h.snapshot();
}

const ks = (r: ReturnType<typeof kolmogorovTest>) => {
  if ('refused' in r) throw new Error(r.refused);
  return r as KolmogorovResult;
};
const chi = (r: ReturnType<typeof chi2Test>) => {
  if ('refused' in r) throw new Error(r.refused);
  return r as Chi2Result;
};

describe('TMath::KolmogorovProb', () => {
  it('matches the Kolmogorov distribution (SciPy) in every branch of ROOT’s formula', () => {
    const known: [number, number][] = [
      [0.1, 1],
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [0.7, 0.7112351950296893],
      [0.755, 0.6187560849852216],
      [0.8, 0.5441424115741981],
      [1.0, 0.26999967167735456],
      [1.3581, 0.0499996304316674],
      [1.5, 0.022217962616525127],
      [2.0, 0.0006709252557796953],
      [3.0, 3.045995948942526e-8],
    ];
    for (const [z, p] of known) expect(kolmogorovProb(z)).toBeCloseTo(p, 8);
    expect(kolmogorovProb(7)).toBe(0);
    expect(kolmogorovProb(-1)).toBe(kolmogorovProb(1));
  });
});

describe('TMath::Prob (χ² upper tail)', () => {
  it('matches scipy.stats.chi2.sf to 1e-12 relative', () => {
    const known: [number, number, number][] = [
      [1.0, 1, 0.31731050786291115],
      [3.84, 1, 0.05004352124870519],
      [10, 5, 0.07523524614651217],
      [20, 10, 0.029252688076961124],
      [0.5, 3, 0.9188914116546758],
      [100, 80, 0.064570368921133],
      [1500, 1400, 0.031503720989392366],
      [4, 4, 0.40600584970983794],
    ];
    for (const [x, k, p] of known) expect(Math.abs(chi2Prob(x, k) / p - 1)).toBeLessThan(1e-12);
  });

  it('follows ROOT at the edges: ndf ≤ 0 gives 0, χ² = 0 gives 1, a negative χ² 0', () => {
    expect(chi2Prob(3, 0)).toBe(0);
    expect(chi2Prob(0, 5)).toBe(1);
    expect(chi2Prob(-1, 5)).toBe(0);
  });

  it('has ln Γ and Q(a, x) right where they are known exactly', () => {
    expect(lnGamma(1)).toBeCloseTo(0, 14);
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 13);
    // Q(1, x) = e^(−x); Q(k, x) for integer k is the Poisson sum.
    for (const x of [0.1, 1, 3, 10]) expect(gammaQ(1, x)).toBeCloseTo(Math.exp(-x), 14);
    expect(gammaQ(3, 2)).toBeCloseTo(Math.exp(-2) * (1 + 2 + 2), 14);
    expect(gammaQ(-1, 2)).toBeNaN();
  });
});

describe('TH1::KolmogorovTest', () => {
  const a = hist([10, 20, 30, 25, 15, 0]);
  const b = hist([12, 18, 35, 20, 10, 0]);

  it('gives the largest gap of the cumulative shapes and its probability (hand-worked example)', () => {
    const r = ks(kolmogorovTest(a, b));
    // Cumulative shares 0.1, 0.3, 0.6, 0.85, 1 against 12/95, 30/95, 65/95, 85/95, 1: the gap peaks at bin 3.
    expect(r.distance).toBeCloseTo(65 / 95 - 0.6, 14);
    expect(r.distance).toBeCloseTo(0.08421052631578929, 14);
    expect(r.z).toBeCloseTo(0.08421052631578929 * Math.sqrt((100 * 95) / 195), 14);
    expect(r.probability).toBeCloseTo(0.8800445280202716, 8);
    expect(r.effectiveEntries).toEqual([100, 95]);
  });

  it('is 1 for the same shape, and the same after either histogram is scaled (effective entries keep)', () => {
    expect(ks(kolmogorovTest(a, a)).probability).toBe(1);
    const r = ks(kolmogorovTest(a, b));
    const s = ks(kolmogorovTest(scaled(a, 1 / 100), scaled(b, 7)));
    expect(s.probability).toBeCloseTo(r.probability, 12);
    expect(s.effectiveEntries[0]).toBeCloseTo(100, 10);
  });

  it('treats a histogram without errors as an exact function: z scales with the other one only', () => {
    const exact = hist([10, 20, 30, 25, 15, 0], [0, 0, 0, 0, 0, 0]);
    const r = ks(kolmogorovTest(exact, b));
    expect(r.z).toBeCloseTo(r.distance * Math.sqrt(95), 12);
  });

  it('refuses what it cannot test, with the reason', () => {
    expect(kolmogorovTest(a, hist([1, 2, 3]))).toEqual({ refused: 'the histograms have different bins' });
    expect(kolmogorovTest(a, hist([0, 0, 0, 0, 0, 0]))).toEqual({ refused: 'the second histogram is empty' });
    const h2 = new Hist2D('m', 'm', { nbins: 2, min: 0, max: 2, title: '' }, { nbins: 2, min: 0, max: 2, title: '' }).snapshot();
    expect(kolmogorovTest(h2, h2)).toEqual({ refused: 'the Kolmogorov test is done on 1D histograms' });
    expect(kolmogorovTest(hist([1, 2], [0, 0]), hist([2, 1], [0, 0]))).toEqual({ refused: 'both histograms have zero errors' });
  });
});

describe('TH1::Chi2Test', () => {
  it('UU: χ² = Σ (N₂n₁ − N₁n₂)²/(n₁ + n₂) / (N₁N₂), a bin empty in both drops out of the ndf (hand-worked example)', () => {
    const r = chi(chi2Test(hist([10, 20, 30, 25, 15, 0]), hist([12, 18, 35, 20, 10, 0]), 'UU'));
    const terms = [
      [10, 12],
      [20, 18],
      [30, 35],
      [25, 20],
      [15, 10],
    ].reduce((s, [x, y]) => s + (95 * x! - 100 * y!) ** 2 / (x! + y!), 0);
    expect(r.chi2).toBeCloseTo(terms / (100 * 95), 14);
    expect(r.chi2).toBeCloseTo(2.1004281037522037, 13);
    expect(r.ndf).toBe(4);
    expect(r.pValue).toBeCloseTo(0.7172937360059479, 13);
    expect(r.mode).toBe('UU');
    expect(r.lowStatistics).toEqual({ first: false, second: false });
  });

  it('WW: the errors come from Σw² per bin (hand-worked example)', () => {
    const a = hist([4.5, 10.2, 7.1, 0, 3.3], [2.1, 5.5, 4.0, 0, 1.9]);
    const b = hist([5.0, 9.0, 8.0, 0, 2.0], [2.5, 4.5, 4.0, 0, 1.0]);
    const r = chi(chi2Test(a, b, 'WW'));
    expect(r.chi2).toBeCloseTo(0.848760611326806, 13);
    expect(r.ndf).toBe(3);
    expect(r.pValue).toBeCloseTo(0.8377720413481025, 12);
    // Fewer than 10 effective entries per bin: the approximation is poor, and the answer says so.
    expect(r.lowStatistics).toEqual({ first: true, second: true });
  });

  it('picks UU for unit-weight fills and WW for weighted ones, as ROOT does without an option', () => {
    const unit = new Hist1D('u', 'u', { nbins: 4, min: 0, max: 4, title: '' });
    const weighted = new Hist1D('w', 'w', { nbins: 4, min: 0, max: 4, title: '' });
    for (let i = 0; i < 400; i++) {
      unit.fill((i * 0.37) % 4);
      weighted.fill((i * 0.37) % 4, 0.5 + (i % 3));
    }
    expect(isUnweighted(unit.snapshot())).toBe(true);
    expect(isUnweighted(weighted.snapshot())).toBe(false);
    expect(chi(chi2Test(unit.snapshot(), unit.snapshot())).mode).toBe('UU');
    expect(chi(chi2Test(unit.snapshot(), weighted.snapshot())).mode).toBe('WW');
    const same = chi(chi2Test(unit.snapshot(), unit.snapshot()));
    expect(same.chi2).toBe(0);
    expect(same.pValue).toBe(1);
  });

  it('tests 2D histograms over their in-range cells', () => {
    const ax = { nbins: 3, min: 0, max: 3, title: '' };
    const p = new Hist2D('p', 'p', ax, ax);
    const q = new Hist2D('q', 'q', ax, ax);
    for (let i = 0; i < 90; i++) {
      p.fill(i % 3, (i >> 1) % 3);
      q.fill((i + 1) % 3, (i >> 1) % 3);
    }
    p.fill(10, 10); // overflow: left out
    const r = chi(chi2Test(p.snapshot(), q.snapshot(), 'UU'));
    expect(r.ndf).toBe(8);
    expect(r.chi2).toBeGreaterThan(0);
    expect(r.pValue).toBeGreaterThan(0);
    expect(r.pValue).toBeLessThanOrEqual(1);
  });

  it('refuses different bins and empty histograms', () => {
    expect(chi2Test(hist([1, 2]), hist([1, 2, 3]))).toEqual({ refused: 'the histograms have different bins' });
    expect(chi2Test(hist([0, 0]), hist([1, 2]))).toEqual({ refused: 'the first histogram is empty' });
    expect(sameBinning(hist([1, 2]), hist([3, 4]))).toBe(true);
  });
});

describe('normalisation, ratio and difference', () => {
  const a = hist([4, 9, 0, 16]);
  const b = hist([2, 3, 0, 8]);

  it('normalises to unit area or per event, scaling Σw² by the square', () => {
    const f = normalisationFactor(a, 'area', null)!;
    expect(f).toBeCloseTo(1 / 29, 15);
    const n = scaled(a, f);
    expect(integral(n)).toBeCloseTo(1, 15);
    expect(n.sumw2[2]).toBeCloseTo(9 / 29 ** 2, 15);
    expect(n.entries).toBe(a.entries);
    expect(normalisationFactor(a, 'events', 58)).toBe(1 / 58);
    expect(normalisationFactor(a, 'events', 0)).toBeNull();
    expect(normalisationFactor(hist([0, 0]), 'area', null)).toBeNull();
    expect(normalisationFactor(a, 'none', null)).toBe(1);
  });

  it('gives the ratio with uncorrelated errors and no value over an empty bin', () => {
    const r = ratio(a, b)!;
    expect(r.map((p) => p.x)).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(r[0]!.value).toBe(2);
    // σ = r·√(σa²/a² + σb²/b²) = 2·√(1/4 + 1/2)
    expect(r[0]!.error).toBeCloseTo(2 * Math.sqrt(1 / 4 + 1 / 2), 14);
    expect(r[1]!.value).toBe(3);
    expect(r[1]!.error).toBeCloseTo(3 * Math.sqrt(1 / 9 + 1 / 3), 14);
    expect(r[2]).toEqual({ x: 2.5, value: null, error: null });
    expect(ratio(a, hist([1, 2]))).toBeNull();
  });

  it('gives the difference with errors added in quadrature', () => {
    const d = difference(a, b)!;
    expect(d.map((p) => p.value)).toEqual([2, 6, 0, 8]);
    expect(d[0]!.error).toBeCloseTo(Math.sqrt(6), 14);
    expect(d[2]!.error).toBe(0);
  });
});
