// Two takes of one recorded run for the blinding tests: the twin simulates the same raw file with and without
// A′ → invisible signal (same seed: the twin draws the signal from a random stream of its own, so every other
// event is the same bit for bit), and each file is replayed through the real spill path (driver, monitor
// workers, spill service, DQ: `openOfflineReplay`, as `na64rc replay` does) into a data directory of its own,
// both sealed with one fixed blinding key. The test knows the key: it opens the sealed spills itself.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { RawInspector } from '../../drivers/na64-daq/raw-file';
import type { Db } from '../../src-main/archive/database';
import { simulateRawFile } from '../../src-main/cli/simulators/raw-files';
import { BLINDING_KEY_FILE, SignalBoxSeal } from '../../src-main/dq/signal-box-seal';
import { silentLogger, type Logger } from '../../src-main/log';
import { BOX_FIELDS, isRandomOnly } from '../../src-main/monitor/recon/spill-histograms';
import { openOfflineReplay, type OfflineReplay } from '../../src-main/replay/offline';
import type { SignalBox } from '../../src-main/monitor/recon/config';
import type { HistSnapshot } from '../../src-main/shared/histogram';
import { physicsCuts } from '../../src-main/setup/monitoring';
import { loadSetup } from '../../setups/load';

export const BLINDED_SETUP = loadSetup('invisible-e');
export const SPILLS = 2;
export const SEED = 23;
/** A′ → invisible per electron on target: ≈ 15 signal triggers a spill (with the hidden sample, within one payload size). */
export const SIGNAL = 4e-6;

/**
 * The blinding key, fixed so that the hidden sample (picked by a hash keyed from it) is the same in every run
 * of these tests. With a random key, whether the sample held a random trigger (≈ 0.3 a spill) varied from run
 * to run, and the unblinding test failed about half the time. The sample of this key holds one.
 */
export const BLINDING_TEST_KEY = createHash('sha256').update('na64rc blinding test').digest();

export interface Take {
  /** The raw file the twin wrote. */
  raw: string;
  /** The data directory: na64rc.sqlite, blinding.key. */
  dir: string;
  offline: OfflineReplay;
  run: number;
}

/**
 * Simulate `root/NAME.dat` (`signal` A′ per electron on target) and make the data directory `root/NAME/`
 * with the test's blinding key in it; nothing replayed yet.
 */
export function simulateTake(root: string, name: string, signal: number): { raw: string; dir: string } {
  const raw = join(root, `${name}.dat`);
  simulateRawFile({ setup: 'invisible-e', spills: SPILLS, seed: SEED, run: 1, signal, out: raw }, () => undefined);
  const dir = join(root, name);
  // Both databases sealed with one key: the hidden sample picks alike, and the payloads compare for size.
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, BLINDING_KEY_FILE), BLINDING_TEST_KEY, { mode: 0o600 });
  return { raw, dir };
}

/**
 * `simulateTake`, then replay the file into its data directory offline (as `na64rc replay` does). `log`: the
 * replay's logger (silent unless given). The replay's services stay open in `offline`.
 */
export async function takeBlinded(root: string, name: string, signal: number, log: Logger = silentLogger()): Promise<Take> {
  const { raw, dir } = simulateTake(root, name, signal);
  const offline = await openOfflineReplay({ dataDir: dir, setup: BLINDED_SETUP, user: 'tester', workers: 1, log });
  await offline.replay.start({ files: [raw], speed: 'max', type: 'physics', comment: '', by: 'tester' });
  const status = await offline.replay.settled();
  expect(status.state).toBe('done');
  return { raw, dir, offline, run: status.run! };
}

/** Physics events the file holds per burst (the independent reader behind `na64rc inspect`). */
export function inspectBursts(path: string): number[] {
  const inspector = new RawInspector();
  inspector.push(new Uint8Array(readFileSync(path)));
  return inspector.summary().bursts.map((b) => b.events['PHYSICS'] ?? 0);
}
export const physicsEvents = (path: string): number => inspectBursts(path).reduce((a, b) => a + b, 0);

export interface SealedSpillFigures {
  candidates: number;
  /** Sealed records: the box's and the hidden sample's. */
  records: number;
  /** Records of beam triggers (the hidden sample can hold a random trigger, the box cannot). */
  beamRecords: number;
}

/** Every sealed spill of `run` in `db`, opened with the key in `dir` (without unblinding). */
export function sealedSpills(dir: string, db: Db, run: number): SealedSpillFigures[] {
  const seal = new SignalBoxSeal(join(dir, BLINDING_KEY_FILE));
  const trigger = BOX_FIELDS.indexOf('trigger');
  return (db.prepare('SELECT payload FROM dq_sealed_spills WHERE run = ? ORDER BY spill').all(run) as { payload: Uint8Array }[]).map((r) => {
    const s = seal.open(r.payload);
    const records = s.events.length / BOX_FIELDS.length;
    let beamRecords = 0;
    for (let i = 0; i < records; i++) if (!isRandomOnly(s.events[i * BOX_FIELDS.length + trigger]!)) beamRecords++;
    return { candidates: s.candidates, records, beamRecords };
  });
}

export const ecalBelowGeV = (box: SignalBox): number => (box.mode === 'missing-energy' ? box.ecalBelowGeV : Number.NaN);

/** Every histogram an event fills once (the per-channel maps are filled once per channel). */
export const PER_EVENT = ['ecal_energy', 'ecal_preshower', 'hcal_energy', 'ecal_vs_hcal', 'veto_energy', 'trigger_rates'];

/**
 * Entries of a stored E_HCAL vs E_ECAL histogram in the rectangle a blinded run's served copy empties (the box
 * region, below the signal cut in E_ECAL and the quiet cut in E_HCAL, underflows included): events there that
 * are not in the box (an injected A′ whose electron the SRD missed) are stored but not served.
 */
export function boxRectangleEntries(h: HistSnapshot): number {
  if (h.kind !== 'TH2D') throw new Error('ecal_vs_hcal is not 2-D');
  const cuts = physicsCuts(BLINDED_SETUP);
  const nx = h.x.nbins;
  const wx = (h.x.max - h.x.min) / nx;
  const wy = (h.y.max - h.y.min) / h.y.nbins;
  let n = 0;
  for (let by = 0; by <= h.y.nbins + 1; by++) {
    for (let bx = 0; bx <= nx + 1; bx++) {
      const xLow = bx === 0 ? Number.NEGATIVE_INFINITY : h.x.min + (bx - 1) * wx;
      const yLow = by === 0 ? Number.NEGATIVE_INFINITY : h.y.min + (by - 1) * wy;
      if (xLow < ecalBelowGeV(cuts.signal) && yLow < cuts.hcalQuietGeV) n += h.contents[bx + (nx + 2) * by]!;
    }
  }
  return n;
}
