// Run transitions against the real core (the simulated site's processes, worker pool, SQLite file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { RunInputError, RunStateError } from '../../src-main/run-control/run-control';
import { waitFor } from '../support/serve-process';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

let dir: string;
let sim: SimulatedCore;
let core: Core;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-runs-'));
  sim = await openSimulatedCore(dir, { timeScale: 20, seed: 3 });
  core = sim.core;
});
afterEach(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('run control', () => {
  it('numbers runs in order and refuses transitions the state does not allow', async () => {
    await expect(core.runControl.stop('')).rejects.toBeInstanceOf(RunStateError);
    const first = await core.runControl.start('pedestal', 'pedestals before beam');
    expect(core.runControl.state()).toBe('running');
    await expect(core.runControl.start('physics', '')).rejects.toThrow(/run 1 is running/);
    await core.runControl.stop('done');
    const second = await core.runControl.start('physics', '');
    expect([first.number, second.number]).toEqual([1, 2]);
    await core.runControl.stop('');
  });

  it('a stop says why from the run type\'s list: refused outside it and for "other" without words; stored and archived', async () => {
    const pedestal = await core.runControl.start('pedestal', '');
    const refused = await core.runControl.stop('', null, 'beam lost or degraded').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RunInputError);
    expect((refused as Error).message).toBe(
      'cannot stop run 1: "beam lost or degraded" is not an end reason of a pedestal run; choose one of: completed as planned, detector or HV problem, DAQ or trigger problem, configuration change, test, other',
    );
    await expect(core.runControl.stop('  ', null, 'other')).rejects.toThrow(/"other" needs the reason in words/);
    expect(core.runControl.state()).toBe('running');
    const ended = await core.runControl.stop('ECAL cell 3-3 noisy', null, 'detector or HV problem');
    expect(ended).toMatchObject({ number: pedestal.number, endReason: 'detector or HV problem', stopReason: 'ECAL cell 3-3 noisy', end: 'ended' });
    expect(core.archive.getRun(pedestal.number)!.endReason).toBe('detector or HV problem');
    // A script may stop without a choice: stored as not given.
    await core.runControl.start('physics', '');
    expect((await core.runControl.stop('scripted')).endReason).toBeNull();
  });

  it('stopping during a spill waits for its end, says so, and stores that spill', async () => {
    const run = await core.runControl.start('physics', '');
    await waitFor('a spill in progress', async () => core.daq.openSpill() !== null && core.daq.lastSpill() >= 2);
    const open = core.daq.openSpill()!;
    const pending: string[] = [];
    const off = core.live.subscribe('live', (e) => {
      if (e.type === 'status' && e.status.run.pending) pending.push(e.status.run.pending);
    });
    const stopped = await core.runControl.stop('end of fill');
    off();
    expect(pending).toContain(`waiting for the end of spill ${open}`);
    expect(stopped).toMatchObject({ end: 'ended', stopReason: 'end of fill' });
    expect(core.archive.listSpills(run.number).map((s) => s.spill)).toContain(open);
    expect(core.runControl.state()).toBe('idle');
  });

  it('rolls a failed start back: the run is closed as aborted with the reason, and the state is idle', async () => {
    const original = core.daq.beginRun.bind(core.daq);
    core.daq.beginRun = () => {
      throw new Error('DAQ source 623 not responding');
    };
    await expect(core.runControl.start('physics', '')).rejects.toThrow(/623/);
    core.daq.beginRun = original;
    expect(core.runControl.state()).toBe('idle');
    expect(core.archive.getRun(1)).toMatchObject({ end: 'aborted', stopReason: 'start failed: DAQ source 623 not responding' });
    // The next run gets a new number.
    expect((await core.runControl.start('physics', '')).number).toBe(2);
    await core.runControl.stop('');
  });

  it('closing the core mid-run closes the run as aborted with the reason', async () => {
    const run = await core.runControl.start('physics', '');
    await core.close('power cut drill');
    core = await sim.reopen();
    expect(core.archive.getRun(run.number)).toMatchObject({ end: 'aborted', stopReason: 'power cut drill' });
  });
});
