// Analog signals of the beam-line detectors as a digitizer clipped onto them sees them: the fast negative
// PMT pulses of the scintillation counters (S1, S2, Sc, veto), the SRD's synchrotron-radiation pulse (large
// for electrons, noise for hadrons and muons), the ECAL analogue sum, and the NIM trigger. One call makes
// one trigger's waveforms, in volts, with the truth of what was generated (the pulse amplitudes), so a
// test compares what a driver read with what was generated, never with a figure the reader computed.
import { MIP_ECAL_GEV } from './defaults';
import type { Composition } from './beam';
import type { Random } from './random';
import { srdDeposit, srdLight } from './srd';

export const ANALOG_INPUTS = ['S1', 'S2', 'Sc', 'veto', 'SRD', 'ECAL', 'trigger'] as const;
export type AnalogInput = (typeof ANALOG_INPUTS)[number];

/**
 * Pulse heights and shapes (named defaults, not published for NA64): a MIP in a counter gives ≈ −0.2 V
 * into 50 Ω with a Landau-like spread (the PMT's gain set so that its tail stays within a DRS4's ±0.5 V:
 * ≈ 0.5 % of the pulses clip there, ≈ 9 % would at −0.3 V); the SRD ≈ −0.2 V for its 30 MeV mean electron
 * signal (so its Landau tail stays within a 1 V digitizer range); the ECAL sum −0.8 V for 100 GeV; the
 * trigger a NIM −0.8 V logic pulse of 20 ns. Rise times of a few ns (fast PMTs), longer for the SRD's
 * BGO/PbSc and the ECAL's shaping.
 */
export const ANALOG = {
  counterMipV: -0.2,
  counterWidth: 0.15,
  srdVoltsPerGeV: -0.2 / 0.03,
  ecalVoltsPerGeV: -0.8 / 100,
  triggerV: -0.8,
  triggerWidthNs: 20,
  noiseV: 0.001,
  /** Shape time constants (ns) of t²·e^(−t/τ): counters, SRD, ECAL. */
  tauNs: { counter: 2, SRD: 8, ECAL: 15 },
  /** The veto fires on ≈ 2 % of the triggers (halo, hadrons upstream). */
  vetoShare: 0.02,
} as const;

export interface AnalogEventOptions {
  inputs: readonly AnalogInput[];
  samples: number;
  samplePeriodNs: number;
  /** The trigger point: pulses start here. */
  triggerSample: number;
  composition: Composition;
  /** Beam energy in GeV (the ECAL sum of an electron). */
  energyGeV: number;
}

export interface AnalogEvent {
  particle: 'electron' | 'hadron' | 'muon';
  /** Per input, in the order asked: the waveform (volts) and the pulse's generated peak (volts, ≤ 0; 0 when nothing fired). */
  waveforms: Float32Array[];
  amplitudes: number[];
}

/** Landau-like: most probable value times (1 + width · Moyal). */
function moyal(rng: Random): number {
  // Moyal by inversion of a standard normal: x = −ln(z²) with z ~ N(0,1) has the Moyal distribution.
  const z = rng.gauss();
  return -Math.log(z * z + 1e-12);
}

function pick(rng: Random, c: Composition): AnalogEvent['particle'] {
  const u = rng.uniform();
  if (u < c.electron) return 'electron';
  if (u < c.electron + c.hadron) return 'hadron';
  return 'muon';
}

/** Peak-normalised t²·e^(−t/τ) (its maximum, 1, is at t = 2τ). */
function shape(tNs: number, tauNs: number): number {
  if (tNs <= 0) return 0;
  const x = tNs / (2 * tauNs);
  return x * x * Math.exp(2 - 2 * x);
}

function peakOf(input: AnalogInput, particle: AnalogEvent['particle'], rng: Random, energyGeV: number): number {
  switch (input) {
    case 'S1':
    case 'S2':
    case 'Sc':
      return ANALOG.counterMipV * Math.max(0.2, 1 + ANALOG.counterWidth * moyal(rng));
    case 'veto':
      return rng.uniform() < ANALOG.vetoShare ? ANALOG.counterMipV * Math.max(0.2, 1 + ANALOG.counterWidth * moyal(rng)) : 0;
    case 'SRD': {
      return ANALOG.srdVoltsPerGeV * srdDeposit(rng, srdLight(particle, energyGeV));
    }
    case 'ECAL':
      return ANALOG.ecalVoltsPerGeV * (particle === 'electron' ? energyGeV : MIP_ECAL_GEV * Math.max(0.2, 1 + 0.12 * moyal(rng)));
    case 'trigger':
      return ANALOG.triggerV;
  }
}

/** One trigger's waveforms for `inputs`. */
export function analogEvent(rng: Random, o: AnalogEventOptions): AnalogEvent {
  const particle = pick(rng, o.composition);
  const amplitudes: number[] = [];
  const waveforms = o.inputs.map((input) => {
    const peak = peakOf(input, particle, rng, o.energyGeV);
    amplitudes.push(peak);
    const w = new Float32Array(o.samples);
    const tau = input === 'SRD' ? ANALOG.tauNs.SRD : input === 'ECAL' ? ANALOG.tauNs.ECAL : ANALOG.tauNs.counter;
    for (let i = 0; i < o.samples; i++) {
      const t = (i - o.triggerSample) * o.samplePeriodNs;
      const pulse = input === 'trigger' ? (t >= 0 && t < ANALOG.triggerWidthNs ? peak : 0) : peak * shape(t, tau);
      w[i] = pulse + ANALOG.noiseV * rng.gauss();
    }
    return w;
  });
  return { particle, waveforms, amplitudes };
}
