// A beam scan of the twin as the app records it, for the calibration tests and benchmark: one spill per
// tower, the beam steered onto it, real DATE bytes decoded by the monitor's reconstruction, each spill with
// the LED correction of the gap before it against the reference of the gap before the scan.
import { TwinEncoder } from '../../drivers/na64-daq/encoder';
import { Random } from '../../drivers/twin/random';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import { Twin } from '../../drivers/twin/twin';
import { LedTracker } from '../../src-main/calibration/led-tracker';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { monitorConfigFor, nominalCalibration } from '../../src-main/setup/monitoring';
import { loadSetup, type Setup } from '../../setups/load';
import { concat } from './concat';
import { batchOf, ids } from './twin-data';

/** invisible-e with only the beam trigger, 2500 beam triggers per spill: what a calibration run records. */
const base = loadSetup('invisible-e');
export const scanSetup: Setup = { ...base, beam: { ...base.beam, particlesPerSpill: 2_500_000, intensityRms: 0 }, trigger: { ...base.trigger, physics: null, randomHz: 0 } };

/** Known gain factors of every ECAL cell, uniform in ±15 %. */
export function knownGains(seed: number): Map<string, number> {
  const rng = new Random(seed);
  const gains = new Map<string, number>();
  for (const c of scanSetup.cells) if (c.kind === 'ecal') gains.set(c.name, 0.85 + 0.3 * rng.uniform());
  return gains;
}

export function scanTwin(seed: number, cellGains: ReadonlyMap<string, number>): Twin {
  return new Twin(scanSetup, { seed, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs, cellGains });
}

/** The records of a scan of `towers` (x·ny + y), one spill each; the twin's gains drift meanwhile. */
export function scanRecords(twin: Twin, towers: readonly number[]): Float32Array {
  const setup = scanSetup;
  const ny = setup.detectors.ecal.ny;
  const encoder = TwinEncoder.of(twin, setup.channelMap);
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
    twin.steer([Math.floor(t / ny), t % ny]);
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
