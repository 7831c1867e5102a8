// Reviewers' sign-offs on a real SQLite file: append-only, the latest in force, the history kept, and the
// per-run totals the triggers keep in the spill's own transaction.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { describeSignOff, SignOffs } from '../../src-main/runs/sign-offs';

let dir: string;
let db: Db;
let archive: RunsArchive;
let signOffs: SignOffs;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-signoffs-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  archive = new RunsArchive(db);
  signOffs = new SignOffs(db);
  archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1000 });
  for (const n of [1, 2, 3]) {
    archive.saveSpill(
      { run: 1, spill: n, startedAt: 1000 * n, endedAt: 1000 * n + 480, eventsSeen: 100, eventsProcessed: 100, processedFraction: 1, intensity: 5e6, ecalMeanGeV: null, ecalPeakGeV: null },
      [],
    );
  }
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const by = { user: 'anna', role: 'expert', at: 5000 };

describe('sign-offs', () => {
  it('keeps every change; the latest is in force for the run and for each spill', () => {
    signOffs.add({ run: 1, spill: 2, verdict: 'bad', reason: 'HV trip in ECAL', ...by });
    signOffs.add({ run: 1, spill: 2, verdict: 'good', reason: 'trip was after the spill', ...by, at: 6000 });
    signOffs.add({ run: 1, spill: 3, verdict: 'needs-look', reason: 'odd SRD', ...by });
    signOffs.add({ run: 1, spill: null, verdict: 'good', reason: 'fine run', user: 'bob', role: 'admin', at: 7000 });
    const now = signOffs.current(1);
    expect(now.run).toMatchObject({ verdict: 'good', user: 'bob', role: 'admin', spill: null });
    expect([...now.spills.keys()]).toEqual([2, 3]);
    expect(now.spills.get(2)).toMatchObject({ verdict: 'good', reason: 'trip was after the spill', at: 6000 });
    expect(now.spills.get(3)?.verdict).toBe('needs-look');
    expect(signOffs.history(1).map((s) => [s.spill, s.verdict])).toEqual([
      [null, 'good'],
      [3, 'needs-look'],
      [2, 'good'],
      [2, 'bad'],
    ]);
    expect(signOffs.current(2)).toEqual({ run: null, spills: new Map() });
  });

  it('refuses to change or remove a recorded sign-off, and a sign-off without a reason', () => {
    const s = signOffs.add({ run: 1, spill: 1, verdict: 'bad', reason: 'x', ...by });
    expect(() => db.prepare('UPDATE run_signoffs SET verdict = ? WHERE id = ?').run('good', s.id)).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM run_signoffs WHERE id = ?').run(s.id)).toThrow(/append-only/);
    expect(() => signOffs.add({ run: 1, spill: 1, verdict: 'bad', reason: '   ', ...by })).toThrow(/reason/);
    expect(() => db.prepare(`INSERT INTO run_signoffs (run, spill, verdict, reason, user, role, at) VALUES (1, 1, 'fine', 'r', 'u', 'expert', 1)`).run()).toThrow(/CHECK/);
    expect(signOffs.history(1)).toHaveLength(1);
  });

  it('quotes a sign-off in words', () => {
    expect(describeSignOff({ verdict: 'bad', user: 'anna', reason: 'HV trip', spill: 4 })).toBe('signed off bad by anna: HV trip');
    expect(describeSignOff({ verdict: 'needs-look', user: 'anna', reason: 'odd', spill: null })).toBe('marked needs-look (whole run) by anna: odd');
  });

  it('keeps the per-run totals and the run sign-off in the registry table', () => {
    signOffs.add({ run: 1, spill: 2, verdict: 'bad', reason: 'r', ...by });
    signOffs.add({ run: 1, spill: 2, verdict: 'good', reason: 'r', ...by });
    signOffs.add({ run: 1, spill: null, verdict: 'needs-look', reason: 'r', ...by });
    expect(db.prepare('SELECT spills, events, signoff, spill_signoffs FROM run_totals WHERE run = 1').get()).toEqual({ spills: 3, events: 300, signoff: 'needs-look', spill_signoffs: 1 });
  });
});
