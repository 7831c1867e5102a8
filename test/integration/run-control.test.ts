// Run transitions against the real core (the simulated site's processes, worker pool, SQLite file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { RunStateError } from '../../src-main/run-control/run-control';
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
