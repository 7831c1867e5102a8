// The beam scan's physics against the twin's truth, in process: known per-cell gains (±15 %), the beam
// steered onto every tower in turn, real DATE bytes decoded and recorded as the monitor workers do, and the
// joint solution of the scan solver. The twin's gains drift meanwhile (its slow random walk, ≈ 0.2 % over
// the 36 spills), which the LED correction takes out. Every main constant comes back within 0.5 % of the
// truth, every preshower constant within 5 %.
import { describe, expect, it } from 'vitest';
import { TwinEncoder } from '../../drivers/na64-daq/encoder';
import { Random } from '../../drivers/twin/random';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import { Twin } from '../../drivers/twin/twin';
import { solveScan } from '../../src-main/calibration/recon/scan-solver';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { peakShares } from '../../src-main/calibration/recon/targets';
import { targetModel } from '../../src-main/setup/calibration';
import { LedTracker } from '../../src-main/calibration/led-tracker';
import { monitorConfigFor, nominalCalibration } from '../../src-main/setup/monitoring';
import { loadSetup, type Setup } from '../../src-main/setup/setups';
import { concat } from '../support/concat';
import { batchOf, ids } from '../support/twin-data';

/** invisible-e with only the beam trigger, 2500 beam triggers per spill: what a calibration run records. */
const base = loadSetup('invisible-e');
const setup: Setup = { ...base, beam: { ...base.beam, particlesPerSpill: 2_500_000, intensityRms: 0 }, trigger: { ...base.trigger, physics: null, randomHz: 0 } };
const T = 36;

function knownGains(seed: number): Map<string, number> {
  const rng = new Random(seed);
  const gains = new Map<string, number>();
  for (const c of setup.cells) if (c.kind === 'ecal') gains.set(c.name, 0.85 + 0.3 * rng.uniform());
  return gains;
}

/**
 * One spill per tower, each reconstructed with the LED correction of the gap before it against the reference
 * of the gap before the scan, as the app does: the twin's gains drift by a random walk meanwhile.
 */
function scan(twin: Twin, towers: readonly number[]) {
  const encoder = new TwinEncoder(twin.cells.map((c) => c.name), setup.channelMap, twin.digitizer.samples);
  const ecal = setup.cells.filter((c) => c.kind === 'ecal');
  const tracker = new LedTracker(monitorConfigFor(setup), ecal.map((c) => c.name), ecal.map((c) => c.index));
  tracker.beginRun();
  const ledGap = (sequence: number) => {
    const led = twin.led(sequence);
    const events: Uint8Array[] = [];
    for (let e = led.next(); e; e = led.next()) events.push(encoder.event(e, ids(events.length + 1, sequence + 1)));
    return tracker.measure(sequence, batchOf(events));
  };
  const first = ledGap(0);
  const reference = Float64Array.from(first.amplitude);
  const parts: Float32Array[] = [];
  towers.forEach((t, i) => {
    const sequence = i + 1;
    const led = tracker.correction(i === 0 ? first : ledGap(sequence - 1), reference);
    const ledCorrection = setup.cells.map(() => 1);
    ecal.forEach((c, k) => (ledCorrection[c.index] = led.factor[k]!));
    twin.steer([Math.floor(t / 6), t % 6]);
    const config = { ...monitorConfigFor(setup, { ...nominalCalibration(setup), ledCorrection }), scan: { towers: [t], aimed: t, minEcalGeV: 30, maxRecords: 20_000 } };
    const h = new SpillHistograms(config);
    const spill = twin.spill(sequence);
    const events: Uint8Array[] = [];
    for (let e = spill.next(); e; e = spill.next()) events.push(encoder.event(e, ids(events.length + 1, sequence + 1)));
    h.fill(batchOf(events));
    parts.push(h.scanSnapshot()!);
  });
  return concat(parts);
}

describe('beam scan against the twin truth', () => {
  it('recovers known gains of ±15 % within 0.5 % for every main cell (preshower within 5 %)', () => {
    const gains = knownGains(5);
    const twin = new Twin(setup, { seed: 3, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs, cellGains: gains });
    const towers = Array.from({ length: T }, (_, t) => t);
    const records = scan(twin, towers);
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
