// The beam scan's physics against the twin's truth, in process: known per-cell gains (±15 %), the beam
// steered onto every tower in turn, real DATE bytes decoded and recorded as the monitor workers do, and the
// joint solution of the scan solver. The twin's gains drift meanwhile (its slow random walk, ≈ 0.2 % over
// the 36 spills), which the LED correction takes out.
//
// The twin's ECAL is not the app's design (drivers/twin/truth.ts): its showers are wider and its pulse slower.
// The truth a constant is compared with comes from the generator: the injected gain, the twin's own
// containment of a shower on the beam cell and what the app's amplitude reads of the twin's pulse. The scan's
// targets come from the nominal profile, so they overestimate what edge towers contain: measured, their
// constants come out +1.3–1.8 % high, the corners' +2.8–3.2 %, the inner 4 × 4 within 0.6 % (+0.2–0.4 %
// predicted beside an edge). Each is within 0.2 % (inner) or 0.8 % (edges and corners) of the bias the two
// profiles predict, asserted within 0.5 % and 1 %. The preshower constants come back within 3 % (at most 5 %).
import { describe, expect, it } from 'vitest';
import * as twinTruth from '../../drivers/twin/truth';
import { solveScan } from '../../src-main/calibration/recon/scan-solver';
import { targetModel } from '../../src-main/setup/calibration';
import { ECAL_PROFILE } from '../../setups/nominal';
import { knownGains, scanRecords, scanSetup as setup, scanTwin } from '../support/beam-scan';
import { nominalReading, scanBias } from '../support/twin-truth';

const T = 36;

describe('beam scan against the twin truth', () => {
  it('recovers known gains of ±15 % with the twin\'s own profile: each constant within 0.5 % (inner) or 1 % (edges) of the bias the profile mismatch predicts', () => {
    expect(twinTruth.ECAL_PROFILE).not.toEqual(ECAL_PROFILE);
    const gains = knownGains(5);
    const towers = Array.from({ length: T }, (_, t) => t);
    const records = scanRecords(scanTwin(3, gains), towers);
    const nominal = (s: number) => Array.from({ length: T }, () => 1 / (s === 0 ? 100 : 26.7));
    // One spill a tower: ≈ 1,700 of its 2,500 beam triggers have no pile-up in the ECAL, the ones a scan records.
    const results = solveScan(
      { nx: 6, ny: 6, towers, targets: targetModel(setup), preshower: nominal(0), main: nominal(1), minEvents: 1500, model: 'gauss', deadAdc: 10, saturatedShare: 0.05, names: towers.map((t) => `(${Math.floor(t / 6)},${t % 6})`) },
      records,
    );
    for (const r of results) expect(r.status, r.reason).toBe('ok');
    const byTower = new Map(results.map((r) => [r.tower, r]));
    const name = (part: number, t: number) => `ECAL${part}-${Math.floor(t / 6)}-${t % 6}`;
    const worst = scanBias(setup, (t) => byTower.get(t)!.main.value, (t) => gains.get(name(1, t))!);
    // The preshower's truth: the same with its own scale and gains.
    const ref = nominalReading(setup) / setup.beam.energyGeV;
    const ps = Math.max(...results.map((r) => Math.abs(r.preshower.value * 100 * gains.get(name(0, r.tower))! * ref - 1)));
    expect(worst.innerModel).toBeLessThan(0.005);
    expect(worst.outerModel).toBeLessThan(0.01);
    expect(worst.inner).toBeLessThan(0.008);
    expect(worst.edge).toBeLessThan(0.02);
    expect(worst.corner).toBeLessThan(0.035);
    expect(ps).toBeLessThan(0.05);
  }, 120_000);
});
