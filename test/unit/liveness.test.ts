// The heartbeats and their alarms with real parts: a real SQLite file for the database writer (closed under
// it, the probe fails and the writer goes silent), real monitor worker threads answering pings, the real
// alarm engine with the generated definitions; the HV interlock count from channel status words; and the
// DAQ stream's own word on spills.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmStore } from '../../src-main/alarms/alarm-store';
import { parseDefinitions, type RunTypeProfiles } from '../../src-main/alarms/definitions';
import { AlarmEngine } from '../../src-main/alarms/engine';
import { HvInterlockWatch } from '../../src-main/alarms/sources/hv-source';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { DaqStreamWatch } from '../../src-main/daq/daq-stream-watch';
import { DbWriterProbe } from '../../src-main/liveness/db-writer-probe';
import { Heartbeats } from '../../src-main/liveness/heartbeats';
import { livenessSources } from '../../src-main/liveness/sources';
import { SpillTally } from '../../src-main/liveness/spill-tally';
import { silentLogger } from '../../src-main/log';
import { MonitorPool } from '../../src-main/monitor/pool';
import type { HvChannel } from '../../src-main/shared/api/hv';
import { daqStreamWords } from '../../src-main/shared/daq-stream';
import { livenessAlarms } from '../../src-main/setup/liveness-alarms';

let dir: string;
let db: Db;
let clock: number;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-liveness-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  clock = 1_000_000;
});
afterEach(() => {
  if (db.open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

const SITE = [
  { id: 'daq', kind: 'event-source' as const, options: {} },
  { id: 'hv-caen-0', kind: 'hv-supply' as const, options: { pollMs: 1000 } },
  { id: 'slow-crate', kind: 'hv-supply' as const, options: { pollMs: 4000 } },
];

function engineFor(workers: number): AlarmEngine {
  return new AlarmEngine(parseDefinitions(livenessAlarms(livenessSources(SITE, workers))), {} as RunTypeProfiles, new AlarmStore(db), { changed() {}, annunciate() {} }, () => clock);
}

describe('heartbeat sources and their alarms', () => {
  it('names every source of the site: the DAQ stream (not the device behind it), each other device, each worker, the database writer', () => {
    const sources = livenessSources(SITE, 2);
    expect(sources.map((s) => [s.id, s.staleAfterMs])).toEqual([
      ['daq-stream', 3000],
      ['hv-caen-0', 5000],
      // Three of its polls: a slow crate is not alarmed for being slow.
      ['slow-crate', 12_000],
      ['monitor-worker-1', 10_000],
      ['monitor-worker-2', 10_000],
      ['db-writer', 10_000],
    ]);
    const defs = parseDefinitions(livenessAlarms(sources));
    expect(defs.map((d) => d.id)).toContain('liveness.stale:monitor-worker-2');
    expect(defs.find((d) => d.id === 'liveness.stale:db-writer')).toMatchObject({ name: 'Silent: the database writer (no heartbeat)', group: 'system', unit: 's' });
  });

  it('a source that stops beating raises its own alarm at its bound with how long it was silent, and clears on the next beat', () => {
    const engine = engineFor(1);
    const beats = new Heartbeats((values) => engine.update(values), () => clock);
    try {
      for (const s of livenessSources(SITE, 1)) beats.add(s.id === 'hv-caen-0' ? { ...s, probe: () => true } : s);
      for (let t = 0; t < 2; t++) {
        clock += 1000;
        beats.beat('daq-stream');
        beats.beat('monitor-worker-1');
        beats.beat('db-writer');
        beats.look();
      }
      // The stream goes quiet; everything else keeps beating.
      for (let t = 0; t < 3; t++) {
        clock += 1000;
        beats.beat('monitor-worker-1');
        beats.beat('db-writer');
        beats.look();
      }
      expect(engine.get('liveness.stale:daq-stream')).toMatchObject({ state: 'unack', priority: 'high', value: 3 });
      expect(engine.get('liveness.stale:monitor-worker-1').state).toBe('normal');
      expect(engine.get('liveness.stale:hv-caen-0').state).toBe('normal');
      // slow-crate has no probe and never beat: within its grace and its own (longer) bound.
      expect(engine.get('liveness.stale:slow-crate').state).toBe('normal');
      expect(beats.list().find((b) => b.id === 'daq-stream')).toMatchObject({ ageMs: 3000, stale: false });
      clock += 1000;
      beats.look();
      expect(beats.list().find((b) => b.id === 'daq-stream')!.stale).toBe(true);

      beats.beat('daq-stream');
      beats.look();
      expect(engine.get('liveness.stale:daq-stream').state).toBe('rtn-unack');

      // A source that never beat (a device still connecting at start) has 10 s of grace, then its own bound.
      clock = 1_000_000 + 10_000 + 11_000;
      beats.look();
      expect(engine.get('liveness.stale:slow-crate').state).toBe('normal');
      clock += 1000;
      beats.look();
      expect(engine.get('liveness.stale:slow-crate')).toMatchObject({ state: 'unack', value: 12 });
    } finally {
      beats.close();
    }
  });
});

describe('the database writer', () => {
  it('beats with every committed probe, times it, and goes silent when the database refuses writes', () => {
    const probe = new DbWriterProbe(db);
    expect(probe.probe(clock)).toBe(true);
    expect(db.prepare('SELECT at FROM liveness WHERE source = ?').get('db-writer')).toEqual({ at: clock });
    expect(probe.latency().lastMs).toBeGreaterThan(0);
    // A database that refuses writes (here: opened read-only over the same file, as a full or locked disk refuses them).
    const readOnly = new DbWriterProbe(openDatabaseReadOnly());
    expect(readOnly.probe(clock)).toBe(false);
    expect(readOnly.failures).toBe(1);
    expect(readOnly.lastError).toMatch(/readonly/i);
  });
});

function openDatabaseReadOnly(): Db {
  // better-sqlite3 is what the app uses; a second, read-only connection to the same file refuses every write.
  const file = join(dir, 'db.sqlite');
  const Database = (db.constructor as unknown as new (f: string, o: { readonly: boolean }) => Db);
  return new Database(file, { readonly: true });
}

describe('the monitor workers', () => {
  it('answer their pings from their own threads: each worker beats about once a second', async () => {
    const pool = new MonitorPool(silentLogger(), 2);
    const seen = new Map<number, number>();
    pool.onPong = (index, at) => seen.set(index, at);
    try {
      const until = Date.now() + 15_000;
      while (seen.size < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      expect([...seen.keys()].sort()).toEqual([0, 1]);
    } finally {
      await pool.close();
    }
  }, 30_000);
});

const channel = (name: string, on: boolean, conditions: string[]): HvChannel =>
  ({ name, detector: 'ECAL', supply: 'hv-caen-0', channel: 0, board: 0, boardChannel: 0, nominalVolts: 1000, vset: 1000, vmon: on ? 1000 : 0, iset: 300, imon: 0, rampUp: 50, rampDown: 50, tripTime: 1, maxV: 3000, on, conditions, latched: [], rawStatus: 0, updatedAt: 0, staleness: 'fresh' }) as HvChannel;

describe('the HV interlock count', () => {
  it('counts the channels that were on when the interlock opened, keeps them while it is open, and is 0 once released', () => {
    const watch = new HvInterlockWatch();
    expect(watch.inputs('hv-caen-0', [channel('A', true, ['on']), channel('B', true, ['on']), channel('C', false, [])])).toEqual({ 'hv:hv-caen-0:interlock-off': 0 });
    // The interlock opens: every channel shows ILK, the two that were on are now off.
    const open = [channel('A', false, ['interlock']), channel('B', false, ['interlock']), channel('C', false, ['interlock'])];
    expect(watch.inputs('hv-caen-0', open)).toEqual({ 'hv:hv-caen-0:interlock-off': 2 });
    expect(watch.inputs('hv-caen-0', open)).toEqual({ 'hv:hv-caen-0:interlock-off': 2 });
    expect(watch.inputs('hv-caen-0', [channel('A', false, []), channel('B', false, []), channel('C', false, [])])).toEqual({ 'hv:hv-caen-0:interlock-off': 0 });
  });

  it('an interlock already open at start-up counts every channel it holds (nobody saw them on)', () => {
    expect(new HvInterlockWatch().inputs('hv-iseg-0', [channel('A', false, ['interlock']), channel('B', false, ['interlock'])])).toEqual({ 'hv:hv-iseg-0:interlock-off': 2 });
  });
});

describe("the DAQ stream's word on spills", () => {
  it('says "spill" only while spills come, "lost since" while the stream is down, "no spill for" otherwise', () => {
    const watch = new DaqStreamWatch(() => clock);
    const cycle = 16_800;
    const words = (lost: number | null) => daqStreamWords({ daq: watch.state(lost, cycle), noBeam: false }, clock);
    expect(watch.state(null, cycle).state).toBe('no-spill');
    watch.signal('WE', clock);
    expect(words(null)).toBeNull();
    clock += 4800;
    watch.signal('EE', clock);
    clock += 12_000;
    expect(words(null)).toBeNull();
    const went = new Date(2026, 11, 5, 12, 3, 41).getTime();
    expect(words(went)).toBe('DAQ stream lost since 12:03:41');
    clock += 15_000;
    // The last spill began 31.8 s ago, ended 27 s ago: more than 1.5 cycles (and a second) without a start of burst.
    expect(words(null)).toBe('no spill from the DAQ for 27 s');
    // The SPS off is said by the screens in their own words.
    expect(daqStreamWords({ daq: watch.state(null, cycle), noBeam: true }, clock)).toBeNull();
  });
});

describe('the spill tally of /metrics', () => {
  it('counts spills with data as taken and empty ones of an outage as lost, with their verdicts', () => {
    const tally = new SpillTally(() => clock);
    const daq = (streamLost: string | null) => ({ streamLost }) as never;
    tally.spill({ eventsSeen: 5000, daq: daq(null), dq: { verdict: 'good' } as never });
    tally.spill({ eventsSeen: 1200, daq: daq('the stream dropped'), dq: { verdict: 'bad' } as never });
    tally.spill({ eventsSeen: 0, daq: daq('the DAQ stream was offline'), dq: null });
    expect([tally.taken, tally.lost]).toEqual([2, 1]);
    expect(tally.verdicts).toMatchObject({ good: 1, bad: 1, none: 1 });
    expect(tally.perMinute()).toBeCloseTo(0.4);
  });
});
