// A run's conditions through the built server: GET /api/v1/runs/:run/conditions[?diff=OTHER|last-good] and
// `na64rc ctl run conditions N [--diff M|last-good] [--json]`, with hostile input answered by a clear 400/404.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConditionsAnswer, ConditionsDiff } from '../../src-main/shared/api/conditions';
import type { HvOverview } from '../../src-main/shared/api/hv';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { promptArgs } from '../support/prompts';

let dir: string;
let server: ServeProcess;
const CELL = 'ECAL1-3-3';
let vsetBefore = 0;
const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);
type ErrorBody = { error: { code: string; message: string } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-conditions-api-'));
  server = await startServe(dir, ['--sim', '--time-scale', '20'], 60_000);
  const hv = async () => (await api<HvOverview>(server.info, '/api/v1/hv')).body.channels.find((c) => c.name === CELL)!;
  vsetBefore = (await waitFor('the HV read', async () => (await hv()).vset))!;
  expect((await ctl('run', 'start', 'physics', '--comment', 'before the change', ...promptArgs('physics'))).code).toBe(0);
  expect((await ctl('run', 'stop')).code).toBe(0);
  const set = await ctl('hv', 'set', 'vset', String(vsetBefore + 30), CELL, '--reason', 'gain matching');
  expect(set.code, set.stderr).toBe(0);
  await waitFor('the new setpoint ramped', async () => {
    const c = await hv();
    return c.vset === vsetBefore + 30 && Math.abs(c.vmon! - c.vset) < 1.5;
  });
  expect((await ctl('run', 'start', 'physics', '--comment', 'after the change', ...promptArgs('physics'))).code).toBe(0);
  expect((await ctl('run', 'stop')).code).toBe(0);
  // A run from before conditions were recorded (written as an older version would have).
  const db = new Database(join(dir, 'na64rc.sqlite'));
  db.prepare(`INSERT INTO runs (number, type, setup, started_at, end_state) VALUES (40, 'physics', 'invisible-e', 1, 'ended')`).run();
  db.close();
}, 120_000);
afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/runs/:run/conditions', () => {
  it("answers the run's conditions, and with ?diff=M the changes from run M: the HV setpoint old → new", async () => {
    const one = await api<ConditionsAnswer>(server.info, '/api/v1/runs/1/conditions');
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ run: 1, diff: null, conditions: { run: 1, start: { type: 'physics', comment: 'before the change' }, setup: { name: 'invisible-e' } } });
    expect(one.body.conditions.hv.channels[CELL]!.vset).toBe(vsetBefore);
    const diff = await api<ConditionsAnswer>(server.info, '/api/v1/runs/2/conditions?diff=1');
    expect(diff.status).toBe(200);
    expect(diff.body.diff).toMatchObject({ from: 1, to: 2, chosen: 'named' });
    expect(diff.body.diff!.changes).toContainEqual({ op: 'changed', path: ['hv', 'channels', CELL, 'vset'], old: vsetBefore, new: vsetBefore + 30 });
    expect(diff.body.diff!.changes).toContainEqual({ op: 'changed', path: ['start', 'comment'], old: 'before the change', new: 'after the change' });
  });

  it('refuses hostile and impossible input with a clear 400 or 404', async () => {
    const cases: [string, number, RegExp][] = [
      ['/api/v1/runs/0/conditions', 400, /run/],
      ['/api/v1/runs/-1/conditions', 400, /run/],
      ['/api/v1/runs/1e20/conditions', 400, /run/],
      ['/api/v1/runs/abc/conditions', 400, /run/],
      ['/api/v1/runs/2/conditions?diff=2', 400, /diff=2 is run 2 itself/],
      ['/api/v1/runs/2/conditions?diff=abc', 400, /^invalid input: diff: expected a run number or last-good$/],
      ['/api/v1/runs/2/conditions?diff=9999999999', 400, /^invalid input: diff: a run number is at most 2147483647$/],
      ['/api/v1/runs/2/conditions?diff=1&diff=2', 400, /diff/],
      ['/api/v1/runs/2/conditions?diff=0', 400, /diff/],
      ["/api/v1/runs/2/conditions?diff=1%27%20OR%201%3D1", 400, /diff/],
      ['/api/v1/runs/99/conditions', 404, /run 99 does not exist/],
      ['/api/v1/runs/2/conditions?diff=99', 404, /diff=99: run 99 does not exist/],
      ['/api/v1/runs/40/conditions', 404, /run 40 has no conditions recorded: it was taken before/],
      ['/api/v1/runs/2/conditions?diff=40', 404, /diff=40: run 40 has no conditions recorded/],
    ];
    for (const [path, status, message] of cases) {
      const r = await api<ErrorBody>(server.info, path);
      expect([path, r.status]).toEqual([path, status]);
      expect(r.body.error.message, path).toMatch(message);
    }
  });

  it('with ?diff=last-good: says which run and why, or that there is none, as the spills of run 1 decide', async () => {
    const spills = (await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body;
    const count = (v: string) => spills.filter((s) => s.dq?.verdict === v).length;
    const good = spills.length > 0 && count('good') > count('bad');
    const r = await api<ConditionsAnswer & ErrorBody>(server.info, '/api/v1/runs/2/conditions?diff=last-good');
    if (good) {
      expect(r.status).toBe(200);
      expect(r.body.diff).toMatchObject({ from: 1, to: 2, chosen: 'last-good' });
      expect(r.body.diff!.why).toMatch(/run 1 is the last physics run of setup invisible-e before run 2/);
    } else {
      expect(r.status).toBe(404);
      expect(r.body.error.message).toMatch(/no good physics run of setup invisible-e before run 2/);
    }
  });
});

describe('na64rc ctl run conditions', () => {
  it('prints the tree of a run, the diff of two, and JSON with --json', async () => {
    const tree = await ctl('run', 'conditions', '1');
    expect(tree.code, tree.stderr).toBe(0);
    expect(tree.stdout).toMatch(/^conditions of run 1 \(physics, setup invisible-e\) at its start /);
    expect(tree.stdout).toMatch(new RegExp(`\\n    ${CELL}: supply=\\S+ on=true vset=${vsetBefore} `));
    const diff = await ctl('run', 'conditions', '2', '--diff', '1');
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain('conditions of run 1 → run 2');
    expect(diff.stdout).toContain(`~ hv.channels["${CELL}"].vset: ${vsetBefore} → ${vsetBefore + 30}`);
    const json = await ctl('run', 'conditions', '2', '--diff', '1', '--json');
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as ConditionsDiff).changes.length).toBeGreaterThan(1);
  });

  it('refuses bad arguments as usage errors and says what the server refused', async () => {
    for (const args of [['0'], ['-1'], ['1e20'], ['abc'], ['2', '--diff', 'abc'], ['2', '--diff', '0']]) {
      const r = await ctl('run', 'conditions', ...args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr, args.join(' ')).toMatch(/expected|must be between|unknown option/);
    }
    const self = await ctl('run', 'conditions', '2', '--diff', '2');
    expect(self.code).not.toBe(0);
    expect(self.stderr).toMatch(/itself/);
    const before = await ctl('run', 'conditions', '40');
    expect(before.code).not.toBe(0);
    expect(before.stderr).toMatch(/run 40 has no conditions recorded/);
  });
});
