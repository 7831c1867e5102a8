// The run transition's parts without a core: the participants asked in sequence order (ready, refuse, defer
// until a condition holds or its wait runs out, called off), the HV and DAQ participants on purpose-made
// states, and the automatic stop's limits.
import { describe, expect, it } from 'vitest';
import { autoStopEndsAt, autoStopReached, autoStopWords } from '../../src-main/run-control/auto-stop';
import { calibrationParticipant, countersParticipant, daqParticipant, hvParticipant, HV_WAIT_MS } from '../../src-main/run-control/participants';
import { askParticipants, TransitionCancelledError, TransitionRefusedError, type ParticipantAnswer, type TransitionParticipant } from '../../src-main/run-control/transition';
import type { HvChannel, HvOverview } from '../../src-main/shared/api/hv';
import { AutoStop, type TransitionView } from '../../src-main/shared/api/run-transition';

const participant = (name: string, sequence: number, answers: (() => ParticipantAnswer) | ParticipantAnswer, asked: string[] = []): TransitionParticipant => ({
  name,
  sequence,
  transitions: ['start', 'resume'],
  check: () => {
    asked.push(name);
    return typeof answers === 'function' ? answers() : answers;
  },
});

describe('the participants of a transition', () => {
  it('are asked in sequence order, whatever order they registered in, and only for their transitions', async () => {
    const asked: string[] = [];
    const views: TransitionView[] = [];
    const pauseOnly: TransitionParticipant = { name: 'pause only', sequence: 1, transitions: ['pause'], check: () => ({ verdict: 'refuse', reason: 'never asked' }) };
    const done = await askParticipants(
      [participant('counters', 400, { verdict: 'ready' }, asked), pauseOnly, participant('DAQ', 100, { verdict: 'ready', detail: 'daq-0 online' }, asked), participant('HV', 200, { verdict: 'ready' }, asked)],
      { kind: 'start', type: 'physics' },
      { progress: (v) => views.push(v), cancelled: () => false },
    );
    expect(asked).toEqual(['DAQ', 'HV', 'counters']);
    expect(done.participants.map((p) => [p.name, p.state, p.detail])).toEqual([
      ['DAQ', 'ready', 'daq-0 online'],
      ['HV', 'ready', null],
      ['counters', 'ready', null],
    ]);
    expect(views[0]!.participants.every((p) => p.state === 'pending')).toBe(true);
  });

  it('a refusal stops the transition there: later participants are not asked', async () => {
    const asked: string[] = [];
    const refused = await askParticipants(
      [participant('DAQ', 100, { verdict: 'ready' }, asked), participant('HV', 200, { verdict: 'refuse', reason: 'ECAL1-3-3 tripped' }, asked), participant('counters', 300, { verdict: 'ready' }, asked)],
      { kind: 'start', type: 'physics' },
      { progress: () => {}, cancelled: () => false },
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransitionRefusedError);
    expect((refused as TransitionRefusedError).message).toBe('cannot start the run: HV: ECAL1-3-3 tripped');
    expect(asked).toEqual(['DAQ', 'HV']);
  });

  it('a deferral holds the transition until its condition holds, and shows what it waits for', async () => {
    let polls = 0;
    const views: TransitionView[] = [];
    const t0 = Date.now();
    await askParticipants(
      [participant('HV', 200, () => (++polls < 4 ? { verdict: 'defer', waitingFor: 'HV not at setpoint', timeoutMs: 10_000 } : { verdict: 'ready' }))],
      { kind: 'start', type: 'physics' },
      { progress: (v) => views.push(v), cancelled: () => false },
    );
    expect(polls).toBe(4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 250 - 20);
    const deferred = views.find((v) => v.participants[0]!.state === 'deferred')!.participants[0]!;
    expect(deferred.detail).toBe('HV not at setpoint');
    expect(deferred.deferredUntil).toBeGreaterThanOrEqual(t0 + 10_000);
    expect(views.at(-1)!.participants[0]!.state).toBe('ready');
  });

  it('a deferral whose wait runs out refuses with what it waited for; a start called off stops waiting', async () => {
    let now = 1_000_000;
    const timedOut = await askParticipants(
      [participant('HV', 200, () => ((now += 400), { verdict: 'defer', waitingFor: 'HV not at setpoint', timeoutMs: 1000 }))],
      { kind: 'start', type: 'physics' },
      { progress: () => {}, cancelled: () => false, now: () => now },
    ).catch((e: unknown) => e);
    expect((timedOut as TransitionRefusedError).reason).toBe('HV not at setpoint, still after waiting 1 s');
    let calls = 0;
    const called = await askParticipants([participant('HV', 200, { verdict: 'defer', waitingFor: 'ramping', timeoutMs: 60_000 })], { kind: 'start', type: 'physics' }, {
      progress: () => {},
      cancelled: () => ++calls > 2,
    }).catch((e: unknown) => e);
    expect(called).toBeInstanceOf(TransitionCancelledError);
    expect((called as Error).message).toBe('the start was called off while HV was waiting: ramping');
  });

  it('a participant that throws refuses, with what it said', async () => {
    const broken = await askParticipants([participant('Calibration set', 300, () => { throw new Error('set v7 has no value for ECAL0-1-1'); })], { kind: 'start', type: 'physics' }, {
      progress: () => {},
      cancelled: () => false,
    }).catch((e: unknown) => e);
    expect((broken as TransitionRefusedError).reason).toBe('could not tell: set v7 has no value for ECAL0-1-1');
  });
});

const channel = (name: string, o: Partial<HvChannel> = {}): HvChannel => ({
  name,
  detector: 'ECAL',
  supply: 'hv-iseg-0',
  channel: 0,
  board: 0,
  boardChannel: 0,
  nominalVolts: 1100,
  vset: 1100,
  vmon: 1100.2,
  iset: 100,
  imon: 10,
  rampUp: 50,
  rampDown: 50,
  tripTime: 1,
  maxV: 3000,
  on: true,
  conditions: [],
  latched: [],
  rawStatus: 0,
  updatedAt: 0,
  staleness: 'fresh',
  ...o,
});
const overview = (channels: HvChannel[], supplyState: 'online' | 'offline' = 'online'): HvOverview =>
  ({ setup: 'invisible-e', serverTime: 0, supplies: [{ id: 'hv-iseg-0', model: 'iseg', address: 'tcp', state: supplyState, reason: '', pollMs: 1000, lastPollAt: 0 }], channels }) as HvOverview;
const ask = (p: TransitionParticipant) => p.check({ kind: 'start', type: 'physics' });

describe('the HV, DAQ, calibration and counters participants', () => {
  it('HV: ready at setpoint (off channels named), deferred while ramping or silent, refused on a trip', () => {
    expect(ask(hvParticipant(() => overview([channel('A'), channel('B', { on: false, vmon: 0 })])))).toEqual({ verdict: 'ready', detail: '1 channel at setpoint; off: B' });
    expect(ask(hvParticipant(() => overview([channel('A', { vset: 1300, vmon: 1150, conditions: ['ramp-up'] })])))).toEqual({
      verdict: 'defer',
      waitingFor: 'HV not at setpoint: 1 channel (A at 1150 V of 1300 V)',
      timeoutMs: HV_WAIT_MS,
    });
    // Off its setpoint by more than the deviation alarm's first level, even without a ramp bit.
    expect(ask(hvParticipant(() => overview([channel('A', { vmon: 1088 })]))).verdict).toBe('defer');
    expect(ask(hvParticipant(() => overview([channel('A', { vmon: 1095 })]))).verdict).toBe('ready');
    expect(ask(hvParticipant(() => overview([channel('A')], 'offline')))).toMatchObject({ verdict: 'defer', waitingFor: 'HV supply hv-iseg-0 offline not answering' });
    expect(ask(hvParticipant(() => overview([channel('A', { vmon: null })])))).toMatchObject({ verdict: 'defer', waitingFor: 'no HV reading yet of A' });
    expect(ask(hvParticipant(() => overview([channel('A'), channel('B', { on: false, conditions: ['trip'] })])))).toEqual({
      verdict: 'refuse',
      reason: 'B tripped: clear the trip and switch on from the HV view, or switch off on purpose',
    });
  });

  it('DAQ: deferred while the stream is down; calibration: the active set named; counters: never hold the run back', () => {
    let state: 'online' | 'offline' = 'offline';
    const daq = daqParticipant(() => ({ id: 'daq-0', state: () => state, stateReason: () => 'tcp 127.0.0.1:4001: connection refused' }));
    expect(ask(daq)).toMatchObject({ verdict: 'defer', waitingFor: 'the DAQ stream daq-0 is offline (tcp 127.0.0.1:4001: connection refused)' });
    state = 'online';
    expect(ask(daq)).toEqual({ verdict: 'ready', detail: 'daq-0 online' });
    expect(ask(calibrationParticipant({ activeVersion: () => 'invisible-e-v3', monitorConfig: () => ({}) }))).toEqual({ verdict: 'ready', detail: 'invisible-e-v3 loaded for the monitor' });
    const scaler = (id: string, s: 'online' | 'offline' | 'connecting') => ({ id, state: () => s, stateReason: () => '' });
    expect(ask(countersParticipant(() => [scaler('scaler-0', 'online'), scaler('scaler-1', 'connecting')]))).toEqual({
      verdict: 'ready',
      detail: "armed: scaler-0; not answering: scaler-1 connecting (the DAQ's scaler counts alone)",
    });
    expect(ask(countersParticipant(() => []))).toEqual({ verdict: 'ready', detail: "none in this site: the DAQ's end-of-burst scaler counts" });
  });
});

describe('the automatic stop', () => {
  const p = { spills: 0, units: 0, startedAt: 1_000_000, pausedMs: 0 };
  it('stops at the first limit reached, in words; time paused does not count', () => {
    const limits = AutoStop.parse({ spills: 20, units: 5e9, minutes: 30 });
    expect(autoStopReached(limits, 'EOT', { ...p, spills: 19, units: 4.9e9 }, p.startedAt + 60_000)).toBeNull();
    expect(autoStopReached(limits, 'EOT', { ...p, spills: 20 }, p.startedAt)).toBe('automatic stop: 20 spills taken (limit 20)');
    expect(autoStopReached(limits, 'EOT', { ...p, units: 5.01e9 }, p.startedAt)).toBe('automatic stop: 5.01×10^9 EOT collected (limit 5.00×10^9)');
    expect(autoStopReached(limits, 'EOT', p, p.startedAt + 30 * 60_000)).toBe('automatic stop: 30 min of data taking');
    expect(autoStopReached(limits, 'EOT', { ...p, pausedMs: 5 * 60_000 }, p.startedAt + 30 * 60_000)).toBeNull();
    expect(autoStopEndsAt(limits, { ...p, pausedMs: 5 * 60_000 })).toBe(p.startedAt + 35 * 60_000);
    expect(autoStopWords(AutoStop.parse({ spills: 20, restart: true }), 'MOT')).toBe('stop after 20 spills, then start the next run');
  });

  it('refuses limits that are no limits', () => {
    expect(AutoStop.safeParse({ restart: true }).error?.issues[0]?.message).toBe('an automatic stop needs a limit: spills, a counting-unit total or minutes');
    expect(AutoStop.safeParse({ spills: 0 }).success).toBe(false);
    expect(AutoStop.safeParse({ spills: 1.5 }).success).toBe(false);
    expect(AutoStop.safeParse({ minutes: -1 }).success).toBe(false);
    expect(AutoStop.safeParse({ units: Number.POSITIVE_INFINITY }).success).toBe(false);
  });
});
