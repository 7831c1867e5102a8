// A changed voltage shows in the physics, through every real part: the HV command goes to the simulated
// supply over its protocol, the supply ramps, the twin's PMT gain follows (V/V0)^7, the DAQ stream carries
// the smaller pulses, the LED pulses between spills measure the lower gain, the LED correction takes it out
// of the ECAL energy from the next spill on, and the drift is alarmed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { nominalReading } from '../support/twin-truth';
import { loadSetup } from '../../setups/load';
import { promptArgs } from '../support/prompts';

let dir: string;
let server: ServeProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-hv-gain-'));
});
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

let run = 1;
const spills = async () => (await api<SpillSummary[]>(server!.info, `/api/v1/runs/${run}/spills`)).body;

type LedTrend = { reference: number | null; points: { spill: number; amplitude: number | null; correction: number; source: string }[] };
const led = async () => JSON.parse((await runCli(['ctl', '--data', dir, '--json', 'calibration', 'led', '--cell', 'ECAL1-3-3', '--run', String(run)])).stdout) as LedTrend;

/**
 * Where the twin's 100 GeV electrons peak at the nominal calibration: its own shower containment and pulse,
 * not the app's nominal ones (≈ 98.6 GeV; test/support/twin-truth.ts).
 */
const expectedPeak = nominalReading(loadSetup('invisible-e'));

describe('HV → PMT gain → LED and ECAL energy', () => {
  it('lowering the HV of the ECAL cell the beam hits lowers its LED amplitude by (V/V0)^7; the LED correction keeps the ECAL peak at the beam energy (also in the first spill of the next run) and the drift is alarmed; restoring it brings the gain back', async () => {
    run = 1;
    server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics']);
    const before = await waitFor('2 spills', async () => ((await spills()).length >= 2 ? spills() : null));
    for (const s of before) expect(Math.abs(s.ecalPeakGeV! - expectedPeak)).toBeLessThan(2);
    const reference = (await waitFor('an LED reference', async () => ((await led()).reference ? led() : null))).reference!;

    // The beam hits ECAL cell (3,3) of the main section: 5 % less voltage is 0.95^7 ≈ 0.70 of its gain.
    const set = await runCli(['ctl', '--data', dir, 'hv', 'set', 'vset', '1045', 'ECAL1-3-3', '--reason', 'gain test']);
    expect(set.code, set.stderr).toBe(0);
    const from = (await spills()).length + 2; // let the ramp finish
    const lowered = await waitFor('a spill corrected for the lower voltage', async () => {
      const s = (await spills()).find((s) => s.spill > from + 1);
      return s ? { spill: s, led: (await led()).points.find((p) => p.spill === s.spill) } : null;
    });
    expect(lowered.led!.source).toBe('spill');
    expect(lowered.led!.amplitude! / reference).toBeCloseTo(0.95 ** 7, 1);
    expect(lowered.led!.correction).toBeGreaterThan(1.35);
    expect(Math.abs(lowered.spill.ecalPeakGeV! - expectedPeak)).toBeLessThan(2);
    const alarm = await waitFor('the LED drift alarm', async () => {
      const r = await api<{ id: string; priority: string | null }[]>(server!.info, '/api/v1/alarms');
      return r.body.find((a) => a.id === 'calibration.led-drift' && a.priority !== null) ?? null;
    });
    expect(alarm.priority).toBe('high');

    // A new run: its first spill is corrected too, from the part of the LED gap the run saw or, when the run
    // began too late in the gap, with the last correction carried over.
    expect((await runCli(['ctl', '--data', dir, 'run', 'stop', '--reason', 'new run'])).code).toBe(0);
    expect((await runCli(['ctl', '--data', dir, 'run', 'start', 'physics', ...promptArgs('physics')])).code).toBe(0);
    run = 2;
    const first = await waitFor('the first spill of run 2', async () => {
      const s = (await spills()).find((s) => s.spill === 1);
      return s ? { spill: s, led: (await led()).points.find((p) => p.spill === 1) } : null;
    });
    expect(['spill', 'previous']).toContain(first.led!.source);
    expect(first.led!.correction).toBeGreaterThan(1.35);
    expect(Math.abs(first.spill.ecalPeakGeV! - expectedPeak)).toBeLessThan(2);

    const back = await runCli(['ctl', '--data', dir, 'hv', 'set', 'vset', '1100', 'ECAL1-3-3', '--reason', 'gain test done']);
    expect(back.code, back.stderr).toBe(0);
    const from2 = (await spills()).length + 2;
    const restored = await waitFor('a spill at the nominal voltage again', async () => {
      const s = (await spills()).find((s) => s.spill > from2 + 1);
      return s ? { spill: s, led: (await led()).points.find((p) => p.spill === s.spill) } : null;
    });
    expect(restored.led!.amplitude! / reference).toBeCloseTo(1, 1);
    expect(Math.abs(restored.spill.ecalPeakGeV! - expectedPeak)).toBeLessThan(2);
  }, 90_000);
});
