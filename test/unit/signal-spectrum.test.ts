// The A′ energy spectrum of the twin's injected signal (drivers/twin/signal-spectrum.ts) against the formula
// it documents, integrated here independently (Simpson's rule in x on pieces that shrink toward x = 1), and
// its dependence on the mass.
import { describe, expect, it } from 'vitest';
import { Random } from '../../drivers/twin/random';
import { AprimeSpectrum } from '../../drivers/twin/signal-spectrum';

const ME = 0.000511;

/** ∫ dσ/dx over [a, b] for an A′ of mass m (GeV): Bjorken et al., PRD 80 (2009) 075018, eq. (9), without constants. */
function integral(m: number, a: number, b: number): number {
  const f = (x: number) => (1 - x + (x * x) / 3) / ((m * m * (1 - x)) / x + ME * ME * x);
  // Pieces [1 − 10^(−k+1), 1 − 10^(−k)] resolve the forward peak; Simpson with 400 intervals on each.
  const edges = [a];
  for (let k = 1; k <= 12; k++) {
    const e = 1 - 10 ** -k;
    if (e > a && e < b) edges.push(e);
  }
  edges.push(b);
  let sum = 0;
  for (let i = 0; i + 1 < edges.length; i++) {
    const lo = edges[i]!;
    const hi = edges[i + 1]!;
    const n = 400;
    const h = (hi - lo) / n;
    let s = f(lo) + f(hi);
    for (let j = 1; j < n; j++) s += (j % 2 ? 4 : 2) * f(lo + j * h);
    sum += (s * h) / 3;
  }
  return sum;
}

function probabilityAbove(m: number, e0: number, x: number): number {
  const lo = m / e0;
  const hi = 1 - ME / e0;
  return integral(m, Math.max(lo, x), hi) / integral(m, lo, hi);
}

describe('the A′ energy spectrum', () => {
  it('follows the documented Weizsäcker–Williams formula, by mass', () => {
    for (const m of [0.001, 0.02, 0.2]) {
      const s = new AprimeSpectrum(m, 100);
      for (const x of [0.2, 0.5, 0.9, 0.99]) expect(Math.abs(s.above(x) - probabilityAbove(m, 100, x))).toBeLessThan(0.005);
      // Drawn fractions: the share above 0.5 within 3σ of the formula's.
      const rng = new Random(5);
      const n = 20_000;
      let above = 0;
      for (let i = 0; i < n; i++) {
        const x = s.fraction(rng);
        expect(x).toBeGreaterThanOrEqual(m / 100 - 1e-12);
        expect(x).toBeLessThanOrEqual(1 - ME / 100 + 1e-12);
        if (x > 0.5) above++;
      }
      const p = probabilityAbove(m, 100, 0.5);
      expect(Math.abs(above / n - p)).toBeLessThan(3 * Math.sqrt((p * (1 - p)) / n));
    }
  });

  it('hardens with the mass: a heavy A′ takes nearly all of the beam energy', () => {
    const spectra = [0.001, 0.01, 0.1, 1].map((m) => new AprimeSpectrum(m, 100));
    const forward = spectra.map((s) => s.above(0.99));
    for (let i = 1; i < forward.length; i++) expect(forward[i]!).toBeGreaterThan(forward[i - 1]!);
    // A light A′ (≈ 2 m_e) shares the energy like a photon; a 1 GeV one leaves the electron < 1 GeV most times.
    expect(forward[0]!).toBeLessThan(0.2);
    expect(forward[3]!).toBeGreaterThan(0.5);
  });

  it('refuses a mass the beam cannot make, or none', () => {
    expect(() => new AprimeSpectrum(0, 100)).toThrow(/positive/);
    expect(() => new AprimeSpectrum(Number.NaN, 100)).toThrow(/positive/);
    expect(() => new AprimeSpectrum(150, 100)).toThrow(/cannot be made/);
  });
});
