// The signal Monte Carlo behind `na64rc signal-efficiency`: the twin's A′ events through the trigger, the DAQ's
// encoding and the app's reconstruction; checked event by event against the generator's truth (the energy
// fraction each A′ took), not against any figure the twin wrote.
import { describe, expect, it } from 'vitest';
import { signalStudy } from '../../src-main/cli/simulators/signal-study';
import { binomialError, efficiencyAt } from '../../src-main/dq/signal-efficiency';
import { expectInjectedRecovered } from '../support/signal-run';
import { physicsCuts } from '../../src-main/setup/monitoring';
import { loadSetup } from '../../setups/load';

const setup = loadSetup('invisible-e');
const cuts = physicsCuts(setup);
const box = cuts.signal.mode === 'missing-energy' ? cuts.signal.ecalBelowGeV : Number.NaN;

describe('signal study', () => {
  it('selects the triggered A′ events whose recoil electron left less than the signal-region ECAL energy, and no others', () => {
    const e0 = setup.beam.energyGeV;
    let recoilBelow = 0;
    let recoilBelowSelected = 0;
    let recoilAboveSelected = 0;
    const r = signalStudy(setup, 20, 3000, 3, { each: (x, selected) => {
      const recoil = (1 - x) * e0;
      // ±3 σ of the ECAL resolution at the cut (σ/E = 10 %/√E ⊕ 1 % ≈ 1.8 % at 50 GeV) kept out of both counts.
      if (recoil < 0.95 * box) {
        recoilBelow++;
        if (selected) recoilBelowSelected++;
      } else if (recoil > 1.05 * box && selected) recoilAboveSelected++;
    } });
    expect(r.generated).toBe(3000);
    expect(r.triggered).toBeLessThanOrEqual(r.generated);
    expect(r.selected).toBeLessThanOrEqual(r.triggered);
    expect(recoilBelow).toBeGreaterThan(500);
    // What the selection loses of them: the SRD's working point (≈ 95 % of electrons tagged) and pile-up in
    // the VETO or the HCAL (≈ 5 %).
    expect(recoilBelowSelected / recoilBelow).toBeGreaterThan(0.85);
    expect(recoilAboveSelected).toBe(0);
  });

  it('measures an efficiency that falls with the mass: a heavier A′ leaves the recoil electron too little to fire the preshower trigger', () => {
    const light = signalStudy(setup, 1, 4000, 5);
    const heavy = signalStudy(setup, 200, 4000, 5);
    const eff = (s: typeof light) => s.selected / s.generated;
    expect(eff(light)).toBeGreaterThan(eff(heavy) + 0.1);
    expect(heavy.triggered / heavy.generated).toBeLessThan(light.triggered / light.generated);
  });

  it('measures a stable efficiency: other seeds, and the beam at half its intensity, agree within 3 binomial σ', () => {
    // 5000 A′ of 20 MeV each (σ ≈ 0.6 % on ≈ 27 %). Half the intensity has less pile-up (≈ 0.5 % more efficiency,
    // within the errors); at twice the nominal pile-up costs ≈ 2 points (27 → 25 %), about 2 σ here, so that is not asked.
    const at = (seed: number, particlesPerSpill = setup.beam.particlesPerSpill) => {
      const r = signalStudy({ ...setup, beam: { ...setup.beam, particlesPerSpill } }, 20, 5000, seed);
      return { e: r.selected / r.generated, sigma: binomialError(r.selected, r.generated) };
    };
    const agree = (a: { e: number; sigma: number }, b: { e: number; sigma: number }) =>
      expect(Math.abs(a.e - b.e), `${a.e} vs ${b.e}`).toBeLessThan(3 * Math.hypot(a.sigma, b.sigma));
    const nominal = at(11);
    expect(nominal.e).toBeGreaterThan(0.2);
    expect(nominal.sigma).toBeGreaterThan(0);
    agree(nominal, at(12));
    agree(nominal, at(13));
    agree(nominal, at(11, setup.beam.particlesPerSpill / 2));
  });

  it('recovers the injected A′ count of a run within 2 Poisson σ through the efficiency of a separate signal study', () => {
    const { efficiency, run } = expectInjectedRecovered('invisible-e', 20, 5000, 1e-4, 2);
    expect(efficiency).toBeGreaterThan(0.2);
    expect(run.expectedRecorded).toBeGreaterThan(500);
  });

  it('interpolates a measured efficiency in log(mass), and keeps the nearest outside the measured range', () => {
    const m = (massMeV: number, efficiency: number) => ({ id: 1, setup: 'invisible-e', massMeV, generated: 1, triggered: 1, selected: 1, efficiency, error: 0, method: '', recordedAt: 0, recordedBy: '' });
    const measured = [m(100, 0.2), m(1, 0.6), m(10, 0.4)];
    expect(efficiencyAt([], 10)).toBeNull();
    expect(efficiencyAt(measured, 0.5)).toBe(0.6);
    expect(efficiencyAt(measured, 1000)).toBe(0.2);
    expect(efficiencyAt(measured, 10)).toBeCloseTo(0.4, 12);
    expect(efficiencyAt(measured, Math.sqrt(10))).toBeCloseTo(0.5, 12);
  });
});
