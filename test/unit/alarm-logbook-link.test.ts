// The logbook entry of an alarm action on a real SQLite file: linked to the alarms, to the live run and spill
// in which the operator acted, and to those each alarm was raised in (a spill in progress, or the last one
// before it), never to a replayed run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { alarmActionEntry } from '../../src-main/alarms/logbook-link';
import type { AlarmAction } from '../../src-main/alarms/alarm-service';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { silentLogger } from '../../src-main/log';
import { Logbook } from '../../src-main/logbook/logbook';
import type { SpillSummary } from '../../src-main/shared/api/schemas';

let dir: string;
let db: Db;
let archive: RunsArchive;
let logbook: Logbook;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-alarm-link-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  archive = new RunsArchive(db);
  logbook = new Logbook(db, archive, dir, silentLogger(), { editWindowMs: 60_000, now: () => 10_000_000 });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const spill = (run: number, n: number, startedAt: number) =>
  ({ run, spill: n, startedAt, endedAt: startedAt + 4800, eventsSeen: 10, eventsProcessed: 10, processedFraction: 1, intensity: 1e6, ecalMeanGeV: null, ecalPeakGeV: null, daq: null, dq: null }) as SpillSummary;

// `since` is the action's time (the acknowledgement changed the state); `raisedAt` is when it became active.
const view = (id: string, raisedAt: number) => ({ id, name: `alarm ${id}`, since: 2_000_000, raisedAt, priority: 'medium', value: 2, unit: 'cycles', flag: false }) as unknown as AlarmAction['alarms'][number];

// Acted on at 2 000 000 unless said: after every run of these tests but the last one's.
const action = (alarms: AlarmAction['alarms'], at = 2_000_000): AlarmAction => ({ action: 'acknowledged', alarms, actor: { user: 'sam', role: 'shifter' }, reason: 'CCC informed', at });

it('links the run and the spill each alarm was raised in, once each; between runs only the alarm', () => {
  const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1_000_000 }).number;
  archive.saveSpill(spill(run, 1, 1_010_000), []);
  archive.saveSpill(spill(run, 2, 1_026_800), []);
  archive.endRun(run, { stoppedAt: 1_100_000, reason: 'done', end: 'ended' });
  const spillAt = (ms: number) => archive.liveSpillAt(ms);

  // Raised between spill 2's end and the stop (the no-spill alarm's case): spill 2, the last before it.
  alarmActionEntry(logbook, action([view('daq.no-spill', 1_050_000), view('daq.dead-time', 1_012_000), view('system.disk-space', 1_051_000)]), spillAt);
  const entry = logbook.search({ q: '', limit: 5 }).hits[0]!.entry;
  expect(entry.links).toEqual([
    { kind: 'alarm', alarm: 'daq.no-spill' },
    { kind: 'alarm', alarm: 'daq.dead-time' },
    { kind: 'alarm', alarm: 'system.disk-space' },
    { kind: 'run', run },
    { kind: 'spill', run, spill: 2 },
    { kind: 'spill', run, spill: 1 },
  ]);
  expect(entry.body).toContain('raised in run 1, spill 2');
  expect(entry.body).toContain('raised in run 1, spill 1');

  // Before the run's first spill; and outside every run (after the stop): no run, no spill.
  expect(archive.liveSpillAt(1_005_000)).toEqual({ run, spill: null });
  expect(archive.liveSpillAt(1_200_000)).toBeNull();
  alarmActionEntry(logbook, action([view('hv.trip', 1_200_000)]), spillAt);
  expect(logbook.search({ q: 'hv.trip', limit: 5 }).hits[0]!.entry.links).toEqual([{ kind: 'alarm', alarm: 'hv.trip' }]);
});

it('a replay taken while the alarm was raised is not where it happened', () => {
  const live = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1_000_000 }).number;
  archive.saveSpill(spill(live, 1, 1_010_000), []);
  const replay = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1_020_000, provenance: { origin: 'replay', sourceFiles: ['x.dat'], reprocessOf: null, calibrationVersion: 'v1' } }).number;
  archive.saveSpill(spill(replay, 1, 1_021_000), []);
  expect(archive.liveSpillAt(1_022_000)).toEqual({ run: live, spill: 1 });
});

it('links the run and the spill in which the alarm was acknowledged or shelved, beside those it was raised in', () => {
  const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1_000_000 }).number;
  archive.saveSpill(spill(run, 1, 1_010_000), []);
  archive.saveSpill(spill(run, 2, 1_026_800), []);
  archive.saveSpill(spill(run, 3, 1_043_600), []);
  const spillAt = (ms: number) => archive.liveSpillAt(ms);

  // Raised in spill 1, acknowledged during spill 3.
  alarmActionEntry(logbook, action([view('hv.trip:S0', 1_012_000)], 1_045_000), spillAt);
  const acknowledged = logbook.search({ q: '', limit: 1 }).hits[0]!.entry;
  expect(acknowledged.links).toEqual([
    { kind: 'alarm', alarm: 'hv.trip:S0' },
    { kind: 'run', run },
    { kind: 'spill', run, spill: 3 },
    { kind: 'spill', run, spill: 1 },
  ]);
  expect(acknowledged.body).toMatch(/^Acknowledged by \*\*sam\*\* \(shifter\) during run 1, spill 3: CCC informed/);
  expect(acknowledged.body).toContain('raised in run 1, spill 1');

  // Shelved in the run before its first spill... of the next run: the run, no spill.
  archive.endRun(run, { stoppedAt: 1_100_000, reason: 'done', end: 'ended' });
  const next = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1_200_000 }).number;
  alarmActionEntry(logbook, { ...action([view('daq.no-spill', 1_201_000)], 1_202_000), action: 'shelved', until: 1_300_000 }, spillAt);
  const shelved = logbook.search({ q: 'daq.no-spill', limit: 1 }).hits[0]!.entry;
  expect(shelved.kind).toBe('alarm-shelved');
  expect(shelved.links).toEqual([
    { kind: 'alarm', alarm: 'daq.no-spill' },
    { kind: 'run', run: next },
  ]);
  expect(shelved.body).toContain(`during run ${next} before its first spill`);
});
