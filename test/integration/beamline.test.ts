// The beam line on the simulated NA64, every device its own process behind its real driver (the scope and
// the DRS4 over USB/IP, the V830 and the V977 behind the MVLC over UDP): the beam counters agree with the
// DAQ's end-of-burst scaler spill by spill; a 5 % miscount is flagged on its spill with both numbers and
// raises the alarm; five minutes without SPS extraction are "no beam" with no beam alarm; the digitizers'
// histograms are stored with the spills.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRouterClient } from '@orpc/server';
import { createRouter } from '../../src-main/api/router';
import type { Core } from '../../src-main/core/core';
import { BEAM_OFF_SUPPRESS } from '../../src-main/setup/beamline-alarms';
import { matchesAny } from '../../src-main/alarms/definitions';
import { waitFor } from '../support/serve-process';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

/**
 * ×10: a spill of 0.48 s every 1.68 s; five simulated minutes are 30 s. (Faster, the DAQ stream of this
 * machine lags by a good part of the cycle, and a spill's start of burst can no longer be told from the
 * next spill's WE.)
 */
const TIME_SCALE = 10;

let dir: string;
let sim: SimulatedCore;
let core: Core;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-beamline-'));
  sim = await openSimulatedCore(dir, { timeScale: TIME_SCALE, seed: 14, beamline: true });
  core = sim.core;
});
// A test that failed midway leaves its run on: the next one starts from idle all the same.
afterEach(async () => {
  if (core && core.runControl.state() !== 'idle') await core.runControl.stop('the test ended');
});
afterAll(async () => {
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('beam line on the simulated NA64', () => {
  it('follows the V977 timing, and every device of the beam line comes online', async () => {
    await waitFor('the beam line online', async () => ['scope', 'drs4', 'counters', 'timing'].every((id) => core.devices.list().find((d) => d.id === id)?.state === 'online'), 30_000);
    await waitFor('a WE from the V977', async () => core.clock.view().signals.some((s) => s.signal === 'WE'));
    expect(core.status().beam.source).toMatch(/^V977 input register at 0x00200000 via MVLC 127\.0\.0\.1:\d+$/);
  });

  it('agrees with the DAQ spill by spill, and flags a 5 % miscount on its spill with both numbers', async () => {
    const run = await core.runControl.start('physics', 'beam-line cross-check');
    const checks = () => core.counters.checksOfRun(run.number);
    await waitFor('three cross-checked spills', async () => new Set(checks().map((c) => c.spill)).size >= 3, 30_000);
    for (const c of checks()) expect(c, `spill ${c.spill} ${c.quantity}: ${c.scaler} vs ${c.daq}`).toMatchObject({ ok: true });
    const before = Math.max(...checks().map((c) => c.spill));

    await core.simulators.inject('counters', 'miscount', null);
    const flagged = await waitFor('a flagged spill', async () => checks().find((c) => c.spill > before + 1 && c.quantity === 'particles' && !c.ok), 30_000);
    // The generator's truth: the V830 counts 5 % more particles than the beam put on target, which is what the DAQ's EOB says.
    expect(flagged.difference).toBeCloseTo(0.05, 2);
    const dq = core.dq.store.spill(run.number, flagged.spill)!;
    const finding = dq.checks.find((c) => c.id === 'counters-vs-daq-particles')!;
    expect(finding.verdict).toBe('medium');
    expect(finding.reason).toContain(String(flagged.scaler));
    expect(finding.reason).toContain(String(flagged.daq));
    expect(dq.dq.verdict === 'medium' || dq.dq.verdict === 'bad').toBe(true);
    const alarm = await waitFor('the mismatch alarm', async () => core.alarms.engine.list().find((a) => a.id === 'counters.daq-mismatch' && a.state === 'unack'));
    expect(alarm.priority).toBe('medium');
    await core.simulators.clear('counters');

    // The digitizers' spectra are stored with the run's spills (a spill that a loaded machine ended before
    // a digitizer's cycle matched it is stored without them: any spill of the run that has them will do).
    const digitized = await waitFor('a spill stored with the digitizers’ spectra', async () =>
      core.spills
        .list(run.number)
        .map((s) => s.spill)
        .find((spill) => ['dig_scope_s1_amplitude', 'dig_drs4_srd_amplitude', 'dig_drs4_s1_amplitude'].every((n) => core.archive.histogramNames(run.number, spill).includes(n))),
    );
    expect(core.archive.histogram(run.number, digitized, 'dig_drs4_s1_amplitude')!.entries).toBeGreaterThan(0);
    await core.runControl.stop('cross-check seen');
  });

  it('a beam that stops reaching NA64 while the SPS cycles on is alarmed as no spill, not suppressed as "no beam"', async () => {
    await core.runControl.start('physics', 'the beam line closes during the run');
    await waitFor('a spill of the run', async () => core.daq.lastSpill() >= 1, 20_000);
    await core.simulators.inject('daq', 'beam-off', null);
    const blockedAt = Date.now();
    const alarm = await waitFor('the no-spill alarm', async () => core.alarms.engine.list().find((a) => a.id === 'daq.no-spill' && a.state === 'unack'), 15_000);
    expect(alarm.priority).toBe('medium');
    // The timing device still sees the SPS cycle: the clock is not "no beam", and the status says so.
    expect(core.clock.view()).toMatchObject({ source: 'timing', noBeam: false });
    expect(core.status().beam.noBeam).toBe(false);
    expect(core.clock.view().signals.map((s) => s.signal)).not.toContain('SPS-OFF');
    // The counters counted no beam in the spills that began since (the generator's truth is none).
    const since = core.counters.countersState().scalers[0]!.history.filter((h) => h.startedAt > blockedAt && h.counts);
    expect(since.length).toBeGreaterThan(0);
    for (const h of since) expect(h.counts!.S1).toBe(0);
    await core.simulators.clear('daq');
    await waitFor('spills again', async () => core.alarms.engine.list().find((a) => a.id === 'daq.no-spill')!.state === 'rtn-unack', 15_000);
    await core.runControl.stop('beam back');
  }, 40_000);

  it('five minutes of the SPS off are "no beam", and raise no beam alarm', async () => {
    const run = await core.runControl.start('physics', 'the SPS goes off during the run');
    await waitFor('a spill of the run', async () => core.daq.lastSpill() >= 1, 20_000);
    await core.simulators.inject('daq', 'sps-off', null);
    const since = Date.now();
    await waitFor('no beam', async () => core.status().beam.phase === 'off', 10_000);
    expect(core.clock.view()).toMatchObject({ noBeam: true, source: 'timing' });
    const active = new Set<string>();
    // Five simulated minutes of SPS off, watched throughout: no beam alarm ever becomes active.
    while (Date.now() - since < (5 * 60_000) / TIME_SCALE) {
      for (const a of core.alarms.engine.list()) if (a.state === 'unack' || a.state === 'ack' || a.state === 'latched') active.add(a.id);
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(core.status().beam.phase).toBe('off');
    const definitions = core.alarms.engine.definitions();
    const beamAlarms = [...active].filter((id) => matchesAny(BEAM_OFF_SUPPRESS, definitions.find((d) => d.id === id)!));
    expect(beamAlarms).toEqual([]);
    // …while they are there, suppressed by design: the no-spill alarm counts cycles without spill all along.
    expect(core.alarms.engine.list().find((a) => a.id === 'daq.no-spill')!.state).toBe('suppressed');
    expect(core.clock.view().signals.map((s) => s.signal)).toContain('SPS-OFF');

    await core.simulators.clear('daq');
    await waitFor('the beam back', async () => core.status().beam.phase !== 'off', 10_000);
    expect(core.clock.view().signals.map((s) => s.signal)).toContain('SPS-ON');
    await core.runControl.stop('beam back');
    expect(run.number).toBeGreaterThan(0);
  }, 60_000);

  it('streams only the parts asked for: a screen of the counters takes no waveforms', async () => {
    const api = createRouterClient(createRouter(core), { context: { session: { user: 'val', role: 'viewer', via: 'user-token' } } });
    /** The event types of a stream over `ms` (it begins with each part's state now). */
    const typesOf = async (input: Parameters<typeof api.beamline.live>[0], ms: number) => {
      const events = await api.beamline.live(input);
      const types: string[] = [];
      const until = Date.now() + ms;
      for await (const e of events) {
        types.push(e.type);
        if (Date.now() > until) break;
      }
      return types;
    };
    // The digitizers publish at least once a second and the counters on every timing signal: 1.2 s holds both.
    const counters = await typesOf({ parts: ['counters'] }, 1200);
    expect(counters[0]).toBe('counters');
    expect(new Set(counters)).toEqual(new Set(['counters']));
    const all = await typesOf(undefined, 1200);
    expect(all.slice(0, 3)).toEqual(['usb', 'counters', 'digitizers']);
    expect(all.filter((t) => t === 'digitizers').length).toBeGreaterThan(1);
    const waveforms = await typesOf({ parts: ['digitizers'] }, 1200);
    expect(new Set(waveforms)).toEqual(new Set(['digitizers']));
    await expect(api.beamline.live({ parts: [] })).rejects.toThrow(/Input validation failed/);
    await expect(api.beamline.live({ parts: ['waveforms' as never] })).rejects.toThrow(/Input validation failed/);
  }, 20_000);
});
