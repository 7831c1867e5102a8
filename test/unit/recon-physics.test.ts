// The reconstruction against the twin's truth: beam energy, EOT (within 0.5 %), hadron fraction, SRD
// efficiency and hadron suppression; and the data-quality checks flag injected dead, hot and noisy channels
// within one spill. Real DATE bytes from the twin, decoded and reconstructed as the workers do.
import { describe, expect, it } from 'vitest';
import { TwinEncoder } from '../../drivers/na64-daq/encoder';
import { Random } from '../../drivers/twin/random';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import { Twin } from '../../drivers/twin/twin';
import { beamPeak, runChecks, spillOccupancy, type DqCheck } from '../../src-main/dq/checks';
import { electronsOnTarget } from '../../src-main/dq/eot';
import { addFigures, emptyFigures } from '../../src-main/monitor/recon/figures';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import { loadSetup, type Setup } from '../../setups/load';
import { batchOf, ids } from '../support/twin-data';
import { nominalReading, peakReading } from '../support/twin-truth';

/** invisible-e with the beam trigger prescaled 1:100 (instead of 1:1000): 50,000 beam triggers per spill. */
const base = loadSetup('invisible-e');
const setup: Setup = { ...base, trigger: { ...base.trigger, beamPrescale: 100 } };
const config = monitorConfigFor(setup);

/**
 * Reconstruct spill `sequence`; with `split`, the events without a pile-up particle apart from those with one
 * (the pile-up-free ones hold the reconstruction against the deposits the twin drew; a spill's figures are the
 * two added), else all of them in `clean`.
 */
function reconstruct(twin: Twin, encoder: TwinEncoder, sequence: number, split = true) {
  const spill = twin.spill(sequence);
  const clean = new SpillHistograms(config);
  const piled = new SpillHistograms(config);
  const batches = { clean: [] as Uint8Array[], piled: [] as Uint8Array[] };
  let n = 0;
  /** Hadron-triggered events with a pile-up electron: its synchrotron light may reach the SRD window. */
  let hadronsWithPileupElectron = 0;
  for (let e = spill.next(); e; e = spill.next()) {
    const [first, ...pileup] = e.truth.particles;
    if (first?.particle === 'hadron' && pileup.some((p) => p.particle === 'electron')) hadronsWithPileupElectron++;
    const batch = split && pileup.length ? batches.piled : batches.clean;
    batch.push(encoder.event(e, ids(++n, sequence + 1)));
    if (batch.length === 2000) {
      (batch === batches.clean ? clean : piled).fill(batchOf(batch));
      batch.length = 0;
    }
  }
  clean.fill(batchOf(batches.clean));
  piled.fill(batchOf(batches.piled));
  return { spill, clean, piled, figures: addFigures(addFigures(emptyFigures(), clean.figures), piled.figures), hadronsWithPileupElectron };
}

function newTwin(seed: number, of: Setup = setup) {
  const twin = new Twin(of, { seed, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs });
  const encoder = TwinEncoder.of(twin, setup.channelMap);
  return { twin, encoder };
}

describe('reconstruction against the twin truth', () => {
  it('recovers EOT within 0.5 %, the beam energy, the hadron fraction, the SRD efficiency and the hadron suppression', () => {
    const { twin, encoder } = newTwin(11);
    const f = twin.response.composition();
    const electronShare = f.electron / (f.electron + f.hadron + f.muon);
    const hadronShare = f.hadron / (f.electron + f.hadron + f.muon);
    let eot = 0;
    let eotNoScaler = 0;
    let truth = 0;
    let beam = 0;
    let hadrons = 0;
    let electrons = 0;
    let electronsSrd = 0;
    let piledElectrons = 0;
    let piledElectronsSrd = 0;
    let ecal = 0;
    let caloHadrons = 0;
    let caloHadronsSrd = 0;
    let withPileup = 0;
    for (let s = 0; s < 3; s++) {
      const { spill, clean, piled, figures: x, hadronsWithPileupElectron } = reconstruct(twin, encoder, s);
      withPileup += hadronsWithPileupElectron;
      const deadTime = spill.scalers.deadTimeUs / spill.scalers.gateUs;
      expect(deadTime).toBeGreaterThan(0.05); // the correction matters at this rate
      eot += electronsOnTarget(x, { intensity: spill.scalers.particles, prescale: setup.trigger.beamPrescale, deadTimeFraction: deadTime });
      // Without the scaler: prescale and dead-time corrections, exact on average, with the beam triggers' Poisson spread.
      eotNoScaler += electronsOnTarget(x, { intensity: 0, prescale: setup.trigger.beamPrescale, deadTimeFraction: deadTime });
      truth += spill.scalers.particles * electronShare;
      beam += x.beamEvents;
      hadrons += x.beamHadrons;
      electrons += clean.figures.caloElectrons;
      electronsSrd += clean.figures.caloElectronsSrd;
      piledElectrons += piled.figures.caloElectrons;
      piledElectronsSrd += piled.figures.caloElectronsSrd;
      ecal += beamPeak(clean.h.ecalEnergy.snapshot(), 100)!.energy;
      caloHadrons += x.caloHadrons;
      caloHadronsSrd += x.caloHadronsSrd;
      expect(clean.bad + piled.bad).toBe(0);
    }
    expect(Math.abs(eot / truth - 1)).toBeLessThan(0.005);
    // ≈ 135,000 e-tagged beam triggers: σ ≈ 0.27 %.
    expect(Math.abs(eotNoScaler / truth - 1)).toBeLessThan(0.01);
    // At the nominal scale the electron peak reads E_beam × the twin's containment on the beam cell (99.1 %) × what
    // the app's amplitude reads of the twin's pulse (99.5 %): 98.6 GeV, not the beam energy.
    expect(Math.abs(ecal / 3 / nominalReading(setup) - 1)).toBeLessThan(0.005);
    expect(Math.abs(hadrons / beam - hadronShare)).toBeLessThan(0.002);

    // SRD efficiency: the same cut applied to the twin's own deposits of electrons, as the app reads them: its
    // in-time peak height at the nominal scale sees 94.4 % of a deposit, the twin's pulse being slower than the
    // nominal one (the peak of its pulse of amplitude 1). Without that factor the efficiencies differ by 1.5 %.
    const rng = new Random(99);
    const dep = new Float64Array(twin.cells.length);
    const srd = twin.cells.filter((c) => c.kind === 'srd').map((c) => c.index);
    const cut = config.cuts.srd;
    const height = peakReading();
    let pass = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      dep.fill(0);
      twin.response.particle(rng, 'electron', 0, dep);
      const inside = srd.filter((c) => dep[c]! * height * 1000 > cut.moduleMinMeV && dep[c]! * height * 1000 < cut.moduleMaxMeV).length;
      if (inside >= cut.minModules) pass++;
    }
    expect(Math.abs(electronsSrd / electrons - pass / n)).toBeLessThan(0.01);
    // With a pile-up particle (every other event at 5·10⁶ a spill) an electron loses its tag more often: a pile-up
    // electron's light within ≈ 40 ns of its own merges into one pulse, too high (measured: 93.0 % of them
    // tagged against 95.4 % of the pile-up-free ones, 94.4 % over all).
    expect(piledElectrons).toBeGreaterThan(0.5 * electrons);
    expect(piledElectronsSrd / piledElectrons).toBeLessThan(electronsSrd / electrons);
    expect(piledElectronsSrd / piledElectrons).toBeGreaterThan(electronsSrd / electrons - 0.05);
    // Hadrons radiate nothing in the SRD (noise only): the only calorimeter hadrons that pass the cut are the
    // few with a pile-up electron, so the suppression is what pile-up allows.
    expect(caloHadrons).toBeGreaterThan(3000);
    expect(caloHadronsSrd).toBeLessThanOrEqual(withPileup);
    expect(caloHadrons / Math.max(1, caloHadronsSrd)).toBeGreaterThan(30);
  }, 120_000);

  it('flags a dead, a hot and a noisy channel Bad within one spill', () => {
    // The setup as it is (beam trigger 1:1000): ≈ 5,500 events a spill.
    const { twin, encoder } = newTwin(12, base);
    const first = reconstruct(twin, encoder, 0, false).clean;
    const byName = (h: SpillHistograms) => new Map(h.snapshots().map((s) => [s.name, s]));
    const cell = (name: string) => setup.cells.find((c) => c.name === name)!.index;
    const input = (h: SpillHistograms, previous: { h: SpillHistograms; checks: DqCheck[] } | null) => ({
      histograms: byName(h),
      figures: h.figures,
      intensity: 5e6,
      eventsSeen: h.processed,
      beamEnergyGeV: 100,
      names: config.layout.names,
      detectors: config.layout.detectors,
      reference: null,
      previous: previous
        ? { histograms: byName(previous.h), events: previous.h.figures.events, spills: [spillOccupancy(byName(previous.h), previous.h.figures.events, previous.checks)] }
        : null,
    });
    const clean = runChecks(input(first, null));
    expect(clean.detectors['ECAL']).not.toBe('bad');

    twin.setChannelFault(cell('ECAL1-3-3'), 'dead');
    twin.setChannelFault(cell('HCAL3-0-0'), 'hot');
    twin.setChannelFault(cell('VETO2'), 'noisy');
    const faulty = reconstruct(twin, encoder, 1, false).clean;
    const result = runChecks(input(faulty, { h: first, checks: clean.checks }));
    expect(result.detectors['ECAL']).toBe('bad');
    expect(result.detectors['HCAL']).toBe('bad');
    expect(result.detectors['VETO']).toBe('bad');
    expect(result.verdict).toBe('bad');
    const problems = (id: string) => result.checks.find((c) => c.id === id)!.problems!;
    expect(problems('ecal.channels').dead).toEqual(['ECAL1-3-3']);
    expect(problems('hcal.channels').hot).toEqual(['HCAL3-0-0']);
    expect(problems('veto.channels').noisy).toEqual(['VETO2']);
    // Nothing else is flagged.
    expect(result.checks.filter((c) => c.id.endsWith('.channels')).flatMap((c) => c.channels ?? []).sort()).toEqual(['ECAL1-3-3', 'HCAL3-0-0', 'VETO2'].sort());
  }, 120_000);
});
