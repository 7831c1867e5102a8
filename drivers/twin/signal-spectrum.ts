// The energy the A′ of e⁻Z → e⁻ZA′ (or the Z_μ of μZ → μZZ_μ) carries away, for the twin's injected signal. A heavy A′ takes nearly all
// of the beam energy; a light one (m_A′ ≈ m_e) shares it like an ordinary bremsstrahlung photon. So whether an
// injected event lands in the signal region (E_ECAL < 50 GeV: x > 0.5) depends on the mass, and so does the
// selection's efficiency, which NA64 quotes per mass.
//
// Model (a documented simplification): the Weizsäcker–Williams differential cross section of Bjorken, Essig,
// Schuster and Toro, PRD 80 (2009) 075018, eq. (9):
//   dσ/dx ∝ (1 − x + x²/3) / (m²(1 − x)/x + m_e² x),   m/E₀ ≤ x ≤ 1 − m_e/E₀,
// with x = E_A′/E₀. The effective photon flux χ is taken as constant in x (it varies slowly), so only the
// shape is kept here; the yield (∝ ε²/m²) is the reach model's business, not the generator's. NA64's own
// analysis uses the exact tree-level cross section (Gninenko et al., PLB 782 (2018) 406), which moves the
// spectrum at the 10–20 % level at most in the forward peak; the selection cut at x > 0.5 is far from there.
// A muon's Z_μ: the same form with m_μ for m_e (Gninenko, Krasnikov, Matveev, PRD 91 (2015) 095015): below
// m_μ the spectrum is bremsstrahlung-like, soft, so few take the half of the momentum NA64μ's cut asks for.
import type { Random } from './random';

export const ELECTRON_MASS_GEV = 0.000511;
export const MUON_MASS_GEV = 0.10566;
/** Grid points of the tabulated distribution (in t = ln(1 − x), which resolves the forward peak at x → 1). */
const GRID = 4096;

export class AprimeSpectrum {
  private readonly t: Float64Array;
  private readonly cdf: Float64Array;

  constructor(
    readonly massGeV: number,
    readonly beamGeV: number,
    /** The radiating lepton's mass: the electron's, or the muon's for a Z_μ. */
    readonly leptonMassGeV: number = ELECTRON_MASS_GEV,
  ) {
    if (!(massGeV > 0) || !Number.isFinite(massGeV)) throw new RangeError(`the A′ mass must be a positive number of GeV, got ${massGeV}`);
    if (!(beamGeV > massGeV)) throw new RangeError(`an A′ of ${massGeV * 1000} MeV cannot be made by a ${beamGeV} GeV beam`);
    const xMin = massGeV / beamGeV;
    const xMax = 1 - leptonMassGeV / beamGeV;
    const tFrom = Math.log(1 - xMin);
    const tTo = Math.log(1 - xMax);
    this.t = new Float64Array(GRID);
    this.cdf = new Float64Array(GRID);
    const m2 = massGeV * massGeV;
    const me2 = leptonMassGeV * leptonMassGeV;
    // Density in t: dσ/dx · |dx/dt| = dσ/dx · (1 − x).
    const density = (t: number) => {
      const x = 1 - Math.exp(t);
      return ((1 - x + (x * x) / 3) / ((m2 * (1 - x)) / x + me2 * x)) * (1 - x);
    };
    let previous = density(tFrom);
    this.t[0] = tFrom;
    for (let i = 1; i < GRID; i++) {
      const t = tFrom + ((tTo - tFrom) * i) / (GRID - 1);
      const d = density(t);
      this.t[i] = t;
      this.cdf[i] = this.cdf[i - 1]! + ((previous + d) / 2) * Math.abs(t - this.t[i - 1]!);
      previous = d;
    }
    const total = this.cdf[GRID - 1]!;
    for (let i = 1; i < GRID; i++) this.cdf[i]! /= total;
  }

  /** The share of the beam energy the A′ takes, drawn from the spectrum (inverse of the tabulated CDF). */
  fraction(rng: Random): number {
    return this.fractionAt(rng.uniform());
  }

  /** The fraction at cumulative probability u ∈ [0, 1). */
  fractionAt(u: number): number {
    const c = this.cdf;
    let lo = 0;
    let hi = GRID - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (c[mid]! <= u) lo = mid;
      else hi = mid;
    }
    const span = c[hi]! - c[lo]!;
    const t = this.t[lo]! + (span > 0 ? ((u - c[lo]!) / span) * (this.t[hi]! - this.t[lo]!) : 0);
    return 1 - Math.exp(t);
  }

  /** Probability that the A′ takes more than `x` of the beam energy. */
  above(x: number): number {
    if (x <= 1 - Math.exp(this.t[0]!)) return 1;
    const t = Math.log(1 - x);
    let lo = 0;
    let hi = GRID - 1;
    if (t <= this.t[hi]!) return 0;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.t[mid]! >= t) lo = mid;
      else hi = mid;
    }
    const f = (t - this.t[lo]!) / (this.t[hi]! - this.t[lo]!);
    return 1 - (this.cdf[lo]! + f * (this.cdf[hi]! - this.cdf[lo]!));
  }
}
