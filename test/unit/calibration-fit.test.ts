// The calibration peak fit and the scan solver's verdicts on bad cells, on spectra with a known truth: the
// fit's uncertainties (covariance from the Jacobian) must cover the truth as often as a 1σ error should,
// the Crystal Ball must find its tail, and spectra without a usable peak must say so instead of giving a
// number.
import { describe, expect, it } from 'vitest';
import { Random } from '../../drivers/twin/random';
import { fitPeak } from '../../src-main/calibration/recon/peak-fit';
import { solveScan, type SolveInput } from '../../src-main/calibration/recon/scan-solver';
import { towerTargets } from '../../src-main/calibration/recon/targets';
import { targetModel } from '../../src-main/setup/calibration';
import { loadSetup } from '../../setups/load';
import { crystalBallDensity } from '../../src-main/shared/peak-model';
import { RECORD_HEADER, recordLength, SATURATED_MAIN } from '../../src-main/shared/scan-record';
import { concat } from '../support/concat';

const gaussian = (rng: Random, n: number, mu: number, sigma: number) => Float64Array.from({ length: n }, () => mu + sigma * rng.gauss());

/** Events from a Crystal Ball by rejection (tail down to μ − 12σ). */
function crystalBall(rng: Random, n: number, mu: number, sigma: number, alpha: number, power: number): Float64Array {
  const lo = mu - 12 * sigma;
  const hi = mu + 5 * sigma;
  const top = crystalBallDensity(mu, 1, mu, sigma, alpha, power) * 1.01;
  const out = new Float64Array(n);
  for (let i = 0; i < n; ) {
    const x = lo + (hi - lo) * rng.uniform();
    if (rng.uniform() * top < crystalBallDensity(x, 1, mu, sigma, alpha, power)) out[i++] = x;
  }
  return out;
}

describe('peak fit', () => {
  it('finds a Gaussian peak with errors that cover the truth as a 1σ error should (pulls of 300 fits)', () => {
    const rng = new Random(11);
    const pulls: number[] = [];
    for (let k = 0; k < 300; k++) {
      const fit = fitPeak(gaussian(rng, 3000, 100, 1.5), { model: 'gauss' });
      expect(fit.converged, fit.problem ?? '').toBe(true);
      pulls.push((fit.mean - 100) / fit.meanError);
      if (k === 0) {
        expect(fit.parameters.map((p) => p.name)).toEqual(['N', 'μ', 'σ']);
        expect(fit.sigma).toBeCloseTo(1.5, 1);
        // Within ±2σ of the core only ≈ 95 % of the events: the error is near σ/√N, not far from it.
        expect(fit.meanError).toBeGreaterThan(0.8 * (1.5 / Math.sqrt(3000)));
        expect(fit.meanError).toBeLessThan(1.6 * (1.5 / Math.sqrt(3000)));
        expect(fit.chi2 / fit.ndf).toBeLessThan(2.5);
        expect(fit.residuals).toHaveLength(fit.histogram.counts.length);
      }
    }
    const mean = pulls.reduce((s, p) => s + p, 0) / pulls.length;
    const rms = Math.sqrt(pulls.reduce((s, p) => s + (p - mean) ** 2, 0) / pulls.length);
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(rms).toBeGreaterThan(0.8);
    expect(rms).toBeLessThan(1.25);
  });

  it('fits a Crystal Ball tail: μ and σ of the core and α within their errors', () => {
    const rng = new Random(12);
    const values = crystalBall(rng, 20_000, 100, 1.5, 1.2, 4);
    const fit = fitPeak(values, { model: 'crystal-ball' });
    expect(fit.converged, fit.problem ?? '').toBe(true);
    const p = Object.fromEntries(fit.parameters.map((q) => [q.name, q]));
    expect(Object.keys(p)).toEqual(['N', 'μ', 'σ', 'α', 'n']);
    expect(Math.abs(p['μ']!.value - 100)).toBeLessThan(4 * p['μ']!.error);
    expect(Math.abs(p['σ']!.value - 1.5)).toBeLessThan(4 * p['σ']!.error);
    expect(Math.abs(p['α']!.value - 1.2)).toBeLessThan(4 * p['α']!.error);
    expect(p['α']!.error).toBeLessThan(0.3);
    // A Gaussian core on the same spectrum is pulled low by the tail less than the Crystal Ball's mean error
    // would allow only if it is cut tightly: here it is more than 2σ away, which is why the model exists.
    const core = fitPeak(values, { model: 'gauss', coreSigmas: 3 });
    expect(core.converged).toBe(true);
    expect(Math.abs(core.mean - 100)).toBeGreaterThan(2 * p['μ']!.error);
  });

  it('says why a spectrum has no usable peak instead of giving a number', () => {
    const rng = new Random(13);
    const same = fitPeak(new Float64Array(500).fill(42), { model: 'gauss' });
    expect(same).toMatchObject({ converged: false, problem: 'the spectrum has no spread: every event gives the same value' });
    const few = fitPeak(gaussian(rng, 8, 100, 1.5), { model: 'gauss' });
    expect(few.converged).toBe(false);
    expect(few.problem).toMatch(/^only \d+ events in the fit range$/);
    const flat = fitPeak(Float64Array.from({ length: 5000 }, () => 50 + 100 * rng.uniform()), { model: 'gauss' });
    expect(flat.converged).toBe(false);
    expect(flat.problem).toMatch(/no peak|does not describe|outside the fit range|did not converge/);
    for (const f of [same, few, flat]) expect(Number.isNaN(f.mean) || !f.converged).toBe(true);
  });
});

describe('scan solver verdicts', () => {
  const setup = loadSetup('invisible-e');
  const T = 36;
  const model = targetModel(setup);
  const targets = towerTargets(model);
  const nominal = (adcPerGeV: number) => Array.from({ length: T }, () => 1 / adcPerGeV);
  const input = (towers: number[]): SolveInput => ({
    nx: 6,
    ny: 6,
    towers,
    targets: model,
    preshower: nominal(100),
    main: nominal(26.7),
    minEvents: 1000,
    model: 'gauss',
    deadAdc: 10,
    saturatedShare: 0.05,
    names: Array.from({ length: T }, (_, t) => `(${Math.floor(t / 6)},${t % 6})`),
  });

  /** Records of events aimed at and centred on `tower`: its energy (GeV) split 6 % preshower, 94 % main. */
  function records(tower: number, energies: ArrayLike<number>, flags = 0, aimed = tower): Float32Array {
    const size = recordLength(T);
    const out = new Float32Array(size * energies.length);
    for (let i = 0; i < energies.length; i++) {
      const at = i * size;
      out[at] = aimed;
      out[at + 1] = tower;
      out[at + 2] = flags;
      out[at + RECORD_HEADER + tower] = 0.06 * energies[i]! * 100;
      out[at + RECORD_HEADER + T + tower] = 0.94 * energies[i]! * 26.7;
    }
    return out;
  }

  it('calibrates a good cell and gives every bad one its status and reason, keeping its constant', () => {
    const rng = new Random(21);
    const good = 14; // (2,2)
    const scale = 1.1; // the good cell reads 10 % high with the nominal constants
    const data = concat([
      records(good, gaussian(rng, 3000, targets[good]! * scale, 1.5)),
      records(15, new Float64Array(2000).fill(0.001)), // (2,3): no signal where the beam is
      records(20, gaussian(rng, 2000, targets[20]!, 1.5), SATURATED_MAIN), // (3,2): clips
      records(21, gaussian(rng, 300, targets[21]!, 1.5)), // (3,3): 300 of 1000 events
      records(8, Float64Array.from({ length: 3000 }, () => targets[8]! * (0.3 + 1.2 * rng.uniform()))), // (1,2): flat
    ]);
    const results = solveScan(input([good, 15, 20, 21, 8, 9]), data);
    const by = new Map(results.map((r) => [r.tower, r]));
    expect(by.get(good)!.status, by.get(good)!.reason).toBe('ok');
    expect(by.get(good)!.main.value * scale * 26.7).toBeCloseTo(1, 2);
    expect(by.get(good)!.main.uncertainty).toBeGreaterThan(0);
    expect(by.get(15)).toMatchObject({ status: 'dead', reason: expect.stringMatching(/^\(2,3\) shows no signal in 100 % of the 2000 events aimed at it/) });
    expect(by.get(20)).toMatchObject({ status: 'saturated', reason: expect.stringMatching(/clips at the ADC maximum in 100 % of its events: lower its HV/) });
    expect(by.get(21)).toMatchObject({ status: 'too-few-events', reason: expect.stringMatching(/has 300 of the 1000 events needed; extend the scan/) });
    expect(['fit-failed', 'not-converged']).toContain(by.get(8)!.status);
    expect(by.get(8)!.reason).toMatch(/^\(1,2\): .+ It keeps its present constant\.$|^\(1,2\): .+; it keeps its present constant\.$/);
    expect(by.get(9)).toMatchObject({ status: 'too-few-events', reason: expect.stringMatching(/\(the beam never hit it\)/) });
    for (const t of [15, 20, 21, 8, 9]) {
      expect(by.get(t)!.main.value).toBe(1 / 26.7);
      expect(by.get(t)!.preshower.value).toBe(1 / 100);
    }
  });

  it('follows the cell with the maximum energy when the beam is steered by hand (no aim known)', () => {
    const rng = new Random(22);
    // The workers record only full showers (the ECAL sum above 30 % of E_beam), so a dead cell's events show
    // up centred on its neighbours, if at all.
    const data = records(14, gaussian(rng, 3000, targets[14]! * 0.9, 1.5), 0, -1);
    const [good, quiet] = solveScan(input([14, 15]), data);
    expect(good!.status, good!.reason).toBe('ok');
    expect(good!.main.value * 0.9 * 26.7).toBeCloseTo(1, 2);
    // Without an aim a dead cell cannot be told from one the beam never reached.
    expect(quiet).toMatchObject({ status: 'too-few-events', reason: expect.stringMatching(/has 0 of the 1000 events needed \(the beam never hit it\)/) });
  });
});
