// The conditions of each run against the real core (the simulated site's processes, the worker pool, the
// SQLite file): recorded at the start in the run's own transaction, composed with the run's devices, and a
// changed HV setpoint between two runs shows in their diff.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { ConditionsError } from '../../src-main/conditions/run-conditions';
import { VERSION } from '../../src-main/version';
import { waitFor } from '../support/serve-process';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

let dir: string;
let sim: SimulatedCore;
let core: Core;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-conditions-'));
  sim = await openSimulatedCore(dir, { timeScale: 20, seed: 11 });
  core = sim.core;
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

const EXPERT = { user: 'erin', role: 'expert' as const, via: 'user-token' as const };
const CELL = 'ECAL1-3-3';

/** Wait until every HV channel has a reading (the first polls after start). */
async function hvRead(): Promise<void> {
  await waitFor('every HV channel read', async () => core.hv.overview().channels.every((c) => c.vset !== null));
}

describe('conditions per run', () => {
  it('are recorded at the start: site and devices with options, setup, HV, calibration, DQ, alarms, software, start inputs', async () => {
    await hvRead();
    const started = Date.now();
    const run = await core.runControl.start('physics', 'conditions check');
    const tookMs = Date.now() - started;
    await core.runControl.stop('done');
    const doc = core.conditions.get(run.number)!;
    expect(doc).toMatchObject({
      schema: 1,
      run: run.number,
      takenAt: run.startedAt,
      software: { name: 'na64-run-control', version: VERSION },
      // Started in-process without prompts (as --start-run is): the defaults, and the run says so.
      start: {
        type: 'physics',
        comment: 'conditions check',
        prompts: { beamEnergy: 100, beamParticle: 'e-', trigger: 'physics' },
        promptsVersion: 1,
        promptsSource: 'started without prompts: the defaults of prompts v1; not answered: crew',
      },
      site: { name: core.devices.site().name, file: core.devices.site().file, sha256: core.devices.site().hash },
      setup: { name: 'invisible-e', beam: { particle: 'e-', energyGeV: 100 }, channelMap: { version: '1' } },
      calibration: { version: core.calibration.list().find((s) => s.status === 'active')!.version },
    });
    // The devices come from the device store (not copied), with their options and identities.
    const devices = core.devices.list();
    expect(Object.keys(doc.devices).sort()).toEqual(devices.map((d) => d.id).sort());
    for (const d of devices) expect(doc.devices[d.id]).toMatchObject({ plugin: d.plugin, kind: d.kind, address: d.address, options: d.options });
    expect(Object.values(doc.devices).some((d) => d.identity !== null)).toBe(true);
    // Every HV channel of the map with its setpoints and readbacks.
    expect(Object.keys(doc.hv.channels)).toHaveLength(core.devices.site().hvMap.channels.length);
    expect(doc.hv.channels[CELL]).toMatchObject({ on: true, readback: 'fresh' });
    expect(doc.hv.channels[CELL]!.vmon).toBeCloseTo(doc.hv.channels[CELL]!.vset!, -1);
    // DQ thresholds and the alarm definitions in force.
    expect(doc.dq.thresholds).toMatchObject({ minEntries: 200, ksDistance: { medium: 0.05, bad: 0.1 } });
    expect(Object.keys(doc.alarms)).toHaveLength(core.alarms.engine.definitions().length);
    expect(doc.alarms[`hv.trip:${CELL}`]).toMatchObject({ group: 'hv', service: 'in service' });
    // Compact: no histograms, a few tens of kilobytes at most; taken within the start.
    const bytes = core.conditions.store.size(run.number)!;
    let snapshotMs = Date.now();
    for (let i = 0; i < 10; i++) core.conditions.snapshot(run.number, { type: 'physics', comment: '', startedAt: 0 });
    snapshotMs = (Date.now() - snapshotMs) / 10;
    console.log(JSON.stringify({ conditionsBytes: bytes, hvChannels: Object.keys(doc.hv.channels).length, alarms: Object.keys(doc.alarms).length, startMs: tookMs, snapshotMs }));
    expect(bytes.stored).toBeLessThan(bytes.json / 4);
    expect(bytes.stored).toBeLessThan(50_000);
    expect(JSON.stringify(doc)).not.toMatch(/bins|sumw2/);
  });

  it('are written in the start transaction: a start whose conditions fail leaves no run, no devices and no conditions', async () => {
    const overview = core.hv.overview.bind(core.hv);
    core.hv.overview = () => {
      throw new Error('HV readout refused mid-start');
    };
    await expect(core.runControl.start('physics', 'doomed')).rejects.toThrow(/HV readout refused/);
    expect(core.runControl.state()).toBe('idle');
    expect(core.archive.getRun(1)).toBeNull();
    expect(core.archive.lastRunNumber()).toBe(0);
    const db = new Database(join(dir, 'na64rc.sqlite'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM run_conditions').get()).toEqual({ n: 0 });
      expect(db.prepare('SELECT count(*) AS n FROM run_devices').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    core.hv.overview = overview;
    const run = await core.runControl.start('physics', 'second try');
    await core.runControl.stop('');
    expect(run.number).toBe(1);
    expect(core.conditions.get(1)?.start.comment).toBe('second try');
  });

  it('a changed HV setpoint between two runs shows in their diff (setpoint and readback), and nothing else of the channel', async () => {
    await hvRead();
    const first = await core.runControl.start('physics', 'before');
    await core.runControl.stop('');
    const before = core.hv.channel(CELL);
    const target = before.vset! + 25;
    const command = await core.hv.command(EXPERT, [CELL], { kind: 'set', parameter: 'vset', value: target }, 'gain matching');
    expect(command.channels[0]!.phase).not.toBe('refused');
    await waitFor('the new setpoint read back and ramped', async () => {
      const c = core.hv.channel(CELL);
      return c.vset === target && c.vmon !== null && Math.abs(c.vmon - target) < 1.5;
    });
    const second = await core.runControl.start('physics', 'after');
    await core.runControl.stop('');
    const { diff } = core.conditions.answer(second.number, String(first.number));
    expect(diff).toMatchObject({ from: first.number, to: second.number, chosen: 'named' });
    const paths = diff!.changes.map((c) => c.path.join('/'));
    expect(diff!.changes).toContainEqual({ op: 'changed', path: ['hv', 'channels', CELL, 'vset'], old: before.vset, new: target });
    expect(paths).toContain(`hv/channels/${CELL}/vmon`);
    expect(paths).toContain('start/comment');
    // Other channels' readbacks are within their noise: no other HV channel changed.
    expect(new Set(diff!.changes.filter((c) => c.path[0] === 'hv').map((c) => c.path[2]))).toEqual(new Set([CELL]));
    expect(diff!.withinTolerance).toBeGreaterThan(50);
    // The diff of a run with itself, of a missing run, and a run without conditions are refused clearly.
    expect(() => core.conditions.answer(second.number, String(second.number))).toThrow(/itself/);
    expect(() => core.conditions.answer(second.number, '99')).toThrow(/diff=99: run 99 does not exist/);
    expect(() => core.conditions.answer(99)).toThrow(ConditionsError);
  });
});
