// What each kind of beam particle leaves in each cell (GeV deposited, before the PMTs and digitisers):
// counters and vetoes, the CEDAR's Cherenkov light (in photoelectrons), SRD synchrotron radiation, WCAL, ECAL
// with longitudinal split and lateral sharing, VETO, VHCAL and HCAL. Every constant is a named default in
// defaults.ts, the ECAL's resolution and profile in truth.ts (the twin's own, not the app's nominal ones).
import type { Cell } from '../../setups/cells';
import type { SetupConfig } from '../../setups/setup-schema';
import {
  CEDAR_PE_PER_SECTOR,
  CEDAR_SPE_WIDTH,
  ECAL_LAMBDA,
  HADRON_PRESHOWER_SHARE,
  HCAL_CONSTANT,
  HCAL_MODULE_SHARE,
  HCAL_PROFILE,
  HCAL_STOCHASTIC,
  MIP_ECAL_GEV,
  MIP_HCAL_GEV,
  MIP_VETO_GEV,
  MIP_VHCAL_GEV,
  MIP_WCAL_GEV,
  MIP_WIDTH,
  BEAM_DIVERGENCE_RAD,
  MUON_HARD_LOSS_MIN_Y,
  MUON_HARD_LOSS_PROBABILITY,
  MUON_STOPS_BELOW_GEV,
  PRESHOWER_FRACTION,
  PRESHOWER_LAMBDA,
  VHCAL_SHARE,
  WCAL_LAMBDA,
  WCAL_LEAK_FRACTION,
  WCAL_PRESHOWER_FRACTION,
} from './defaults';
import type { Random } from './random';
import { TwinSpectrometers } from './spectrometer';
import { poissonSmall, srdDeposit, srdLight, type SrdLight } from './srd';
import { ECAL_CONSTANT, ECAL_PROFILE, ECAL_STOCHASTIC } from './truth';

export type ParticleKind = 'electron' | 'hadron' | 'muon';

/** The simulation truth of one particle, never written into the raw data. */
export interface ParticleTruth {
  particle: ParticleKind;
  /**
   * Which hadron: a π⁻ or, in a beam with a kaon share, a K⁻ (null for electrons and muons). In the
   * calorimeters a 50 GeV K⁻ is taken to shower as a π⁻ does (a simplification); only the CEDAR tells them apart.
   */
  meson: 'pion' | 'kaon' | null;
  /** Signal: the fraction of the beam energy carried away unseen (an A′, or a charge exchange's M⁰), 0 for none. */
  missingFraction: number;
  ecalGeV: number;
  preshowerGeV: number;
  hcalGeV: number;
  vetoHit: boolean;
  halo: boolean;
  /** The beam momentum (GeV), and the scattered particle's after the target (0: it did not come out). */
  momentumGeV: number;
  scatteredGeV: number;
  /** Bending-plane position at the ECAL face from the beam axis (mm), at the beam spectrometer's magnet, and the slope (rad). */
  xMm: number;
  beamXMm: number;
  slope: number;
  /** A muon's hard radiative loss in the ECAL: the share of its energy it lost (0: none). */
  hardLoss: number;
}

interface Grid {
  nx: number;
  ny: number;
  pitchMm: number;
  beamCell: readonly [number, number];
  /** cell index per (part, x·ny + y) (typed: the shower's inner loop reads it for every particle) */
  index: Int32Array[];
  /** Per part: whether its cells include one of the cells `deferredGeV` bounds (see `boundCells`). */
  bounded: boolean[];
}

/** One shower recorded while the showers are deferred: `shower`'s arguments, in call order. */
interface DeferredShower {
  grid: Grid;
  part: number;
  energy: number;
  hitX: number;
  hitY: number;
  profile: Profile;
  widen: number;
}

type Profile = { core: number; b1: number; b2: number };

/** Cumulative distribution of the one-axis lateral profile (no closures: this runs ~10⁸ times a spill). */
function profileCdf(x: number, p: Profile): number {
  const a = x < 0 ? 0.5 * Math.exp(x / p.b1) : 1 - 0.5 * Math.exp(-x / p.b1);
  const b = x < 0 ? 0.5 * Math.exp(x / p.b2) : 1 - 0.5 * Math.exp(-x / p.b2);
  return p.core * a + (1 - p.core) * b;
}

/** Landau-like deviate: the Moyal distribution, −ln(z²) for a standard normal z (mode 0, mean ≈ 1.27). */
export function moyal(rng: Random): number {
  const z = rng.gauss();
  return -Math.log(z * z + 1e-300);
}

function mip(rng: Random, mpv: number): number {
  return Math.max(0, mpv * (1 + MIP_WIDTH * moyal(rng)));
}

export class DetectorResponse {
  private readonly counters: { index: number; veto: boolean; mipGeV: number }[] = [];
  /** Counters off the unscattered beam behind the scattered spectrometer: hit only by a deflected particle. */
  private readonly offAxis: { index: number; mipGeV: number; zMm: number; offAxisMm: number }[] = [];
  readonly spectrometers: TwinSpectrometers;
  /** A beam with a momentum spread or a spectrometer draws each particle's momentum and track. */
  private readonly tracked: boolean;
  private readonly decayCounters: { index: number; mipGeV: number }[] = [];
  private readonly srd: number[] = [];
  private readonly cedar: number[] = [];
  private readonly wcal: number[] = [];
  private readonly veto: number[] = [];
  private readonly ecal: Grid;
  private readonly vhcal: Grid | null;
  private readonly hcal: Grid | null;
  private readonly fx = new Float64Array(16);
  private readonly fy = new Float64Array(16);
  private readonly lastShower: { grid: Grid | null; x: number; y: number; profile: Profile | null; widen: number } = { grid: null, x: 0, y: 0, profile: null, widen: 0 };
  private readonly energy: number;
  private readonly fractions: number[];
  /** Share of the hadrons that are K⁻ (0: a pure π⁻ beam, no kaon drawn). */
  readonly kaonShare: number;
  /** SR light per module by particle kind at this setup's beam energy (the dipoles at their nominal field). */
  private readonly srdLight: Record<ParticleKind, SrdLight>;
  /** The ECAL tower the beam is aimed at: the setup's beam cell unless a calibration scan steers it. */
  aim: readonly [number, number];
  /** While true, `shower` records its arguments in `deferred` instead of sharing the energy out (see `particle`). */
  private deferring = false;
  /** The deferred showers of the last particle (the first `deferredCount`; the records are reused). */
  private readonly deferred: DeferredShower[] = [];
  private deferredCount = 0;

  constructor(
    readonly setup: SetupConfig,
    cells: readonly Cell[],
  ) {
    const d = setup.detectors;
    const byName = new Map(cells.map((c) => [c.name, c.index]));
    for (const c of d.counters) {
      if (c.offAxisMm !== undefined) {
        this.offAxis.push({ index: byName.get(c.name)!, mipGeV: c.mipMeV / 1000, zMm: c.zMm, offAxisMm: c.offAxisMm });
        continue;
      }
      this.counters.push({ index: byName.get(c.name)!, veto: c.veto, mipGeV: c.mipMeV / 1000 });
      // Visible mode: the counters of the decay volume, between the dump and the ECAL.
      if (d.wcal && !c.veto && c.zMm > d.wcal.zMm) this.decayCounters.push({ index: byName.get(c.name)!, mipGeV: c.mipMeV / 1000 });
    }
    for (const c of cells) {
      if (c.kind === 'srd') this.srd.push(c.index);
      if (c.kind === 'cedar') this.cedar.push(c.index);
      if (c.kind === 'wcal') this.wcal.push(c.index);
      if (c.kind === 'veto') this.veto.push(c.index);
    }
    const grid = (g: NonNullable<SetupConfig['detectors']['hcal']> | SetupConfig['detectors']['ecal'], parts: number, name: (p: number, x: number, y: number) => string): Grid => ({
      nx: g.nx,
      ny: g.ny,
      pitchMm: g.pitchMm,
      beamCell: g.beamCell,
      index: Array.from({ length: parts }, (_, p) => Int32Array.from({ length: g.nx * g.ny }, (_, i) => byName.get(name(p, Math.floor(i / g.ny), i % g.ny))!)),
      bounded: Array.from({ length: parts }, () => false),
    });
    // An ECAL without a preshower (one section): what a preshower would take lands in the main cells.
    this.ecal = grid(d.ecal, 2, (s, x, y) => `ECAL${d.ecal.sections === 1 ? 1 : s}-${x}-${y}`);
    this.vhcal = d.vhcal ? grid({ ...d.vhcal, modules: 1 }, 1, (_p, x, y) => `VHCAL-${x}-${y}`) : null;
    this.hcal = d.hcal ? grid(d.hcal, d.hcal.modules, (m, x, y) => `HCAL${m}-${x}-${y}`) : null;
    this.energy = setup.beam.energyGeV;
    this.srdLight = { electron: srdLight('electron', this.energy), hadron: srdLight('hadron', this.energy), muon: srdLight('muon', this.energy) };
    this.aim = d.ecal.beamCell;
    this.spectrometers = new TwinSpectrometers(setup);
    this.tracked = d.spectrometers.length > 0 || setup.beam.momentumRms > 0;
    const c = setup.beam.composition;
    const total = c.electron + c.hadron + c.muon;
    this.fractions = [c.electron / total, c.hadron / total, c.muon / total];
    this.kaonShare = c.kaon ?? 0;
  }

  steer(tower: readonly [number, number] | null): void {
    if (tower && !(Number.isInteger(tower[0]) && Number.isInteger(tower[1]) && tower[0] >= 0 && tower[1] >= 0 && tower[0] < this.ecal.nx && tower[1] < this.ecal.ny)) {
      throw new RangeError(`tower (${tower.join(',')}) is outside the ${this.ecal.nx}×${this.ecal.ny} ECAL`);
    }
    this.aim = tower ? [tower[0], tower[1]] : this.ecal.beamCell;
  }

  /** Draw the kind of the next beam particle from the setup's composition. */
  pick(rng: Random): ParticleKind {
    const u = rng.uniform();
    if (u < this.fractions[0]!) return 'electron';
    if (u < this.fractions[0]! + this.fractions[1]!) return 'hadron';
    return 'muon';
  }

  composition(): { electron: number; hadron: number; muon: number } {
    return { electron: this.fractions[0]!, hadron: this.fractions[1]!, muon: this.fractions[2]! };
  }

  /**
   * Add one particle's deposits (GeV) to `dep` (indexed by cell). `missingFraction` > 0 makes an electron
   * radiate an A′ (a muon a Z_μ) that carries that fraction of its energy away unseen. `hardLoss` true: a
   * muon that loses a hard share of its energy in the ECAL (drawn at its probability otherwise). `signalMeson`:
   * the hadron whose charge exchange an injected M⁰ → invisible comes from (π⁻p → π⁰/η/η′ n, K⁻p → K̄⁰ n).
   *
   * `deferShowers`: the calorimeter showers are recorded, not yet shared out over their cells; the caller
   * then calls `shareDeferred(dep)` or drops them (the next particle does). Issue 19: the lateral profile
   * costs ≈ 40 exponentials a particle, and the physics trigger rejects most of the particles the twin draws
   * for it (invisible-e draws ≈ 40 hadrons for each one it keeps) on deposits the showers do not change or
   * on a bound of them (`deferredGeV`). Sharing out later gives the same bits: a share-out draws no random
   * number, the showers keep their order, and no cell takes both a shower and a direct deposit from one
   * particle (the ECAL only showers; the HCAL and VHCAL take a hadron's showers or a muon's direct MIPs).
   */
  particle(rng: Random, kind: ParticleKind, missingFraction: number, dep: Float64Array, hardLoss?: boolean, signalMeson: 'pion' | 'kaon' = 'pion', deferShowers = false): ParticleTruth {
    this.deferredCount = 0;
    this.deferring = deferShowers;
    const truth = this.deposit(rng, kind, missingFraction, dep, hardLoss, signalMeson);
    this.deferring = false;
    return truth;
  }

  /** Share out the showers `particle(…, deferShowers = true)` recorded, in their order. */
  shareDeferred(dep: Float64Array): void {
    for (let i = 0; i < this.deferredCount; i++) {
      const d = this.deferred[i]!;
      this.share(d.grid, d.part, d.energy, d.hitX, d.hitY, d.profile, d.widen, dep);
    }
    this.deferredCount = 0;
  }

  /**
   * The cells whose sum `deferredGeV` bounds (the physics trigger's preshower): a grid part's showers count
   * when its cells include one of them.
   */
  boundCells(cells: ArrayLike<number>): void {
    const set = new Set(Array.from(cells));
    for (const g of [this.ecal, this.vhcal, this.hcal]) {
      if (g) g.bounded = g.index.map((index) => index.some((c) => set.has(c)));
    }
  }

  /**
   * The energy the deferred showers carry onto grid parts that hold a `boundCells` cell. Once shared out,
   * those cells hold at most this much (a share-out puts at most the shower's energy, within rounding, on
   * its cells, and the cells take no other deposits).
   */
  deferredGeV(): number {
    let sum = 0;
    for (let i = 0; i < this.deferredCount; i++) {
      const d = this.deferred[i]!;
      if (d.grid.bounded[d.part]) sum += d.energy;
    }
    return sum;
  }

  private deposit(rng: Random, kind: ParticleKind, missingFraction: number, dep: Float64Array, hardLoss: boolean | undefined, signalMeson: 'pion' | 'kaon'): ParticleTruth {
    // A kaon is drawn only in a beam that has them, so a pure beam's random stream is what it was without kaons.
    const meson = kind !== 'hadron' ? null : missingFraction > 0 ? signalMeson : this.kaonShare > 0 && rng.uniform() < this.kaonShare ? 'kaon' : 'pion';
    const e0 = this.energy;
    const truth: ParticleTruth = { particle: kind, meson, missingFraction, ecalGeV: 0, preshowerGeV: 0, hcalGeV: 0, vetoHit: false, halo: false, momentumGeV: e0, scatteredGeV: 0, xMm: 0, beamXMm: 0, slope: 0, hardLoss: 0 };
    if (this.tracked) {
      truth.momentumGeV = e0 * (1 + this.setup.beam.momentumRms * rng.gauss());
      truth.beamXMm = this.setup.beam.spotMm * rng.gauss();
      truth.slope = BEAM_DIVERGENCE_RAD * rng.gauss();
    }
    // Beam counters: every beam particle crosses the trigger counters; vetoes see only halo particles.
    truth.halo = rng.uniform() < this.setup.beam.haloFraction;
    for (const c of this.counters) {
      if (!c.veto || truth.halo) dep[c.index]! += mip(rng, c.mipGeV);
    }
    // CEDAR at the kaon pressure: photoelectrons per sector (its cells' unit, setups/nominal.ts), a kaon's ring
    // on the diaphragm, anything else's stray light only.
    if (this.cedar.length) {
      const mean = meson === 'kaon' ? CEDAR_PE_PER_SECTOR.kaon : CEDAR_PE_PER_SECTOR.offRing;
      for (const i of this.cedar) {
        const n = poissonSmall(rng, mean);
        for (let k = 0; k < n; k++) dep[i]! += Math.max(0, 1 + CEDAR_SPE_WIDTH * rng.gauss());
      }
    }
    // SRD: synchrotron radiation from the particle bent in the magnets, (m_e/m)⁴ of an electron's for
    // hadrons and muons. Accidental light comes only from pile-up particles, each with its own deposits at
    // its own time (TwinSpill).
    const light = this.srdLight[kind];
    for (const i of this.srd) dep[i]! += srdDeposit(rng, light);
    const hitX = (this.aim[0] + 0.5) * this.ecal.pitchMm + this.setup.beam.spotMm * rng.gauss();
    const hitY = (this.aim[1] + 0.5) * this.ecal.pitchMm + this.setup.beam.spotMm * rng.gauss();
    if (kind === 'electron') {
      this.electron(rng, e0 * (1 - truth.missingFraction), hitX, hitY, dep, truth);
      if (truth.missingFraction > 0 && this.wcal.length) this.visibleDecay(rng, e0 * truth.missingFraction, hitX, hitY, dep, truth);
    }
    else if (kind === 'muon') this.muon(rng, hitX, hitY, dep, truth, hardLoss);
    else if (truth.missingFraction > 0) this.chargeExchange(rng, e0, hitX, hitY, dep, truth);
    else this.hadron(rng, e0, hitX, hitY, dep, truth);
    truth.xMm = hitX - (this.aim[0] + 0.5) * this.ecal.pitchMm;
    for (const c of this.offAxis) {
      if (this.spectrometers.scatteredX(truth, c.zMm) >= c.offAxisMm) dep[c.index]! += mip(rng, c.mipGeV);
    }
    return truth;
  }

  private electron(rng: Random, visible: number, hitX: number, hitY: number, dep: Float64Array, truth: ParticleTruth): void {
    if (this.wcal.length) {
      // Visible mode: the tungsten calorimeter absorbs the shower; its catcher sees the leak.
      const [pre, main, catcher] = this.wcal as [number, number, number];
      const e = visible * (1 + Math.hypot(ECAL_STOCHASTIC / Math.sqrt(Math.max(visible, 1e-3)), ECAL_CONSTANT) * rng.gauss());
      dep[pre]! += e * WCAL_PRESHOWER_FRACTION;
      dep[main]! += e * (1 - WCAL_PRESHOWER_FRACTION - WCAL_LEAK_FRACTION);
      dep[catcher]! += e * WCAL_LEAK_FRACTION * moyal(rng) * 0.5;
      return;
    }
    if (visible <= 0) return;
    const sigma = Math.hypot(ECAL_STOCHASTIC / Math.sqrt(visible), ECAL_CONSTANT);
    const e = Math.max(0, visible * (1 + sigma * rng.gauss()));
    const ps = PRESHOWER_FRACTION[0] + (PRESHOWER_FRACTION[1] - PRESHOWER_FRACTION[0]) * rng.uniform();
    this.shower(this.ecal, 0, e * ps, hitX, hitY, ECAL_PROFILE, 1, dep);
    this.shower(this.ecal, 1, e * (1 - ps), hitX, hitY, ECAL_PROFILE, 1, dep);
    truth.ecalGeV += e;
    truth.preshowerGeV += e * ps;
  }

  /**
   * A muon crosses everything as a MIP. A Z_μ (missingFraction) takes its share of the momentum away unseen;
   * else, rarely, a hard radiative loss showers its share in the ECAL (bremsstrahlung spectrum
   * (4/3 − 4y/3 + y²)/y above MUON_HARD_LOSS_MIN_Y). The scattered muon goes on with what is left.
   */
  private muon(rng: Random, hitX: number, hitY: number, dep: Float64Array, truth: ParticleTruth, hardLoss: boolean | undefined): void {
    let left = truth.momentumGeV * (1 - truth.missingFraction);
    if (truth.missingFraction === 0 && (hardLoss ?? rng.uniform() < MUON_HARD_LOSS_PROBABILITY)) {
      let y: number;
      do y = MUON_HARD_LOSS_MIN_Y ** (1 - rng.uniform());
      while (rng.uniform() * (4 / 3) > 4 / 3 - (4 / 3) * y + y * y);
      truth.hardLoss = y;
      this.electron(rng, y * left, hitX, hitY, dep, truth);
      left *= 1 - y;
    }
    truth.scatteredGeV = left < MUON_STOPS_BELOW_GEV ? 0 : left;
    for (const i of this.wcal) dep[i]! += mip(rng, MIP_WCAL_GEV / 3);
    const e = mip(rng, MIP_ECAL_GEV);
    this.shower(this.ecal, 0, 0.1 * e, hitX, hitY, ECAL_PROFILE, 0.3, dep);
    this.shower(this.ecal, 1, 0.9 * e, hitX, hitY, ECAL_PROFILE, 0.3, dep);
    truth.ecalGeV += e;
    truth.preshowerGeV += 0.1 * e;
    this.vetoMip(rng, 1, dep, truth);
    if (this.vhcal) dep[this.beamCellIndex(this.vhcal, 0)]! += mip(rng, MIP_VHCAL_GEV);
    if (this.hcal) {
      for (let m = 0; m < this.hcal.index.length; m++) {
        const e = mip(rng, MIP_HCAL_GEV);
        dep[this.beamCellIndex(this.hcal, m)]! += e;
        truth.hcalGeV += e;
      }
    }
  }

  private hadron(rng: Random, e0: number, hitX: number, hitY: number, dep: Float64Array, truth: ParticleTruth): void {
    let remaining = e0;
    let depth = rng.exponential(1); // interaction depth in nuclear interaction lengths
    let interacted = false;
    if (this.wcal.length) {
      const [pre, main, catcher] = this.wcal as [number, number, number];
      if (depth < WCAL_LAMBDA) {
        const e = remaining * (0.3 + 0.4 * rng.uniform());
        dep[pre]! += 0.2 * e;
        dep[main]! += 0.8 * e;
        dep[catcher]! += mip(rng, MIP_WCAL_GEV);
        remaining -= e;
        interacted = true;
      } else {
        for (const i of this.wcal) dep[i]! += mip(rng, MIP_WCAL_GEV / 3);
      }
      depth -= WCAL_LAMBDA;
    }
    // ECAL: a hadron that interacts there leaves 5–60 % of its energy, a good share in the preshower when it
    // interacts in the first 0.13 λ; one that does not is a MIP; one that showered upstream deposits part
    // of what is left.
    let ecal: number;
    let ps: number;
    if (interacted) {
      ecal = remaining * (0.1 + 0.3 * rng.uniform());
      ps = 0.02 + 0.08 * rng.uniform();
    } else if (depth < ECAL_LAMBDA) {
      ecal = remaining * (0.05 + 0.55 * rng.uniform());
      // Only a shower that starts inside the preshower deposits there beyond the track's own ionisation,
      // the more the earlier it starts.
      const mipPs = (0.1 * MIP_ECAL_GEV) / ecal;
      ps = depth < PRESHOWER_LAMBDA ? mipPs + HADRON_PRESHOWER_SHARE * (1 - depth / PRESHOWER_LAMBDA) * rng.uniform() : mipPs;
      interacted = true;
    } else {
      ecal = mip(rng, MIP_ECAL_GEV);
      ps = 0.1;
    }
    this.shower(this.ecal, 0, ecal * ps, hitX, hitY, ECAL_PROFILE, 1.6, dep);
    this.shower(this.ecal, 1, ecal * (1 - ps), hitX, hitY, ECAL_PROFILE, 1.6, dep);
    truth.ecalGeV += ecal;
    truth.preshowerGeV += ecal * ps;
    remaining = Math.max(0, remaining - ecal);
    // The leading hadron or its shower's charged particles cross the VETO.
    this.vetoMip(rng, interacted ? 1 + 2 * rng.uniform() : 1, dep, truth);
    if (this.vhcal) {
      const e = remaining * VHCAL_SHARE * rng.uniform();
      this.shower(this.vhcal, 0, e, hitX, hitY, HCAL_PROFILE, 1, dep);
      remaining -= e;
    }
    if (this.hcal && remaining > 0) {
      const sigma = Math.hypot(HCAL_STOCHASTIC / Math.sqrt(remaining), HCAL_CONSTANT);
      const e = Math.max(0, remaining * (1 + sigma * rng.gauss()));
      for (let m = 0; m < this.hcal.index.length; m++) {
        const share = HCAL_MODULE_SHARE[m] ?? 0;
        this.shower(this.hcal, m, e * share, hitX, hitY, HCAL_PROFILE, 1, dep);
        truth.hcalGeV += e * share;
      }
    }
  }

  /**
   * Visible mode: the A′ left the dump unseen (no charge: the veto after it stays quiet) and decays to e⁺e⁻ in
   * the decay volume: two MIPs in its counters, and the pair's energy showers in the ECAL. The pair's opening
   * (≈ m/E_A′, well under a millimetre at the ECAL) is not resolved: one shower. The decay happens before the
   * ECAL by construction — the injection rate is that of decays in the volume (the reach model's ε and decay
   * length decide how many that is).
   */
  private visibleDecay(rng: Random, energy: number, hitX: number, hitY: number, dep: Float64Array, truth: ParticleTruth): void {
    for (const c of this.decayCounters) dep[c.index]! += mip(rng, c.mipGeV) + mip(rng, c.mipGeV);
    const sigma = Math.hypot(ECAL_STOCHASTIC / Math.sqrt(energy), ECAL_CONSTANT);
    const e = Math.max(0, energy * (1 + sigma * rng.gauss()));
    const ps = PRESHOWER_FRACTION[0] + (PRESHOWER_FRACTION[1] - PRESHOWER_FRACTION[0]) * rng.uniform();
    this.shower(this.ecal, 0, e * ps, hitX, hitY, ECAL_PROFILE, 1, dep);
    this.shower(this.ecal, 1, e * (1 - ps), hitX, hitY, ECAL_PROFILE, 1, dep);
    truth.ecalGeV += e;
    truth.preshowerGeV += e * ps;
  }

  /**
   * M⁰ → invisible (hadron beams): the pion crosses the active target as a MIP up to a charge exchange at a
   * depth uniform in the ECAL (the target), the M⁰ takes `missingFraction` of the beam energy away unseen,
   * and the neutron's kinetic energy showers hadronically, half in the ECAL, the rest in the HCAL. Nothing
   * charged leaves the target: the VETO stays quiet.
   */
  private chargeExchange(rng: Random, e0: number, hitX: number, hitY: number, dep: Float64Array, truth: ParticleTruth): void {
    const depth = ECAL_LAMBDA * rng.uniform();
    const track = mip(rng, MIP_ECAL_GEV) * (depth / ECAL_LAMBDA);
    const trackPs = 0.1 * mip(rng, MIP_ECAL_GEV) * Math.min(1, depth / PRESHOWER_LAMBDA);
    const neutron = e0 * (1 - truth.missingFraction);
    const inEcal = 0.5 * neutron;
    this.shower(this.ecal, 0, trackPs, hitX, hitY, ECAL_PROFILE, 1.6, dep);
    this.shower(this.ecal, 1, track + inEcal, hitX, hitY, ECAL_PROFILE, 1.6, dep);
    truth.ecalGeV += trackPs + track + inEcal;
    truth.preshowerGeV += trackPs;
    const rest = neutron - inEcal;
    if (this.hcal && rest > 0) {
      const sigma = Math.hypot(HCAL_STOCHASTIC / Math.sqrt(rest), HCAL_CONSTANT);
      const e = Math.max(0, rest * (1 + sigma * rng.gauss()));
      this.shower(this.hcal, 0, e, hitX, hitY, HCAL_PROFILE, 1, dep);
      truth.hcalGeV += e;
    }
  }

  private vetoMip(rng: Random, multiplicity: number, dep: Float64Array, truth: ParticleTruth): void {
    if (!this.veto.length) return;
    truth.vetoHit = true;
    for (let m = 0; m < this.veto.length; m += 2) {
      const e = mip(rng, MIP_VETO_GEV * multiplicity);
      // Two PMTs read each module; each sees the same light within ±10 %.
      dep[this.veto[m]!]! += e * (1 + 0.1 * rng.gauss());
      if (m + 1 < this.veto.length) dep[this.veto[m + 1]!]! += e * (1 + 0.1 * rng.gauss());
    }
  }

  private beamCellIndex(g: Grid, part: number): number {
    return g.index[part]![g.beamCell[0] * g.ny + g.beamCell[1]]!;
  }

  /**
   * Share `energy` over the cells of one part of a grid by the lateral profile (scaled by `widen`) around the
   * hit; the hit is given in ECAL coordinates and mapped onto this grid's beam cell. Deferred (recorded) while
   * `particle` defers showers.
   */
  private shower(g: Grid, part: number, energy: number, hitX: number, hitY: number, profile: Profile, widen: number, dep: Float64Array): void {
    if (energy <= 0) return;
    if (this.deferring) {
      const d = (this.deferred[this.deferredCount++] ??= { grid: g, part, energy, hitX, hitY, profile, widen });
      d.grid = g;
      d.part = part;
      d.energy = energy;
      d.hitX = hitX;
      d.hitY = hitY;
      d.profile = profile;
      d.widen = widen;
      return;
    }
    this.share(g, part, energy, hitX, hitY, profile, widen, dep);
  }

  private share(g: Grid, part: number, energy: number, hitX: number, hitY: number, profile: Profile, widen: number, dep: Float64Array): void {
    const e = this.ecal;
    const x = hitX - (e.beamCell[0] + 0.5) * e.pitchMm + (g.beamCell[0] + 0.5) * g.pitchMm;
    const y = hitY - (e.beamCell[1] + 0.5) * e.pitchMm + (g.beamCell[1] + 0.5) * g.pitchMm;
    // The preshower and main section share one hit: compute the per-axis fractions once for both.
    const last = this.lastShower;
    if (last.grid !== g || last.x !== x || last.y !== y || last.profile !== profile || last.widen !== widen) {
      // Each cell edge once: a cell's share is the difference of the profile's CDF at its two edges.
      let below = profileCdf(-x / widen, profile);
      for (let i = 0; i < g.nx; i++) {
        const above = profileCdf(((i + 1) * g.pitchMm - x) / widen, profile);
        this.fx[i] = above - below;
        below = above;
      }
      below = profileCdf(-y / widen, profile);
      for (let j = 0; j < g.ny; j++) {
        const above = profileCdf(((j + 1) * g.pitchMm - y) / widen, profile);
        this.fy[j] = above - below;
        below = above;
      }
      last.grid = g;
      last.x = x;
      last.y = y;
      last.profile = profile;
      last.widen = widen;
    }
    const index = g.index[part]!;
    const nx = g.nx;
    const ny = g.ny;
    const fxs = this.fx;
    const fys = this.fy;
    for (let i = 0; i < nx; i++) {
      const fx = fxs[i]! * energy;
      if (fx < 1e-7) continue;
      const row = i * ny;
      for (let j = 0; j < ny; j++) dep[index[row + j]!]! += fx * fys[j]!;
    }
  }
}
