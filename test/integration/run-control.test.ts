// Run transitions against the real core (the simulated site's processes, worker pool, SQLite file).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Core } from '../../src-main/core/core';
import { RunInputError, RunStateError } from '../../src-main/run-control/run-control';
import { TransitionRefusedError } from '../../src-main/run-control/transition';
import type { TransitionRecord } from '../../src-main/shared/api/run-transition';
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

  it('a start waits for the HV to reach its setpoint: the HV participant holds it back while the channel ramps, then it completes', async () => {
    const expert = { user: 'eve', role: 'expert', via: 'shell' } as const;
    await waitFor('HV readings', async () => core.hv.overview().channels.every((c) => c.staleness === 'fresh'));
    const before = core.hv.channel('ECAL1-3-3');
    expect(before.on).toBe(true);
    // A slow ramp (2 V/s, 40 V/s at this time scale): 150 V take ≈ 4 s, several HV polls.
    await core.hv.command(expert, ['ECAL1-3-3'], { kind: 'set', parameter: 'rampUp', value: 2 }, 'slow ramp');
    await waitFor('the ramp rate confirmed', async () => core.hv.channel('ECAL1-3-3').rampUp === 2);
    await core.hv.command(expert, ['ECAL1-3-3'], { kind: 'set', parameter: 'vset', value: before.vset! + 150 }, 'gain matching before the run');
    const seen: TransitionRecord[] = [];
    const off = core.live.subscribe('live', (e) => {
      if (e.type === 'status' && e.status.run.transition) seen.push(e.status.run.transition);
    });
    const t0 = Date.now();
    const run = await core.runControl.start('physics', 'after the HV change');
    off();
    const waited = Date.now() - t0;
    const hv = seen.flatMap((t) => t.participants).filter((p) => p.name === 'HV at setpoint');
    const deferred = hv.filter((p) => p.state === 'deferred');
    // First the command in flight (the readings are a poll old), then the ramp itself.
    expect(deferred[0]?.detail).toBe('HV command not yet confirmed by the readback: set vset = 1250 on ECAL1-3-3');
    expect(deferred.map((p) => p.detail)).toContainEqual(expect.stringMatching(/^HV not at setpoint: 1 channel \(ECAL1-3-3 at \d+ V of 1250 V\)$/));
    expect(deferred[0]!.deferredUntil).toBeGreaterThan(t0);
    expect(waited).toBeGreaterThan(2000);
    // When the start went through, the channel was there.
    const at = core.hv.channel('ECAL1-3-3');
    expect(Math.abs(at.vmon! - 1250)).toBeLessThanOrEqual(10);
    expect(core.runControl.transition()).toMatchObject({ kind: 'start', outcome: 'done' });
    expect(core.runControl.transition()!.participants.map((p) => [p.sequence, p.name, p.state])).toEqual([
      [100, 'DAQ stream', 'ready'],
      [200, 'HV at setpoint', 'ready'],
      [300, 'Calibration set', 'ready'],
      [400, 'Beam counters', 'ready'],
    ]);
    expect(core.runControl.state()).toBe('running');
    await core.runControl.stop('', null);
    expect(run.number).toBe(1);
  });

  it('a participant that refuses leaves nothing half-started: no run number, no run row, no conditions, the state idle', async () => {
    const leave = core.runControl.participate({ name: 'Cryostat', sequence: 250, transitions: ['start'], check: () => ({ verdict: 'refuse', reason: 'target not cold: 91 K' }) });
    const refused = await core.runControl.start('physics', 'refused').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TransitionRefusedError);
    expect((refused as Error).message).toBe('cannot start the run: Cryostat: target not cold: 91 K');
    expect(core.runControl.state()).toBe('idle');
    expect(core.archive.lastRunNumber()).toBe(0);
    expect(core.archive.getRun(1)).toBeNull();
    expect(core.conditions.store.get(1)).toBeNull();
    expect(core.daq.currentRun()).toBeNull();
    expect(core.runControl.transition()).toMatchObject({ outcome: 'refused' });
    expect(core.runControl.transition()!.participants.map((p) => [p.name, p.state])).toEqual([
      ['DAQ stream', 'ready'],
      ['HV at setpoint', 'ready'],
      ['Cryostat', 'refused'],
      ['Calibration set', 'pending'],
      ['Beam counters', 'pending'],
    ]);
    leave();
    expect((await core.runControl.start('physics', '')).number).toBe(1);
    await core.runControl.stop('');
  });

  it('pauses between spills: the spill in progress is kept, no spill is taken while paused, numbering goes on after the resume; who paused is kept', async () => {
    const shifter = { user: 'sam', role: 'shifter', via: 'browser' } as const;
    const run = await core.runControl.start('physics', '');
    await waitFor('a spill in progress', async () => core.daq.openSpill() !== null && core.daq.lastSpill() >= 1);
    const open = core.daq.openSpill()!;
    const pending: string[] = [];
    const off = core.live.subscribe('live', (e) => {
      if (e.type === 'status' && e.status.run.pending) pending.push(e.status.run.pending);
    });
    await core.runControl.pause('beam tuning upstream', shifter);
    expect(pending).toContain(`pausing at the end of spill ${open}`);
    expect(core.runControl.state()).toBe('paused');
    expect(core.archive.listSpills(run.number).map((s) => s.spill)).toContain(open);
    // Three SPS cycles go by paused (the twin keeps extracting): none is taken.
    const cycles = core.status().beam.cycleMs;
    await new Promise((r) => setTimeout(r, 3 * cycles + 200));
    expect(core.archive.listSpills(run.number).map((s) => s.spill).at(-1)).toBe(open);
    expect(core.daq.openSpill()).toBeNull();
    await expect(core.runControl.pause('again', shifter)).rejects.toThrow(/cannot pause: run 1 is paused/);
    await core.runControl.resume({ ...shifter, user: 'pat' });
    off();
    expect(core.runControl.state()).toBe('running');
    await waitFor('the next spill stored', async () => core.archive.listSpills(run.number).some((s) => s.spill === open + 1));
    const ended = await core.runControl.stop('', shifter);
    expect(core.registry.summary(run.number, Date.now())!.pauses).toEqual([
      { run: run.number, pausedAt: expect.any(Number), pausedBy: shifter, reason: 'beam tuning upstream', afterSpill: open, resumedAt: expect.any(Number), resumedBy: { ...shifter, user: 'pat' } },
    ]);
    expect(ended.spills).toBeGreaterThan(open);
  });

  it('stops by itself after N spills and starts the next run of its type (auto-restart); the server’s actions are audited', async () => {
    const first = await core.runControl.start('physics', 'overnight', { user: 'sam', role: 'shifter', via: 'window' }, {
      autoStop: { spills: 2, restart: true },
      prompts: { beamEnergy: 100, beamParticle: 'e-', crew: 'A. Petrova, B. Oduya' },
    });
    expect(core.status().run.autoStop).toMatchObject({ limits: { spills: 2, restart: true }, unit: 'EOT', spills: 0, restart: true, chain: 1 });
    await waitFor('the next run of the chain', async () => core.runControl.current()?.number === first.number + 1 && core.runControl.state() === 'running', 30_000);
    const ended = core.archive.getRun(first.number)!;
    expect(ended).toMatchObject({ end: 'ended', endReason: 'completed as planned', stopReason: 'automatic stop: 2 spills taken (limit 2)', spills: 2, stoppedBy: null });
    const next = core.runControl.current()!;
    expect(next).toMatchObject({ type: 'physics', startComment: 'overnight', startedBy: null });
    expect(core.status().run.autoStop).toMatchObject({ chain: 2, restart: true });
    // The next run is taken with the answers the shifter entered for the first.
    expect(core.conditions.store.get(next.number)!.start).toMatchObject({ prompts: { crew: ['A. Petrova', 'B. Oduya'], beamEnergy: 100 }, promptsSource: 'entered' });
    await core.runControl.stop('enough', null);
    const audit = core.audit.list({ domain: 'run', limit: 10, offset: 0 }).entries;
    expect(audit.filter((a) => a.via === 'server').map((a) => [a.action, a.target, a.result, a.reason])).toEqual([
      ['start', `run ${next.number} (physics)`, 'ok', `automatic restart after run ${first.number} (stop after 2 spills, then start the next run)`],
      ['stop', `run ${first.number} (physics)`, 'ok', 'automatic stop: 2 spills taken (limit 2)'],
    ]);
  });
});
