// e/π separation with the SRD against the generator's truth: the twin says which particle triggered each
// event (TwinEvent.truth, never encoded into the raw data); the event goes through the DAQ encoder, the real
// decoder and the reconstruction, and the reconstruction's SRD tag is compared with that truth. Nothing the
// twin writes about the SRD is trusted.
import { describe, expect, it } from 'vitest';
import type { MonitorConfig } from '../../src-main/monitor/recon/config';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { loadSetup, type Setup } from '../../setups/load';
import { eventByEvent } from '../support/event-by-event';

const base = loadSetup('invisible-e');

/**
 * The 100 GeV setup with a hadron-enriched beam (`electron` e⁻, the rest π⁻), every beam particle triggering
 * (prescale 1) and no physics or random trigger, at `particlesPerSpill`.
 */
function hadronBeam(electron: number, particlesPerSpill: number): Setup {
  return {
    ...base,
    beam: { ...base.beam, composition: { electron, hadron: 1 - electron, muon: 0 }, particlesPerSpill, intensityRms: 0 },
    trigger: { ...base.trigger, physics: null, beamPrescale: 1, randomHz: 0 },
  };
}

interface Tally {
  electrons: number;
  electronsTagged: number;
  hadrons: number;
  hadronsTagged: number;
  /** Hadrons with at least one pile-up electron in the readout, and those of them tagged. */
  hadronsWithPileupElectron: number;
  hadronsWithPileupElectronTagged: number;
}

/** Generate, encode, decode and reconstruct `events` beam-triggered events one by one, tallying the SRD tag by truth. */
function run(setup: Setup, config: MonitorConfig, seed: number, events: number): Tally {
  const t: Tally = { electrons: 0, electronsTagged: 0, hadrons: 0, hadronsTagged: 0, hadronsWithPileupElectron: 0, hadronsWithPileupElectronTagged: 0 };
  eventByEvent(setup, config, seed, events, (recon, first, pileup) => {
    const tagged = recon.srdTagged;
    if (first.particle === 'electron') {
      t.electrons++;
      if (tagged) t.electronsTagged++;
    } else if (first.particle === 'hadron') {
      t.hadrons++;
      if (tagged) t.hadronsTagged++;
      if (pileup.some((p) => p.particle === 'electron')) {
        t.hadronsWithPileupElectron++;
        if (tagged) t.hadronsWithPileupElectronTagged++;
      }
    }
  });
  return t;
}

/** Upper limit at 90 % CL on a Poisson mean when `k` events were seen: P(≤ k | μ) = 0.1. */
function poissonUpperLimit90(k: number): number {
  const cdf = (mu: number) => {
    let term = Math.exp(-mu);
    let sum = term;
    for (let i = 1; i <= k; i++) sum += term *= mu / i;
    return sum;
  };
  let lo = 0;
  let hi = k + 20;
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) > 0.1) lo = mid;
    else hi = mid;
  }
  return hi;
}

describe('SRD e/π separation against the generator truth', () => {
  it('a Poisson 90 % CL upper limit is 2.30 for no event and 3.89 for one', () => {
    expect(poissonUpperLimit90(0)).toBeCloseTo(2.303, 2);
    expect(poissonUpperLimit90(1)).toBeCloseTo(3.89, 2);
    expect(poissonUpperLimit90(3)).toBeCloseTo(6.68, 2);
  });

  it('suppresses hadrons by more than 10⁴ (90 % CL) at 93–97 % electron efficiency on a hadron beam', () => {
    // 5 % e⁻ at 2·10⁴ particles a spill, as in a hadron-beam SRD measurement: a pile-up electron comes with
    // ≈ 2·10⁻⁵ of the hadrons, so the SRD's own rejection is what is measured.
    const setup = hadronBeam(0.05, 20_000);
    const t = run(setup, monitorConfigFor(setup), 31, 80_000);
    expect(t.hadrons).toBeGreaterThan(74_000);
    expect(t.electrons).toBeGreaterThan(3_500);
    expect(poissonUpperLimit90(t.hadronsTagged) / t.hadrons).toBeLessThan(1e-4);
    const efficiency = t.electronsTagged / t.electrons;
    expect(efficiency).toBeGreaterThan(0.93);
    expect(efficiency).toBeLessThan(0.97);
  }, 60_000);

  it('at 5·10⁶ particles a spill a hadron is tagged only through a pile-up electron, and the time window rejects most of those', () => {
    const setup = hadronBeam(0.5, 5_000_000);
    const config = monitorConfigFor(setup);
    const t = run(setup, config, 32, 15_000);
    // ≈ 0.1 pile-up particles per event, half of them electrons: a few hundred hadrons carry one.
    expect(t.hadronsWithPileupElectron).toBeGreaterThan(200);
    expect(t.hadronsTagged).toBe(t.hadronsWithPileupElectronTagged);
    // Uniform over 500 ns, a pile-up electron peaks inside the 35 ns window ≈ 7 % of the time.
    expect(t.hadronsWithPileupElectronTagged / t.hadronsWithPileupElectron).toBeLessThan(0.15);
    // The in-time pulse is found beside the pile-up: the electrons keep their efficiency at this rate.
    expect(t.electronsTagged / t.electrons).toBeGreaterThan(0.93);
    // The same events with the whole readout as the window: most of those hadrons are tagged.
    const open = { ...config, cuts: { ...config.cuts, srd: { ...config.cuts.srd, peakFromNs: 0, peakToNs: 400 } } };
    const untimed = run(setup, open, 32, 15_000);
    expect(untimed.hadronsWithPileupElectron).toBe(t.hadronsWithPileupElectron);
    expect(untimed.hadronsWithPileupElectronTagged / untimed.hadronsWithPileupElectron).toBeGreaterThan(0.5);
  }, 60_000);
});
