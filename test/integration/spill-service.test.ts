// The end of a spill on the real core (simulated site, worker pool, SQLite file): every domain's rows of a
// spill are written in ONE transaction. Failures are injected inside SQLite itself (a trigger that aborts an
// insert), in the middle of the spill's write, and the test looks at what the database holds afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src-main/archive/database';
import { StoredSpillHistograms } from '../../src-main/archive/stored-spill-histograms';
import type { Core } from '../../src-main/core/core';
import type { SpillStored } from '../../src-main/spills/spill-service';
import { waitFor } from '../support/serve-process';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

let dir: string;
let sim: SimulatedCore;
let core: Core;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-spills-'));
  sim = await openSimulatedCore(dir, { timeScale: 20, seed: 5 });
  core = sim.core;
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The core's one SQLite connection (temporary triggers live on a connection). */
const dbOf = (c: Core) => (c as unknown as { db: Db }).db;

/** What the database holds of one spill, per domain. */
function rowsOf(db: Db, run: number, spill: number) {
  const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE run = ? AND spill = ?`).get(run, spill) as { n: number }).n;
  // A spill's histograms are one row of spill_histogram_sets (migration 0025): counted by the names it holds.
  const histograms = (db.prepare(`SELECT count(*) AS n FROM spill_histogram_sets WHERE run = ? AND spill = ?`).get(run, spill) as { n: number }).n
    ? new StoredSpillHistograms(db).names(run, spill).length
    : 0;
  return { spill: count('spills'), histograms, dq: count('spill_dq'), led: count('spill_led') };
}

describe('the spill service', () => {
  it("writes a spill's rows of every domain in one transaction: a failure in the middle leaves none of them", async () => {
    const db = dbOf(core);
    // Spill 2: the LED record (the last domain to write) is refused. Spill 3: its histograms (the spill's own
    // rows, before any domain's) are refused.
    db.exec(`CREATE TEMP TRIGGER refuse_led BEFORE INSERT ON spill_led WHEN NEW.spill = 2 BEGIN SELECT RAISE(ABORT, 'injected: LED record refused'); END`);
    db.exec(`CREATE TEMP TRIGGER refuse_histogram BEFORE INSERT ON spill_histogram_sets WHEN NEW.spill = 3 BEGIN SELECT RAISE(ABORT, 'injected: histogram refused'); END`);
    const heard: SpillStored[] = [];
    core.spills.subscribe('spill-stored', (s) => heard.push(s));
    const errorsBefore = core.databaseErrors;
    const run = await core.runControl.start('physics', 'spill service test');
    await waitFor('spill 4 stored', async () => core.spills.list(run.number).some((s) => s.spill === 4), 60_000);
    await core.runControl.stop('done');

    const [one, two, three, four] = [1, 2, 3, 4].map((n) => rowsOf(db, run.number, n));
    // A whole spill: every domain's rows.
    expect(one).toMatchObject({ spill: 1, dq: 1, led: 1 });
    expect(one!.histograms).toBeGreaterThan(10);
    expect(four).toMatchObject({ spill: 1, dq: 1, led: 1 });
    // The LED record failed last, after the spill's and DQ's rows were written: all of them were rolled back
    // together, and the spill was then stored on its own (its data outlives a domain's failure), without DQ.
    expect(two).toMatchObject({ spill: 1, dq: 0, led: 0 });
    expect(two!.histograms).toBe(one!.histograms);
    expect(core.spills.list(run.number).find((s) => s.spill === 2)!.dq).toBeNull();
    // The spill's own rows failed: nothing of spill 3 is in the database, in any domain.
    expect(three).toEqual({ spill: 0, histograms: 0, dq: 0, led: 0 });
    expect(core.databaseErrors).toBe(errorsBefore + 1);

    // spill-stored is emitted once per committed spill, after the commit, and never for the refused one.
    const spills = heard.filter((s) => s.summary.run === run.number).map((s) => s.summary.spill);
    expect(spills.slice(0, 3)).toEqual([1, 2, 4]);
    expect(heard.every((s) => s.origin === 'live')).toBe(true);
    // Its subscribers: the metrics' tally, the live stream (the last spill announced) and the status.
    expect(core.spillTally.taken).toBeGreaterThanOrEqual(3);
    expect(core.latestSpill()!.summary.run).toBe(run.number);
    expect(core.status().lastSpill!.spill).toBe(core.latestSpill()!.summary.spill);
  });
});
