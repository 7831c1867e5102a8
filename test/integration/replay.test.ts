// Replay and reprocessing on a real SQLite file, through the offline core `na64rc replay` opens (the server's
// own spill path: the na64-daq driver on a file, a DaqService, monitor workers, the spill service, DQ):
// every spill of a recorded file stored with its histograms and nothing skipped, damaged and foreign files,
// cancel, one replay at a time, the live EOT untouched, and reprocessing with a draft calibration set.
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawInspector } from '../../drivers/na64-daq/raw-file';
import { simulateRawFile } from '../../src-main/cli/simulators/raw-files';
import { silentLogger } from '../../src-main/log';
import { openOfflineReplay, type OfflineReplay } from '../../src-main/replay/offline';
import { ReplayError } from '../../src-main/replay/replay-service';
import { binCenter, Hist1D, mergeSnapshots, type HistSnapshot } from '../../src-main/shared/histogram';
import { loadSetup } from '../../setups/load';
import { waitFor } from '../support/serve-process';

const setup = loadSetup('invisible-e');
const SPILLS = 3;
const SEED = 11;
let files: string;
let rawFile: string;

beforeAll(() => {
  files = mkdtempSync(join(tmpdir(), 'na64rc-replay-files-'));
  rawFile = join(files, 'cdr01001-000001.dat');
  simulateRawFile({ setup: 'invisible-e', spills: SPILLS, seed: SEED, run: 1, signal: 0, out: rawFile }, () => undefined);
}, 120_000);
afterAll(() => rmSync(files, { recursive: true, force: true }));

let dir: string;
let offline: OfflineReplay;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-replay-'));
  offline = await openOfflineReplay({ dataDir: dir, setup, user: 'tester', workers: 1, log: silentLogger() });
});
afterEach(async () => {
  await offline.close();
  rmSync(dir, { recursive: true, force: true });
});

/** What the file holds per burst (the independent reader behind `na64rc inspect`). */
function inspect(path: string) {
  const inspector = new RawInspector();
  inspector.push(new Uint8Array(readFileSync(path)));
  return inspector.summary();
}

async function replay(paths: string[], speed: 'max' | number = 'max') {
  await offline.replay.start({ files: paths, speed, type: 'physics', comment: '', by: 'tester' });
  return offline.replay.settled();
}

function histogram(run: number, spill: number, name: string): HistSnapshot {
  const h = offline.archive.histogram(run, spill, name);
  if (!h) throw new Error(`no ${name} in spill ${spill} of run ${run}`);
  return h;
}

describe('replay of a recorded raw file', () => {
  it('stores every spill with its histograms as one run of origin replay, skipping nothing', async () => {
    const truth = inspect(rawFile);
    const status = await replay([rawFile]);
    expect(status.state).toBe('done');
    const run = offline.archive.getRun(status.run!)!;
    expect(run).toMatchObject({ origin: 'replay', sourceFiles: [rawFile], reprocessOf: null, end: 'ended', spills: SPILLS, startComment: `replay of ${rawFile}` });
    expect(run.calibrationVersion).toBe('invisible-e-nominal-v1');
    const spills = offline.spills.list(run.number);
    expect(spills.map((s) => s.spill)).toEqual([1, 2, 3]);
    spills.forEach((s, k) => {
      // Every physics event of the burst reached the monitor and was processed: none skipped under back-pressure.
      expect(s.eventsSeen).toBe(truth.bursts[k]!.events['PHYSICS']);
      expect(s.eventsProcessed).toBe(s.eventsSeen);
      expect(s.daq).toMatchObject({ endOfBurst: true, corruptEvents: 0, truncatedEvents: 0, skippedEvents: 0 });
      expect(s.intensity).toBe(truth.bursts[k]!.scalers!.particles);
      expect(s.dq).not.toBeNull();
      expect(offline.archive.histogramNames(run.number, s.spill).length).toBeGreaterThan(10);
      expect(Hist1D.fromSnapshot(histogram(run.number, s.spill, 'ecal_energy') as never).entries).toBeGreaterThan(0);
    });
    expect(status.report).toMatchObject({ spills: SPILLS, unprocessedEvents: 0, corruptEvents: 0, truncatedEvents: 0, storeFailures: 0 });
    expect(status.report!.files[0]).toMatchObject({ bytes: statSync(rawFile).size, bytesRead: statSync(rawFile).size, bytesSkipped: 0, problemCount: 0, error: null, state: 'read' });
    expect(status.report!.summary).toMatch(/nothing skipped/);
    expect(status.bytesRead).toBe(status.bytesTotal);
    expect(status.events).toBe(truth.byType['PHYSICS']);
    // The file's real time (DATE timestamps) and the speed-up over it.
    expect(status.dataSeconds).toBeGreaterThan(SPILLS * 16);
    expect(status.speedup).toBeGreaterThan(0);
    // The report is kept with the run.
    expect(offline.replay.storedReport(run.number)).toEqual(status.report);
  });

  it('never counts a replayed run in the live EOT', async () => {
    const status = await replay([rawFile]);
    const run = status.run!;
    const store = offline.dq.store;
    const runEot = store.eotOfRun(run);
    expect(runEot).toBeGreaterThan(0);
    expect(store.eotOfSetup('invisible-e')).toBe(0);
    expect(store.eotBetween(0, Date.now() + 1)).toEqual({ eot: 0, spills: 0 });
    expect(offline.dq.eot(run).totalEot).toBe(0);
    // The same spills as a live run's count: the filter is the origin, nothing else.
    offline.db.prepare(`UPDATE runs SET origin = 'live' WHERE number = ?`).run(run);
    expect(store.eotOfSetup('invisible-e')).toBeCloseTo(runEot, 6);
    expect(store.eotBetween(0, Date.now() + 1).spills).toBe(SPILLS);
  });

  it('plays several files as one run, numbering their spills on', async () => {
    const status = await replay([rawFile, rawFile]);
    expect(status.state).toBe('done');
    const run = offline.archive.getRun(status.run!)!;
    expect(run.sourceFiles).toEqual([rawFile, rawFile]);
    expect(offline.spills.list(run.number).map((s) => s.spill)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(status.report!.files.map((f) => f.state)).toEqual(['read', 'read']);
  });
});

describe('a damaged or foreign file', () => {
  it('refuses a missing file, a directory and a file that is not DATE before a run is made', async () => {
    const text = join(files, 'notes.txt');
    writeFileSync(text, 'not a DATE file at all, just some words of a logbook entry\n');
    const empty = join(files, 'empty.dat');
    writeFileSync(empty, '');
    const before = offline.archive.lastRunNumber();
    const refusal = async (paths: string[]) => {
      const error = await offline.replay.start({ files: paths, speed: 'max', type: 'physics', comment: '', by: 'tester' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ReplayError);
      expect((error as ReplayError).code).toBe('BAD_REQUEST');
      return (error as Error).message;
    };
    expect(await refusal([join(files, 'nope.dat')])).toMatch(/nope\.dat: no such file; no run was made/);
    expect(await refusal([files])).toMatch(/is a directory/);
    expect(await refusal([text])).toMatch(/notes\.txt is not a DATE raw file: .*no DATE magic/);
    expect(await refusal([empty])).toMatch(/is empty/);
    // One bad file among good ones refuses the whole replay.
    expect(await refusal([rawFile, text])).toMatch(/notes\.txt/);
    expect(offline.archive.lastRunNumber()).toBe(before);
    expect(offline.replay.status().state).toBe('idle');
  });

  it('reads a file with a truncated tail and garbage in the middle, says what it skipped and where, and keeps what was stored before', async () => {
    const good = await replay([rawFile]);
    const truth = inspect(rawFile);
    // Garbage in the middle: 4 kB overwritten inside the second burst; a tail cut in the last event.
    const damaged = join(files, 'damaged.dat');
    writeFileSync(damaged, readFileSync(rawFile));
    const size = statSync(damaged).size;
    const at = Math.floor(size / 2);
    const fd = openSync(damaged, 'r+');
    writeSync(fd, new Uint8Array(4096).fill(0xa5), 0, 4096, at);
    closeSync(fd);
    truncateSync(damaged, size - 1000);
    const status = await replay([damaged]);
    expect(status.state).toBe('done');
    const report = status.report!;
    const f = report.files[0]!;
    expect(f.bytesRead).toBe(size - 1000);
    expect(f.bytesSkipped).toBeGreaterThanOrEqual(4096);
    expect(f.problemCount).toBeGreaterThanOrEqual(2);
    // Each problem is placed in the file: the garbage near its offset, the cut tail at the end.
    const corrupt = f.problems.find((p) => p.problem === 'corrupt' || p.problem === 'truncated')!;
    expect(Math.abs(corrupt.offset - at)).toBeLessThan(20_000);
    expect(f.problems.some((p) => p.problem === 'truncated' && p.offset > size - 100_000 && /stream ended/.test(p.detail))).toBe(true);
    // The spills count what was damaged inside them (the cut tail is an LED event after the last spill:
    // only the file's report has it).
    expect(report.corruptEvents + report.truncatedEvents).toBeGreaterThanOrEqual(1);
    expect(report.summary).toMatch(/bytes of damaged data or garbage skipped/);
    // What was not damaged is stored: every spill, each with nearly all its events.
    const spills = offline.spills.list(status.run!);
    expect(spills).toHaveLength(SPILLS);
    const total = spills.reduce((n, s) => n + s.eventsSeen, 0);
    expect(total).toBeGreaterThan(truth.byType['PHYSICS']! - 10);
    expect(total).toBeLessThan(truth.byType['PHYSICS']!);
    expect(spills.every((s) => s.eventsProcessed === s.eventsSeen)).toBe(true);
    // The earlier run is untouched.
    expect(offline.spills.list(good.run!)).toHaveLength(SPILLS);
    expect(offline.archive.getRun(good.run!)!.end).toBe('ended');
  });

  it('ends the run with what was read when the file stops mid-event at its very start of a spill', async () => {
    // A file cut right after its first burst's start: one spill without its end of burst.
    const cut = join(files, 'cut.dat');
    const bytes = readFileSync(rawFile);
    writeFileSync(cut, bytes.subarray(0, 3_000_000));
    appendFileSync(cut, new Uint8Array(10).fill(0));
    const status = await replay([cut]);
    expect(status.state).toBe('done');
    const spills = offline.spills.list(status.run!);
    expect(spills).toHaveLength(1);
    expect(spills[0]!.daq).toMatchObject({ endOfBurst: false });
    expect(status.report!.files[0]!.problemCount).toBeGreaterThanOrEqual(1);
  });
});

describe('cancel and one replay at a time', () => {
  it('cancels a paced replay: the run ends aborted with who cancelled it, the stored spills stay', async () => {
    // 20× the file's real time: a spill every 0.84 s.
    const started = await offline.replay.start({ files: [rawFile], speed: 20, type: 'physics', comment: '', by: 'tester' });
    expect(started.state).toBe('running');
    const second = await offline.replay.start({ files: [rawFile], speed: 'max', type: 'physics', comment: '', by: 'bob' }).catch((e: unknown) => e);
    expect((second as ReplayError).code).toBe('CONFLICT');
    expect((second as Error).message).toMatch(/one replay at a time/);
    await waitFor('a spill stored', async () => offline.replay.status().spills >= 1, 20_000);
    const status = await offline.replay.cancel('alice');
    expect(status.state).toBe('cancelled');
    const run = offline.archive.getRun(started.run!)!;
    expect(run).toMatchObject({ end: 'aborted', stopReason: 'replay cancelled by alice', origin: 'replay' });
    const stored = offline.spills.list(run.number);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored.length).toBeLessThan(SPILLS);
    expect(status.bytesRead).toBeLessThan(statSync(rawFile).size);
    expect(status.events).toBeLessThan(inspect(rawFile).byType['PHYSICS']!);
    await expect(offline.replay.cancel('alice')).rejects.toThrow(/no replay is running/);
    // The next replay may start.
    expect((await replay([rawFile])).state).toBe('done');
  });
});

/** A truncated mean around the peak of a run's merged ECAL energy, with its error. */
function ecalPeak(run: number): { mean: number; error: number } {
  const merged = mergeSnapshots(offline.spills.list(run).map((s) => histogram(run, s.spill, 'ecal_energy')));
  const h = Hist1D.fromSnapshot(merged as never);
  const peak = h.peakX();
  let n = 0;
  let sum = 0;
  let sum2 = 0;
  for (let b = 1; b <= h.x.nbins; b++) {
    const x = binCenter(h.x, b);
    if (Math.abs(x - peak) > 0.1 * peak) continue;
    const w = h.contents[b]!;
    n += w;
    sum += w * x;
    sum2 += w * x * x;
  }
  const mean = sum / n;
  return { mean, error: Math.sqrt(Math.max(0, sum2 / n - mean * mean) / n) };
}

describe('reprocessing', () => {
  it("with a draft set whose ECAL gains are scaled by k moves the ECAL peak by k, as a run of origin 'reprocess'", async () => {
    const original = await replay([rawFile]);
    const sets = offline.dq.calibrations;
    const active = sets.active('invisible-e')!;
    const k = 1.08;
    const ecal = new Set(setup.cells.filter((c) => c.kind === 'ecal').map((c) => c.name));
    const draft = sets.create(
      { setup: 'invisible-e', version: 'invisible-e-test-draft', author: 'tester', sourceRuns: '', comment: 'ECAL × 1.08', createdAt: Date.now(), status: 'draft' },
      sets.values(active.id).map((v) => (ecal.has(v.cell) ? { ...v, gevPerAdc: v.gevPerAdc * k } : v)),
    );
    await offline.replay.reprocess({ run: original.run!, calibrationVersion: draft.version, speed: 'max', by: 'tester' });
    const status = await offline.replay.settled();
    expect(status).toMatchObject({ state: 'done', kind: 'reprocess', reprocessOf: original.run, calibrationVersion: draft.version });
    const run = offline.archive.getRun(status.run!)!;
    expect(run).toMatchObject({ origin: 'reprocess', reprocessOf: original.run, calibrationVersion: draft.version, sourceFiles: [rawFile], spills: SPILLS });
    // The draft stays a draft: reprocessing activates nothing.
    expect(sets.byVersion('invisible-e', draft.version)!.status).toBe('draft');
    expect(sets.active('invisible-e')!.version).toBe(active.version);
    const before = ecalPeak(original.run!);
    const after = ecalPeak(run.number);
    const ratio = after.mean / before.mean;
    const error = ratio * Math.hypot(after.error / after.mean, before.error / before.mean);
    expect(Math.abs(ratio - k)).toBeLessThan(3 * error + 0.002);
    // The HCAL, untouched by the set, stays where it was, bin for bin.
    expect(histogram(run.number, 1, 'hcal_energy').contents).toEqual(histogram(original.run!, 1, 'hcal_energy').contents);
  });

  it('refuses an unknown run, an unknown set, and a live run whose raw files the site does not name', async () => {
    await expect(offline.replay.reprocess({ run: 999, calibrationVersion: 'x', speed: 'max', by: 'tester' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const original = await replay([rawFile]);
    await expect(offline.replay.reprocess({ run: original.run!, calibrationVersion: 'no-such-set', speed: 'max', by: 'tester' })).rejects.toThrow(/no calibration set no-such-set/);
    const live = offline.archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: Date.now() });
    await expect(offline.replay.reprocess({ run: live.number, calibrationVersion: 'invisible-e-nominal-v1', speed: 'max', by: 'tester' })).rejects.toThrow(
      /taken live and the site does not say where the DAQ writes its raw files/,
    );
  });
});
