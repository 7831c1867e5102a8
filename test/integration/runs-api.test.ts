// The run registry through the real server: who started and stopped each run (user, role, the kind of
// client), GET /api/v1/runs with filters, sort and paging, hostile query values refused naming the field,
// GET /api/v1/runs/{run}/summary, sign-offs refused to viewers and shifters and kept for experts (a command:
// no HTTP route), the EOT and the bad-spill export honouring them, and `na64rc ctl run list|show|signoff`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORPCError } from '@orpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { BadSpill, EotStatus } from '../../src-main/shared/api/dq';
import type { RunPage, RunSummary } from '../../src-main/shared/api/runs';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { promptArgs, promptsFor } from '../support/prompts';

let dir: string;
let server: ServeProcess;
const users: Record<string, Connection> = {};
const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);

async function userToken(name: string, role: string): Promise<string> {
  const r = await ctl('--json', 'user', 'add', name, '--role', role);
  return JSON.parse(r.stdout).token as string;
}

const spills = async (run: number) => (await api<SpillSummary[]>(server.info, `/api/v1/runs/${run}/spills`)).body;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-runs-api-'));
  server = await startServe(dir, ['--sim', '--time-scale', '20'], 60_000);
  for (const [name, role] of [['vera', 'viewer'], ['sam', 'shifter'], ['egor', 'expert']] as const) {
    users[name] = await connect(server.info.url, await userToken(name, role));
  }
  // Run 1 from the command line (the start token: the local admin), run 2 by the shifter, stopped by the expert.
  expect((await ctl('run', 'start', 'physics', '--comment', 'registry api: nominal beam', ...promptArgs('physics'))).code).toBe(0);
  await waitFor('three spills of run 1', async () => (await spills(1)).filter((s) => s.dq).length >= 3, 60_000);
  expect((await ctl('run', 'stop', '--reason', 'end of fill')).code).toBe(0);
  await users['sam']!.api.run.start({ type: 'calibration', comment: 'LED check', prompts: promptsFor('calibration') });
  await waitFor('a spill of run 2', async () => (await spills(2)).length >= 1, 60_000);
  await users['egor']!.api.run.stop({ reason: 'HV trip on ECAL' });
}, 180_000);

afterAll(async () => {
  for (const c of Object.values(users)) c.close();
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/runs', () => {
  it('lists every run with who started and stopped it, and the total', async () => {
    const r = await api<RunPage>(server.info, '/api/v1/runs');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.runs.map((x) => x.number)).toEqual([2, 1]);
    const [two, one] = r.body.runs;
    expect(two).toMatchObject({ type: 'calibration', startedBy: { user: 'sam', role: 'shifter', via: 'cli' }, stoppedBy: { user: 'egor', role: 'expert', via: 'cli' }, stopReason: 'HV trip on ECAL' });
    expect(one).toMatchObject({ startedBy: { role: 'admin', via: 'cli' }, stoppedBy: { role: 'admin', via: 'cli' } });
    expect(one!.spills).toBeGreaterThanOrEqual(3);
    expect(one!.eot).toBeGreaterThan(0);
    // The electron setup counts EOT, and no kaons.
    expect(one).toMatchObject({ unit: 'EOT', kot: null });
    expect(one!.verdicts.good + one!.verdicts.medium + one!.verdicts.bad + one!.verdicts.null).toBe(one!.spills);
  });

  it('filters, sorts and pages from the query string', async () => {
    const page = async (q: string) => (await api<RunPage>(server.info, `/api/v1/runs?${q}`)).body;
    expect((await page('type=physics')).runs.map((r) => r.number)).toEqual([1]);
    expect((await page('text=nominal%20BEAM')).runs.map((r) => r.number)).toEqual([1]);
    expect((await page('text=%25')).total).toBe(0);
    expect((await page('sort=spills&order=asc')).runs.map((r) => r.number)).toEqual([2, 1]);
    expect(await page('limit=1&offset=1')).toMatchObject({ total: 2, offset: 1, limit: 1, runs: [{ number: 1 }] });
    expect((await page('from=2000-01-01&to=2001-01-01')).total).toBe(0);
    expect((await page(`from=${Date.now() - 3_600_000}&logbook=0&setup=invisible-e`)).total).toBe(2);
    expect((await page('durationMin=86400')).total).toBe(0);
  });

  it('refuses hostile values with 400 and a message that names the field', async () => {
    for (const [query, field] of [
      ['limit=100000', 'limit'],
      ['offset=-1', 'offset'],
      ['sort=number%3B%20DROP%20TABLE%20runs', 'sort'],
      ['order=sideways', 'order'],
      ['from=yesterday', 'from'],
      ['eotMin=-1', 'eotMin'],
      ['durationMax=abc', 'durationMax'],
      ['setup=%27%3B%20DROP%20TABLE%20runs%3B--', 'setup'],
      ['logbook=maybe', 'logbook'],
      ['dq=terrible', 'dq'],
      ['signOff=perhaps', 'signOff'],
      [`text=${'x'.repeat(201)}`, 'text'],
    ] as const) {
      const r = await api<{ error: { code: string; message: string } }>(server.info, `/api/v1/runs?${query}`);
      expect(r.status, query).toBe(400);
      expect(r.body.error.message, query).toContain(`${field}: `);
    }
    expect((await api<RunPage>(server.info, '/api/v1/runs')).body.total).toBe(2);
  });
});

describe('GET /api/v1/runs/{run}/summary', () => {
  it('gives spills, events, EOT, verdicts, the bad spills and the people', async () => {
    const s = (await api<RunSummary>(server.info, '/api/v1/runs/1/summary')).body;
    const list = await spills(1);
    expect(s.run.spills).toBe(list.length);
    expect(s.run.events).toBe(list.reduce((n, x) => n + x.eventsSeen, 0));
    expect(s.eot.counted).toBeCloseTo(list.reduce((n, x) => n + (x.dq?.eot ?? 0), 0), -3);
    expect(s.eot.automatic).toBeCloseTo(s.eot.counted, -3);
    expect(s).toMatchObject({ unit: 'EOT', kot: null });
    expect(s.run.stopReason).toBe('end of fill');
    expect(s.history).toEqual([]);
    expect((await api(server.info, '/api/v1/runs/99/summary')).status).toBe(404);
    expect((await api(server.info, '/api/v1/runs/0/summary')).status).toBe(400);
  });
});

describe('sign-offs', () => {
  it('are refused to viewers and shifters, kept for experts, and moved the EOT and the bad-spill export', async () => {
    const refused = async (user: string) => {
      try {
        await users[user]!.api.runs.signOff({ run: 1, spill: 2, verdict: 'bad', reason: 'should not be kept' });
        return 'accepted';
      } catch (error) {
        return error instanceof ORPCError ? error.code : String(error);
      }
    };
    expect(await refused('vera')).toBe('FORBIDDEN');
    expect(await refused('sam')).toBe('FORBIDDEN');
    const expert = users['egor']!.api;
    await expect(expert.runs.signOff({ run: 1, spill: 2, verdict: 'bad', reason: '  ' })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('reason') });
    await expect(expert.runs.signOff({ run: 99, verdict: 'bad', reason: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(expert.runs.signOff({ run: 1, spill: 4000, verdict: 'bad', reason: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'spill 4000 of run 1 does not exist' });
    await expect(expert.runs.signOff({ run: 1, spill: 2, verdict: 'fine' as 'good', reason: 'x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    const before = (await api<EotStatus>(server.info, '/api/v1/dq/eot?run=1')).body;
    const spill2 = (await spills(1)).find((s) => s.spill === 2)!;
    const signed = await expert.runs.signOff({ run: 1, spill: 2, verdict: 'bad', reason: 'beam steering during the spill' });
    expect(signed).toMatchObject({ run: 1, spill: 2, verdict: 'bad', user: 'egor', role: 'expert' });

    const after = (await api<EotStatus>(server.info, '/api/v1/dq/eot?run=1')).body;
    expect(after.runEot).toBeCloseTo(before.runEot - spill2.dq!.eot, -3);
    expect(after.signOffs.run).toMatchObject({ excludedSpills: 1, keptSpills: 0 });
    expect(after.signOffs.total.excludedSpills).toBe(1);
    const bad = (await api<BadSpill[]>(server.info, '/api/v1/dq/bad-spills?run=1')).body.find((b) => b.spill === 2)!;
    expect(bad).toMatchObject({ verdict: 'bad', automatic: spill2.dq!.verdict, inEot: false, reasons: expect.stringMatching(/^signed off bad by egor: beam steering during the spill/) });
    const csv = await (await fetch(`${server.info.url}/api/v1/dq/bad-spills?run=1&format=csv`, { headers: { Authorization: `Bearer ${server.info.token}` } })).text();
    expect(csv.split('\n')[0]).toMatch(/^run,spill,started_at,ended_at,verdict,dq_verdict,in_eot,.*,sign_off,signed_off_at,reasons$/);
    expect(csv).toMatch(/\n1,2,[^\n]*,bad,\w+,no,[^\n]*signed off bad by egor: beam steering during the spill/);

    const summary = (await api<RunSummary>(server.info, '/api/v1/runs/1/summary')).body;
    expect(summary.spillSignOffs).toEqual([expect.objectContaining({ spill: 2, verdict: 'bad' })]);
    expect(summary.eot).toMatchObject({ excludedSpills: 1 });
    expect((await api<RunPage>(server.info, '/api/v1/runs?signOff=any')).body.runs.map((r) => r.number)).toEqual([1]);

    // A command, never an HTTP route.
    const doc = (await api<{ paths: Record<string, Record<string, { operationId: string }>> }>(server.info, '/api/v1/openapi.json')).body;
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(ids).toEqual(expect.arrayContaining(['files.runs', 'runs.summary']));
    expect(ids).not.toContain('runs.signOff');
  });

  it('from the command line: sign off, list with filters, show the run with its history', async () => {
    const signed = await ctl('run', 'signoff', '2', 'needs-look', '--reason', 'LED amplitude low in HCAL');
    expect(signed.code, signed.stderr).toBe(0);
    expect(signed.stdout).toMatch(/run 2 needs a look by .*: LED amplitude low in HCAL/);
    expect((await ctl('run', 'signoff', '2', '1', 'great', '--reason', 'x')).stderr).toMatch(/verdict: use one of good, bad, needs-look/);
    expect((await ctl('run', 'signoff', '2', '1', 'good')).stderr).toMatch(/--reason/);
    const listed = await ctl('--json', 'run', 'list', '--signoff', 'needs-look');
    expect((JSON.parse(listed.stdout) as RunPage).runs.map((r) => r.number)).toEqual([2]);
    const text = await ctl('run', 'list', '--type', 'physics', '--sort', 'eot');
    expect(text.stdout).toMatch(/^runs 1–1 of 1\n/);
    expect(text.stdout).toMatch(/\n +1 +physics .* \d\.\d{3}e\+\d+ EOT +\d+\/\d+\/\d+ /);
    expect(text.stdout).not.toMatch(/KOT/);
    expect((await ctl('run', 'list', '--min-duration', 'soon')).stderr).toMatch(/expected a duration/);
    const shown = await ctl('run', 'show', '2');
    expect(shown.stdout).toMatch(/started .* by sam \(shifter, cli\): LED check/);
    expect(shown.stdout).toMatch(/stopped .* by egor \(expert, cli\): HV trip on ECAL/);
    expect(shown.stdout).toMatch(/run sign-off: needs a look by .*: LED amplitude low in HCAL/);
  });
});
