// Scenario table for the alarm logic, straight from the ISA-18.2 state diagram (after Phoebus's
// AlarmLogicUnitTest): each scenario is a sequence of inputs and operator actions with the expected states.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AlarmStore } from '../../src-main/alarms/alarm-store';
import { parseDefinitions, type AlarmDefinitionInput, type RunTypeProfiles } from '../../src-main/alarms/definitions';
import { AlarmEngine, AlarmError, type Annunciation } from '../../src-main/alarms/engine';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { COMMON_ALARMS } from '../../src-main/setup/alarms';

const guidance = { cause: 'why', consequence: 'what happens', action: 'what to do' };
const shifter = { user: 'sam', role: 'shifter' as const };
const DEFS: AlarmDefinitionInput[] = [
  {
    id: 'vmon-dev',
    name: 'ECAL HV deviation',
    group: 'hv',
    input: 'dev',
    unit: 'V',
    condition: { kind: 'above', levels: [{ priority: 'medium', set: 10 }, { priority: 'high', set: 50 }], deadband: 2 },
  },
  { id: 'trip', name: 'HV trip', group: 'hv', input: 'trip', condition: { kind: 'true', priority: 'high' }, latch: true },
  { id: 'slow', name: 'slow condition', group: 'daq', input: 'slow', condition: { kind: 'true', priority: 'low' }, delayMs: 5000, count: { times: 3, withinMs: 10_000 } },
  { id: 'rate', name: 'trigger rate low', group: 'daq', input: 'rate', condition: { kind: 'below', levels: [{ priority: 'medium', set: 100 }] } },
  { id: 'fire', name: 'crate smoke', group: 'daq', input: 'smoke', condition: { kind: 'true', priority: 'critical' } },
  { id: 'stale', name: 'readback', group: 'hv', input: 'vmon', condition: { kind: 'above', levels: [{ priority: 'low', set: 1e9 }] }, staleAfterMs: 3000 },
].map((d) => ({ guidance, ...d }) as AlarmDefinitionInput);
const PROFILES: RunTypeProfiles = { calibration: { suppress: ['daq'] }, led: { suppress: ['daq'] } } as RunTypeProfiles;

let dir: string;
let db: Db;
let clock: number;
let announced: Annunciation[];

function engine(): AlarmEngine {
  return new AlarmEngine(parseDefinitions(DEFS), PROFILES, new AlarmStore(db), { changed() {}, annunciate: (a) => announced.push(a) }, () => clock);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-alarms-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  clock = 1_000_000;
  announced = [];
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const state = (e: AlarmEngine, id: string) => e.get(id).state;
const later = (ms: number) => (clock += ms);

describe('the alarm cycle', () => {
  it('1. normal → unack when the condition appears, annunciated once', () => {
    const e = engine();
    e.update({ dev: 5 });
    expect(state(e, 'vmon-dev')).toBe('normal');
    e.update({ dev: 12 });
    e.update({ dev: 13 });
    expect(state(e, 'vmon-dev')).toBe('unack');
    expect(announced.map((a) => [a.alarm, a.priority])).toEqual([['vmon-dev', 'medium']]);
  });

  it('2. acknowledged before recovery: unack → ack → normal', () => {
    const e = engine();
    e.update({ dev: 20 });
    e.acknowledge(['vmon-dev'], shifter, 'looking into it');
    expect(state(e, 'vmon-dev')).toBe('ack');
    e.update({ dev: 0 });
    expect(state(e, 'vmon-dev')).toBe('normal');
  });

  it('3. recovery before acknowledgement: unack → rtn-unack → normal on ack', () => {
    const e = engine();
    e.update({ dev: 20 });
    e.update({ dev: 0 });
    expect(state(e, 'vmon-dev')).toBe('rtn-unack');
    e.acknowledge(['vmon-dev'], shifter, '');
    expect(state(e, 'vmon-dev')).toBe('normal');
  });

  it('4. severity latches to the highest seen until acknowledged', () => {
    const e = engine();
    e.update({ dev: 60 });
    e.update({ dev: 20 });
    expect(e.get('vmon-dev')).toMatchObject({ state: 'unack', priority: 'high' });
    e.acknowledge(['vmon-dev'], shifter, '');
    expect(e.get('vmon-dev')).toMatchObject({ state: 'ack', priority: 'medium' });
  });

  it('5. escalation after acknowledgement asks again', () => {
    const e = engine();
    e.update({ dev: 20 });
    e.acknowledge(['vmon-dev'], shifter, '');
    e.update({ dev: 70 });
    expect(e.get('vmon-dev')).toMatchObject({ state: 'unack', priority: 'high' });
    expect(announced.map((a) => a.priority)).toEqual(['medium', 'high']);
  });

  it('6. de-escalation does not ring again', () => {
    const e = engine();
    e.update({ dev: 70 });
    e.acknowledge(['vmon-dev'], shifter, '');
    e.update({ dev: 20 });
    expect(e.get('vmon-dev')).toMatchObject({ state: 'ack', priority: 'medium' });
    expect(announced).toHaveLength(1);
  });

  it('7. a latching alarm waits for a reset after the condition clears', () => {
    const e = engine();
    e.update({ trip: true });
    e.acknowledge(['trip'], shifter, '');
    e.update({ trip: false });
    expect(state(e, 'trip')).toBe('latched');
    e.reset('trip', shifter, 'channel recovered');
    expect(state(e, 'trip')).toBe('normal');
  });

  it('8. a latched alarm that trips again is a new unacknowledged occurrence', () => {
    const e = engine();
    e.update({ trip: true });
    e.update({ trip: false });
    expect(state(e, 'trip')).toBe('latched');
    e.update({ trip: true });
    expect(state(e, 'trip')).toBe('unack');
    expect(announced).toHaveLength(2);
  });

  it('9. resetting what is not latched is refused with a reason', () => {
    const e = engine();
    e.update({ trip: true });
    expect(() => e.reset('trip', shifter, '')).toThrow(/not latched/);
  });

  it('10. on-delay: a condition shorter than the delay never rings; a longer one does', () => {
    const e = engine();
    e.update({ slow: true });
    later(3000);
    e.update({ slow: false });
    e.tick();
    expect(state(e, 'slow')).toBe('normal');
    later(20_000);
    e.update({ slow: true });
    later(4000);
    e.tick();
    expect(state(e, 'slow')).toBe('normal');
    later(1500);
    e.tick();
    expect(state(e, 'slow')).toBe('unack');
  });

  it('11. count: bursts shorter than the delay ring when they come back often enough', () => {
    const e = engine();
    for (let i = 0; i < 2; i++) {
      e.update({ slow: true });
      later(500);
      e.update({ slow: false });
      later(1000);
    }
    expect(state(e, 'slow')).toBe('normal');
    e.update({ slow: true });
    expect(state(e, 'slow')).toBe('unack');
  });

  it('11b. the core-not-responsive alarm: one start-up stall does not ring; a core two seconds behind or stalling three times a minute does', () => {
    const e = new AlarmEngine(parseDefinitions(COMMON_ALARMS.filter((d) => d.id === 'system.event-loop-lag')), PROFILES, new AlarmStore(db), { changed() {}, annunciate: (a) => announced.push(a) }, () => clock);
    const lag = (ms: number) => (e.update({ 'system:event-loop-lag-ms': ms }), later(1000));
    [40, 650, 40, 30].forEach(lag);
    expect(state(e, 'system.event-loop-lag')).toBe('normal');
    [700, 800, 900].forEach(lag);
    expect(e.get('system.event-loop-lag')).toMatchObject({ state: 'unack', priority: 'medium' });
    e.acknowledge(['system.event-loop-lag'], shifter, '');
    [40, 40].forEach(lag);
    expect(state(e, 'system.event-loop-lag')).toBe('normal');
    later(60_000);
    [600, 40, 40, 600, 40, 40].forEach(lag);
    expect(state(e, 'system.event-loop-lag')).toBe('normal');
    lag(600);
    expect(state(e, 'system.event-loop-lag')).toBe('unack');
  });

  it('11c. the log alone says how long acknowledgements took and what stood in alarm at any moment', () => {
    const store = new AlarmStore(db);
    const e = new AlarmEngine(parseDefinitions(DEFS), PROFILES, store, { changed() {}, annunciate: (a) => announced.push(a) }, () => clock);
    const start = clock;
    e.update({ dev: 20, rate: 500, trip: false });
    later(30_000);
    e.acknowledge(['vmon-dev'], shifter, 'looking');
    e.update({ rate: 50 });
    later(90_000);
    e.acknowledge(['rate'], shifter, '');
    e.update({ trip: true });
    later(1000);
    e.update({ trip: false, dev: 0 });
    const end = clock + 1;
    expect(store.acknowledgeDelays(start, end)).toEqual([30_000, 90_000]);
    // vmon-dev cleared after its acknowledgement; the low rate stands acknowledged; the trip latched.
    expect(store.standingAt(end).map((s) => [s.alarm, s.state])).toEqual(
      expect.arrayContaining([
        ['rate', 'ack'],
        ['trip', 'latched'],
      ]),
    );
    expect(store.standingAt(end)).toHaveLength(2);
    expect(store.standingAt(end).find((s) => s.alarm === 'rate')!.since).toBe(start + 30_000);
    expect(store.lastActivation('rate', end)).toBe(start + 30_000);
    expect(store.lastActivation('rate', start)).toBeNull();
    // Before anything was acknowledged, the deviation stood unacknowledged.
    expect(store.standingAt(start + 1).map((s) => [s.alarm, s.state])).toEqual([['vmon-dev', 'unack']]);
  });

  it('12. hysteresis: a value wobbling at the set point does not chatter', () => {
    const e = engine();
    for (const v of [10, 9, 10.5, 8.5, 11, 8.1]) e.update({ dev: v });
    expect(e.get('vmon-dev')).toMatchObject({ state: 'unack', chattering: false });
    expect(announced).toHaveLength(1);
    e.update({ dev: 7.9 });
    expect(state(e, 'vmon-dev')).toBe('rtn-unack');
  });

  it('13. low-side alarms and 14. status-bit alarms', () => {
    const e = engine();
    e.update({ rate: 150, smoke: false });
    expect(state(e, 'rate')).toBe('normal');
    e.update({ rate: 80, smoke: true });
    expect(e.get('rate')).toMatchObject({ state: 'unack', priority: 'medium', value: 80 });
    expect(e.get('fire')).toMatchObject({ state: 'unack', priority: 'critical', value: 1 });
  });

  it('15. an input that stops updating cannot be evaluated; the alarm keeps its state underneath', () => {
    const e = engine();
    e.update({ vmon: 2e9 });
    expect(state(e, 'stale')).toBe('unack');
    later(5000);
    e.tick();
    expect(e.get('stale')).toMatchObject({ state: 'cannot-evaluate', invalid: 'no update of vmon for 5 s' });
    e.update({ vmon: 2e9 });
    expect(state(e, 'stale')).toBe('unack');
  });

  it('16. a missing value cannot be evaluated', () => {
    const e = engine();
    e.update({ dev: null });
    expect(e.get('vmon-dev')).toMatchObject({ state: 'cannot-evaluate', invalid: 'dev has no value' });
    e.update({ dev: 1 });
    expect(state(e, 'vmon-dev')).toBe('normal');
  });

  it('17. shelving needs a reason and an expiry of at most 7 days; it hides the alarm until it expires', () => {
    const e = engine();
    expect(() => e.shelve('vmon-dev', shifter, ' ', clock + 3_600_000)).toThrow(/reason/);
    expect(() => e.shelve('vmon-dev', shifter, 'known', clock - 1)).toThrow(/future/);
    expect(() => e.shelve('vmon-dev', shifter, 'known', clock + 8 * 86_400_000)).toThrow(/7 days/);
    e.shelve('vmon-dev', shifter, 'PMT being replaced', clock + 3_600_000);
    e.update({ dev: 99 });
    expect(e.get('vmon-dev')).toMatchObject({ state: 'shelved', shelved: { user: 'sam', reason: 'PMT being replaced' } });
    expect(announced).toHaveLength(0);
    later(3_600_001);
    e.tick();
    expect(state(e, 'vmon-dev')).toBe('unack');
    expect(announced).toHaveLength(1);
  });

  it('18. an operator can end a shelving early', () => {
    const e = engine();
    e.shelve('vmon-dev', shifter, 'maintenance', clock + 3_600_000);
    e.unshelve('vmon-dev', shifter, 'done');
    expect(state(e, 'vmon-dev')).toBe('normal');
  });

  it('19. suppression by design follows the run type', () => {
    const e = engine();
    e.setRunType('calibration');
    e.update({ rate: 10 });
    expect(state(e, 'rate')).toBe('suppressed');
    expect(announced).toHaveLength(0);
    e.setRunType(null);
    expect(state(e, 'rate')).toBe('unack');
    expect(announced.map((a) => a.alarm)).toEqual(['rate']);
  });

  it('20. critical alarms always come through', () => {
    const e = engine();
    e.setRunType('led');
    e.update({ smoke: true });
    expect(state(e, 'fire')).toBe('unack');
    expect(announced.map((a) => a.priority)).toEqual(['critical']);
  });

  it('21. out of service: not annunciated, back in service with its current state', () => {
    const e = engine();
    const expert = { user: 'eve', role: 'expert' as const };
    expect(() => e.removeFromService('rate', expert, '')).toThrow(/reason/);
    e.removeFromService('rate', expert, 'scaler module removed');
    e.update({ rate: 0 });
    expect(state(e, 'rate')).toBe('out-of-service');
    expect(announced).toHaveLength(0);
    e.returnToService('rate', expert, 'module back');
    expect(state(e, 'rate')).toBe('unack');
  });
});

describe('restart in the middle of each state', () => {
  it('22. unack, ack, rtn-unack, latched, shelved, out of service all come back exactly', () => {
    let e = engine();
    e.update({ dev: 20, trip: true, rate: 50, smoke: true });
    e.acknowledge(['fire'], shifter, 'seen');
    e.update({ trip: false, rate: 500 }); // trip latched, rate rtn-unack
    e.shelve('slow', shifter, 'noisy sensor', clock + 60_000);
    e.removeFromService('stale', { user: 'eve', role: 'expert' }, 'recabling');
    const before = e.list().map((v) => [v.id, v.state, v.priority]);
    expect(before).toEqual([
      ['vmon-dev', 'unack', 'medium'],
      ['trip', 'latched', 'high'],
      ['slow', 'shelved', null],
      ['rate', 'rtn-unack', 'medium'],
      ['fire', 'ack', 'critical'],
      ['stale', 'out-of-service', null],
    ]);
    e = engine();
    expect(e.list().map((v) => [v.id, v.state, v.priority])).toEqual(before);
    // …and the shelving still expires, the acknowledgement is still there.
    later(60_001);
    e.tick();
    expect(state(e, 'slow')).toBe('normal');
    e.update({ smoke: true });
    expect(state(e, 'fire')).toBe('ack');
  });
});

describe('the alarm log', () => {
  it('23. records every transition and action with user, role and reason, and cannot be rewritten', () => {
    const e = engine();
    e.update({ dev: 20 });
    e.acknowledge(['vmon-dev'], shifter, 'calling the HV expert');
    e.update({ dev: 0 });
    const log = new AlarmStore(db).log({ alarm: 'vmon-dev' }).reverse();
    expect(log.map((l) => [l.kind, l.from, l.to, l.user, l.reason])).toEqual([
      ['activated', 'normal', 'unack', null, null],
      ['acknowledged', 'unack', 'ack', 'sam', 'calling the HV expert'],
      ['cleared', 'ack', 'normal', null, null],
    ]);
    expect(log[1]!.role).toBe('shifter');
    expect(() => db.prepare('UPDATE alarm_log SET user = ?').run('mallory')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM alarm_log').run()).toThrow(/append-only/);
  });

  it('24. flags an alarm that keeps coming back as chattering', () => {
    const e = engine();
    for (let i = 0; i < 3; i++) {
      e.update({ dev: 30 });
      e.update({ dev: 0 });
      later(5000);
    }
    expect(e.get('vmon-dev').chattering).toBe(true);
    later(120_000);
    expect(e.get('vmon-dev').chattering).toBe(false);
  });

  it('25. acknowledges a selection in one action', () => {
    const e = engine();
    e.update({ dev: 20, rate: 1, smoke: true });
    const views = e.acknowledge(['vmon-dev', 'rate', 'fire'], shifter, 'all seen');
    expect(views.map((v) => v.state)).toEqual(['ack', 'ack', 'ack']);
    expect(new AlarmStore(db).log({ kinds: ['acknowledged'] })).toHaveLength(3);
  });
});

describe('bad input', () => {
  it('26. rejects invalid definitions with the alarm named', () => {
    expect(() => parseDefinitions([{ ...DEFS[0], id: 'Bad Id' }])).toThrow(/alarm "Bad Id" is invalid: id:/);
    expect(() => parseDefinitions([DEFS[0], DEFS[0]])).toThrow(/defined twice/);
    const reversed = { ...DEFS[0], condition: { kind: 'above', levels: [{ priority: 'high', set: 50 }, { priority: 'medium', set: 10 }] } };
    expect(() => parseDefinitions([reversed])).toThrow(/rising priority/);
    const inverted = { ...DEFS[0], condition: { kind: 'below', levels: [{ priority: 'medium', set: 10 }, { priority: 'high', set: 50 }] } };
    expect(() => parseDefinitions([inverted])).toThrow(/further below/);
    expect(() => parseDefinitions([{ ...DEFS[0], guidance: { cause: '' } }])).toThrow(/guidance/);
  });

  it('27. unknown alarms are refused by name; 28. non-finite values are ignored', () => {
    const e = engine();
    expect(() => e.acknowledge(['nope'], shifter, '')).toThrow(AlarmError);
    expect(() => e.shelve('<script>', shifter, 'x', clock + 1000)).toThrow(/no alarm "<script>"/);
    e.update({ dev: Number.NaN });
    e.update({ dev: Number.POSITIVE_INFINITY });
    expect(state(e, 'vmon-dev')).toBe('normal');
  });
});
