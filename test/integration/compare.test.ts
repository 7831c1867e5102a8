// Comparison and trends on the real core (the simulated NA64's processes, monitor worker, SQLite file) with
// stored spills of two runs: overlays of runs, spills and references with the tests of each against the
// first, blinded as every other route serves them; a whole run made the reference by an expert (refused to
// a shifter), with who, when, role and why kept and logged; trends with the run boundaries, thinned when
// capped, over runs or a time range; the per-spill figures index rebuilt from the stored histograms; hostile
// queries refused with a 4xx that says why; the GET routes over HTTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRouterClient, type RouterClient } from '@orpc/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter, type Router } from '../../src-main/api/router';
import { rendererDir } from '../../src-main/cli/paths';
import type { Db } from '../../src-main/archive/database';
import type { Core } from '../../src-main/core/core';
import { blindBox, blindedPlane } from '../../src-main/dq/dq-service';
import { physicsCuts } from '../../src-main/setup/monitoring';
import { loadSetup } from '../../setups/load';
import { silentLogger } from '../../src-main/log';
import { startServer, type RunningServer } from '../../src-main/server/http-server';
import type { Comparison, Trend } from '../../src-main/shared/api/compare';
import type { Role } from '../../src-main/shared/auth';
import type { Hist2DSnapshot, HistSnapshot } from '../../src-main/shared/histogram';
import { chi2Test, integral, kolmogorovTest } from '../../src-main/shared/histogram-compare';
import { waitFor } from '../support/serve-process';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

let dir: string;
let sim: SimulatedCore;
let core: Core;
let server: RunningServer;
const runs: { number: number; spills: number[] }[] = [];

const client = (role: Role, user = `${role}-user`): RouterClient<Router> =>
  createRouterClient(createRouter(core), { context: { session: { user, role, via: 'user-token' } } });

/** Take a physics run of at least `n` judged spills, then stop it. */
async function takeRun(n: number): Promise<void> {
  const run = await core.runControl.start('physics', 'comparison test');
  await waitFor(`${n} judged spills of run ${run.number}`, async () => core.dq.store.run(run.number).length >= n, 60_000);
  await core.runControl.stop('enough spills');
  runs.push({ number: run.number, spills: core.archive.listSpills(run.number).map((s) => s.spill) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-compare-'));
  // With A′ → invisible injected (≈ 10 a spill as the live twin runs): the box has events for the blinding to hide.
  sim = await openSimulatedCore(dir, { timeScale: 20, seed: 16, simSignal: 1e-5 });
  core = sim.core;
  await takeRun(3);
  await takeRun(3);
  server = await startServer(core, { host: '127.0.0.1', port: 0, rendererDir: rendererDir(), log: silentLogger() });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape, checked by the assertions
async function get(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${core.startToken}` } });
  return { status: res.status, body: await res.json() };
}

/** The rectangle a blinded run's E_HCAL vs E_ECAL hides: E_ECAL below the signal cut, a quiet HCAL (the server's cuts). */
const plane = blindedPlane(physicsCuts(loadSetup('invisible-e')))!;

/** Entries of a 2D histogram inside that rectangle (edges included). */
function inBox(h: Hist2DSnapshot): number {
  let n = 0;
  const wx = (h.x.max - h.x.min) / h.x.nbins;
  const wy = (h.y.max - h.y.min) / h.y.nbins;
  for (let by = 0; by <= h.y.nbins + 1; by++)
    for (let bx = 0; bx <= h.x.nbins + 1; bx++) {
      const xLow = bx === 0 ? -Infinity : h.x.min + (bx - 1) * wx;
      const yLow = by === 0 ? -Infinity : h.y.min + (by - 1) * wy;
      if (xLow < plane.xBelow && yLow < plane.yBelow) n += h.contents[bx + (h.x.nbins + 2) * by]!;
    }
  return n;
}

const as2d = (h: HistSnapshot) => {
  if (h.kind !== 'TH2D') throw new Error(`${h.name} is ${h.kind}`);
  return h;
};

describe('compare.histograms', () => {
  it('overlays two runs normalised to unit area, with KS and χ² of the second against the first on the stored bins', async () => {
    const [a, b] = runs;
    const viewer = client('viewer');
    const c: Comparison = await viewer.compare.histograms({ name: 'ecal_energy', sources: [{ kind: 'run', run: a!.number }, { kind: 'run', run: b!.number }], normalise: 'area' });
    expect(c.histograms.map((h) => h.label)).toEqual([`run ${a!.number} (accumulated)`, `run ${b!.number} (accumulated)`]);
    const storedA = core.dq.store.runHistogram(a!.number, 'ecal_energy')!;
    const storedB = core.dq.store.runHistogram(b!.number, 'ecal_energy')!;
    for (const [h, stored] of [
      [c.histograms[0]!, storedA],
      [c.histograms[1]!, storedB],
    ] as const) {
      expect(integral(h.histogram)).toBeCloseTo(1, 12);
      expect(h.factor).toBeCloseTo(1 / integral(stored), 15);
      expect(h.histogram.contents[60]).toBeCloseTo(stored.contents[60]! * h.factor!, 15);
      expect(h.events).toBeGreaterThan(1000);
      expect(h.blinded).toBe(false);
    }
    expect(c.histograms[0]!.versusFirst).toBeNull();
    const versus = c.histograms[1]!.versusFirst!;
    // The tests are those of the stored (unnormalised) bins: normalising changes nothing of them.
    expect(versus.kolmogorov).toEqual(kolmogorovTest(storedA, storedB));
    expect(versus.chi2).toEqual(chi2Test(storedA, storedB));
    if ('refused' in versus.chi2 || 'refused' in versus.kolmogorov) throw new Error('a test was refused');
    expect(versus.chi2.mode).toBe('UU');
    expect(versus.chi2.ndf).toBeGreaterThan(20);
    expect(versus.kolmogorov.probability).toBeGreaterThanOrEqual(0);
    expect(versus.kolmogorov.probability).toBeLessThanOrEqual(1);
    expect(versus.kolmogorov.effectiveEntries[0]).toBeCloseTo(integral(storedA), 6);

    // A run against itself: the same shape (KS probability 1, χ² 0).
    const same = await viewer.compare.histograms({ name: 'ecal_energy', sources: [`run:${a!.number}`, `run:${a!.number}`] });
    const v = same.histograms[1]!.versusFirst!;
    expect(v.kolmogorov).toMatchObject({ probability: 1, distance: 0 });
    expect(v.chi2).toMatchObject({ chi2: 0, pValue: 1 });
    expect(same.normalise).toBe('none');
    expect(same.histograms[0]!.factor).toBe(1);
  });

  it('compares spills with the run and per event; six sources at most', async () => {
    const [a] = runs;
    const s1 = a!.spills[0]!;
    const s2 = a!.spills[1]!;
    const c = await client('viewer').compare.histograms({ name: 'hcal_energy', sources: [`spill:${a!.number}/${s1}`, { kind: 'spill', run: a!.number, spill: s2 }, `run:${a!.number}`], normalise: 'events' });
    const events = core.archive.listSpills(a!.number).find((s) => s.spill === s1)!.eventsProcessed;
    expect(c.histograms[0]!.events).toBe(events);
    expect(c.histograms[0]!.factor).toBe(1 / events);
    expect(c.histograms[2]!.label).toBe(`run ${a!.number} (accumulated)`);
    await expect(client('viewer').compare.histograms({ name: 'hcal_energy', sources: Array(7).fill(`run:${a!.number}`) })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      data: { issues: [expect.objectContaining({ message: 'compare at most 6 sources' })] },
    });
  });

  it('keeps the signal box blinded through the comparison, and shows it once the run is unblinded', async () => {
    const [a, b] = runs;
    const stored = as2d(core.archive.histogram(a!.number, a!.spills[0]!, 'ecal_vs_hcal')!);
    // The box's own events are sealed, not stored; what the plane holds as stored is the few that fail its
    // other cuts (the VETO, the SRD). The injected signal the blinding hides shows in run b once unblinded, below.
    const c = await client('viewer').compare.histograms({ name: 'ecal_vs_hcal', sources: [`spill:${a!.number}/${a!.spills[0]}`, `run:${a!.number}`, `run:${b!.number}`] });
    for (const h of c.histograms) {
      expect(h.blinded).toBe(true);
      expect(inBox(as2d(h.histogram))).toBe(0);
      expect(h.histogram.title).toMatch(/blinded/);
    }
    // The statistics are those of the blinded bins: nothing of the box leaks through a number.
    const blindedRun = core.dq.present(a!.number, core.dq.store.runHistogram(a!.number, 'ecal_vs_hcal')!, null);
    expect(c.histograms[1]!.versusFirst!.chi2).toEqual(chi2Test(c.histograms[0]!.histogram, blindedRun));
    expect(c.histograms[1]!.versusFirst!.kolmogorov).toEqual({ refused: 'the Kolmogorov test is done on 1D histograms' });
    expect(c.histograms[0]!.histogram).toEqual(blindBox(stored, plane.xBelow, plane.yBelow));

    core.dq.unblind(b!.number, 'comparison test: run 2 is a control run', 'expert-user');
    const after = await client('viewer').compare.histograms({ name: 'ecal_vs_hcal', sources: [`run:${a!.number}`, `run:${b!.number}`] });
    expect(after.histograms[0]!.blinded).toBe(true);
    expect(inBox(as2d(after.histograms[0]!.histogram))).toBe(0);
    expect(after.histograms[1]!.blinded).toBe(false);
    // ≈ 10 signal events a spill over 3 spills or more (a Poisson mean of 30: 5 or fewer once in 10⁷ runs).
    expect(inBox(as2d(after.histograms[1]!.histogram))).toBeGreaterThan(5);
  });

  it('refuses unknown sources and histograms with a 404 that names them, and malformed sources with a 400', async () => {
    const viewer = client('viewer');
    await expect(viewer.compare.histograms({ name: 'ecal_energy', sources: ['run:999', 'run:1'] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'run 999 does not exist' });
    await expect(viewer.compare.histograms({ name: 'ecal_energy', sources: ['spill:1/4095', 'run:1'] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'spill 4095 of run 1 does not exist' });
    await expect(viewer.compare.histograms({ name: 'no_such', sources: ['run:1', 'run:2'] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'run 1 has no accumulated histogram no_such' });
    await expect(viewer.compare.histograms({ name: 'ecal_energy', sources: ['ref:77', 'run:1'] })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'reference 77 does not exist' });
    await expect(viewer.compare.histograms({ name: 'ecal_energy', sources: ["run:1'; DROP TABLE spills; --", 'run:1'] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('a whole run as the reference', () => {
  it('is an expert’s act with a reason; who, when, role and why are kept, logged, and the reference compares like any source', async () => {
    const [a] = runs;
    await expect(client('shifter').dq.references.promote({ run: a!.number, comment: 'looks good' })).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/dq\.reference needs the expert role; shifter-user is shifter/) });
    await expect(client('viewer').dq.references.promote({ run: a!.number, comment: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(client('expert').dq.references.promote({ run: a!.number })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/say why/) });
    await expect(client('expert').dq.references.promote({ run: 999, comment: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const before = Date.now();
    const ref = await client('expert', 'erika').dq.references.promote({ run: a!.number, comment: 'stable beam, all detectors good' });
    const judged = core.dq.store.run(a!.number);
    expect(ref).toMatchObject({ scope: 'run', run: a!.number, spill: Math.max(...judged.map((s) => s.spill)), createdBy: 'erika', createdRole: 'expert', comment: 'stable beam, all detectors good', active: true });
    // It lists what it holds: the Shift view asks only for those (an electron setup has no momenta).
    expect(ref.histograms).toContain('ecal_energy');
    expect(ref.histograms).not.toContain('beam_momentum');
    expect(ref.createdAt).toBeGreaterThanOrEqual(before);
    expect((await client('viewer').dq.references.list())[0]).toEqual(ref);
    expect(core.dq.activeReference()?.id).toBe(ref.id);
    // Its figures are the run's sums (the channel checks' denominator).
    expect(core.dq.store.reference(ref.id)!.figures.events).toBe(judged.reduce((n, s) => n + (core.archive.listSpills(a!.number).find((x) => x.spill === s.spill)?.eventsProcessed ?? 0), 0));
    const entry = (await client('viewer').logbook.search({ tag: 'reference' })).hits.map((h) => h.entry).find((e) => e.kind === 'dq-reference');
    expect(entry?.title).toBe(`Run ${a!.number} made the data-quality reference v${ref.version} by erika`);
    expect(entry?.body).toContain('stable beam, all detectors good');

    // The reference holds the run's accumulated histograms, bin for bin, and is served blinded like its run.
    const c = await client('viewer').compare.histograms({ name: 'ecal_energy', sources: [`ref:${ref.id}`, `run:${a!.number}`] });
    expect(c.histograms[0]!.label).toBe(`reference invisible-e v${ref.version} (run ${a!.number}, whole run)`);
    expect(c.histograms[0]!.histogram.contents).toEqual(c.histograms[1]!.histogram.contents);
    expect(c.histograms[1]!.versusFirst!.kolmogorov).toMatchObject({ probability: 1 });
    const box = await client('viewer').compare.histograms({ name: 'ecal_vs_hcal', sources: [`ref:${ref.id}`, `run:${a!.number}`] });
    expect(box.histograms[0]!.blinded).toBe(true);
    expect(inBox(as2d(box.histograms[0]!.histogram))).toBe(0);

    // A single spill can still be promoted, and says so.
    const spillRef = await client('expert').dq.references.promote({ run: a!.number, spill: a!.spills[0]! });
    expect(spillRef).toMatchObject({ scope: 'spill', spill: a!.spills[0], createdRole: 'expert', version: ref.version + 1 });
  });
});

describe('trends.get', () => {
  it('gives one point per spill across runs with the run boundaries', async () => {
    const [a, b] = runs;
    const t: Trend = await client('viewer').trends.get({ quantity: 'ecal.peak', from: a!.number, to: b!.number });
    const all = [...a!.spills.map((s) => [a!.number, s]), ...b!.spills.map((s) => [b!.number, s])];
    expect(t.points.run.map((r, i) => [r, t.points.spill[i]])).toEqual(all);
    expect(t.runs.map((r) => [r.run, r.firstSpill, r.lastSpill, r.spills])).toEqual([
      [a!.number, a!.spills[0], a!.spills.at(-1), a!.spills.length],
      [b!.number, b!.spills[0], b!.spills.at(-1), b!.spills.length],
    ]);
    expect(t.runs[0]!.type).toBe('physics');
    expect(t).toMatchObject({ total: all.length, shown: all.length, every: 1, capped: false, unit: 'GeV', channel: null });
    const stored = new Map(core.archive.listSpills(a!.number).map((s) => [s.spill, s]));
    t.points.spill.slice(0, a!.spills.length).forEach((s, i) => {
      expect(t.points.value[i]).toBe(stored.get(s)!.ecalPeakGeV);
      expect(t.points.t[i]).toBe(stored.get(s)!.endedAt);
    });
    for (const v of t.points.value.filter((x) => x !== null)) expect(Math.abs(v! - 100)).toBeLessThan(10);
  });

  it('reads every kind of quantity: DQ figures, the indexed ECAL width and pedestals, LED, HV at the spill', async () => {
    const [a, b] = runs;
    const viewer = client('viewer');
    const range = { from: a!.number, to: b!.number };
    const purity = await viewer.trends.get({ quantity: 'purity', ...range });
    for (const v of purity.points.value) expect(v!).toBeGreaterThan(0.95);
    const width = await viewer.trends.get({ quantity: 'ecal.width', ...range });
    expect(width.notIndexed).toBe(0);
    const widths = width.points.value.filter((v): v is number => v !== null);
    expect(widths.length).toBeGreaterThanOrEqual(4);
    // σ/E ≈ 10 %/√E ⊕ 1 % at 100 GeV ≈ 1.4 GeV (plus pile-up and the calibration's spread).
    for (const w of widths) {
      expect(w).toBeGreaterThan(0.5);
      expect(w).toBeLessThan(5);
    }
    const pedestal = await viewer.trends.get({ quantity: 'pedestal', channel: 'ECAL1-3-3', ...range });
    for (const v of pedestal.points.value) expect(v!).toBeGreaterThan(0);
    const led = await viewer.trends.get({ quantity: 'led.factor', channel: 'ECAL1-3-3', ...range });
    expect(led.points.value.length).toBe(width.points.value.length);
    const hv = await viewer.trends.get({ quantity: 'hv.vmon', channel: 'ECAL1-3-3', ...range });
    const volts = hv.points.value.filter((v): v is number => v !== null);
    expect(volts.length).toBe(hv.points.value.length);
    for (const v of volts) expect(Math.abs(v - 1100)).toBeLessThan(20);
    const suppression = await viewer.trends.get({ quantity: 'hadron.suppression', ...range });
    for (const i of suppression.lowerLimits) expect(suppression.points.value[i]).not.toBeNull();
  });

  it('thins a range longer than the limit to every k-th spill and says so; a time range selects by spill end', async () => {
    const [a, b] = runs;
    const total = a!.spills.length + b!.spills.length;
    const t = await client('viewer').trends.get({ quantity: 'intensity', from: a!.number, to: b!.number, limit: 2 });
    const every = Math.ceil(total / 2);
    expect(t).toMatchObject({ total, every, capped: true, shown: Math.ceil(total / every) });
    expect(t.points.spill[0]).toBe(a!.spills[0]);
    expect(t.runs).toHaveLength(2);
    expect(t.notes[0]).toMatch(new RegExp(`${total} spills in the range: every ${every}th is shown`));

    const second = core.archive.listSpills(b!.number);
    const byTime = await client('viewer').trends.get({ quantity: 'events', since: second[0]!.endedAt, until: second.at(-1)!.endedAt });
    expect(byTime.points.run.every((r) => r === b!.number)).toBe(true);
    expect(byTime.points.value).toEqual(second.map((s) => s.eventsSeen));
    // Neither: the latest run.
    expect((await client('viewer').trends.get({ quantity: 'events' })).runs.map((r) => r.run)).toEqual([b!.number]);
  });

  it('rebuilds the per-spill figures from the stored histograms exactly as they were written live', async () => {
    const [a] = runs;
    const db = (core as unknown as { db: Db }).db;
    const before = db.prepare('SELECT * FROM spill_channel_figures WHERE run = ? ORDER BY channel, spill').all(a!.number);
    const widths = db.prepare('SELECT * FROM spill_figures WHERE run = ? ORDER BY spill').all(a!.number);
    expect(before.length).toBeGreaterThan(100);
    db.prepare('DELETE FROM spill_channel_figures WHERE run = ?').run(a!.number);
    db.prepare('DELETE FROM spill_figures WHERE run = ?').run(a!.number);
    const missing = await client('viewer').trends.get({ quantity: 'ecal.width', from: a!.number, to: a!.number });
    expect(missing.notIndexed).toBe(a!.spills.length);
    expect(missing.points.value.every((v) => v === null)).toBe(true);
    expect(missing.notes.join(' ')).toMatch(/not indexed yet/);
    while (core.compare.figures.backfill(2) > 0);
    expect(core.compare.figures.missing()).toBe(0);
    expect(db.prepare('SELECT * FROM spill_channel_figures WHERE run = ? ORDER BY channel, spill').all(a!.number)).toEqual(before);
    expect(db.prepare('SELECT * FROM spill_figures WHERE run = ? ORDER BY spill').all(a!.number)).toEqual(widths);
  });

  it('refuses hostile and incomplete queries with a 4xx that says why', async () => {
    const viewer = client('viewer');
    await expect(viewer.trends.get({ quantity: 'purity', from: 5, to: 2 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'from (run 5) is after to (run 2)' });
    await expect(viewer.trends.get({ quantity: 'purity', from: 1, since: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/not both/) });
    await expect(viewer.trends.get({ quantity: 'pedestal', from: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/per channel: name one/) });
    await expect(viewer.trends.get({ quantity: 'pedestal', channel: 'NOPE1', from: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(viewer.trends.get({ quantity: 'hv.vmon', channel: 'NOPE1', from: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(viewer.trends.get({ quantity: 'pedestal', channel: "S0' OR 1=1 --", from: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(viewer.trends.get({ quantity: 'purity', limit: 1_000_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // @ts-expect-error -- not a quantity
    await expect(viewer.trends.get({ quantity: 'spills; DROP TABLE spills' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    // A range with nothing in it is an empty trend, not an error.
    expect(await viewer.trends.get({ quantity: 'purity', from: 100, to: 200 })).toMatchObject({ total: 0, shown: 0, runs: [] });
  });
});

describe('the GET routes', () => {
  it('serve an overlay and a trend under /api/v1, with 400 and 404 that say why', async () => {
    const [a, b] = runs;
    const ok = await get(`/api/v1/compare/histograms?name=ecal_energy&sources=run:${a!.number}&sources=spill:${b!.number}/${b!.spills[0]}&normalise=area`);
    expect(ok.status).toBe(200);
    expect(ok.body.histograms).toHaveLength(2);
    expect(ok.body.histograms[1].source).toEqual({ kind: 'spill', run: b!.number, spill: b!.spills[0] });
    expect(ok.body.histograms[1].versusFirst.chi2.ndf).toBeGreaterThan(0);
    const one = await get(`/api/v1/compare/histograms?name=ecal_energy&sources=run:${a!.number}`);
    expect(one.status).toBe(400);
    const unknown = await get('/api/v1/compare/histograms?name=ecal_energy&sources=run:1&sources=run:999');
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'run 999 does not exist' } } });
    const bad = await get('/api/v1/compare/histograms?name=ecal_energy&sources=run:1&sources=table:1');
    expect(bad.status).toBe(400);

    const trend = await get(`/api/v1/trends?quantity=ecal.peak&from=${a!.number}&to=${b!.number}&limit=100`);
    expect(trend.status).toBe(200);
    expect(trend.body.runs).toHaveLength(2);
    expect(trend.body.points.run).toHaveLength(a!.spills.length + b!.spills.length);
    expect((await get('/api/v1/trends?quantity=ecal.peak&from=3&to=1')).status).toBe(400);
    expect((await get('/api/v1/trends?quantity=nonsense')).status).toBe(400);
    expect((await get('/api/v1/trends?quantity=pedestal&channel=ECAL9-9-9&from=1')).status).toBe(404);
  });
});
