// Issue 19, the spill's rows made smaller (migrations 0025–0027): a spill's histograms in one set, its DQ
// checks and its LED record deflated. A database written before them upgrades in place and reads the same;
// damaged or hostile blobs are errors that say what cannot be read, and nothing else of the spill is lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../db/migrations/index';
import { openDatabase, schemaVersion, type Db } from '../../src-main/archive/database';
import { storedText } from '../../src-main/archive/deflated-text';
import { encodeHistogram, encodeHistogramLegacy, histogramDictionary, HISTOGRAM_ENCODING, LEGACY_HISTOGRAM_ENCODING } from '../../src-main/archive/histogram-codec';
import { encodeHistogramSet, HISTOGRAM_SET_ENCODING, memberBlob, memberHistogram, packHistogramSet, readHistogramSet } from '../../src-main/archive/histogram-set';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { CalibrationHistory } from '../../src-main/calibration/calibration-history';
import { SpillFigures } from '../../src-main/compare/spill-figures';
import type { DqCheck } from '../../src-main/dq/checks';
import { DqStore, type StoredSpillDq } from '../../src-main/dq/dq-store';
import { Hist1D, Hist2D, type HistSnapshot } from '../../src-main/shared/histogram';

let dir: string;
let db: Db;
const file = () => join(dir, 'na64rc.sqlite');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-compact-'));
});
afterEach(() => {
  if (db?.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function histograms(seed: number): HistSnapshot[] {
  const ecal = new Hist1D('ecal_energy', 'ECAL energy', { nbins: 300, min: 0, max: 150, title: 'E [GeV]' });
  for (let i = 0; i < 2000; i++) ecal.fill(100 + ((i * seed) % 13) - 6);
  const srd = new Hist1D('srd_energy', 'SRD', { nbins: 100, min: 0, max: 200, title: 'E [MeV]' });
  for (let i = 0; i < 500; i++) srd.fill((i * 7 + seed) % 150, 0.5 + (i % 3));
  const pedestals = new Hist2D('pedestals', 'pedestals', { nbins: 8, min: 0, max: 8, title: 'channel' }, { nbins: 50, min: 150, max: 200, title: 'ADC' });
  for (let i = 0; i < 800; i++) pedestals.fill(i % 8, 170 + ((i * seed) % 11));
  return [ecal.snapshot(), srd.snapshot(), pedestals.snapshot()];
}

const CHECKS: DqCheck[] = [
  { id: 'ecal.beam-energy', detector: 'ECAL', histogram: 'ecal_energy', verdict: 'good', value: 98.99440483264013, reason: 'electron peak in the ECAL at 99.0 GeV for a 100 GeV beam (1.0 % off)' },
  { id: 'counters.channels', detector: 'Counters', histogram: 'channel_occupancy', verdict: 'bad', value: 2, reason: 'Counters: 2 dead channels', channels: ['S0', 'S1'], problems: { dead: ['S0', 'S1'], hot: [], noisy: [] } },
];
const LED = { 'ECAL0-0-0': [945.8708249930264, 1.0013390608564563, 'spill'], 'ECAL0-0-1': [null, 1, 'none'] } as const;

function dqRow(run: number, spill: number): StoredSpillDq {
  return {
    run,
    spill,
    checks: CHECKS,
    signalCandidates: 0,
    beamEvents: 5000,
    beamElectrons: 4950,
    beamHadrons: 50,
    beamMuons: 0,
    caloHadrons: 3,
    dq: {
      verdict: 'bad',
      detectors: { ECAL: 'good', Counters: 'bad' },
      eot: 1e6,
      kot: null,
      purity: 0.99,
      hadronFraction: 0.01,
      electronEfficiency: 0.95,
      hadronSuppression: null,
      suppressionIsLimit: false,
      beamEnergyGeV: 99,
      calibrationVersion: 'v1',
      referenceVersion: null,
      signalCandidates: null,
    },
  };
}

const spillRow = `INSERT INTO spills (run, spill, started_at, ended_at, events_seen, events_processed, intensity) VALUES (?, ?, ?, ?, 500, 500, 1e6)`;

describe('a database written before migrations 0025–0027', () => {
  it('upgrades in place: its histograms, DQ checks and LED records read the same, and new spills read alike', () => {
    const hs = histograms(3);
    const before = openDatabase(file(), MIGRATIONS.filter((m) => m.version <= 24));
    before.prepare(`INSERT INTO runs (number, type, setup, started_at, start_comment, end_state) VALUES (1, 'physics', 'invisible-e', 1, '', 'ended')`).run();
    before.prepare(spillRow).run(1, 1, 1000, 1480);
    // Rows as the app wrote them: one per histogram, both encodings seen in the field; checks and LED as JSON text.
    const row = before.prepare(`INSERT INTO spill_histograms (run, spill, name, kind, encoding, data) VALUES (1, 1, ?, ?, ?, ?)`);
    row.run(hs[0]!.name, hs[0]!.kind, LEGACY_HISTOGRAM_ENCODING, encodeHistogramLegacy(hs[0]!));
    for (const h of hs.slice(1)) row.run(h.name, h.kind, HISTOGRAM_ENCODING, encodeHistogram(h));
    before
      .prepare(
        `INSERT INTO spill_dq (run, spill, verdict, detectors, checks, calibration_version, eot, beam_events, beam_electrons, beam_hadrons, beam_muons, suppression_is_limit, calo_hadrons, signal_candidates)
         VALUES (1, 1, 'bad', '{"ECAL":"good","Counters":"bad"}', ?, 'v1', 1e6, 5000, 4950, 50, 0, 0, 3, 0)`,
      )
      .run(JSON.stringify(CHECKS));
    before.prepare(`INSERT INTO spill_led (run, spill, calibration_version, cells, source, max_drift) VALUES (1, 1, 'v1', ?, 'none', NULL)`).run(JSON.stringify(LED));
    expect(schemaVersion(before)).toBe(24);
    before.close();

    db = openDatabase(file());
    expect(schemaVersion(db)).toBe(27);
    const archive = new RunsArchive(db);
    const dq = new DqStore(db);
    const history = new CalibrationHistory(db);
    const figures = new SpillFigures(db, archive);
    const sorted = [...hs].sort((a, b) => a.name.localeCompare(b.name));
    // Nothing was rewritten: the old rows are where they were.
    expect(db.prepare(`SELECT count(*) AS n FROM spill_histograms`).get()).toEqual({ n: 3 });
    expect(db.prepare(`SELECT count(*) AS n FROM spill_histogram_sets`).get()).toEqual({ n: 0 });

    // A new spill of the same data, written the new way.
    db.prepare(spillRow).run(1, 2, 2000, 2480);
    db.transaction(() => {
      archive.spillHistograms.write(1, 2, hs);
      dq.writeSpill(dqRow(1, 2), [], 2);
      history.writeSpillLed(1, 2, 'v1', ['ECAL0-0-0', 'ECAL0-0-1'], [1.0013390608564563, 1], {
        sequence: 1,
        amplitude: [945.8708249930264, null],
        ratio: [1, null],
        factor: [1.0013390608564563, 1],
        source: ['spill', 'none'],
        maxDrift: null,
      });
    })();
    expect(db.prepare(`SELECT checks, length(checks_deflated) > 0 AS z FROM spill_dq WHERE spill = 2`).get()).toEqual({ checks: '', z: 1 });
    expect(db.prepare(`SELECT cells, length(cells_deflated) > 0 AS z FROM spill_led WHERE spill = 2`).get()).toEqual({ cells: '', z: 1 });
    expect(db.prepare(`SELECT count(*) AS n FROM spill_histograms WHERE spill = 2`).get()).toEqual({ n: 0 });

    for (const spill of [1, 2]) {
      expect(archive.histogramNames(1, spill)).toEqual(sorted.map((h) => h.name));
      for (const h of hs) expect(archive.histogram(1, spill, h.name)).toEqual(h);
      expect(archive.histogram(1, spill, 'no_such')).toBeNull();
      expect(archive.spillHistograms.all(1, spill)).toEqual(sorted);
      expect(dq.spill(1, spill)!.checks).toEqual(CHECKS);
      expect(dq.badSpills({ run: 1 }).find((b) => b.spill === spill)).toBeDefined();
      expect(history.ledTrend(1, 'ECAL0-0-0').find((p) => p.spill === spill)).toEqual({ spill, amplitude: 945.8708249930264, correction: 1.0013390608564563, source: 'spill' });
      const rows = figures.compute(1, spill, 'invisible-e', new Map());
      expect(rows.channels.filter((c) => c.channel.startsWith('ECAL0-0-'))).toEqual([
        { channel: 'ECAL0-0-0', pedestal: null, ledAmplitude: 945.8708249930264, ledFactor: 1.0013390608564563 },
        { channel: 'ECAL0-0-1', pedestal: null, ledAmplitude: null, ledFactor: 1 },
      ]);
      // A reference made of either spill holds the same histograms.
      const ref = dq.promote({ setup: 'invisible-e', run: 1, spill, user: 'expert', comment: 'clean', figures: { events: 500, triggersPerParticle: null, purity: 0.99 }, at: spill });
      expect(ref.histograms).toEqual(sorted.map((h) => h.name));
      expect(dq.referenceHistograms(ref.id)).toEqual(new Map(hs.map((h) => [h.name, h])));
    }
    // A finding added afterwards to a spill stored before: its checks are kept, deflated from then on.
    const late: DqCheck = { id: 'counters.daq', detector: 'Counters', histogram: null, verdict: 'medium', value: 1, reason: 'late' };
    expect(dq.addCheck(1, 1, late)).toBe(true);
    expect(dq.spill(1, 1)!.checks).toEqual([...CHECKS, late]);
    expect(db.prepare(`SELECT checks FROM spill_dq WHERE spill = 1`).get()).toEqual({ checks: '' });
  });
});

describe('a spill’s histogram set', () => {
  const hs = histograms(5);
  const blob = encodeHistogramSet(hs);
  const corrupt = /corrupt histogram set \(set1\/bins\+deflate\)/;

  it('holds every histogram, each readable alone, and refuses a name twice', () => {
    const members = readHistogramSet(HISTOGRAM_SET_ENCODING, blob);
    expect(members.map((m) => [m.name, m.kind])).toEqual(hs.map((h) => [h.name, h.kind]));
    // Each one, alone, as bins+deflate stores it (what a reference keeps): the same bytes.
    expect(members.map((m) => memberHistogram(m))).toEqual(hs);
    expect(members.map((m) => Buffer.from(memberBlob(m).data))).toEqual(hs.map((h) => Buffer.from(encodeHistogram(h))));
    expect(() => encodeHistogramSet([hs[0]!, hs[0]!])).toThrow(/twice/);
    expect(() => readHistogramSet('set9', blob)).toThrow(/unknown histogram set encoding/);
  });

  it('says a truncated, padded or hostile blob is corrupt, at every length and with random bytes', () => {
    for (let n = 0; n < blob.length; n++) expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, blob.subarray(0, n)), `cut at ${n}`).toThrow(corrupt);
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, Buffer.concat([blob, Buffer.from([0])]))).toThrow(/its stream is \d+ bytes, \d+ are stored/);
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, Buffer.from([2, ...blob.subarray(1)]))).toThrow(/unknown version 2/);
    const flipped = Buffer.from(blob);
    flipped[flipped.length - 20]! ^= 0x10;
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, flipped)).toThrow(/cannot inflate it/);
    /** A set of the given stream, deflated as the app deflates it. */
    const wrap = (inflated: Uint8Array) => {
      const stream = deflateSync(inflated, { dictionary: histogramDictionary() });
      const head = [1];
      for (let v = stream.length; ; v = Math.floor(v / 128)) {
        if (v < 128) {
          head.push(v);
          break;
        }
        head.push((v % 128) | 128);
      }
      return Buffer.concat([Uint8Array.from(head), stream]);
    };
    // An index that claims a billion histograms, or a histogram of 2⁴⁰ bytes, or an unknown kind.
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, wrap(Uint8Array.from([128, 148, 235, 220, 3])))).toThrow(/claims 1000000000 histograms/);
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, wrap(Uint8Array.from([1, 1, 97, 1, 128, 128, 128, 128, 128, 32])))).toThrow(/its index gives 1099511627776 bytes of histograms, 0 are there/);
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, wrap(Uint8Array.from([1, 1, 97, 7, 0])))).toThrow(/unknown kind 7/);
    // A set that inflates without end is cut off.
    expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, wrap(Buffer.alloc(80 * 1024 * 1024)))).toThrow(/cannot inflate it .*Cannot create a Buffer larger|cannot inflate it/);
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 256;
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: 1 + (i % 60) }, random);
      if (i % 2) bytes[0] = 1;
      expect(() => readHistogramSet(HISTOGRAM_SET_ENCODING, bytes)).toThrow(corrupt);
    }
  });

  it('in the database: a damaged set is an error naming the spill, the spill and its other rows stay; a damaged histogram in a sound set leaves the others readable', () => {
    db = openDatabase(file());
    const archive = new RunsArchive(db);
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 });
    const summary = { run: run.number, spill: 1, startedAt: 1000, endedAt: 1480, eventsSeen: 100, eventsProcessed: 90, processedFraction: 0.9, intensity: 5e6, ecalMeanGeV: 99.5, ecalPeakGeV: 100.25 };
    archive.saveSpill(summary, hs);
    const stored = db.prepare(`SELECT data FROM spill_histogram_sets`).get() as { data: Buffer };
    db.prepare(`UPDATE spill_histogram_sets SET data = ?`).run(stored.data.subarray(0, stored.data.length - 9));
    expect(() => archive.histogramNames(run.number, 1)).toThrow(new RegExp(`histograms of spill 1 of run ${run.number} cannot be read: corrupt histogram set`));
    expect(() => archive.histogram(run.number, 1, 'ecal_energy')).toThrow(/cannot be read: corrupt histogram set .*its stream is/);
    expect(archive.listSpills(run.number)).toHaveLength(1);

    const members = readHistogramSet(HISTOGRAM_SET_ENCODING, stored.data);
    const damaged = packHistogramSet(members.map((m) => (m.name === 'srd_energy' ? { ...m, packed: m.packed.subarray(0, 10) } : m)));
    db.prepare(`UPDATE spill_histogram_sets SET data = ?`).run(damaged);
    expect(archive.histogramNames(run.number, 1)).toEqual(['ecal_energy', 'pedestals', 'srd_energy']);
    expect(archive.histogram(run.number, 1, 'ecal_energy')).toEqual(hs[0]);
    expect(() => archive.histogram(run.number, 1, 'srd_energy')).toThrow(new RegExp(`histogram srd_energy of spill 1 of run ${run.number} cannot be read: corrupt histogram \\(bins\\+deflate\\)`));
    expect(() => archive.spillHistograms.all(run.number, 1)).toThrow(/histogram srd_energy of spill 1/);
  });
});

describe('deflated DQ checks and LED records', () => {
  it('a damaged blob is an error naming the spill; a blob that inflates without end is refused', () => {
    db = openDatabase(file());
    db.prepare(`INSERT INTO runs (number, type, setup, started_at, start_comment, end_state) VALUES (1, 'physics', 'invisible-e', 1, '', 'ended')`).run();
    db.prepare(spillRow).run(1, 1, 1000, 1480);
    const dq = new DqStore(db);
    const history = new CalibrationHistory(db);
    dq.writeSpill(dqRow(1, 1), [], 1);
    history.writeSpillLed(1, 1, 'v1', ['ECAL0-0-0'], [1], null);
    expect(history.ledTrend(1, 'ECAL0-0-0')).toEqual([{ spill: 1, amplitude: null, correction: 1, source: 'none' }]);
    db.prepare(`UPDATE spill_dq SET checks_deflated = x'789c0011'`).run();
    db.prepare(`UPDATE spill_led SET cells_deflated = ?`).run(deflateSync('{"ECAL0-0-0": [1, '));
    expect(() => dq.spill(1, 1)).toThrow(/the DQ checks of spill 1 of run 1 cannot be read: the stored blob is damaged/);
    expect(() => history.ledTrend(1, 'ECAL0-0-0')).toThrow(/the LED record of spill 1 of run 1 cannot be read: the stored JSON is damaged/);
    // The spill's other DQ figures are still there.
    expect(db.prepare(`SELECT eot, verdict FROM spill_dq`).get()).toEqual({ eot: 1e6, verdict: 'bad' });
    // The old text and the new blob are never both set.
    expect(() => db.prepare(`UPDATE spill_dq SET checks = '[]'`).run()).toThrow(/CHECK constraint failed/);
    expect(() => storedText('', deflateSync(Buffer.alloc(20 * 1024 * 1024)), 'a test blob')).toThrow(/a test blob cannot be read: the stored blob is damaged/);
  });
});
