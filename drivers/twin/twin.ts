// The NA64 digital twin: for each SPS spill, the beam particles the triggers select, what the detector
// makes of them and the MSADC waveforms the DAQ reads out, in time order; LED calibration events between
// spills. Deterministic for a seed: a spill's content depends only on the seed, its sequence number and
// the PMT voltages at the time. The DAQ simulator (drivers/na64-daq) encodes what this produces.
import { setupCells, type Cell } from '../../setups/cells';
import { SAMPLES } from '../../setups/nominal';
import { signalMesonProblem, type SetupConfig } from '../../setups/setup-schema';
import { CHARGE_EXCHANGE_NEUTRON_GEV, DEAD_TIME_US, MUON_HARD_LOSS_PROBABILITY, DEFAULT_SIGNAL_MASS_GEV, DRIFT_PER_SQRT_HOUR, LED_AMPLITUDE_ADC, LED_SPREAD, PILEUP_FROM_NS, PILEUP_MAX, PILEUP_TO_NS } from './defaults';
import { Digitizer, type ChannelFault, type Pulse } from './digitizer';
import { PmtVoltages } from './pmt-voltages';
import { Random } from './random';
import { AprimeSpectrum, MUON_MASS_GEV } from './signal-spectrum';
import { trackerHits, type TrackerHits } from './spectrometer';
import { DetectorResponse, type ParticleKind, type ParticleTruth } from './response';
import { PULSE_START_NS } from './truth';

/** Trigger bits, the same as the NA64 trigger word: physics, beam (prescaled), random, calibration (LED). */
export const TRIGGER = { physics: 1, beam: 2, random: 4, calibration: 8 } as const;

export interface TwinOptions {
  seed: number;
  /** PMT voltages the gains follow (the HV simulators' outputs, by cell; gain 1 at the HV map's working point). */
  pmt?: PmtVoltages;
  /**
   * Injected signal events per beam particle of the setup's kind (0: none): A′ → invisible per electron on
   * target for a lepton beam, M⁰ → invisible (charge exchange in the target × the branching ratio) per pion.
   */
  signalPerElectron?: number;
  /** The injected A′'s mass (GeV; default DEFAULT_SIGNAL_MASS_GEV): its energy spectrum depends on it. */
  signalMassGeV?: number;
  /**
   * Hadron beams: the beam meson whose charge exchange the injected M⁰ → invisible comes from — 'pion' (π⁰, η,
   * η′; `signalPerElectron` per pion) or 'kaon' (K⁻p → K̄⁰n, K_L/K_S → invisible; per kaon). Default pion.
   */
  signalMeson?: 'pion' | 'kaon';
  /**
   * Known per-cell gain factors (cell name → factor, 1 = nominal) on top of the PMT voltages and the slow
   * drift: the calibration truth a beam-scan test recovers (e.g. a ±15 % spread). Also `Twin.setCellGains`.
   */
  cellGains?: ReadonlyMap<string, number>;
  /** Spill and cycle length in simulated ms (the SPS cycle), for rates and the gain drift. */
  spillMs: number;
  cycleMs: number;
}

export interface EventTruth {
  /** The triggering particle first (none for random and LED triggers), then out-of-time pile-up. */
  particles: ParticleTruth[];
  signal: boolean;
}

export interface TwinEvent {
  /** Simulated ms since the start of the spill (or, for LED events, since its end). */
  timeMs: number;
  type: 'physics' | 'calibration';
  trigger: number;
  /** cells × samples waveforms, cell-major; valid until the next call of `next()`. */
  samples: Uint16Array;
  /** Tracker clusters (setups with spectrometers); valid until the next call of `next()`. */
  hits: TrackerHits;
  truth: EventTruth;
}

export interface SpillScalers {
  /** Beam particles on target in the spill (the beam counters' coincidence count). */
  particles: number;
  /** Triggers fired, and accepted by the DAQ (the rest fell into its dead time). */
  triggers: number;
  accepted: number;
  /** DAQ dead time in the spill, and how long the spill gate was open, µs. */
  deadTimeUs: number;
  gateUs: number;
  physics: number;
  beam: number;
  random: number;
}

/** 'study': one A′ event of a signal study (twin.signalStudy), generated once whether or not it fires. */
type TriggerClass = 'beam' | 'random' | 'signal' | 'study' | ParticleKind;

function poisson(rng: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 60) return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.gauss()));
  const limit = Math.exp(-mean);
  let k = 0;
  let p = rng.uniform();
  while (p > limit) {
    k++;
    p *= rng.uniform();
  }
  return k;
}

/** Mix the seed and the spill sequence so every spill's content depends on nothing but these two. */
function spillSeed(seed: number, sequence: number, salt: number): number {
  return (Math.imul(seed ^ 0x5f3759df, 0x01000193) ^ Math.imul(sequence + 1, 0x9e3779b1) ^ Math.imul(salt, 0x85ebca6b)) >>> 0;
}

export class Twin {
  readonly cells: Cell[];
  readonly response: DetectorResponse;
  readonly digitizer: Digitizer;
  readonly pmt: PmtVoltages;
  /** The energy spectrum of the injected A′ (by its mass). */
  readonly signalSpectrum: AprimeSpectrum;
  /** The beam particle the signal comes from: a pion beam's M⁰ → invisible, a muon beam's Z_μ, else an electron's A′. */
  readonly signalParticle: ParticleKind;
  readonly signalMeson: 'pion' | 'kaon';
  /** Each cell's ADC-per-GeV scale, by cell index (typed: every pulse of every event is scaled by it). */
  readonly adcPerGeV: Float64Array;
  private readonly ecalCells: Int32Array;
  private readonly preshowerCells: Int32Array;
  private readonly hcalCells: Int32Array;
  /** The WCAL dump's pre-shower and main part (its analog sum in the visible-mode trigger). */
  private readonly wcalCells: Int32Array;
  private readonly vetoCounters: Int32Array;
  private readonly offAxisCounters: Int32Array;
  /** Of the muons that fire the physics trigger, the share that had a hard loss (drawn as such). */
  private hardShareOfMuonTriggers = 0;
  private readonly triggerProbability = new Map<TriggerClass, number>();
  private readonly gains: Float64Array;
  private gainsDirty = true;
  /** The spill the cached gains are for: they depend on it through the drifts. */
  private gainsSequence = -1;
  private drift: { sequence: number; values: Float64Array; rng: Random };
  private readonly ledFactor: Float64Array;
  private readonly cellGain: Float64Array;
  /** Injected drifts: per cell, the growth per spill and the spill it started from (set at first use). */
  private readonly injected = new Map<number, { perSpill: number; from: number | null }>();

  constructor(
    readonly setup: SetupConfig,
    readonly options: TwinOptions,
  ) {
    this.cells = setupCells(setup);
    this.pmt = options.pmt ?? new PmtVoltages();
    this.pmt.onChange(() => (this.gainsDirty = true));
    this.response = new DetectorResponse(setup, this.cells);
    const beam = setup.beam.particle;
    this.signalParticle = beam === 'pi-' ? 'hadron' : beam.startsWith('mu') ? 'muon' : 'electron';
    const mesonProblem = signalMesonProblem(setup, options.signalMeson);
    if (mesonProblem) throw new RangeError(mesonProblem);
    this.signalMeson = options.signalMeson ?? 'pion';
    this.signalSpectrum = new AprimeSpectrum(options.signalMassGeV ?? DEFAULT_SIGNAL_MASS_GEV, setup.beam.energyGeV, this.signalParticle === 'muon' ? MUON_MASS_GEV : undefined);
    this.digitizer = new Digitizer(this.cells, options.seed);
    this.adcPerGeV = Float64Array.from(this.cells, (c) => c.adcPerGeV);
    this.ecalCells = Int32Array.from(this.cells.filter((c) => c.kind === 'ecal'), (c) => c.index);
    this.preshowerCells = Int32Array.from(this.cells.filter((c) => c.kind === 'ecal' && c.part === 0), (c) => c.index);
    this.hcalCells = Int32Array.from(this.cells.filter((c) => c.kind === 'hcal'), (c) => c.index);
    this.wcalCells = Int32Array.from(this.cells.filter((c) => c.kind === 'wcal' && c.part < 2), (c) => c.index);
    const vetoNames = new Set<string>(setup.detectors.counters.filter((c) => c.veto).map((c) => c.name));
    this.vetoCounters = Int32Array.from(this.cells.filter((c) => vetoNames.has(c.name)), (c) => c.index);
    const offAxisNames = new Set<string>(setup.detectors.counters.filter((c) => c.offAxisMm !== undefined).map((c) => c.name));
    this.offAxisCounters = Int32Array.from(this.cells.filter((c) => offAxisNames.has(c.name)), (c) => c.index);
    this.response.boundCells(this.preshowerCells);
    this.gains = new Float64Array(this.cells.length);
    this.cellGain = new Float64Array(this.cells.length).fill(1);
    if (options.cellGains) this.setCellGains(options.cellGains);
    this.drift = this.freshDrift();
    const led = new Random(options.seed ^ 0x1ed1ed);
    this.ledFactor = Float64Array.from(this.cells, () => 1 + LED_SPREAD * led.gauss());
    // How often each kind of particle fires the physics trigger, measured once on the model itself; the
    // spill then draws how many of each it records instead of simulating every particle on target.
    const rng = new Random(options.seed ^ 0x7219);
    const dep = new Float64Array(this.cells.length);
    const n = 4000;
    const rate = (kind: ParticleKind | 'signal', hardLoss?: boolean, samples = n) => {
      let fired = 0;
      for (let i = 0; i < samples; i++) {
        dep.fill(0);
        this.response.particle(rng, kind === 'signal' ? this.signalParticle : kind, kind === 'signal' ? this.signalFraction(rng) : 0, dep, hardLoss, this.signalMeson, true);
        if (this.firesDeferred(dep)) fired++;
      }
      return fired / samples;
    };
    for (const kind of ['electron', 'hadron', 'signal'] as const) this.triggerProbability.set(kind, rate(kind));
    // Muons: the rare hard loss apart (3·10⁻³ of them; NA64μ's trigger fires on little else), so 4000
    // muons measure both parts; 1000 showers the hard part well enough (its share of NA64μ's physics triggers
    // to ≈ 3 %; the counting unit comes from the beam trigger) and keep the twin quick to build, as every
    // simulator process builds one at start.
    const hard = MUON_HARD_LOSS_PROBABILITY * rate('muon', true, n / 4);
    const soft = (1 - MUON_HARD_LOSS_PROBABILITY) * rate('muon', false);
    this.triggerProbability.set('muon', hard + soft);
    this.hardShareOfMuonTriggers = hard + soft > 0 ? hard / (hard + soft) : 0;
  }

  /** Whether the next physics-triggered muon is one with a hard loss (see the constructor). */
  drawHardLoss(rng: Random): boolean {
    return rng.uniform() < this.hardShareOfMuonTriggers;
  }

  /** Fraction of the physics trigger a particle kind fires (measured on the model). */
  physicsProbability(kind: ParticleKind | 'signal'): number {
    return this.triggerProbability.get(kind) ?? 0;
  }

  /**
   * The share of the beam energy the signal carries away unseen: the A′'s or the Z_μ's (its spectrum), or the M⁰'s of a
   * charge exchange, which takes all but the neutron's kinetic energy (exponential, mean
   * CHARGE_EXCHANGE_NEUTRON_GEV: peripheral, small momentum transfer).
   */
  signalFraction(rng: Random): number {
    if (this.signalParticle !== 'hadron') return this.signalSpectrum.fraction(rng);
    const neutron = Math.min(this.setup.beam.energyGeV, CHARGE_EXCHANGE_NEUTRON_GEV * rng.exponential(1));
    return 1 - neutron / this.setup.beam.energyGeV;
  }

  /**
   * Analog trigger sums on the deposits: no veto counter, every off-axis counter fired, ECAL below and
   * preshower above threshold, and the HCAL's and the WCAL's sums below theirs (as the setup asks).
   */
  physicsFires(dep: Float64Array): boolean {
    const t = this.setup.trigger.physics;
    if (!t) return false;
    // Indexed loops over typed arrays (issue 19: this runs for every particle drawn); the sums in cell order.
    if (!this.countersAllow(dep)) return false;
    let ecal = 0;
    const ecalCells = this.ecalCells;
    for (let k = 0; k < ecalCells.length; k++) ecal += dep[ecalCells[k]!]!;
    if (t.ecalBelowGeV !== undefined && ecal >= t.ecalBelowGeV) return false;
    if (t.preshowerAboveGeV !== undefined) {
      let ps = 0;
      const cells = this.preshowerCells;
      for (let k = 0; k < cells.length; k++) ps += dep[cells[k]!]!;
      if (!(ps > t.preshowerAboveGeV)) return false;
    }
    if (t.wcalBelowGeV !== undefined) {
      let wcal = 0;
      const cells = this.wcalCells;
      for (let k = 0; k < cells.length; k++) wcal += dep[cells[k]!]!;
      if (!(wcal < t.wcalBelowGeV)) return false;
    }
    if (t.hcalBelowGeV === undefined) return true;
    let hcal = 0;
    const cells = this.hcalCells;
    for (let k = 0; k < cells.length; k++) hcal += dep[cells[k]!]!;
    return hcal < t.hcalBelowGeV;
  }

  /** The trigger's counters: no veto counter fired, and every off-axis counter did. */
  private countersAllow(dep: Float64Array): boolean {
    const veto = this.vetoCounters;
    for (let k = 0; k < veto.length; k++) if (dep[veto[k]!]! > 0) return false;
    const offAxis = this.offAxisCounters;
    for (let k = 0; k < offAxis.length; k++) if (!(dep[offAxis[k]!]! > 0)) return false;
    return true;
  }

  /**
   * `physicsFires` for a particle whose showers `DetectorResponse.particle` deferred: they are shared out
   * into `dep` only when the trigger could still fire — no veto counter fired, every off-axis counter did
   * (direct deposits, already in `dep`), and the showers onto the preshower carry more than its threshold.
   * Otherwise the trigger rejects the particle whatever the showers would have added, and `dep` stays
   * without them. The bound: shared out, a shower puts its energy times Σ of its cells' lateral fractions
   * (≤ 1 up to a few roundings, ~10⁻¹⁴) on its cells; the margin of 10⁻⁹ covers that many times over.
   */
  firesDeferred(dep: Float64Array): boolean {
    const t = this.setup.trigger.physics;
    if (!t || !this.countersAllow(dep)) return false;
    if (t.preshowerAboveGeV !== undefined && this.response.deferredGeV() * (1 + 1e-9) <= t.preshowerAboveGeV) return false;
    this.response.shareDeferred(dep);
    return this.physicsFires(dep);
  }

  setChannelFault(cell: number, fault: ChannelFault | null): void {
    this.digitizer.setFault(cell, fault);
  }

  /** Set known gain factors (cell name → factor > 0); cells not named go back to 1. */
  setCellGains(gains: ReadonlyMap<string, number>): void {
    this.cellGain.set(cellGainFactors(this.cells, gains));
    this.gainsDirty = true;
  }

  /** The known gain factor of a cell (1 unless set). */
  cellGainOf(cell: number): number {
    return this.cellGain[cell] ?? 1;
  }

  /** Start (a growth per spill) or stop (null) an injected gain drift of one cell, from the next spill on. */
  setGainDrift(cell: number, perSpill: number | null): void {
    if (!Number.isInteger(cell) || cell < 0 || cell >= this.cells.length) throw new RangeError(`cell ${cell} is not in this setup (0…${this.cells.length - 1})`);
    if (perSpill === null) this.injected.delete(cell);
    else this.injected.set(cell, { perSpill, from: null });
    this.gainsDirty = true;
  }

  /**
   * Steer the beam onto an ECAL tower (x, y), as a calibration scan does; null: back onto the setup's beam
   * axis. Takes effect from the next event.
   */
  steer(tower: readonly [number, number] | null): void {
    this.response.steer(tower);
  }

  /** The ECAL tower the beam is steered onto now. */
  aim(): readonly [number, number] {
    return this.response.aim;
  }

  private freshDrift() {
    return { sequence: 0, values: new Float64Array(this.cells.length).fill(1), rng: new Random(this.options.seed ^ 0xd71f7) };
  }

  /** Slow gain drift: a random walk per channel, one step per SPS cycle. */
  private driftAt(sequence: number): Float64Array {
    if (sequence < this.drift.sequence) this.drift = this.freshDrift();
    const step = DRIFT_PER_SQRT_HOUR * Math.sqrt(this.options.cycleMs / 3_600_000);
    while (this.drift.sequence < sequence) {
      for (let c = 0; c < this.cells.length; c++) this.drift.values[c]! *= 1 + step * this.drift.rng.gauss();
      this.drift.sequence++;
    }
    return this.drift.values;
  }

  /** Per-cell gain now: PMT voltage × drift × the known gain factor × an injected drift. */
  gainsFor(sequence: number): Float64Array {
    // Every event asks; the gains change only with the spill, the HV, a fault or the known gains.
    if (this.gainsDirty || sequence !== this.gainsSequence) {
      const drift = this.driftAt(sequence);
      for (const c of this.cells) this.gains[c.index] = this.pmt.gain(c.name) * drift[c.index]! * this.cellGain[c.index]!;
      for (const [cell, d] of this.injected) {
        d.from ??= sequence;
        this.gains[cell]! *= (1 + d.perSpill) ** Math.max(0, sequence - d.from);
      }
      this.gainsDirty = false;
      this.gainsSequence = sequence;
    }
    return this.gains;
  }

  spill(sequence: number): TwinSpill {
    return new TwinSpill(this, sequence, new Random(spillSeed(this.options.seed, sequence, 1)));
  }

  /**
   * A signal study: `generated` A′ → invisible events (each an electron on target radiating an A′ from the
   * spectrum of its mass) spread over spill `sequence`, with the spill's pile-up; the physics trigger decides,
   * as in a run, which ones the DAQ records. The selection's efficiency is what a reconstruction keeps of
   * `generated` (the generator's truth): the figure NA64 takes from its signal Monte Carlo.
   */
  signalStudy(sequence: number, generated: number): TwinSpill {
    if (!Number.isInteger(generated) || generated < 1) throw new RangeError(`a signal study generates a whole number of events ≥ 1, got ${generated}`);
    return new TwinSpill(this, sequence, new Random(spillSeed(this.options.seed, sequence, 4)), generated);
  }

  /** LED calibration events in the gap after spill `sequence`. */
  led(sequence: number): TwinLed {
    return new TwinLed(this, sequence, new Random(spillSeed(this.options.seed, sequence, 2)), this.ledFactor);
  }
}

export class TwinSpill {
  readonly intensity: number;
  readonly scalers: SpillScalers;
  private readonly times: Float64Array;
  private readonly classes: TriggerClass[];
  private cursor = 0;
  private readonly samples: Uint16Array;
  private readonly pulses: Pulse[];
  private readonly hits: TrackerHits;
  private readonly pileupMean: number;
  /**
   * Injected signal comes from a random stream of its own: every other event of the spill is the same with
   * and without it, bit for bit, so a test can show that blinding hides exactly the injected events.
   */
  private readonly signalRng: Random;

  /** Study events the physics trigger did not fire on (a signal study only: the DAQ never saw them). */
  untriggered = 0;
  /**
   * The generator's truth of injected signal: the mean number of signal events produced in the spill (before
   * the trigger, which records a share of them: physicsProbability('signal')).
   */
  readonly injectedMean: number = 0;

  constructor(
    private readonly twin: Twin,
    readonly sequence: number,
    private readonly rng: Random,
    study?: number,
  ) {
    this.signalRng = new Random(spillSeed(twin.options.seed, sequence, 3));
    const { setup, options } = twin;
    const beam = setup.beam;
    this.intensity = Math.max(0, beam.particlesPerSpill * (1 + beam.intensityRms * rng.gauss()));
    const particles = Math.round(this.intensity);
    const spillSec = options.spillMs / 1000;
    const f = twin.response.composition();
    const counts: [TriggerClass, number][] = [
      ['beam', poisson(rng, particles / setup.trigger.beamPrescale)],
      ['random', poisson(rng, setup.trigger.randomHz * spillSec)],
    ];
    if (setup.trigger.physics) {
      for (const kind of ['electron', 'hadron', 'muon'] as const) counts.push([kind, poisson(rng, particles * f[kind] * twin.physicsProbability(kind))]);
    }
    const fired = counts.reduce((n, [, k]) => n + k, 0);
    // Non-paralysable dead time: at a trigger rate r the DAQ is live 1 / (1 + r·τ) of the time. The few
    // injected signal triggers are left out of it (a relative change below 10⁻⁴): see `signalRng`.
    // A study offers every generated event: dead time is the EOT's correction, not the selection's.
    const live = study === undefined ? 1 / (1 + (fired / spillSec) * DEAD_TIME_US * 1e-6) : 1;
    const kept: { time: number; cls: TriggerClass }[] = [];
    let physics = 0;
    const draw = (from: Random, cls: TriggerClass, n: number) => {
      for (let i = 0; i < n; i++) {
        const time = from.uniform() * options.spillMs;
        if (from.uniform() >= live) continue;
        kept.push({ time, cls });
        if (cls !== 'beam' && cls !== 'random') physics++;
      }
    };
    if (study !== undefined) counts.splice(0, counts.length, ['study', study]);
    for (const [cls, n] of counts) draw(rng, cls, n);
    // Per particle of the signal's kind: pions are the hadrons that are not kaons.
    const kaons = twin.response.kaonShare;
    const share = twin.signalParticle !== 'hadron' ? 1 : twin.signalMeson === 'kaon' ? kaons : 1 - kaons;
    this.injectedMean = particles * f[twin.signalParticle] * share * (options.signalPerElectron ?? 0);
    const signal = study === undefined && setup.trigger.physics ? poisson(this.signalRng, this.injectedMean * twin.physicsProbability('signal')) : 0;
    draw(this.signalRng, 'signal', signal);
    kept.sort((a, b) => a.time - b.time);
    this.times = Float64Array.from(kept, (k) => k.time);
    this.classes = kept.map((k) => k.cls);
    const count = (cls: TriggerClass) => kept.filter((k) => k.cls === cls).length;
    this.scalers = {
      particles,
      triggers: fired + signal,
      accepted: kept.length,
      deadTimeUs: kept.length * DEAD_TIME_US,
      gateUs: options.spillMs * 1000,
      physics,
      beam: count('beam'),
      random: count('random'),
    };
    this.samples = new Uint16Array(twin.cells.length * SAMPLES);
    this.hits = trackerHits((1 + PILEUP_MAX) * twin.response.spectrometers.stations);
    this.pulses = Array.from({ length: 1 + PILEUP_MAX }, () => ({ amplitude: new Float64Array(twin.cells.length), startNs: 0 }));
    this.pileupMean = (particles / spillSec) * (PILEUP_TO_NS - PILEUP_FROM_NS) * 1e-9;
  }

  get count(): number {
    return this.times.length;
  }

  /** Simulated ms (since the spill start) of the next event, or null at the end of the spill. */
  nextTime(): number | null {
    return this.cursor < this.times.length ? this.times[this.cursor]! : null;
  }

  next(): TwinEvent | null {
    for (;;) {
      if (this.cursor >= this.times.length) return null;
      const event = this.event(this.cursor++);
      if (event) return event;
    }
  }

  /** Event `i` of the spill; null for a study event the physics trigger did not fire on. */
  private event(i: number): TwinEvent | null {
    const cls = this.classes[i]!;
    const twin = this.twin;
    const rng = cls === 'signal' ? this.signalRng : this.rng;
    const dep = this.pulses[0]!.amplitude;
    const truth: EventTruth = { particles: [], signal: cls === 'signal' || cls === 'study' };
    let trigger: number;
    let used = 0;
    if (cls === 'random') {
      trigger = TRIGGER.random;
    } else {
      // A particle of the class that fired: the beam trigger takes whatever comes, the physics trigger
      // records only particles that pass it (drawn until one does).
      for (let attempt = 0; ; attempt++) {
        dep.fill(0);
        const aprime = cls === 'signal' || cls === 'study';
        const kind = cls === 'beam' ? twin.response.pick(rng) : aprime ? twin.signalParticle : cls;
        const missing = aprime ? twin.signalFraction(rng) : 0;
        // A physics class keeps only a particle that fires (up to the 10,000th attempt, which it keeps
        // anyway): its showers are shared out only if the trigger could still fire.
        const defer = cls !== 'beam' && attempt <= 10_000;
        const p = twin.response.particle(rng, kind, missing, dep, cls === 'muon' ? twin.drawHardLoss(rng) : undefined, twin.signalMeson, defer);
        const fires = defer ? twin.firesDeferred(dep) : twin.physicsFires(dep);
        if (cls === 'study' && !fires) {
          this.untriggered++;
          return null;
        }
        if (cls === 'beam' || fires || attempt > 10_000) {
          truth.particles.push(p);
          trigger = (cls === 'beam' ? TRIGGER.beam : 0) | (fires ? TRIGGER.physics : 0);
          break;
        }
      }
      this.toAdc(0, PULSE_START_NS + rng.uniform() * 12.5);
      used = 1;
    }
    const hits = this.hits;
    hits.count = 0;
    if (used) twin.response.spectrometers.add(rng, truth.particles[0]!, this.pulses[0]!.startNs, hits);
    const pileup = Math.min(PILEUP_MAX, poisson(rng, this.pileupMean));
    for (let k = 0; k < pileup; k++) {
      const pulse = this.pulses[used]!;
      pulse.amplitude.fill(0);
      const particle = twin.response.particle(rng, twin.response.pick(rng), 0, pulse.amplitude);
      truth.particles.push(particle);
      this.toAdc(used, PULSE_START_NS + PILEUP_FROM_NS + (PILEUP_TO_NS - PILEUP_FROM_NS) * rng.uniform());
      twin.response.spectrometers.add(rng, particle, pulse.startNs, hits);
      used++;
    }
    twin.digitizer.digitize(rng, this.pulses, twin.gainsFor(this.sequence), this.samples, used);
    return { timeMs: this.times[i]!, type: 'physics', trigger, samples: this.samples, hits, truth };
  }

  /** Deposits (GeV) → amplitudes at nominal gain (ADC of the scale: the charge, truth.ts SCALE_CHARGE_NS). */
  private toAdc(pulse: number, startNs: number): void {
    const p = this.pulses[pulse]!;
    p.startNs = startNs;
    const scale = this.twin.adcPerGeV;
    const amplitude = p.amplitude;
    for (let c = 0; c < scale.length; c++) amplitude[c]! *= scale[c]!;
  }
}

/** LED events start this long after the end of the spill and come at this spacing (simulated ms). */
const LED_FIRST_MS = 200;
const LED_SPACING_MS = 10;
/** An LED event crosses no tracker. */
const NO_HITS = trackerHits(0);

export class TwinLed {
  private cursor = 0;
  private readonly samples: Uint16Array;
  private readonly pulse: Pulse;

  constructor(
    private readonly twin: Twin,
    readonly sequence: number,
    private readonly rng: Random,
    ledFactor: Float64Array,
  ) {
    this.samples = new Uint16Array(twin.cells.length * SAMPLES);
    this.pulse = { amplitude: Float64Array.from(ledFactor, (f) => LED_AMPLITUDE_ADC * f), startNs: PULSE_START_NS };
  }

  get count(): number {
    return this.twin.setup.trigger.ledPerInterspill;
  }

  nextTime(): number | null {
    return this.cursor < this.count ? LED_FIRST_MS + this.cursor * LED_SPACING_MS : null;
  }

  next(): TwinEvent | null {
    const timeMs = this.nextTime();
    if (timeMs === null) return null;
    this.cursor++;
    this.twin.digitizer.digitize(this.rng, [this.pulse], this.twin.gainsFor(this.sequence), this.samples);
    return { timeMs, type: 'calibration', trigger: TRIGGER.calibration, samples: this.samples, hits: NO_HITS, truth: { particles: [], signal: false } };
  }
}

/** Known gain factors per cell index (1 where not named); a RangeError names a cell or a factor that is wrong. */
export function cellGainFactors(cells: readonly Cell[], gains: ReadonlyMap<string, number>): Float64Array {
  const byName = new Map(cells.map((c) => [c.name, c.index]));
  const out = new Float64Array(cells.length).fill(1);
  for (const [name, g] of gains) {
    const i = byName.get(name);
    if (i === undefined) throw new RangeError(`the setup has no cell ${name}`);
    if (!(g > 0) || !Number.isFinite(g)) throw new RangeError(`the gain of ${name} must be a positive number, got ${g}`);
    out[i] = g;
  }
  return out;
}
