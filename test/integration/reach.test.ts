// GET /api/v1/dq/reach and `ctl dq reach` against the real server on the simulated NA64 (invisible-e): the
// curves assume the EOT the app counts (the run's, this year's, the setup's total), the programme's 5×10¹²
// EOT and PRD 97's published points; the efficiency is the assumed 50 %; bad input is a 400, an unknown run a 404.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Reach, type EotStatus } from '../../src-main/shared/api/dq';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';

let dir: string;
let server: ServeProcess | null = null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-reach-'));
});
afterEach(async () => {
  await server?.stop('SIGKILL');
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);

describe('the reach (na64rc serve --sim, invisible-e)', () => {
  it('projects the counted EOT of the run, the year and the total, the programme target and the published limit', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics']);
    await waitFor('2 judged spills', async () => {
      const r = await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills');
      return r.status === 200 && r.body.filter((s) => s.dq).length >= 2;
    });
    // Spills keep coming: the reach's EOT lies between two EOT answers taken around it.
    const before = (await api<EotStatus>(server.info, '/api/v1/dq/eot?run=1')).body;
    const res = await api<unknown>(server.info, '/api/v1/dq/reach?run=1');
    const after = (await api<EotStatus>(server.info, '/api/v1/dq/eot?run=1')).body;
    expect(res.status).toBe(200);
    const reach = Reach.parse(res.body);
    expect(reach).toMatchObject({ setup: 'invisible-e', mode: 'invisible-a', unit: 'EOT', run: 1, year: new Date().getUTCFullYear(), counted: { unit: 'EOT', note: null } });
    expect(reach.efficiency).toMatchObject({ value: 0.5, measured: false });
    const curve = (kind: string) => reach.curves.find((c) => c.kind === kind)!;
    expect(reach.curves.map((c) => c.kind)).toEqual(['run', 'year', 'total', 'target', 'published']);
    for (const kind of ['run', 'year', 'total']) {
      expect(curve(kind).exposure).toBeGreaterThanOrEqual(before.runEot);
      expect(curve(kind).exposure).toBeLessThanOrEqual(after.totalEot);
      expect(curve(kind).exposure).toBeGreaterThan(0);
    }
    // One live run in a fresh database: this run, this year and the total are the same EOT.
    expect(curve('year').exposure).toBe(curve('total').exposure);
    expect(curve('target')).toMatchObject({ exposure: 5e12, unit: 'EOT', source: 'NA64 programme, Table 1' });
    expect(curve('published')).toMatchObject({ exposure: 4.3e10, source: expect.stringMatching(/PRD 97 072002/) });
    // ε ∝ 1/√EOT: the run's line sits √(5×10¹² / EOT) above the target's at every mass.
    const run = curve('run');
    expect(run.points.length).toBe(curve('target').points.length);
    run.points.forEach((p, i) => expect(p.value / curve('target').points[i]!.value).toBeCloseTo(Math.sqrt(5e12 / run.exposure), 6));

    // The current run by default; the CLI prints the same.
    const current = Reach.parse((await api(server.info, '/api/v1/dq/reach')).body);
    expect(current.run).toBe(1);
    const cli = await ctl('dq', 'reach', '--run', '1');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/^Reach of invisible-e: A′ → invisible \(missing energy\), ε vs m_A′ \[GeV\], 90 % CL/);
    expect(cli.stdout).toContain('signal efficiency 50 % (assumed:');
    expect(cli.stdout).toMatch(/projected Run 1 \(\d\.\d\de\+\d+ EOT\): \d\.\d\de-\d at 1 MeV/);
    expect(cli.stdout).toContain('published NA64 2016 (PRD 97 072002) (4.30e+10 EOT)');
    const json = JSON.parse((await ctl('--json', 'dq', 'reach')).stdout) as unknown;
    expect(Reach.parse(json).curves).toHaveLength(5);

    expect((await api(server.info, '/api/v1/dq/reach?run=99')).status).toBe(404);
    expect((await api(server.info, '/api/v1/dq/reach?run=abc')).status).toBe(400);
    expect((await api(server.info, '/api/v1/dq/reach?run=0')).status).toBe(400);
    expect((await ctl('dq', 'reach', '--run', '99')).code).not.toBe(0);
  }, 90_000);
});

describe('the reach (na64rc serve --sim --setup hadron)', () => {
  it("draws the K⁻ channel from the KOT the app counts, beside the pions' POT curves", async () => {
    server = await startServe(dir, ['--sim', '--setup', 'hadron', '--time-scale', '20', '--start-run', 'physics']);
    await waitFor('a judged spill', async () => {
      const r = await api<SpillSummary[]>(server!.info, '/api/v1/runs/1/spills');
      return r.status === 200 && r.body.filter((s) => s.dq).length >= 1;
    });
    // Spills keep coming: the reach's KOT lies between two EOT answers taken around it.
    const before = (await api<EotStatus>(server.info, '/api/v1/dq/eot?run=1')).body;
    const reach = Reach.parse((await api(server.info, '/api/v1/dq/reach?run=1')).body);
    const after = (await api<EotStatus>(server.info, '/api/v1/dq/eot?run=1')).body;
    expect(reach).toMatchObject({ setup: 'hadron', mode: 'meson-invisible', unit: 'POT' });
    expect(reach.curves.map((c) => c.id)).toEqual(['run', 'run-kaons', 'year', 'year-kaons', 'total', 'total-kaons', 'target-1', 'target-2', 'published-1']);
    for (const id of ['run-kaons', 'year-kaons', 'total-kaons']) {
      const c = reach.curves.find((x) => x.id === id)!;
      expect(c.unit).toBe('KOT');
      expect(c.exposure).toBeGreaterThan(0);
      expect(c.exposure).toBeGreaterThanOrEqual(before.kaons!.runKot);
      expect(c.exposure).toBeLessThanOrEqual(after.kaons!.totalKot);
      // A spill's ≈ 2×10⁵ kaons tag ≈ 900 K_S at 50 % (N₉₀ = 2.3): K_S is excluded from the first spill on.
      expect(c.points.map((p) => p.label)[0]).toBe('K⁰_S');
    }
  }, 90_000);
});
