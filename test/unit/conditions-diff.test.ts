// The structural diff of two JSON documents and of two runs' conditions: added / removed / changed with paths
// and old → new values, plain arrays as one value, HV readbacks within their noise not listed.
import { describe, expect, it } from 'vitest';
import type { RunConditions } from '../../src-main/shared/api/conditions';
import { changeLine, conditionsText, diffConditions, diffText, HV_READBACK_TOLERANCE } from '../../src-main/shared/conditions-diff';
import { diffJson, formatPath, formatValue, jsonEqual } from '../../src-main/shared/json-diff';

describe('diffJson', () => {
  it('finds nothing between equal documents, whatever the order of their keys', () => {
    const a = { x: 1, y: { p: [1, 2], q: null }, z: 'text' };
    const b = { z: 'text', y: { q: null, p: [1, 2] }, x: 1 };
    expect(diffJson(a, b)).toEqual({ changes: [], withinTolerance: 0 });
    expect(jsonEqual(a, b)).toBe(true);
  });

  it('lists added, removed and changed values with their paths and old → new values', () => {
    const a = { hv: { S0: { vset: 1100, on: true }, S1: { vset: 900 } }, version: '0.1.0' };
    const b = { hv: { S0: { vset: 1150, on: true }, S2: { vset: 800 } }, version: '0.1.0', prompts: {} };
    expect(diffJson(a, b).changes).toEqual([
      { op: 'changed', path: ['hv', 'S0', 'vset'], old: 1100, new: 1150 },
      { op: 'removed', path: ['hv', 'S1'], old: { vset: 900 } },
      { op: 'added', path: ['hv', 'S2'], new: { vset: 800 } },
      { op: 'added', path: ['prompts'], new: {} },
    ]);
  });

  it('takes a change of type as a change (a value that became an object, null that became a number)', () => {
    expect(diffJson({ a: null, b: 1 }, { a: 5, b: { c: 1 } }).changes).toEqual([
      { op: 'changed', path: ['a'], old: null, new: 5 },
      { op: 'changed', path: ['b'], old: 1, new: { c: 1 } },
    ]);
    expect(diffJson({ a: [] }, { a: {} }).changes).toEqual([{ op: 'changed', path: ['a'], old: [], new: {} }]);
  });

  it('compares arrays of plain values as one value, arrays of objects element by element', () => {
    expect(diffJson({ status: ['on'] }, { status: ['on', 'trip'] }).changes).toEqual([{ op: 'changed', path: ['status'], old: ['on'], new: ['on', 'trip'] }]);
    expect(diffJson({ l: [{ a: 1 }, { a: 2 }] }, { l: [{ a: 1 }, { a: 3 }, { a: 4 }] }).changes).toEqual([
      { op: 'changed', path: ['l', 1, 'a'], old: 2, new: 3 },
      { op: 'added', path: ['l', 2], new: { a: 4 } },
    ]);
    expect(diffJson({ l: [{ a: 1 }, 7] }, { l: [{ a: 1 }] }).changes).toEqual([{ op: 'removed', path: ['l', 1], old: 7 }]);
  });

  it('leaves out what it is told to ignore, and counts numbers taken as the same', () => {
    const r = diffJson(
      { run: 1, v: { a: 10, b: 10 } },
      { run: 2, v: { a: 10.5, b: 20 } },
      { ignore: (p) => p[0] === 'run', same: (p, x, y) => p[1] === 'a' && Math.abs(x - y) < 1 },
    );
    expect(r).toEqual({ changes: [{ op: 'changed', path: ['v', 'b'], old: 10, new: 20 }], withinTolerance: 1 });
  });

  it('does not confuse a key named like an Object method with a present key', () => {
    expect(diffJson({}, { constructor: 1 }).changes).toEqual([{ op: 'added', path: ['constructor'], new: 1 }]);
    expect(diffJson({ toString: 1 }, {}).changes).toEqual([{ op: 'removed', path: ['toString'], old: 1 }]);
  });

  it('writes paths and values as people read them', () => {
    expect(formatPath(['hv', 'channels', 'ECAL1-3-3', 'vset'])).toBe('hv.channels["ECAL1-3-3"].vset');
    expect(formatPath(['alarms', 'hv.trip:S0', 'limits'])).toBe('alarms["hv.trip:S0"].limits');
    expect(formatPath(['list', 2, 'a'])).toBe('list[2].a');
    expect(formatValue('x')).toBe('"x"');
    expect(formatValue(undefined)).toBe('—');
    expect(formatValue('y'.repeat(300), 20)).toHaveLength(20);
  });
});

function conditions(run: number, over: (d: RunConditions) => void = () => undefined): RunConditions {
  const d: RunConditions = {
    schema: 1,
    run,
    takenAt: 1_700_000_000_000 + run * 60_000,
    software: { name: 'na64-run-control', version: '0.1.0' },
    start: { type: 'physics', comment: '', prompts: {} },
    site: { name: 'simulated', file: '/data/site.json', sha256: 'ab'.repeat(32) },
    devices: { daq: { plugin: 'na64-daq', kind: 'event-source', address: 'tcp 127.0.0.1:5000', options: 'sources 600', state: 'online', identity: null } },
    setup: {
      name: 'invisible-e',
      beam: { line: 'H4', particle: 'e-', energyGeV: 100, particlesPerSpill: 5e6 },
      trigger: { beamPrescale: 1000 },
      monitor: { ecalEnergyMaxGeV: 150 },
      channelMap: { version: '1', channels: 130, sha256: 'cd'.repeat(32) },
      hvMap: { file: 'invisible-e.hv.map', channels: 120, sha256: 'ef'.repeat(32) },
      configSha256: '01'.repeat(32),
    },
    hv: {
      supplies: { 'hv-caen-0': { model: 'N1470', state: 'online' } },
      channels: {
        'ECAL0-3-3': { supply: 'hv-caen-0', on: true, vset: 1100, iset: 500, rampUp: 50, rampDown: 50, tripTime: 1, vmon: 1100.2, imon: 220.04, status: ['on'], readback: 'fresh' },
      },
    },
    calibration: { version: 'nominal-invisible-e', author: 'op', activatedBy: 'op', activatedAt: 1 },
    dq: { reference: null, thresholds: { minEntries: 200 }, cuts: { eotGoal: 5e12 } },
    alarms: { 'hv.trip:ECAL0-3-3': { group: 'hv', limits: 'true: high', delayMs: 0, service: 'in service' } },
  };
  over(d);
  return d;
}

describe('diffConditions', () => {
  it('never reports the run number or the time of the snapshot, which always differ', () => {
    const d = diffConditions(conditions(1), conditions(2));
    expect(d).toMatchObject({ from: 1, to: 2, chosen: 'named', changes: [], counts: { added: 0, removed: 0, changed: 0 } });
    expect(diffText(d)).toContain('no changes');
  });

  it('reports a changed HV setpoint with its readback, and takes readback noise as the same reading', () => {
    const to = conditions(2, (d) => {
      const ch = d.hv.channels['ECAL0-3-3']!;
      ch.vset = 1150;
      ch.vmon = 1149.6;
      ch.imon = 229.9;
    });
    const noisy = conditions(1, (d) => {
      d.hv.channels['ECAL0-3-3']!.vmon = 1100.2 + HV_READBACK_TOLERANCE.vmonV / 2;
      d.hv.channels['ECAL0-3-3']!.imon = 220.04 - HV_READBACK_TOLERANCE.imonUA / 2;
    });
    expect(diffConditions(conditions(1), noisy)).toMatchObject({ changes: [], withinTolerance: 2 });
    const d = diffConditions(conditions(1), to);
    expect(d.changes).toEqual([
      { op: 'changed', path: ['hv', 'channels', 'ECAL0-3-3', 'vset'], old: 1100, new: 1150 },
      { op: 'changed', path: ['hv', 'channels', 'ECAL0-3-3', 'vmon'], old: 1100.2, new: 1149.6 },
      { op: 'changed', path: ['hv', 'channels', 'ECAL0-3-3', 'imon'], old: 220.04, new: 229.9 },
    ]);
    expect(changeLine(d.changes[0]!)).toBe('~ hv.channels["ECAL0-3-3"].vset: 1100 → 1150');
    // Tolerance is for readbacks only: a setpoint moved by less than it is still a change.
    const small = diffConditions(conditions(1), conditions(2, (x) => (x.hv.channels['ECAL0-3-3']!.vset = 1101)));
    expect(small.changes.map((c) => c.path.at(-1))).toEqual(['vset']);
  });

  it('reports a new calibration set, a device added, an alarm shelved, and says so in text by section', () => {
    const to = conditions(5, (d) => {
      d.calibration.version = 'scan-2026-11-24';
      d.devices['hv-iseg-0'] = { plugin: 'iseg-scpi', kind: 'hv-supply', address: 'tcp 127.0.0.1:5001', options: '', state: 'online', identity: null };
      d.alarms['hv.trip:ECAL0-3-3'] = { ...d.alarms['hv.trip:ECAL0-3-3']!, service: 'shelved', shelved: { by: 'alice', until: 9, reason: 'flapping' } };
    });
    const d = diffConditions(conditions(3), to, 'last-good', 'run 3 is the last good one');
    expect(d.counts).toEqual({ added: 2, removed: 0, changed: 2 });
    const text = diffText(d);
    expect(text).toContain('conditions of run 3 → run 5 (run 3 is the last good one)');
    expect(text).toContain('~ calibration.version: "nominal-invisible-e" → "scan-2026-11-24"');
    expect(text).toContain('+ devices["hv-iseg-0"]:');
    expect(text).toContain('~ alarms["hv.trip:ECAL0-3-3"].service: "in service" → "shelved"');
    expect(text).toMatch(/\n {2}alarms\n/);
  });

  it('prints a document as an indented tree', () => {
    const text = conditionsText(conditions(4));
    expect(text).toContain('run: 4');
    expect(text).toMatch(/\nhv\n {2}supplies\n {4}hv-caen-0: model=N1470 state=online\n/);
    expect(text).toContain('    ECAL0-3-3: supply=hv-caen-0 on=true vset=1100 iset=500 rampUp=50 rampDown=50 tripTime=1 vmon=1100.2 imon=220.04 status=["on"] readback=fresh');
    expect(text).toContain('  prompts: {}');
    expect(text).toContain('\nsoftware\n  name: "na64-run-control"\n');
  });
});
