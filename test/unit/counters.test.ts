// The beam-line counters service against a scaler whose counters the test sets: counts per spill modulo the
// counter width, a stuck counter, a missed end-of-burst read, and the cross-check with the DAQ's
// end-of-burst scaler (a 5 % disagreement is a finding on that spill with both numbers).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptySpillDaqFigures, type BeamScaler, type EventSource, type ScalerChannel, type ScalerReading } from '../../drivers/sdk/index';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive, spillDaq } from '../../src-main/archive/runs-archive';
import { increment, stuckCounters } from '../../src-main/counters/counter-math';
import { CounterStore } from '../../src-main/counters/counter-store';
import { CountersService, EOB_READ_DELAY_MS } from '../../src-main/counters/counters-service';
import type { DqCheck } from '../../src-main/dq/checks';
import { silentLogger } from '../../src-main/log';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { SpillClock } from '../../src-main/timing/spill-clock';
import { MockDevice } from '../support/mock-plugin';

const CHANNELS: ScalerChannel[] = [
  { index: 0, name: 'S1', role: 'S1' },
  { index: 1, name: 'S2', role: 'S2' },
  { index: 2, name: 'Sc', role: 'Sc' },
  { index: 3, name: 'trigger', role: 'trigger' },
];

class TestScaler extends MockDevice {
  readonly model = 'test scaler';
  counts = [0, 0, 0, 0];
  bits = 32;
  failing: string | null = null;
  channels() {
    return CHANNELS;
  }
  async read(): Promise<ScalerReading> {
    if (this.failing) throw new Error(this.failing);
    return { at: Date.now(), counts: [...this.counts], bits: this.bits };
  }
}

const tick = (ms = EOB_READ_DELAY_MS + 30) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let db: Db;
let clock: SpillClock;
let service: CountersService;
let scaler: TestScaler;
let findings: { run: number; spill: number; check: DqCheck }[];
let alarms: Record<string, number | boolean | null>;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64-counters-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  clock = new SpillClock(() => ({ beam: () => ({ phase: 'interspill', phaseStartedAt: 0, phaseEndsAt: 1, spillMs: 4800, cycleMs: 16_800 }) }) as unknown as EventSource, silentLogger());
  scaler = new TestScaler('scaler', 'udp 127.0.0.1:9');
  findings = [];
  alarms = {};
  service = new CountersService({
    scalers: () => [scaler as unknown as BeamScaler],
    clock,
    store: new CounterStore(db),
    addCheck: (run, spill, check) => (findings.push({ run, spill, check }), true),
    alarms: (v) => Object.assign(alarms, v),
    changed: () => undefined,
    log: silentLogger(),
  });
});

afterEach(() => {
  service.close();
  clock.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One spill: WE, the counters advance by `counts`, EE; resolves after the end-of-burst read. */
async function spill(sequence: number, startedAt: number, counts: number[]): Promise<void> {
  clock.fromDaq('WE', startedAt, sequence);
  await tick(5);
  scaler.counts = scaler.counts.map((c, i) => (c + counts[i]!) % 2 ** scaler.bits);
  clock.fromDaq('EE', startedAt + 4800, sequence);
  await tick();
}

function daqSpill(run: number, spill: number, startedAt: number, accepted: number, particles: number): SpillSummary {
  return {
    run,
    spill,
    startedAt,
    endedAt: startedAt + 4800,
    eventsSeen: accepted,
    eventsProcessed: accepted,
    processedFraction: 1,
    intensity: particles,
    ecalMeanGeV: null,
    ecalPeakGeV: null,
    daq: spillDaq({ ...emptySpillDaqFigures(), undecodedEvents: 0, scalerAccepted: accepted, endOfBurst: true }),
    dq: null,
  };
}

describe('counter arithmetic', () => {
  it('counts across a wrap-around of the counter', () => {
    expect(increment(2 ** 26 - 100, 50, 26)).toBe(150);
    expect(increment(5, 5, 32)).toBe(0);
    expect(increment(2 ** 32 - 1, 0, 32)).toBe(1);
  });

  it('names a beam counter that counted nothing while the others counted the beam', () => {
    expect(stuckCounters(CHANNELS, [50_000, 0, 49_000, 300])).toEqual(['S2']);
    expect(stuckCounters(CHANNELS, [10, 0, 9, 0])).toEqual([]);
  });
});

describe('counters service', () => {
  it('says the first spill since start has no counts (nothing was read before it), then counts each from the last end of burst', async () => {
    await spill(0, 500_000, [50_000, 49_000, 50_000, 400]);
    expect(service.countersState().scalers[0]!.history.at(-1)).toMatchObject({ counts: null, problem: expect.stringMatching(/^the first spill since the app started: no end-of-burst read before it/) });
    await spill(1, 1_000_000, [60_000, 58_800, 60_000, 500]);
    expect(service.countersState().scalers[0]!.history.at(-1)!.counts).toEqual({ S1: 60_000, S2: 58_800, Sc: 60_000, trigger: 500 });
  });

  it('gives each spill its counts, through a wrap-around, and archives them', async () => {
    scaler.bits = 26;
    scaler.counts = [2 ** 26 - 1000, 2 ** 26 - 500, 0, 0];
    await spill(0, 500_000, [0, 0, 0, 0]);
    await spill(1, 1_000_000, [120_000, 117_600, 120_000, 900]);
    const view = service.countersState().scalers[0]!;
    expect(view.history.at(-1)!.counts).toEqual({ S1: 120_000, S2: 117_600, Sc: 120_000, trigger: 900 });
    expect(view.history.at(-1)!.problem).toMatch(/S1, S2 wrapped around 2\^26 \(counted correctly\)/);
    expect(view.channels.find((c) => c.name === 'S1')!.ratePerS).toBeCloseTo(120_000 / 4.8, 5);
    expect(new CounterStore(db).recent('scaler', 10)).toHaveLength(2);
  });

  it('flags a stuck counter and a missed end-of-burst read, with alarm inputs', async () => {
    await spill(0, 500_000, [0, 0, 0, 0]);
    await spill(1, 1_000_000, [100_000, 0, 100_000, 800]);
    expect(service.countersState().scalers[0]!.history.at(-1)!.problem).toMatch(/S2 counted nothing/);
    expect(alarms['counters:scaler:stuck']).toBe(1);
    clock.fromDaq('WE', 2_000_000, 2);
    await tick(5);
    scaler.failing = 'the bridge did not answer within 1500 ms';
    clock.fromDaq('EE', 2_004_800, 2);
    await tick();
    const last = service.countersState().scalers[0]!.history.at(-1)!;
    expect(last.counts).toBeNull();
    expect(last.problem).toBe('no end-of-burst read: the bridge did not answer within 1500 ms');
    expect(alarms['counters:scaler:missed-eob']).toBe(1);
    // The spill after a missed read would hold two spills' counts: unknown too; then counting resumes.
    scaler.failing = null;
    await spill(3, 3_000_000, [90_000, 88_000, 90_000, 700]);
    expect(service.countersState().scalers[0]!.history.at(-1)).toMatchObject({ counts: null, problem: 'no end-of-burst read before this spill (the last one failed): its counts are unknown' });
    expect(alarms['counters:scaler:missed-eob']).toBe(0);
    await spill(4, 4_000_000, [80_000, 78_000, 80_000, 600]);
    expect(service.countersState().scalers[0]!.history.at(-1)!.counts).toEqual({ S1: 80_000, S2: 78_000, Sc: 80_000, trigger: 600 });
  });

  it('does not cross-check a DAQ spill that began before the counters had a cycle of whole spills behind them', async () => {
    const archive = new RunsArchive(db);
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 0 }).number;
    const stored = (s: SpillSummary) => (archive.saveSpill(s, []), s);
    // Before any end-of-burst read the counters cannot say what they counted: not checked, not waited for.
    service.daqSpill(stored(daqSpill(run, 1, 490_000, 900, 100_000)));
    await spill(0, 500_000, [0, 0, 0, 0]);
    // Within one cycle of the first read (EE at 504.8 s): the spill may be partial on one side.
    await spill(1, 510_000, [100_000, 98_000, 100_000, 900]);
    service.daqSpill(stored(daqSpill(run, 2, 510_010, 900, 60_000)));
    expect(service.checksOfRun(run)).toEqual([]);
    // A cycle later both count whole spills: checked (and here a 40 % disagreement is a finding).
    await spill(2, 530_000, [100_000, 98_000, 100_000, 900]);
    service.daqSpill(stored(daqSpill(run, 3, 530_010, 900, 60_000)));
    expect(service.checksOfRun(run).map((c) => [c.spill, c.quantity, c.ok])).toEqual([
      [3, 'particles', false],
      [3, 'triggers', true],
    ]);
    expect(findings.map((f) => f.spill)).toEqual([3]);
  });

  it('cross-checks each DAQ spill: agreement is recorded, a 5 % disagreement is a finding with both numbers', async () => {
    // The DAQ's spills as the DAQ service stores them (the cross-checks refer to them).
    const archive = new RunsArchive(db);
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 999_000 }).number;
    const stored = (s: SpillSummary) => (archive.saveSpill(s, []), s);
    await spill(0, 500_000, [0, 0, 0, 0]);
    await spill(1, 1_000_000, [100_000, 98_000, 100_000, 900]);
    service.daqSpill(stored(daqSpill(run, 1, 1_000_010, 900, 100_000)));
    expect(service.checksOfRun(run).map((c) => [c.quantity, c.ok])).toEqual([
      ['particles', true],
      ['triggers', true],
    ]);
    expect(findings).toEqual([]);
    // The DAQ spill arrives first this time: it waits for the counters' end-of-burst read.
    service.daqSpill(stored(daqSpill(run, 2, 2_000_000, 1000, 200_000)));
    await spill(2, 2_000_000, [210_000, 205_800, 210_000, 1000]);
    const particles = service.checksOfRun(run).find((c) => c.spill === 2 && c.quantity === 'particles')!;
    expect(particles).toMatchObject({ scaler: 210_000, daq: 200_000, ok: false });
    expect(particles.difference).toBeCloseTo(0.05, 10);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.spill).toBe(2);
    expect(findings[0]!.check.reason).toContain('210000');
    expect(findings[0]!.check.reason).toContain('200000');
    expect(findings[0]!.check.verdict).toBe('medium');
    expect(alarms['counters:daq-mismatch']).toBeCloseTo(0.05, 10);
  });
});
