// The yield model behind the Reach view: the projected 90 % CL exclusion a given exposure buys, per search
// mode, for a background-free search. Pure functions, no I/O. Every number that fixes a normalisation is a
// named constant with its source; the sources are /work/shared/reference/na64-program.md (the programme,
// "programme" below) and na64-detector.md §6 ("§6", the published NA64 limits with their exposures).
//
// The one formula. With no background expected and none seen, the 90 % CL upper limit on the signal mean is
// N₉₀ = 2.3 events (Poisson: P(0 | 2.303) = 0.10). The expected signal is
//     N_sig(m, g) = exposure × efficiency × Y(m) × g²
// (g the coupling: ε for a dark photon, g_Zμ for the muon's Z′; Y(m) the yield per particle on target at
// g = 1), so a coupling is excluded down to where N_sig = N₉₀:  g₉₀(m) = √(N₉₀ / (exposure × eff × Y(m))).
// The limit scales as exposure^(−1/2) and eff^(−1/2), the shape in mass comes from Y(m) alone.
//
// Y(m) is bremsstrahlung-like (Weizsäcker–Williams): a vector of mass m radiated off a lepton of mass m_ℓ has a
// cross section ∝ 1/(m² + m_ℓ²) up to slowly varying logarithms — ∝ 1/m² for m ≫ m_ℓ, flat below m_ℓ. The
// absolute yield is not computed: it is fixed by one published point per mode, so the model reproduces that
// point by construction and everything else (other exposures, masses, efficiencies) follows from the scaling.
// The published analyses' own efficiencies are not in the reference (§6: "not retrieved"); each
// normalisation takes the published result as if it had the programme's 50 % efficiency, so a measured
// efficiency moves the curves relative to that.

/** 90 % CL upper limit on a Poisson mean with no background and no event observed. */
export const N90_BACKGROUND_FREE = 2.3;
/** Signal efficiency the programme's projections assume ("50 % efficiency for the signal", programme §3.3). */
export const PROGRAMME_SIGNAL_EFFICIENCY = 0.5;

export const ELECTRON_MASS_GEV = 0.000510999;
export const MUON_MASS_GEV = 0.105658;
const ALPHA = 1 / 137.036;
/** ħc in GeV·m, for decay lengths. */
const HBAR_C_GEV_M = 1.973269804e-16;

export type ReachMode = 'invisible-a' | 'visible-a' | 'z-mu' | 'meson-invisible';
export type ExposureUnit = 'EOT' | 'MOT' | 'POT' | 'KOT';

/** Yield shape of a vector of mass m radiated off a lepton of mass mℓ, relative to mass m0 (see the header). */
function bremsstrahlungShape(massGeV: number, referenceGeV: number, leptonGeV: number): number {
  return (referenceGeV ** 2 + leptonGeV ** 2) / (massGeV ** 2 + leptonGeV ** 2);
}

/** The coupling where `perCouplingSquared` (signal events at g = 1) gives N₉₀; null when nothing is excluded. */
function couplingAtN90(perCouplingSquared: number): number | null {
  return perCouplingSquared > 0 ? Math.sqrt(N90_BACKGROUND_FREE / perCouplingSquared) : null;
}

// ── A′ → invisible (ε vs m_A′), electron beam ───────────────────────────────────────────────────────────────

/**
 * Normalisation: PRD 97 072002 (2018), arXiv:1710.00971 (§6): 4.3×10¹⁰ EOT exclude 10⁻⁵ ≲ ε ≲ 10⁻² for
 * m_A′ ≲ 1 GeV, i.e. the limit reaches ε = 10⁻² at 1 GeV. The upper end is used because 1/m² holds best
 * there (m ≫ m_e); the low end (10⁻⁵ near 1 MeV) is then a check: the model gives 1.1×10⁻⁵ (+12 %).
 * Known deviation: for 5×10¹² EOT the programme's Table 1 quotes 2×10⁻⁶ < ε < 10⁻³ over 1 MeV–1 GeV; the
 * model gives 9.3×10⁻⁴ at 1 GeV (−7 %) but 1.0×10⁻⁶ at 1 MeV, a factor 2 below the table (the full
 * calculation's logarithms and the missing-energy cut cost yield at low mass that 1/(m² + m_e²) keeps).
 */
export const INVISIBLE_A_NORMALISATION = { source: 'PRD 97 072002 (2018), arXiv:1710.00971', exposure: 4.3e10, massGeV: 1, epsilon: 1e-2 } as const;
/** A′ per EOT at ε = 1 and m = INVISIBLE_A_NORMALISATION.massGeV (derived from the point above). */
const INVISIBLE_A_YIELD_AT_REFERENCE =
  N90_BACKGROUND_FREE / (INVISIBLE_A_NORMALISATION.exposure * PROGRAMME_SIGNAL_EFFICIENCY * INVISIBLE_A_NORMALISATION.epsilon ** 2);

export function invisibleAYieldPerEot(massGeV: number): number {
  return INVISIBLE_A_YIELD_AT_REFERENCE * bremsstrahlungShape(massGeV, INVISIBLE_A_NORMALISATION.massGeV, ELECTRON_MASS_GEV);
}

/** The smallest ε excluded at 90 % CL for `eot` electrons on target (null for no exposure). */
export function invisibleALimit(massGeV: number, eot: number, efficiency: number): number | null {
  return couplingAtN90(eot * efficiency * invisibleAYieldPerEot(massGeV));
}

// ── A′/X(17) → e⁺e⁻ (ε vs m), visible mode ─────────────────────────────────────────────────────────────────
//
// The A′ is made in the WCAL dump and must decay to e⁺e⁻ after it and before the ECAL. Simplification: every
// A′ carries the same energy E_A′ = x̄·E_beam and decays exponentially over its lab decay length
// l = (E_A′/m)·ħc/Γ with Γ(A′ → e⁺e⁻) = (α ε² m / 3)·√(1 − 4m_e²/m²)·(1 + 2m_e²/m²) (no other channel below
// 2m_μ); the dump has one effective length L_D and the decay volume L_F. Then
//     N_sig = exposure × eff × Y(m) × ε² × [exp(−L_D/l) − exp(−(L_D + L_F)/l)].
// The excluded band's lower edge is set by the yield (ε² × the chance to decay within L_F, itself ∝ ε² once
// l ≫ L_F); its upper edge by the decays inside the dump (l ≪ L_D kills the signal exponentially). The
// spectrum of E_A′, the angular acceptance and the pair's energy cuts are folded into L_D and Y.

/**
 * Normalisation: PRL 120 231802 (2018), arXiv:1803.07748 (§6; programme §2.4, Fig. 6): 5.4×10¹⁰ EOT exclude
 * 1.3×10⁻⁴ < ε < 4.2×10⁻⁴ for the X(16.7 MeV). Both edges are matched: the lower one fixes the yield, the
 * upper one the effective dump length (solved below). The 2017 visible run took the 100 GeV H4 beam (the
 * reference names 150 GeV for 2018 only). Check (test): PRD 101 071101 (2020), 8.4×10¹⁰ EOT of 2017 (100 GeV)
 * and 2018 (150 GeV; 3.0×10¹⁰ by difference) exclude 1.2×10⁻⁴ < ε < 6.8×10⁻⁴: the model gives 1.11×10⁻⁴
 * (−8 %) and 5.4×10⁻⁴ (−21 %: the 2018 setup's shorter dump is not modelled).
 * Known deviation: the programme's Table 1 expects the X17 band to reach from ≈10⁻⁵ to 2×10⁻³ with 5×10¹² EOT
 * (an upgraded setup); the model, on the 2017 geometry, gives ≈3.6×10⁻⁵ to 9×10⁻⁴ at 150 GeV.
 */
export const VISIBLE_A_NORMALISATION = {
  source: 'PRL 120 231802 (2018), arXiv:1803.07748',
  exposure: 5.4e10,
  massGeV: 0.0167,
  epsilonLow: 1.3e-4,
  epsilonHigh: 4.2e-4,
  beamGeV: 100,
} as const;
/**
 * Mean fraction of the beam energy an A′ takes: 2/3, the mean of dN/dx ∝ x (the twin's documented
 * simplification of the bremsstrahlung spectrum, reference "Named defaults", A′ signal injection).
 */
export const A_PRIME_ENERGY_FRACTION = 2 / 3;
/** Decay volume: from the veto V2 behind the WCAL to the ECAL front (setups/visible-e.json: z −2100 → 0 mm). */
export const VISIBLE_DECAY_VOLUME_M = 2.1;

export function aPrimeDecayLengthM(epsilon: number, massGeV: number, energyGeV: number): number {
  const r = ELECTRON_MASS_GEV ** 2 / massGeV ** 2;
  if (r >= 0.25) return Infinity;
  const width = ((ALPHA * epsilon ** 2 * massGeV) / 3) * Math.sqrt(1 - 4 * r) * (1 + 2 * r);
  return ((energyGeV / massGeV) * HBAR_C_GEV_M) / width;
}

function decayWindow(epsilon: number, massGeV: number, beamGeV: number, dumpM: number): number {
  const l = aPrimeDecayLengthM(epsilon, massGeV, A_PRIME_ENERGY_FRACTION * beamGeV);
  if (!Number.isFinite(l)) return 0;
  return Math.exp(-dumpM / l) - Math.exp(-(dumpM + VISIBLE_DECAY_VOLUME_M) / l);
}

/** Bisection on a log scale for f changing sign in [lo, hi]. */
function logBisect(f: (x: number) => number, lo: number, hi: number, steps = 60): number {
  const below = f(lo) < 0;
  for (let i = 0; i < steps; i++) {
    const mid = Math.sqrt(lo * hi);
    if (f(mid) < 0 === below) lo = mid;
    else hi = mid;
  }
  return Math.sqrt(lo * hi);
}

/**
 * The effective dump length that gives the published band's two edges the same signal (so one yield fits
 * both): ε_lo²·P(ε_lo) = ε_hi²·P(ε_hi). ≈ 0.31 m: the depth behind the shower's A′ production in the WCAL.
 */
export const VISIBLE_EFFECTIVE_DUMP_M = (() => {
  const n = VISIBLE_A_NORMALISATION;
  const signal = (eps: number, dump: number) => eps ** 2 * decayWindow(eps, n.massGeV, n.beamGeV, dump);
  return logBisect((dump) => signal(n.epsilonLow, dump) - signal(n.epsilonHigh, dump), 1e-3, 10);
})();

const VISIBLE_A_YIELD_AT_REFERENCE = (() => {
  const n = VISIBLE_A_NORMALISATION;
  return N90_BACKGROUND_FREE / (n.exposure * PROGRAMME_SIGNAL_EFFICIENCY * n.epsilonLow ** 2 * decayWindow(n.epsilonLow, n.massGeV, n.beamGeV, VISIBLE_EFFECTIVE_DUMP_M));
})();

/** Expected signal events per EOT at (ε, m) with the beam at `beamGeV`, before the efficiency. */
export function visibleASignalPerEot(epsilon: number, massGeV: number, beamGeV: number): number {
  const shape = bremsstrahlungShape(massGeV, VISIBLE_A_NORMALISATION.massGeV, ELECTRON_MASS_GEV);
  return VISIBLE_A_YIELD_AT_REFERENCE * shape * epsilon ** 2 * decayWindow(epsilon, massGeV, beamGeV, VISIBLE_EFFECTIVE_DUMP_M);
}

/** ε scanned over this range for the band's edges, 40 steps a decade: a band narrower than 6 % (where it closes) is missed. */
const VISIBLE_EPSILON_RANGE = { min: 1e-7, max: 1e-1, steps: 240 };

/**
 * The excluded ε band at a mass: [lower, upper], or null where nothing is excluded. Exposures at different
 * beam energies add their signals.
 */
export function visibleABand(massGeV: number, exposures: readonly { eot: number; beamGeV: number }[], efficiency: number): { low: number; high: number } | null {
  const signal = (eps: number) => exposures.reduce((s, x) => s + x.eot * efficiency * visibleASignalPerEot(eps, massGeV, x.beamGeV), 0);
  const excess = (eps: number) => signal(eps) - N90_BACKGROUND_FREE;
  const { min, max, steps } = VISIBLE_EPSILON_RANGE;
  const ratio = (max / min) ** (1 / steps);
  // The signal rises as ε⁴, then ε², then dies exponentially: one excluded interval at most.
  let low: number | null = null;
  let prev = min;
  for (let i = 1; i <= steps; i++) {
    const eps = min * ratio ** i;
    const inside = excess(eps) >= 0;
    if (low === null && inside) low = logBisect(excess, prev, eps);
    else if (low !== null && !inside) return { low, high: logBisect(excess, prev, eps) };
    prev = eps;
  }
  return low === null ? null : { low, high: max };
}

// ── Z_μ of L_μ − L_τ → invisible (g vs m_Zμ), muon beam ─────────────────────────────────────────────────────

/**
 * Normalisation: the programme's Table 1: g_μ ≲ 10⁻⁴ "with ≲ 10¹¹ MOT", with 50 % signal efficiency and no
 * background (§3.3). No mass is quoted; the limit is flat for m ≪ m_μ (the yield ∝ 1/(m² + m_μ²)), so it is
 * taken at 10 MeV, inside the (g−2)_μ window: any mass below ≈ 30 MeV gives the same within 8 %. No NA64μ
 * coupling limit is in the reference (§6 gives PRL 132 211803's exposure and "0 events" only).
 */
export const Z_MU_NORMALISATION = { source: 'NA64 programme, Table 1 (μ⁻ beam) and §3.3', exposure: 1e11, massGeV: 0.01, coupling: 1e-4 } as const;
const Z_MU_YIELD_AT_REFERENCE = N90_BACKGROUND_FREE / (Z_MU_NORMALISATION.exposure * PROGRAMME_SIGNAL_EFFICIENCY * Z_MU_NORMALISATION.coupling ** 2);

export function zMuYieldPerMot(massGeV: number): number {
  return Z_MU_YIELD_AT_REFERENCE * bremsstrahlungShape(massGeV, Z_MU_NORMALISATION.massGeV, MUON_MASS_GEV);
}

export function zMuLimit(massGeV: number, mot: number, efficiency: number): number | null {
  return couplingAtN90(mot * efficiency * zMuYieldPerMot(massGeV));
}

// ── M⁰ → invisible (Br vs the meson), hadron beams ──────────────────────────────────────────────────────────
//
// Tagged mesons come from charge exchange on the active target, π⁻(K⁻) p → M⁰ n: Br₉₀ = N₉₀ / (N_on-target ×
// P(M⁰ per beam particle) × eff). P is not published in the reference; each is derived from the programme's
// projection for its meson (Table 1: 5×10¹² π on target, 5×10¹¹ K on target, 50 % efficiency):
// P = N₉₀ / (N_programme × 0.5 × Br_projected).
// Check (test): arXiv:2406.01990 (NA64h, 2.9×10⁹ π⁻OT) published Br(η′ → inv) < 2.1×10⁻⁴: the model gives
// 1.7×10⁻⁴ (−18 %). Known deviation: its Br(η → inv) < 1.1×10⁻⁴ is 6× above the model's 1.7×10⁻⁵: the
// programme's η projection (10⁻⁸, ten times below its η′ one) is more optimistic than the first data.
//
// The K⁻ channel, K⁻p → K̄⁰n with K̄⁰ = (K⁰_S − K⁰_L)/√2 → invisible, counted in KOT (the kaons the CEDAR tags
// on target, stored per spill: src-main/dq/eot.ts): Br₉₀(K⁰_S, K⁰_L) = N₉₀ / (KOT × P_K × eff), with
//     P_K(K⁰_S) = N₉₀ / (5×10¹¹ × 0.5 × 10⁻⁹) = 9.2×10⁻³,   P_K(K⁰_L) = N₉₀ / (5×10¹¹ × 0.5 × 10⁻⁷) = 9.2×10⁻⁵
// per kaon on target. Source: the programme's Table 1 ("Required number of POT(KOT): 5×10¹² (5×10¹¹)",
// Br(K_S(K_L) → invisible) ≲ 10⁻⁹ (10⁻⁷), also §4.3 of its text) at its 50 % efficiency (§3.3). P_K lumps
// together what the reference does not give separately: the charge-exchange probability in the active
// target, the K_S/K_L share of the K̄⁰, and (for K_L, which mostly leaves the setup before decaying) the
// acceptance and the background the projection expects. No K⁰ → invisible limit exists to check it against
// (Table 1: "no limits"), so the test holds the counted-KOT curve at 5×10¹¹ KOT to the projection (within
// 10⁻⁶: its normalisation) and its 1/KOT scaling. The Reach view draws it from the counted KOT beside the
// π⁻ mesons' POT curves, with the same signal efficiency (the selection is the same disappearance; the
// CEDAR's kaon efficiency is not corrected for, see README).

export interface Meson {
  id: 'pi0' | 'eta' | 'eta-prime' | 'k-short' | 'k-long';
  label: string;
  massGeV: number;
  /** The beam the meson is made with: π⁻ (counted in POT) or K⁻ (KOT). */
  beam: 'pi-' | 'K-';
  /** The programme's projected Br limit (Table 1) and the exposure it assumes. */
  projectedBr: number;
  programmeExposure: number;
}

/** Table 1's exposures for the meson programme. */
export const PROGRAMME_POT = 5e12;
export const PROGRAMME_KOT = 5e11;

export const MESONS: readonly Meson[] = [
  { id: 'pi0', label: 'π⁰', massGeV: 0.134977, beam: 'pi-', projectedBr: 1e-9, programmeExposure: PROGRAMME_POT },
  { id: 'eta', label: 'η', massGeV: 0.547862, beam: 'pi-', projectedBr: 1e-8, programmeExposure: PROGRAMME_POT },
  { id: 'eta-prime', label: 'η′', massGeV: 0.95778, beam: 'pi-', projectedBr: 1e-7, programmeExposure: PROGRAMME_POT },
  { id: 'k-short', label: 'K⁰_S', massGeV: 0.497611, beam: 'K-', projectedBr: 1e-9, programmeExposure: PROGRAMME_KOT },
  { id: 'k-long', label: 'K⁰_L', massGeV: 0.497611, beam: 'K-', projectedBr: 1e-7, programmeExposure: PROGRAMME_KOT },
];

/** P(M⁰ per beam particle on target, tagged): derived from the meson's programme projection (see above). */
export function chargeExchangeProbability(meson: Meson): number {
  return N90_BACKGROUND_FREE / (meson.programmeExposure * PROGRAMME_SIGNAL_EFFICIENCY * meson.projectedBr);
}

/** The Br excluded at 90 % CL; null when nothing is: no exposure, or fewer tagged mesons than N₉₀ (a bound ≥ 1). */
export function mesonBrLimit(meson: Meson, onTarget: number, efficiency: number): number | null {
  const tagged = onTarget * chargeExchangeProbability(meson) * efficiency;
  return tagged > N90_BACKGROUND_FREE ? N90_BACKGROUND_FREE / tagged : null;
}

// ── Curves ─────────────────────────────────────────────────────────────────────────────────────────────────

export interface ReachPoint {
  massGeV: number;
  value: number;
  label?: string;
}

/** Log-spaced masses from `from` to `to` (GeV), with each decade and `extra` masses included exactly. */
export function massGrid(from: number, to: number, perDecade: number, extra: readonly number[] = []): number[] {
  const out = new Set<number>();
  const start = Math.log10(from);
  const n = Math.round((Math.log10(to) - start) * perDecade);
  for (let i = 0; i <= n; i++) out.add(Number((10 ** (start + i / perDecade)).toPrecision(6)));
  for (const x of extra) if (x >= from && x <= to) out.add(x);
  return [...out].sort((a, b) => a - b);
}

/** Masses the continuous curves are drawn at: 1 MeV … 1 GeV. */
export const CONTINUOUS_MASSES = massGrid(1e-3, 1, 10);
/** The visible band: from just above the e⁺e⁻ threshold to 200 MeV, with the X(16.7) mass. */
export const VISIBLE_MASSES = massGrid(1.1e-3, 0.2, 12, [VISIBLE_A_NORMALISATION.massGeV]);

export interface CurveInput {
  mode: ReachMode;
  exposure: number;
  /** The signal efficiency: one figure, or by mass (GeV) where the app measured it per mass. */
  efficiency: number | ((massGeV: number) => number);
  /** Beam energy, for the visible mode's decay lengths. */
  beamGeV: number;
  /** For meson-invisible: which beam's mesons (π⁻ or K⁻). */
  mesonBeam?: 'pi-' | 'K-';
}

/**
 * The limit curve for one exposure. Lines go up in mass; the visible mode's band goes round its outline
 * (lower edge up in mass, then the upper edge back down, closed), so a line plot draws the excluded region.
 */
export function reachCurve(input: CurveInput): ReachPoint[] {
  const { exposure } = input;
  const at = typeof input.efficiency === 'number' ? () => input.efficiency as number : input.efficiency;
  if (!(exposure > 0) || (typeof input.efficiency === 'number' && !(input.efficiency > 0))) return [];
  const line = (limit: (m: number) => number | null) =>
    CONTINUOUS_MASSES.flatMap((m) => {
      const v = limit(m);
      return v === null ? [] : [{ massGeV: m, value: v }];
    });
  switch (input.mode) {
    case 'invisible-a':
      return line((m) => invisibleALimit(m, exposure, at(m)));
    case 'z-mu':
      return line((m) => zMuLimit(m, exposure, at(m)));
    case 'meson-invisible':
      return MESONS.filter((m) => m.beam === (input.mesonBeam ?? 'pi-')).flatMap((m) => {
        const v = mesonBrLimit(m, exposure, at(m.massGeV));
        return v === null ? [] : [{ massGeV: m.massGeV, value: v, label: m.label }];
      });
    case 'visible-a': {
      const bands = VISIBLE_MASSES.flatMap((m) => {
        const b = visibleABand(m, [{ eot: exposure, beamGeV: input.beamGeV }], at(m));
        return b ? [{ m, ...b }] : [];
      });
      if (!bands.length) return [];
      const lower = bands.map((b) => ({ massGeV: b.m, value: b.low }));
      const upper = [...bands].reverse().map((b) => ({ massGeV: b.m, value: b.high }));
      return [...lower, ...upper, lower[0]!];
    }
  }
}

// ── What each setup searches for ───────────────────────────────────────────────────────────────────────────

export interface ModeDescription {
  mode: ReachMode;
  title: string;
  /** The coupling (or branching ratio) on the y axis and the mass on the x axis. */
  yLabel: string;
  xLabel: string;
  /** What the setup's exposure is counted in. */
  unit: ExposureUnit;
  /** The programme's exposure targets (Table 1) with what each is for. */
  targets: readonly { exposure: number; unit: ExposureUnit; label: string; mesonBeam?: 'pi-' | 'K-' }[];
  normalisation: string;
}

/** The search a setup's beam and detectors are built for: electrons with a WCAL dump look for visible decays. */
export function modeOfSetup(setup: { beam: { particle: string }; detectors: { wcal: unknown } }): ModeDescription {
  const p = setup.beam.particle;
  if (p === 'mu+' || p === 'mu-')
    return {
      mode: 'z-mu',
      title: 'Z_μ (L_μ − L_τ) → invisible',
      yLabel: 'g_Zμ',
      xLabel: 'm_Zμ [GeV]',
      unit: 'MOT',
      targets: [
        { exposure: 1e11, unit: 'MOT', label: 'Programme: (g−2)_μ reach, 10¹¹ MOT' },
        { exposure: 5e13, unit: 'MOT', label: 'Programme: full μ programme, 5×10¹³ MOT' },
      ],
      normalisation: `${Z_MU_NORMALISATION.source}: g = 10⁻⁴ with 10¹¹ MOT at 50 % efficiency`,
    };
  if (p === 'pi-')
    return {
      mode: 'meson-invisible',
      title: 'M⁰ → invisible (π⁰, η, η′; K⁰_S, K⁰_L with K⁻)',
      yLabel: 'Br(M⁰ → invisible)',
      xLabel: 'm_M⁰ [GeV]',
      unit: 'POT',
      targets: [
        { exposure: PROGRAMME_POT, unit: 'POT', label: 'Programme: π⁻ beam, 5×10¹² POT', mesonBeam: 'pi-' },
        { exposure: PROGRAMME_KOT, unit: 'KOT', label: 'Programme: K⁻ beam, 5×10¹¹ KOT', mesonBeam: 'K-' },
      ],
      normalisation: 'NA64 programme, Table 1: each meson’s projected Br at 5×10¹² POT (5×10¹¹ KOT), 50 % efficiency',
    };
  if (setup.detectors.wcal !== null)
    return {
      mode: 'visible-a',
      title: 'A′ / X(17) → e⁺e⁻ (visible mode)',
      yLabel: 'ε',
      xLabel: 'm_A′ [GeV]',
      unit: 'EOT',
      targets: [{ exposure: 5e12, unit: 'EOT', label: 'Programme: 5×10¹² EOT' }],
      normalisation: `${VISIBLE_A_NORMALISATION.source}: X(16.7) excluded for 1.3×10⁻⁴ < ε < 4.2×10⁻⁴ with 5.4×10¹⁰ EOT at 100 GeV`,
    };
  return {
    mode: 'invisible-a',
    title: 'A′ → invisible (missing energy)',
    yLabel: 'ε',
    xLabel: 'm_A′ [GeV]',
    unit: 'EOT',
    targets: [{ exposure: 5e12, unit: 'EOT', label: 'Programme: 5×10¹² EOT' }],
    normalisation: `${INVISIBLE_A_NORMALISATION.source}: ε = 10⁻² at 1 GeV with 4.3×10¹⁰ EOT`,
  };
}

/** The published NA64 results of a mode that the reference (§6) gives numbers for, as points. */
export interface PublishedLimit {
  label: string;
  source: string;
  exposure: number;
  unit: ExposureUnit;
  points: ReachPoint[];
  note: string;
}

export function publishedLimits(mode: ReachMode): PublishedLimit[] {
  switch (mode) {
    case 'invisible-a':
      return [
        {
          label: 'NA64 2016 (PRD 97 072002)',
          source: 'PRD 97 072002 (2018), arXiv:1710.00971',
          exposure: 4.3e10,
          unit: 'EOT',
          points: [
            { massGeV: 1e-3, value: 1e-5 },
            { massGeV: 1, value: 1e-2 },
          ],
          note: 'the ends of the quoted excluded range, 10⁻⁵ ≲ ε ≲ 10⁻² for m_A′ ≲ 1 GeV (placed at 1 MeV and 1 GeV)',
        },
      ];
    case 'visible-a':
      return [
        {
          label: 'NA64 2017 (PRL 120 231802)',
          source: 'PRL 120 231802 (2018), arXiv:1803.07748',
          exposure: 5.4e10,
          unit: 'EOT',
          points: [
            { massGeV: 0.0167, value: 1.3e-4, label: 'X(16.7)' },
            { massGeV: 0.0167, value: 4.2e-4, label: 'X(16.7)' },
          ],
          note: 'X(16.7): 1.3×10⁻⁴ < ε < 4.2×10⁻⁴ excluded',
        },
        {
          label: 'NA64 2017+2018 (PRD 101 071101)',
          source: 'PRD 101 071101 (2020), arXiv:1912.11389',
          exposure: 8.4e10,
          unit: 'EOT',
          points: [
            { massGeV: 0.0167, value: 1.2e-4, label: 'X(16.7)' },
            { massGeV: 0.0167, value: 6.8e-4, label: 'X(16.7)' },
          ],
          note: 'X(16.7): 1.2×10⁻⁴ < ε < 6.8×10⁻⁴ excluded',
        },
      ];
    case 'meson-invisible':
      return [
        {
          label: 'NA64h (arXiv:2406.01990)',
          source: 'arXiv:2406.01990',
          exposure: 2.9e9,
          unit: 'POT',
          points: [
            { massGeV: 0.547862, value: 1.1e-4, label: 'η' },
            { massGeV: 0.95778, value: 2.1e-4, label: 'η′' },
          ],
          note: 'one day of data: Br(η → inv) < 1.1×10⁻⁴, Br(η′ → inv) < 2.1×10⁻⁴',
        },
      ];
    case 'z-mu':
      return [];
  }
}
