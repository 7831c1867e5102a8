// The conditions document in SQLite: composed from the domains' sections plus the run's devices (from the
// device store, not copied), refused when written by a newer layout; and the choice of the last good run
// (same type and setup, ended normally, with spills, good by sign-off or else by the automatic verdicts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { ConditionsError, RunConditionsService, type ConditionsSections } from '../../src-main/conditions/run-conditions';
import { DeviceStore } from '../../src-main/devices/device-store';
import { loadSiteFile } from '../../src-main/devices/site-file';
import { limitsLine } from '../../src-main/alarms/conditions';
import { parseDefinitions } from '../../src-main/alarms/definitions';
import { dqThresholds } from '../../src-main/dq/conditions';
import { setupConditions } from '../../src-main/setup/conditions';
import type { DeviceStatus } from '../../src-main/shared/api/devices';
import type { RunType } from '../../src-main/shared/api/schemas';
import { SignOffs } from '../../src-main/runs/sign-offs';
import type { SignOffVerdict } from '../../src-main/shared/api/runs';
import { ROOT } from '../support/serve-process';

let dir: string;
let db: Db;
let archive: RunsArchive;
let devices: DeviceStore;
let service: RunConditionsService;
let vset = 1100;
const site = loadSiteFile(join(ROOT, 'sites', 'simulated.json'));

const sections: ConditionsSections = {
  setup: () => setupConditions(site.setup, site.hvMap),
  hv: () => ({ supplies: {}, channels: { S0: { supply: 'hv', on: true, vset, iset: 10, rampUp: 50, rampDown: 50, tripTime: 1, vmon: vset, imon: 1, status: [], readback: 'fresh' } } }),
  calibration: () => ({ version: 'v1', author: 'a', activatedBy: 'a', activatedAt: 1 }),
  dq: () => ({ reference: null, thresholds: dqThresholds(), cuts: {} }),
  alarms: () => ({}),
};

const device = (id: string, options: string): DeviceStatus => ({
  id,
  plugin: 'caen-n1470',
  kind: 'hv-supply',
  description: null,
  address: 'tcp 127.0.0.1:4001',
  options,
  state: 'online',
  reason: 'answering',
  since: 0,
  lastError: null,
  lastErrorAt: null,
  lastSeenAt: 0,
  reconnects: 0,
  identity: { model: 'N1470', serial: '42', firmware: '1.0', detail: 'BDNAME N1470' },
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-conditions-store-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  archive = new RunsArchive(db);
  devices = new DeviceStore(db);
  service = new RunConditionsService(db, archive, devices, sections, { name: 'na64-run-control', version: '9.9.9' });
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A run as run control starts it: the run row, its devices and its conditions in one transaction. */
function start(type: RunType = 'physics', comment = '', setup = 'invisible-e'): number {
  const siteId = devices.siteInUse(site, 'start', { user: 'op', role: 'admin' }, 1);
  const startedAt = 1000;
  return archive.startRun({ type, setup, comment, startedAt }, (n) => {
    devices.saveRunDevices(n, siteId, [device('hv-caen-0', 'boards 19, pollMs 1000')]);
    service.record(n, { type, comment, startedAt });
  }).number;
}

function spills(run: number, verdicts: string[]): void {
  verdicts.forEach((verdict, i) => {
    const spill = i + 1;
    archive.saveSpill({ run, spill, startedAt: spill, endedAt: spill + 1, eventsSeen: 10, eventsProcessed: 10, processedFraction: 1, intensity: 1, ecalMeanGeV: null, ecalPeakGeV: null }, []);
    db.prepare(
      `INSERT INTO spill_dq (run, spill, verdict, detectors, checks, calibration_version, reference_version, eot, beam_events, beam_electrons,
         beam_hadrons, beam_muons, suppression_is_limit, calo_hadrons, signal_candidates) VALUES (?, ?, ?, '{}', '[]', 'v1', NULL, 0, 0, 0, 0, 0, 0, 0, 0)`,
    ).run(run, spill, verdict);
  });
}

const end = (run: number, how: 'ended' | 'aborted' = 'ended') => archive.endRun(run, { stoppedAt: 2000, reason: '', end: how });

describe('the conditions document', () => {
  it('is composed of every section, in order, with the devices and site from the device store', () => {
    const run = start('physics', 'first');
    const doc = service.get(run)!;
    expect(Object.keys(doc)).toEqual(['schema', 'run', 'takenAt', 'software', 'start', 'site', 'devices', 'setup', 'hv', 'calibration', 'dq', 'alarms']);
    expect(doc).toMatchObject({
      schema: 1,
      run,
      software: { version: '9.9.9' },
      start: { type: 'physics', comment: 'first', prompts: {} },
      site: { name: site.name, sha256: site.hash },
      devices: { 'hv-caen-0': { plugin: 'caen-n1470', options: 'boards 19, pollMs 1000', identity: { model: 'N1470', serial: '42' } } },
      setup: { name: 'invisible-e', channelMap: { version: '1', channels: site.setup.channelMap.length } },
      hv: { channels: { S0: { vset: 1100 } } },
    });
    expect(doc.setup.channelMap.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The document does not copy the devices: they are stored once, in run_devices.
    const stored = service.store.get(run)!;
    expect(stored).not.toHaveProperty('devices');
    expect(stored).not.toHaveProperty('site');
  });

  it('is absent for a run from before, and a document of a newer layout is refused with a message', () => {
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 }).number;
    expect(service.get(run)).toBeNull();
    expect(() => service.answer(run)).toThrow(/has no conditions recorded: it was taken before/);
    expect(() => service.answer(777)).toThrow(/run 777 does not exist/);
    const later = start();
    db.prepare('UPDATE run_conditions SET schema = 99 WHERE run = ?').run(later);
    expect(() => service.get(later)).toThrow(/layout 99, newer than this version knows/);
  });

  it('a section that throws fails the whole start: no run row, no devices, no conditions', () => {
    const broken = new RunConditionsService(db, archive, devices, { ...sections, calibration: () => { throw new Error('no calibration'); } }, { name: 'x', version: '1' });
    expect(() => archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 1 }, (n) => {
      devices.saveRunDevices(n, devices.siteInUse(site, 'start', { user: 'op', role: 'admin' }, 1), [device('hv-caen-0', '')]);
      broken.record(n, { type: 'physics', comment: '', startedAt: 1 });
    })).toThrow('no calibration');
    expect(archive.lastRunNumber()).toBe(0);
    expect(db.prepare('SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM run_devices) + (SELECT count(*) FROM run_conditions) AS n').get()).toEqual({ n: 0 });
  });

  it('describes alarm limits on one line', () => {
    const [above, flag] = parseDefinitions([
      { id: 'x', name: 'x', group: 'hv', input: 'i', unit: 'V', condition: { kind: 'above', levels: [{ priority: 'high', set: 5 }, { priority: 'critical', set: 10 }], deadband: 0.5 }, guidance: { cause: 'c', consequence: 'c', action: 'a' } },
      { id: 'y', name: 'y', group: 'hv', input: 'j', condition: { kind: 'true', priority: 'medium' }, guidance: { cause: 'c', consequence: 'c', action: 'a' } },
    ]);
    expect(limitsLine(above!)).toBe('above 5 V high, 10 V critical (deadband 0.5 V)');
    expect(limitsLine(flag!)).toBe('true: medium');
  });
});

describe('the last good run', () => {
  it('is the latest earlier run of the same type and setup that ended normally, has spills and more good than bad spills', () => {
    const good = start();
    spills(good, ['good', 'good', 'bad']);
    end(good);
    const mostlyBad = start();
    spills(mostlyBad, ['good', 'bad', 'bad']);
    end(mostlyBad);
    const aborted = start();
    spills(aborted, ['good']);
    end(aborted, 'aborted');
    const empty = start();
    end(empty);
    const otherType = start('calibration');
    spills(otherType, ['good']);
    end(otherType);
    const otherSetup = start('physics', '', 'muon');
    spills(otherSetup, ['good']);
    end(otherSetup);
    const onlyNull = start();
    spills(onlyNull, ['null', 'medium']);
    end(onlyNull);
    const now = start();
    expect(service.store.lastGood(archive.getRun(now)!)).toEqual({
      run: good,
      why: `run ${good} is the last physics run of setup invisible-e before run ${now} that ended normally with more good spills than bad (2 good, 1 bad)`,
    });
    vset = 1150;
    const after = start();
    vset = 1100;
    const { diff } = service.answer(after, 'last-good');
    expect(diff).toMatchObject({ from: good, to: after, chosen: 'last-good' });
    expect(diff!.changes).toContainEqual({ op: 'changed', path: ['hv', 'channels', 'S0', 'vset'], old: 1100, new: 1150 });
    // Nothing earlier than the first run.
    expect(() => service.answer(good, 'last-good')).toThrow(/no good physics run of setup invisible-e before run 1/);
    expect(() => service.answer(after, String(after))).toThrow(ConditionsError);
  });

  it('honours the run sign-off where there is one (the newest row), over the automatic verdicts', () => {
    const signOffs = new SignOffs(db);
    const signOff = (run: number, verdict: SignOffVerdict, user: string, spill: number | null = null) =>
      signOffs.add({ run, spill, verdict, reason: 'looked at it', user, role: 'expert', at: 0 });
    const autoGood = start();
    spills(autoGood, ['good']);
    end(autoGood);
    const autoBad = start();
    spills(autoBad, ['bad', 'bad']);
    end(autoBad);
    const autoGoodSignedBad = start();
    spills(autoGoodSignedBad, ['good', 'good']);
    end(autoGoodSignedBad);
    const now = start();
    // The automatic verdicts alone choose the latest good one.
    expect(service.store.lastGood(archive.getRun(now)!)?.run).toBe(autoGoodSignedBad);
    signOff(autoGoodSignedBad, 'bad', 'eve');
    expect(service.store.lastGood(archive.getRun(now)!)?.run).toBe(autoGood);
    // Signed off good by an expert, against its verdicts; then a later needs-look replaces it.
    signOff(autoBad, 'good', 'alice');
    expect(service.store.lastGood(archive.getRun(now)!)).toEqual({ run: autoBad, why: `run ${autoBad} is the last physics run of setup invisible-e before run ${now} signed off good (by alice)` });
    signOff(autoBad, 'needs-look', 'bob');
    expect(service.store.lastGood(archive.getRun(now)!)?.run).toBe(autoGood);
    // A spill's sign-off is not the run's.
    signOff(autoGood, 'bad', 'carol', 1);
    expect(service.store.lastGood(archive.getRun(now)!)?.run).toBe(autoGood);
  });

  it('leaves out replays and reprocessings', () => {
    const live = start();
    spills(live, ['good']);
    end(live);
    const replay = start();
    spills(replay, ['good']);
    end(replay);
    db.prepare(`UPDATE runs SET origin = 'replay' WHERE number = ?`).run(replay);
    expect(service.store.lastGood(archive.getRun(start())!)?.run).toBe(live);
  });
});
