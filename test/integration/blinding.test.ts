// Blinding end to end, against the generator's truth: the same recorded run with A′ → invisible signal
// injected and without it (same seed: the twin adds the signal without touching any other event), each
// replayed through the spill path (driver, monitor workers, spill service, DQ) into a real SQLite file of
// its own. An event in the signal box is sealed, and so is a keyed random sample of the others (the hidden
// sample: without it, the box's count would be the DAQ's event count minus the histograms' entries); every
// other event is an ordinary one: the open histograms of the injected run hold exactly the injected events
// that were not sealed more than the plain run's. Every spill is sealed, with candidates or none, in payloads
// of one size, under a key kept out of the database; the box's count is not in the clear, not served, not
// exported. Unblinded, every sealed event is back in the spectra.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisExport } from '../../src-main/export/analysis-export';
import { Hist1D, type HistSnapshot } from '../../src-main/shared/histogram';
import { physicsCuts } from '../../src-main/setup/monitoring';
import { BLINDED_SETUP, boxRectangleEntries, ecalBelowGeV, inspectBursts, PER_EVENT, physicsEvents, sealedSpills, SIGNAL, SPILLS, takeBlinded, type Take } from '../support/blinded-takes';

const setup = BLINDED_SETUP;
let root: string;

interface Taken extends Take {
  exports: AnalysisExport;
}
let plain: Taken;
let injected: Taken;
let injectedTriggers: number;

async function take(name: string, signal: number): Promise<Taken> {
  const t = await takeBlinded(root, name, signal);
  return { ...t, exports: new AnalysisExport(t.offline.db, { archive: t.offline.archive, dq: t.offline.dq, setup, cycleMs: () => 16_800 }) };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'na64rc-blinding-'));
  plain = await take('plain', 0);
  injected = await take('injected', SIGNAL);
  injectedTriggers = physicsEvents(join(root, 'injected.dat')) - physicsEvents(join(root, 'plain.dat'));
}, 240_000);
afterAll(async () => {
  await plain?.offline.close();
  await injected?.offline.close();
  rmSync(root, { recursive: true, force: true });
});

const inBoxRectangle = (t: Taken, spill: number) => boxRectangleEntries(t.offline.archive.histogram(t.run, spill, 'ecal_vs_hcal')!);

function entries(t: Taken, spill: number, name: string, served: boolean): number {
  const stored = t.offline.archive.histogram(t.run, spill, name)!;
  return (served ? t.offline.dq.present(t.run, stored, spill) : stored).entries;
}

/** The test knows the key: it opens the sealed spills itself, without unblinding. */
const sealed = (t: Taken) => sealedSpills(t.dir, t.offline.db, t.run);
const sealedCandidates = (t: Taken) => sealed(t).map((s) => s.candidates);

describe('blinding (invisible-e, signal injected by the twin)', () => {
  it('seals every spill, with candidates or none, in payloads of one size; no count of the box in the clear', () => {
    expect(injectedTriggers).toBeGreaterThan(10);
    const plainBox = sealedCandidates(plain);
    const box = sealedCandidates(injected);
    expect(plainBox).toEqual(Array(SPILLS).fill(0));
    // The selection keeps most of the injected signal (its efficiency) and nothing that was not injected.
    const candidates = box.reduce((a, b) => a + b, 0);
    expect(candidates).toBeGreaterThan(0.4 * injectedTriggers);
    expect(candidates).toBeLessThanOrEqual(injectedTriggers);
    const sizes = new Set([plain, injected].flatMap((t) => (t.offline.db.prepare('SELECT length(payload) AS n FROM dq_sealed_spills').all() as { n: number }[]).map((r) => r.n)));
    expect(sizes.size, JSON.stringify({ sizes: [...sizes], plain: sealed(plain), injected: sealed(injected) })).toBe(1);
    for (const t of [plain, injected]) {
      expect(t.offline.db.prepare('SELECT sum(signal_candidates) AS n FROM spill_dq').get()).toEqual({ n: 0 });
      expect(t.offline.dq.store.run(t.run).every((s) => s.dq.signalCandidates === null)).toBe(true);
    }
  });

  it('stores and serves no sealed event: the open histograms differ by exactly the injected events not sealed', () => {
    const a = sealed(plain);
    const b = sealed(injected);
    for (let spill = 1; spill <= SPILLS; spill++) {
      const injectedHere = inspectBursts(join(root, 'injected.dat'))[spill - 1]! - inspectBursts(join(root, 'plain.dat'))[spill - 1]!;
      // The hidden sample: about one event in 512 of the spill, picked alike in both runs (one key).
      expect(a[spill - 1]!.records).toBeGreaterThan(5);
      const sealedInjected = b[spill - 1]!.records - a[spill - 1]!.records;
      expect(sealedInjected).toBeGreaterThanOrEqual(b[spill - 1]!.candidates);
      for (const name of PER_EVENT) {
        expect(entries(injected, spill, name, false) - entries(plain, spill, name, false), name).toBe(injectedHere - sealedInjected);
        // Served, the box rectangle of ecal_vs_hcal is emptied of the unsealed injected events that fell in it too.
        const hidden = name === 'ecal_vs_hcal' ? inBoxRectangle(injected, spill) - inBoxRectangle(plain, spill) : 0;
        expect(entries(injected, spill, name, true) - entries(plain, spill, name, true), name).toBe(injectedHere - sealedInjected - hidden);
      }
    }
  });

  it('exports nothing of the box while blinded: the spill table and the ROOT JSON archive', async () => {
    const table = injected.exports.spills(injected.run);
    const column = table.columns.find((c) => c.name === 'signal_candidates')!;
    expect(table.rows.map((r) => column.value(r))).toEqual(Array(SPILLS).fill(null));
    expect(table.metadata?.['na64rc.blinded']).toBe('true');
    const files = unzipSync((await injected.exports.histograms(injected.run)).data);
    const ecal = JSON.parse(strFromU8(files['spill-0001/ecal_energy.json']!)) as { fEntries: number };
    expect(ecal.fEntries).toBe(entries(injected, 1, 'ecal_energy', false));
  });

  it('once unblinded, shows the box: its candidates counted and every injected event in the spectra', () => {
    const box = sealedCandidates(injected);
    injected.offline.dq.unblind(injected.run, 'box opening approved', 'tester');
    expect(injected.offline.dq.store.run(injected.run).map((s) => s.signalCandidates)).toEqual(box);
    // A random trigger of the hidden sample goes back into none of these: they are the beam's spectra.
    const hiddenOfPlain = sealed(plain).map((s) => s.beamRecords);
    expect(sealed(plain).some((s) => s.beamRecords < s.records)).toBe(true);
    for (let spill = 1; spill <= SPILLS; spill++) {
      const injectedHere = inspectBursts(join(root, 'injected.dat'))[spill - 1]! - inspectBursts(join(root, 'plain.dat'))[spill - 1]!;
      // Every event back in the spectra: the box's and the hidden sample's. (The plain run as stored, still
      // blinded, misses its hidden sample.)
      for (const name of ['ecal_energy', 'hcal_energy', 'ecal_vs_hcal', 'veto_energy']) {
        expect(entries(injected, spill, name, true) - entries(plain, spill, name, false), name).toBe(injectedHere + hiddenOfPlain[spill - 1]!);
      }
    }
    // The run's accumulated spectrum too, and in the box region of the ECAL: below the signal cut.
    const run = (t: Taken) => t.offline.dq.present(t.run, t.offline.dq.store.runHistogram(t.run, 'ecal_energy')!, null) as Extract<HistSnapshot, { kind: 'TH1D' }>;
    const below = (h: Extract<HistSnapshot, { kind: 'TH1D' }>) => {
      const hist = Hist1D.fromSnapshot(h);
      const width = (h.x.max - h.x.min) / h.x.nbins;
      let n = 0;
      for (let bin = 0; bin <= h.x.nbins && (bin === 0 || h.x.min + bin * width <= ecalBelowGeV(physicsCuts(setup).signal)); bin++) n += hist.binContent(bin);
      return n;
    };
    expect(below(run(injected)) - below(run(plain))).toBeGreaterThanOrEqual(box.reduce((a, b) => a + b, 0));
  });
});
