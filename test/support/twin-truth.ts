// The generator's truth as the app's reconstruction should see it, computed from the twin's own detector
// constants (drivers/twin/truth.ts), never from the app's nominal ones: what a test compares with.
import * as truth from '../../drivers/twin/truth';
import { peakShares, type TargetModel } from '../../src-main/calibration/recon/targets';
import { targetModel } from '../../src-main/setup/calibration';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import type { Setup } from '../../setups/load';

const SAMPLE_NS = 12.5;

/**
 * The sum of the twin's pulse of amplitude 1 over samples [from, to), averaged over the trigger phase (one
 * sample of jitter after the twin's start), as the twin's digitiser samples it.
 */
export function twinWindowSum(from: number, to: number): number {
  const tpl = truth.pulseTemplate();
  const phases = 64;
  let total = 0;
  for (let p = 0; p < phases; p++) {
    const start = truth.PULSE_START_NS + ((p + 0.5) / phases) * SAMPLE_NS;
    for (let k = from; k < to; k++) {
      const i = Math.round((k * SAMPLE_NS - start) / truth.TEMPLATE_STEP_NS);
      if (i >= 0 && i < tpl.length) total += tpl[i]!;
    }
  }
  return total / phases;
}

/**
 * What the app's amplitude reads for a twin pulse of amplitude 1 (1 ADC of the digitiser scale): the twin's
 * window sum over the app's normalisation (the nominal pulse's area in that window). Below 1 because the
 * twin's slower pulse leaves more of its tail past the readout's end.
 */
export function amplitudeReading(window: { from: number; to: number; pulseArea: number }): number {
  return twinWindowSum(window.from, window.to) / window.pulseArea;
}

/**
 * What the app's in-time peak height (the SRD's energy) reads for a twin pulse of amplitude 1: the peak of the
 * twin's pulse, 0.944 (the nominal pulse of amplitude 1 peaks at 1). The app's parabola through the samples
 * around the peak reads within ≈ 0.5 % of it.
 */
export function peakReading(): number {
  return Math.max(...truth.pulseTemplate());
}

/** The beam-scan target model with the twin's true ECAL profile and resolution in place of the nominal ones. */
export function trueTargetModel(setup: Setup): TargetModel {
  const m = targetModel(setup);
  return { ...m, profile: truth.ECAL_PROFILE, resolution: Math.hypot(truth.ECAL_STOCHASTIC / Math.sqrt(m.energyGeV), truth.ECAL_CONSTANT) };
}

/**
 * Where the ECAL sum of electrons on the beam cell peaks at the nominal calibration (GeV): E_beam × the twin's
 * containment (the window mean of peakShares with its profile and resolution) × amplitudeReading.
 */
export function nominalReading(setup: Setup): number {
  const e = setup.detectors.ecal;
  const share = peakShares(trueTargetModel(setup))[e.beamCell[0] * e.ny + e.beamCell[1]]!;
  return setup.beam.energyGeV * share * amplitudeReading(monitorConfigFor(setup).window);
}

export interface ScanBias {
  /** Per kind of tower: the largest |constant / truth − 1|. */
  inner: number;
  edge: number;
  corner: number;
  /** The largest distance of a tower's bias from the one the two profiles predict: inner towers, edges and corners. */
  innerModel: number;
  outerModel: number;
}

/**
 * A beam scan's main-section constants (GeV per ADC by tower x·ny + y) against the generator's truth. A perfect
 * calibration makes an electron on the beam cell read E_beam: truth = 1 / (ADC per GeV × the injected gain × the
 * twin's peak share of the beam cell × amplitudeReading). The scan's targets come from the nominal profile, so
 * a tower's constant is expected off by (nominal share / true share), relative to the beam cell's: `model`.
 */
export function scanBias(setup: Setup, constant: (tower: number) => number, gain: (tower: number) => number): ScanBias {
  const e = setup.detectors.ecal;
  const beam = e.beamCell[0] * e.ny + e.beamCell[1];
  const trueShares = peakShares(trueTargetModel(setup));
  const nominalShares = peakShares(targetModel(setup));
  const ref = nominalReading(setup) / setup.beam.energyGeV;
  const adcPerGeV = setup.cells.find((c) => c.kind === 'ecal' && c.part === 1)!.adcPerGeV;
  const worst: ScanBias = { inner: 0, edge: 0, corner: 0, innerModel: 0, outerModel: 0 };
  for (let t = 0; t < e.nx * e.ny; t++) {
    const [x, y] = [Math.floor(t / e.ny), t % e.ny];
    const bias = constant(t) * adcPerGeV * gain(t) * ref - 1;
    const predicted = nominalShares[t]! / nominalShares[beam]! / (trueShares[t]! / trueShares[beam]!) - 1;
    const edges = Number(x === 0 || x === e.nx - 1) + Number(y === 0 || y === e.ny - 1);
    const kind = edges === 0 ? 'inner' : edges === 1 ? 'edge' : 'corner';
    worst[kind] = Math.max(worst[kind], Math.abs(bias));
    const model = kind === 'inner' ? 'innerModel' : 'outerModel';
    worst[model] = Math.max(worst[model], Math.abs(bias - predicted));
  }
  return worst;
}
