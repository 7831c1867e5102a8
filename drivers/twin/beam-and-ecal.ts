// First cut of the NA64 twin's physics: which particle arrives, and what the ECAL (preshower + main
// section, nx × ny cells each) sees of it, as pedestal-subtracted peak amplitudes in ADC counts.
// Every number without a publication behind it is a named default here, with its reasoning
// (reference/na64-detector.md, "Named defaults for the simulation").
import type { ChannelInfo } from '../sdk/index';
import type { PmtVoltages } from './pmt-voltages';
import type { Random } from './random';

export type Particle = 'e-' | 'e+' | 'mu-' | 'mu+' | 'pi-';

export interface BeamComposition {
  electron: number;
  hadron: number;
  muon: number;
}

export interface TwinBeamConfig {
  particle: Particle;
  energyGeV: number;
  composition: BeamComposition;
  /** Mean particles on target per spill (5×10⁶ named default; ≳10⁷ is the published maximum). */
  particlesPerSpill: number;
  /** Spill-to-spill intensity fluctuation, relative RMS (20 % named default). */
  intensityRms: number;
  /** Beam-trigger events recorded per spill at the mean intensity (prescaled beam trigger). */
  eventsPerSpill: number;
  /** ECAL cell the beam is steered into, [x, y]; NA64 used (3,3), (2,2) and (2,3) in different periods. */
  cell: [number, number];
  /** Beam spot RMS at the ECAL face, mm. */
  spotMm: number;
}

export interface TwinEcalConfig {
  nx: number;
  ny: number;
  /** Cell pitch, 38.2 mm (p348reco shower centre-of-gravity code). */
  pitchMm: number;
  /** Amplitude scale: ADC counts per GeV in each section (100 GeV central cell ≈ 2000 ADC in main). */
  adcPerGeV: { preshower: number; main: number };
  /** Per-channel electronic noise after pedestal subtraction, ADC RMS (≈2 ADC named default). */
  noiseAdc: number;
}

/** Sampling term and constant term of σ/E for the Shashlik ECAL: 10 %/√E ⊕ 1 % (named default). */
const ECAL_STOCHASTIC = 0.1;
const ECAL_CONSTANT = 0.01;
/** Preshower (≈4 X₀ of ≈40 X₀) takes 4–8 % of an electron's energy. */
const PRESHOWER_FRACTION = [0.04, 0.08] as const;
/**
 * Lateral profile, per axis: a narrow core and a wide halo, f(x) = a·e^(−|x|/b1)/2b1 + (1−a)·e^(−|x|/b2)/2b2.
 * a = 0.9, b1 = 8 mm, b2 = 30 mm puts ≈75 % of a centred shower into the central 38.2 mm cell, matching a
 * Molière radius of ≈3.5 cm.
 */
const PROFILE = { core: 0.9, b1: 8, b2: 30 };
/** A minimum-ionising particle deposits ≈0.4 GeV crossing the ECAL (≈40 X₀ of Pb/Sc); Landau-like spread. */
const MIP_GEV = 0.4;
/** Hadrons interact in the ECAL (≈1.5 λ) with probability 0.7 and then leave 5–60 % of their energy. */
const HADRON_INTERACTION = 0.7;
const SATURATION_ADC = 4095;

export function ecalChannelMap(ecal: TwinEcalConfig): ChannelInfo[] {
  const channels: ChannelInfo[] = [];
  for (let section = 0; section < 2; section++) {
    for (let x = 0; x < ecal.nx; x++) {
      for (let y = 0; y < ecal.ny; y++) channels.push({ name: `ECAL${section}-${x}-${y}`, detector: 'ECAL' });
    }
  }
  return channels;
}

/** Cumulative distribution of the one-axis lateral profile. */
function profileCdf(x: number): number {
  const half = (b: number) => (x < 0 ? 0.5 * Math.exp(x / b) : 1 - 0.5 * Math.exp(-x / b));
  return PROFILE.core * half(PROFILE.b1) + (1 - PROFILE.core) * half(PROFILE.b2);
}

export class BeamAndEcal {
  readonly channels: number;
  private readonly cellsPerSection: number;
  private readonly fracX: Float64Array;
  private readonly fracY: Float64Array;
  /** Relative PMT gain per channel from the HV it gets (1 without an HV model). */
  private readonly pmtGain: Float64Array;

  constructor(
    readonly beam: TwinBeamConfig,
    readonly ecal: TwinEcalConfig,
    pmt: PmtVoltages | null = null,
  ) {
    this.cellsPerSection = ecal.nx * ecal.ny;
    this.channels = 2 * this.cellsPerSection;
    this.fracX = new Float64Array(ecal.nx);
    this.fracY = new Float64Array(ecal.ny);
    this.pmtGain = new Float64Array(this.channels).fill(1);
    if (pmt) this.followHv(pmt);
  }

  // ── PMT gains from the HV (kept apart: the full detector response replaces this model) ──

  private followHv(pmt: PmtVoltages): void {
    const cells = ecalChannelMap(this.ecal).map((c) => c.name);
    const update = (index: number) => (this.pmtGain[index] = pmt.gain(cells[index]!));
    cells.forEach((_, i) => update(i));
    pmt.onChange((cell) => {
      const i = cells.indexOf(cell);
      if (i >= 0) update(i);
    });
  }

  /** Intensity of one spill: Gaussian fluctuation around the mean, never negative. */
  spillIntensity(rng: Random): number {
    return Math.max(0, this.beam.particlesPerSpill * (1 + this.beam.intensityRms * rng.gauss()));
  }

  /** Events the beam trigger records for a spill of the given intensity. */
  eventsFor(intensity: number): number {
    return Math.round((this.beam.eventsPerSpill * intensity) / this.beam.particlesPerSpill);
  }

  private pickParticle(rng: Random): 'electron' | 'hadron' | 'muon' {
    const { electron, hadron } = this.beam.composition;
    const u = rng.uniform() * (electron + hadron + this.beam.composition.muon);
    if (u < electron) return 'electron';
    if (u < electron + hadron) return 'hadron';
    return 'muon';
  }

  /** Fill `out[offset … offset + channels)` with one event's amplitudes. */
  event(rng: Random, out: Float32Array, offset: number): void {
    const kind = this.pickParticle(rng);
    const e0 = this.beam.energyGeV;
    let deposit: number;
    let preshowerFraction: number;
    if (kind === 'electron') {
      const sigma = Math.hypot(ECAL_STOCHASTIC / Math.sqrt(e0), ECAL_CONSTANT);
      deposit = e0 * (1 + sigma * rng.gauss());
      preshowerFraction = PRESHOWER_FRACTION[0] + (PRESHOWER_FRACTION[1] - PRESHOWER_FRACTION[0]) * rng.uniform();
    } else if (kind === 'hadron' && rng.uniform() < HADRON_INTERACTION) {
      deposit = e0 * (0.05 + 0.55 * rng.uniform());
      preshowerFraction = 0.02 * rng.uniform();
    } else {
      deposit = MIP_GEV * Math.exp(0.25 * rng.gauss());
      preshowerFraction = 0.1;
    }
    deposit = Math.max(0, deposit);
    this.lateral(rng, kind === 'electron' ? 1 : 1.6);
    const { nx, ny, adcPerGeV, noiseAdc } = this.ecal;
    for (let section = 0; section < 2; section++) {
      const energy = deposit * (section === 0 ? preshowerFraction : 1 - preshowerFraction);
      const gain = section === 0 ? adcPerGeV.preshower : adcPerGeV.main;
      for (let x = 0; x < nx; x++) {
        for (let y = 0; y < ny; y++) {
          const ch = section * this.cellsPerSection + x * ny + y;
          const adc = energy * this.fracX[x]! * this.fracY[y]! * gain * this.pmtGain[ch]! + noiseAdc * rng.gauss();
          out[offset + ch] = Math.min(SATURATION_ADC, adc);
        }
      }
    }
  }

  /** Per-axis fractions of the shower in each cell column/row, for a hit position smeared by the beam spot. */
  private lateral(rng: Random, widen: number): void {
    const { nx, ny, pitchMm } = this.ecal;
    const hitX = (this.beam.cell[0] + 0.5) * pitchMm + this.beam.spotMm * rng.gauss();
    const hitY = (this.beam.cell[1] + 0.5) * pitchMm + this.beam.spotMm * rng.gauss();
    for (let i = 0; i < nx; i++) {
      this.fracX[i] = profileCdf(((i + 1) * pitchMm - hitX) / widen) - profileCdf((i * pitchMm - hitX) / widen);
    }
    for (let j = 0; j < ny; j++) {
      this.fracY[j] = profileCdf(((j + 1) * pitchMm - hitY) / widen) - profileCdf((j * pitchMm - hitY) / widen);
    }
  }
}
