import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../db/migrations/index';
import { openDatabase, SchemaTooNewError, schemaVersion, type Db } from '../../src-main/archive/database';
import { decodeHistogram } from '../../src-main/archive/histogram-codec';
import { RunsArchive, spillDaq } from '../../src-main/archive/runs-archive';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { Hist1D } from '../../src-main/shared/histogram';

let dir: string;
let db: Db;
const file = () => join(dir, 'na64rc.sqlite');

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-archive-'));
  db = openDatabase(file());
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

function spill(run: number, n: number, daq: SpillSummary['daq'] = DAQ) {
  return {
    run,
    spill: n,
    startedAt: 1000 * n,
    endedAt: 1000 * n + 480,
    eventsSeen: 100,
    eventsProcessed: 90,
    processedFraction: 0.9,
    intensity: 5e6,
    ecalMeanGeV: 99.5,
    ecalPeakGeV: 100.25,
    daq,
  };
}

const DAQ = spillDaq({
  physicsTriggers: 40,
  beamTriggers: 55,
  randomTriggers: 5,
  calibrationEvents: 100,
  corruptEvents: 1,
  truncatedEvents: 2,
  outOfOrderEvents: 0,
  undecodedEvents: 3,
  missingSourceEvents: 4,
  missingSources: [601, 603],
  orphanEvents: 0,
  lostEvents: 6,
  scalerAccepted: 112,
  deadTimeFraction: 0.0125,
  endOfBurst: true,
  streamLost: null,
});

describe('database', () => {
  it('runs in WAL with synchronous=NORMAL and foreign keys, at the latest schema', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
  });

  it('refuses a database written by a newer version and leaves it untouched', () => {
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file())).toThrow(SchemaTooNewError);
    const again = openDatabase(file(), [...MIGRATIONS, { version: 999, name: 'future', sql: '' }]);
    expect(schemaVersion(again)).toBe(999);
    again.close();
  });

  it('applies migrations in version order whatever order they are listed in, and refuses a duplicate', () => {
    db.close();
    rmSync(file());
    db = openDatabase(file(), [...MIGRATIONS].reverse());
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
    db = openDatabase(file());
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)!.version);
    db.close();
    expect(() => openDatabase(join(dir, 'other.sqlite'), [...MIGRATIONS, MIGRATIONS[0]!])).toThrow(/listed twice/);
    db = openDatabase(file());
  });

  it('rolls a failing migration back completely', () => {
    db.close();
    const latest = MIGRATIONS.at(-1)!.version;
    const broken = [...MIGRATIONS, { version: latest + 1, name: 'broken', sql: 'CREATE TABLE half (x); SELECT * FROM nowhere;' }];
    expect(() => openDatabase(file(), broken)).toThrow(/nowhere/);
    db = openDatabase(file());
    expect(schemaVersion(db)).toBe(latest);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).get()).toBeUndefined();
  });
});

describe('RunsArchive', () => {
  it('gives run numbers that only increase, also across reopening', () => {
    const a = new RunsArchive(db);
    expect(a.lastRunNumber()).toBe(0);
    const r1 = a.startRun({ type: 'physics', setup: 'invisible-e', comment: 'first', startedAt: 1 });
    a.endRun(r1.number, { stoppedAt: 2, reason: 'done', end: 'ended' });
    const r2 = a.startRun({ type: 'led', setup: 'invisible-e', comment: '', startedAt: 3 });
    expect([r1.number, r2.number]).toEqual([1, 2]);
    db.close();
    db = openDatabase(file());
    const b = new RunsArchive(db);
    expect(b.lastRunNumber()).toBe(2);
    // Even if a run row were deleted, its number is never given out again.
    db.prepare('DELETE FROM runs WHERE number = 2').run();
    expect(b.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 4 }).number).toBe(3);
  });

  it('stores comments, reasons and the end state', () => {
    const a = new RunsArchive(db);
    const run = a.startRun({ type: 'calibration', setup: 'invisible-e', comment: 'scan cell (3,3)', startedAt: 10 });
    expect(run).toMatchObject({ end: 'running', startComment: 'scan cell (3,3)', stoppedAt: null });
    const ended = a.endRun(run.number, { stoppedAt: 20, reason: 'beam lost', end: 'ended' });
    expect(ended).toMatchObject({ end: 'ended', stopReason: 'beam lost', stoppedAt: 20 });
    // A second end does not overwrite the first.
    expect(a.endRun(run.number, { stoppedAt: 30, reason: 'again', end: 'aborted' })).toMatchObject({ stopReason: 'beam lost' });
  });

  it('closes runs a dead server left running as aborted', () => {
    const a = new RunsArchive(db);
    const run = a.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 });
    expect(a.abortRunningRuns('server died', 5)).toEqual([run.number]);
    expect(a.getRun(run.number)).toMatchObject({ end: 'aborted', stopReason: 'server died', stoppedAt: 5 });
  });

  it('stores a spill with its histograms in one transaction and reads them back', () => {
    const a = new RunsArchive(db);
    const run = a.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 });
    const h = new Hist1D('ecal_energy', 'ECAL', { nbins: 300, min: 0, max: 150, title: 'E' });
    for (let i = 0; i < 1000; i++) h.fill(100 + (i % 7) - 3);
    a.saveSpill(spill(run.number, 1), [h.snapshot()]);
    expect(a.listSpills(run.number)).toEqual([spill(run.number, 1)]);
    expect(a.histogramNames(run.number, 1)).toEqual(['ecal_energy']);
    expect(a.histogram(run.number, 1, 'ecal_energy')).toEqual(h.snapshot());
    expect(a.getRun(run.number)).toMatchObject({ spills: 1, events: 100 });
    // A duplicate spill is refused as a whole: nothing half-written.
    expect(() => a.saveSpill(spill(run.number, 1), [h.snapshot()])).toThrow();
    expect(a.histogramNames(run.number, 1)).toEqual(['ecal_energy']);
    // Compressed: far smaller than the JSON.
    const row = db.prepare('SELECT length(data) AS n FROM spill_histogram_sets').get() as { n: number };
    expect(row.n).toBeLessThan(JSON.stringify(h.snapshot()).length / 4);
  });

  it('keeps the DAQ figures of a spill, and says "unknown" (null) for a spill stored without them', () => {
    const a = new RunsArchive(db);
    const run = a.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 });
    a.saveSpill(spill(run.number, 1), []);
    a.saveSpill(spill(run.number, 2, null), []);
    const [first, second] = a.listSpills(run.number);
    expect(first!.daq).toEqual(DAQ);
    expect(first!.daq).toMatchObject({ badEvents: 6, skippedEvents: 10 });
    expect(second!.daq).toBeNull();
  });

  it('refuses a spill of a run that does not exist (foreign key)', () => {
    const a = new RunsArchive(db);
    expect(() => a.saveSpill(spill(42, 1), [])).toThrow(/FOREIGN KEY/);
  });

  it('reports a corrupt histogram blob as an error, not as data', () => {
    const a = new RunsArchive(db);
    const run = a.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 });
    a.saveSpill(spill(run.number, 1), []);
    db.prepare(`INSERT INTO spill_histograms VALUES (?, 1, 'broken', 'TH1D', 'json+deflate', x'00112233')`).run(run.number);
    expect(() => a.histogram(run.number, 1, 'broken')).toThrow();
    expect(() => decodeHistogram('zip', new Uint8Array())).toThrow(/unknown histogram encoding/);
  });
});
