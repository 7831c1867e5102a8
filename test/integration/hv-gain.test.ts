// A changed voltage shows in the physics, through every real part: the HV command goes to the simulated
// supply over its protocol, the supply ramps, the twin's PMT gain follows (V/V0)^7, the DAQ stream carries
// the smaller pulses, and the monitor's ECAL energy peak of the next spills moves down.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';

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

const spills = async () => (await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills')).body;

describe('HV → PMT gain → ECAL energy', () => {
  it('lowering the HV of the ECAL cell the beam hits moves the ECAL peak down; restoring it brings it back', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics']);
    const before = await waitFor('2 spills', async () => ((await spills()).length >= 2 ? spills() : null));
    for (const s of before) expect(Math.abs(s.ecalPeakGeV! - 100)).toBeLessThan(2);

    // The beam hits ECAL cell (3,3) of the main section: 5 % less voltage is 0.95^7 ≈ 0.70 of its gain.
    const set = await runCli(['ctl', '--data', dir, 'hv', 'set', 'vset', '1045', 'ECAL1-3-3', '--reason', 'gain test']);
    expect(set.code, set.stderr).toBe(0);
    const from = (await spills()).length + 2; // let the ramp finish
    const lowered = await waitFor('a spill at the lower voltage', async () => (await spills()).find((s) => s.spill > from));
    expect(lowered.ecalPeakGeV!).toBeLessThan(90);
    expect(lowered.ecalPeakGeV!).toBeGreaterThan(70);

    const back = await runCli(['ctl', '--data', dir, 'hv', 'set', 'vset', '1100', 'ECAL1-3-3', '--reason', 'gain test done']);
    expect(back.code, back.stderr).toBe(0);
    const from2 = (await spills()).length + 2;
    const restored = await waitFor('a spill at the nominal voltage again', async () => (await spills()).find((s) => s.spill > from2));
    expect(Math.abs(restored.ecalPeakGeV! - 100)).toBeLessThan(2);
  });
});
