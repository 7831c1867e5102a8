// A run of the twin with injected signal through the app's reconstruction, event by event, kept against the
// generator's truth: for the end-to-end selection tests of each setup.
import { expect } from 'vitest';
import { signalStudy } from '../../src-main/cli/simulators/signal-study';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { loadSetup } from '../../setups/load';
import { batchOf, ids, twinFor } from './twin-data';

/**
 * Reconstruct `spills` spills of setup `name` injecting `perParticle` signal events per beam particle of the
 * setup's kind. `expectedRecorded`: per spill the injected mean × the DAQ's live fraction (signal is recorded
 * only while the DAQ is live; the counting unit corrects for the dead time, not the efficiency). `meson`
 * 'kaon' (hadron beam): the M⁰ comes from the K⁻'s charge exchange, injected per kaon, and `selected` counts the
 * candidates the CEDAR tagged (the K̄⁰ → invisible channel). `massMeV`: the injected A′ / Z_μ mass (the twin's
 * default when not given).
 */
export function signalRun(name: string, seed: number, perParticle: number, spills: number, meson?: 'pion' | 'kaon', massMeV?: number) {
  const { setup, twin, encoder } = twinFor(name, seed, { signalPerElectron: perParticle, ...(meson ? { signalMeson: meson } : {}), ...(massMeV ? { signalMassGeV: massMeV / 1000 } : {}) });
  const config = monitorConfigFor(setup);
  let selected = 0;
  let expectedRecorded = 0;
  let signalAlone = 0;
  let signalAloneSelected = 0;
  /** Candidates the CEDAR tagged as kaons. */
  let kaonTagged = 0;
  for (let s = 0; s < spills; s++) {
    const spill = twin.spill(s);
    const h = new SpillHistograms(config);
    let n = 0;
    for (let e = spill.next(); e; e = spill.next()) {
      const before = h.figures.signalCandidates;
      h.fill(batchOf([encoder.event(e, ids(++n, s + 1)).slice()]));
      const candidate = h.figures.signalCandidates > before;
      if (candidate && h.kaonTagged) kaonTagged++;
      // A recorded signal event with no pile-up particle: nothing but the signature to see.
      if (e.truth.signal && e.truth.particles.length === 1) {
        signalAlone++;
        if (candidate && (meson !== 'kaon' || h.kaonTagged)) signalAloneSelected++;
      }
    }
    selected += meson === 'kaon' ? 0 : h.figures.signalCandidates;
    expectedRecorded += spill.injectedMean * (1 - spill.scalers.deadTimeUs / spill.scalers.gateUs);
  }
  if (meson === 'kaon') selected = kaonTagged;
  return { selected, expectedRecorded, signalAlone, signalAloneSelected, kaonTagged };
}

/**
 * The end-to-end recovery of an injected signal: a signal study of its own (seed 41, other events) measures
 * the selection's efficiency at `massMeV`, then a run with `perParticle` injected (seed 9, `spills` spills) must
 * give back the injected count, selected ÷ efficiency, within 2 Poisson σ of the selected count. Returns both
 * for the setup's own further checks. `meson` 'kaon': the K̄⁰ → invisible channel (signalRun), its efficiency
 * that of the candidates the CEDAR tags.
 */
export function expectInjectedRecovered(name: string, massMeV: number, studyEvents: number, perParticle: number, spills: number, meson?: 'pion' | 'kaon') {
  let tagged = 0;
  // Event by event only where the tag matters (one event a batch is slower).
  const study = signalStudy(loadSetup(name), massMeV, studyEvents, 41, meson === 'kaon' ? { meson, each: (_, selected, kaonTagged) => void (selected && kaonTagged && tagged++) } : {});
  const efficiency = (meson === 'kaon' ? tagged : study.selected) / study.generated;
  // The run injects the mass whose efficiency the study measured (the efficiency depends on it).
  const run = signalRun(name, 9, perParticle, spills, meson, massMeV);
  const sigma = Math.sqrt(run.selected) / efficiency;
  expect(Math.abs(run.selected / efficiency - run.expectedRecorded)).toBeLessThan(2 * sigma);
  return { efficiency, run };
}
