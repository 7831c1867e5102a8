// The beam scan's physics against the twin's truth, in process: known per-cell gains (±15 %), the beam
// steered onto every tower in turn, real DATE bytes decoded and recorded as the monitor workers do, and the
// joint solution of the scan solver. The twin's gains drift meanwhile (its slow random walk, ≈ 0.2 % over
// the 36 spills), which the LED correction takes out. Every main constant comes back within 0.5 % of the
// truth, every preshower constant within 5 %.
import { describe, expect, it } from 'vitest';
import { solveScan } from '../../src-main/calibration/recon/scan-solver';
import { peakShares } from '../../src-main/calibration/recon/targets';
import { targetModel } from '../../src-main/setup/calibration';
import { knownGains, scanRecords, scanSetup as setup, scanTwin } from '../support/beam-scan';

const T = 36;

describe('beam scan against the twin truth', () => {
  it('recovers known gains of ±15 % within 0.5 % for every main cell (preshower within 5 %)', () => {
    const gains = knownGains(5);
    const towers = Array.from({ length: T }, (_, t) => t);
    const records = scanRecords(scanTwin(3, gains), towers);
    const nominal = (s: number) => Array.from({ length: T }, () => 1 / (s === 0 ? 100 : 26.7));
    const results = solveScan(
      { nx: 6, ny: 6, towers, targets: targetModel(setup), preshower: nominal(0), main: nominal(1), minEvents: 2000, model: 'gauss', deadAdc: 10, saturatedShare: 0.05, names: towers.map((t) => `(${Math.floor(t / 6)},${t % 6})`) },
      records,
    );
    // A perfect calibration makes an electron on the beam cell read E_beam: truth = nominal / gain / its peak share.
    const ref = peakShares(targetModel(setup))[3 * 6 + 3]!;
    const worst = { main: 0, ps: 0 };
    for (const r of results) {
      const [x, y] = [Math.floor(r.tower / 6), r.tower % 6];
      expect(r.status, r.reason).toBe('ok');
      const truthMain = 1 / 26.7 / gains.get(`ECAL1-${x}-${y}`)! / ref;
      const truthPs = 1 / 100 / gains.get(`ECAL0-${x}-${y}`)! / ref;
      worst.main = Math.max(worst.main, Math.abs(r.main.value / truthMain - 1));
      worst.ps = Math.max(worst.ps, Math.abs(r.preshower.value / truthPs - 1));
    }
    expect(worst.main).toBeLessThan(0.005);
    expect(worst.ps).toBeLessThan(0.05);
  }, 120_000);
});
