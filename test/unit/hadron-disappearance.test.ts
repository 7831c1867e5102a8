// The hadron beam's search end to end against the generator's truth: M⁰ → invisible injected into ordinary
// π⁻ spills (the twin's charge exchange in the active target at a chosen rate per pion), the disappearance
// trigger, real DATE bytes, the app's reconstruction; the selection's efficiency from a signal study of its
// own (other events, other seed) recovers the injected count within its Poisson error.
import { describe, expect, it } from 'vitest';
import { signalStudy } from '../../src-main/cli/simulators/signal-study';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { loadSetup } from '../../setups/load';
import { batchOf, ids, twinFor } from '../support/twin-data';

const setup = loadSetup('hadron');
const config = monitorConfigFor(setup);

/** Reconstruct `spills` spills of a hadron twin injecting `perPion`; per spill the injected mean × live fraction. */
function take(seed: number, perPion: number, spills: number) {
  const { twin, encoder } = twinFor('hadron', seed, { signalPerElectron: perPion });
  let selected = 0;
  let expectedRecorded = 0;
  let signalAlone = 0;
  let signalAloneSelected = 0;
  for (let s = 0; s < spills; s++) {
    const spill = twin.spill(s);
    const h = new SpillHistograms(config);
    let n = 0;
    for (let e = spill.next(); e; e = spill.next()) {
      const before = h.figures.signalCandidates;
      h.fill(batchOf([encoder.event(e, ids(++n, s + 1)).slice()]));
      // A recorded M⁰ event with no pile-up particle: nothing but the disappearance to see.
      if (e.truth.signal && e.truth.particles.length === 1) {
        signalAlone++;
        if (h.figures.signalCandidates > before) signalAloneSelected++;
      }
    }
    selected += h.figures.signalCandidates;
    // The DAQ records signal only while it is live (the POT count corrects for the dead time, not ε).
    expectedRecorded += spill.injectedMean * (1 - spill.scalers.deadTimeUs / spill.scalers.gateUs);
  }
  return { selected, expectedRecorded, signalAlone, signalAloneSelected };
}

describe('hadron beam: M⁰ → invisible', () => {
  it('finds no candidate in π⁻ spills without signal: every pion, interacting or not, leaves its energy', () => {
    expect(take(8, 0, 2).selected).toBe(0);
  });

  it('recovers the injected M⁰ → invisible count within its Poisson error, with the efficiency of a separate signal study', () => {
    const study = signalStudy(setup, 20, 10_000, 41);
    const efficiency = study.selected / study.generated;
    // Pile-up (≈ 10 % of the events at 10⁶ π/s) is what the selection loses; the trigger ≈ 4 %.
    expect(efficiency).toBeGreaterThan(0.8);
    expect(efficiency).toBeLessThan(0.95);
    const run = take(9, 1e-4, 3);
    expect(run.expectedRecorded).toBeGreaterThan(1200);
    const estimated = run.selected / efficiency;
    const sigma = Math.sqrt(run.selected) / efficiency;
    expect(Math.abs(estimated - run.expectedRecorded)).toBeLessThan(2 * sigma);
    // Without pile-up every recorded M⁰ event is selected.
    expect(run.signalAloneSelected).toBe(run.signalAlone);
  });
});
