// The exports through the built server and CLI: /api/v1/runs[?format=], /api/v1/runs/{run}/spills?format=,
// /api/v1/runs/{run}/histograms.zip with their types, names and errors, and `na64rc ctl export`, on a
// simulated run; the files read back and agree with the JSON lists.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunPage } from '../../src-main/shared/api/runs';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { expectOpenEntries } from '../support/blinding';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';

let dir: string;
let server: ServeProcess;
let spills: SpillSummary[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-export-api-'));
  server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics'], 60_000); // a loaded machine starts slowly
  await waitFor('3 spills', async () => {
    const r = await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills');
    return r.status === 200 && r.body.length >= 3;
  }, 60_000);
  // Stop the run so that the lists hold still while they are compared.
  expect((await runCli(['ctl', '--data', dir, 'run', 'stop', '--reason', '=cmd|"/c calc"!A0, a formula'])).code).toBe(0);
  spills = (await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body;
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string) {
  const res = await fetch(`${server.info.url}${path}`, { headers: { Authorization: `Bearer ${server.info.token}` } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, disposition: res.headers.get('content-disposition') ?? '', bytes, json: () => JSON.parse(Buffer.from(bytes).toString('utf8')) as { error: { code: string; message: string } } };
}

const rowsOf = (bytes: Uint8Array) => parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer }) as Promise<Record<string, unknown>[]>;

describe('/api/v1 exports', () => {
  it("a run's spills as Parquet: its type and name, one row per spill of the JSON list", async () => {
    const r = await get('/api/v1/runs/1/spills?format=parquet');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/vnd.apache.parquet');
    expect(r.disposition).toMatch(/^attachment; filename="run1-spills\.parquet"/);
    expect(Buffer.from(r.bytes.subarray(0, 4)).toString()).toBe('PAR1');
    const rows = await rowsOf(r.bytes);
    expect(rows.map((x) => Number(x['spill']))).toEqual(spills.map((s) => s.spill));
    expect(rows.map((x) => Number(x['events_seen']))).toEqual(spills.map((s) => s.eventsSeen));
    expect(rows.map((x) => (x['started_at'] as Date).getTime())).toEqual(spills.map((s) => s.startedAt));
    expect(rows.map((x) => x['eot'])).toEqual(spills.map((s) => s.dq?.eot ?? null));
    expect(rows.map((x) => [x['counting_unit'], x['kot']])).toEqual(spills.map(() => ['EOT', null]));
    expect(rows.every((x) => x['blinded'] === true && x['signal_candidates'] === null)).toBe(true);
  });

  it('the same as CSV, and the JSON list when no format is given', async () => {
    const r = await get('/api/v1/runs/1/spills?format=csv');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/csv; charset=utf-8');
    expect(r.disposition).toMatch(/filename="run1-spills\.csv"/);
    const lines = Buffer.from(r.bytes).toString('utf8').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^run,spill,started_at,ended_at,events_seen,/);
    expect(lines).toHaveLength(spills.length + 1);
    const json = await get('/api/v1/runs/1/spills');
    expect(json.type).toMatch(/application\/json/);
    expect((JSON.parse(Buffer.from(json.bytes).toString()) as SpillSummary[]).length).toBe(spills.length);
  });

  it('the runs as Parquet and CSV, with the list’s query; the JSON list as before', async () => {
    const list = await api<RunPage>(server.info, '/api/v1/runs?limit=10');
    expect(list.status).toBe(200);
    expect(list.body.runs.map((x) => x.number)).toEqual([1]);
    expect(list.body.total).toBe(1);
    const p = await get('/api/v1/runs?format=parquet&limit=10');
    expect(p.type).toBe('application/vnd.apache.parquet');
    expect(p.disposition).toMatch(/filename="runs\.parquet"/);
    const rows = await rowsOf(p.bytes);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ run: 1n, type: 'physics', end_state: 'ended', spills: BigInt(spills.length), signal_candidates: null, stop_reason: '=cmd|"/c calc"!A0, a formula' });
    // Who started and stopped it (the CLI, with the start token's user), as the registry records it.
    const listed = list.body.runs[0]!;
    expect(listed.stoppedBy).not.toBeNull();
    expect(rows[0]).toMatchObject({ started_by: listed.startedBy?.user ?? null, started_via: listed.startedBy?.via ?? null, stopped_by: listed.stoppedBy!.user, stopped_role: listed.stoppedBy!.role, stopped_via: 'cli' });
    // EOT as counted, as the registry's list counts it; the electron setup counts EOT and no kaons.
    expect(rows[0]!['eot_counted']).toBeCloseTo(list.body.runs[0]!.eot, 6);
    expect(listed).toMatchObject({ unit: 'EOT', kot: null });
    expect(rows[0]).toMatchObject({ counting_unit: 'EOT', kot: null, kot_counted: null });
    // The registry's filters apply: no run of another setup, none with a text they do not have.
    expect(await rowsOf((await get('/api/v1/runs?format=parquet&setup=visible-mode')).bytes)).toHaveLength(0);
    expect(await rowsOf((await get('/api/v1/runs?format=parquet&text=formula&type=physics')).bytes)).toHaveLength(1);
    const c = await get('/api/v1/runs?format=csv&before=2');
    const text = Buffer.from(c.bytes).toString();
    // The stop reason, formula-looking, is text in the CSV: apostrophe first, quoted for its comma and quotes.
    expect(text).toContain(`"'=cmd|""/c calc""!A0, a formula"`);
    expect((await get('/api/v1/runs?format=csv&before=1')).bytes.byteLength).toBeGreaterThan(0);
    expect(Buffer.from((await get('/api/v1/runs?format=csv&before=1')).bytes).toString().trimEnd().split('\n')).toHaveLength(1);
  });

  it("a run's histograms as ROOT JSON in one zip", async () => {
    const r = await get('/api/v1/runs/1/histograms.zip');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/zip');
    expect(r.disposition).toMatch(/filename="run1-histograms\.zip"/);
    const files = unzipSync(r.bytes);
    expect(Object.keys(files)).toContain('manifest.json');
    expect(Object.keys(files)).toContain('run/ecal_energy.json');
    for (const s of spills) expect(Object.keys(files)).toContain(`spill-${String(s.spill).padStart(4, '0')}/ecal_vs_hcal.json`);
    const h = JSON.parse(strFromU8(files['spill-0001/ecal_energy.json']!)) as { _typename: string; fEntries: number };
    expect(h._typename).toBe('TH1D');
    expectOpenEntries(h.fEntries, spills[0]!.eventsProcessed, spills[0]!.daq!.randomTriggers);
    expect((JSON.parse(strFromU8(files['manifest.json']!)) as { blinded: boolean }).blinded).toBe(true);
  });

  it('hostile input: a clear 400 naming the parameter, 404 for an unknown run', async () => {
    const bad = async (path: string, status: number, message: RegExp) => {
      const r = await get(path);
      expect(r.status, path).toBe(status);
      expect(r.json().error.message, path).toMatch(message);
    };
    await bad('/api/v1/runs/1/spills?format=xml', 400, /format/);
    await bad('/api/v1/runs?format=xml', 400, /format/);
    await bad("/api/v1/runs?format=parquet';DROP%20TABLE%20runs;--", 400, /format/);
    await bad('/api/v1/runs/-1/spills?format=parquet', 400, /run/);
    await bad('/api/v1/runs/99999999999999/spills?format=csv', 400, /run/);
    await bad('/api/v1/runs/abc/spills?format=csv', 400, /run/);
    await bad('/api/v1/runs?format=csv&limit=100000000', 400, /limit/);
    await bad('/api/v1/runs?format=parquet&dq=everything', 400, /dq/);
    await bad("/api/v1/runs?format=csv&setup=x'%20OR%201=1--", 400, /setup/);
    await bad('/api/v1/runs?limit=5000', 400, /limit/);
    await bad('/api/v1/runs/424242/spills?format=parquet', 404, /run 424242 does not exist/);
    await bad('/api/v1/runs/424242/histograms.zip', 404, /run 424242 does not exist/);
    await bad('/api/v1/runs/1/histograms.zip?from=0', 400, /from/);
    await bad('/api/v1/runs/1/histograms.zip?from=3&to=1', 400, /from \(3\) is after to \(1\)/);
    await bad('/api/v1/runs/1/histograms.zip?to=5000', 400, /to/);
    // Nothing was dropped.
    expect((await api<RunPage>(server.info, '/api/v1/runs')).body.runs).toHaveLength(1);
  });
});

describe('na64rc ctl export', () => {
  it('writes the same files; a bad run or format is an error that says so', async () => {
    const out = (name: string) => join(dir, name);
    const spillsRun = await runCli(['ctl', '--data', dir, 'export', 'spills', '1', '--format', 'parquet', '--out', out('s.parquet')]);
    expect(spillsRun.code, spillsRun.stderr).toBe(0);
    expect(spillsRun.stdout).toMatch(new RegExp(`wrote ${spills.length} spills to .*s\\.parquet`));
    const rows = await rowsOf(new Uint8Array(readFileSync(out('s.parquet'))));
    expect(rows.map((x) => Number(x['spill']))).toEqual(spills.map((s) => s.spill));

    const runs = await runCli(['ctl', '--data', dir, 'export', 'runs', '--format', 'csv', '--out', out('r.csv')]);
    expect(runs.code, runs.stderr).toBe(0);
    expect(readFileSync(out('r.csv'), 'utf8').split('\n')[0]).toMatch(/^run,type,setup,end_state,/);
    expect(readFileSync(out('r.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(2);
    // The run list's filters: a setup no run has exports a header only.
    const none = await runCli(['ctl', '--data', dir, 'export', 'runs', '--setup', 'visible-mode', '--format', 'csv', '--out', out('none.csv')]);
    expect(none.code, none.stderr).toBe(0);
    expect(readFileSync(out('none.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(1);

    const zip = await runCli(['ctl', '--data', dir, 'export', 'histograms', '1', '--from', '1', '--to', '2', '--out', out('h.zip')]);
    expect(zip.code, zip.stderr).toBe(0);
    expect(Object.keys(unzipSync(new Uint8Array(readFileSync(out('h.zip'))))).filter((n) => n.startsWith('spill-')).map((n) => n.split('/')[0])).toEqual(
      expect.arrayContaining(['spill-0001', 'spill-0002']),
    );

    const unknown = await runCli(['ctl', '--data', dir, 'export', 'spills', '424242']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/run 424242 does not exist/);
    const xml = await runCli(['ctl', '--data', dir, 'export', 'spills', '1', '--format', 'xml']);
    expect(xml.code).not.toBe(0);
    expect(xml.stderr).toMatch(/xml.*(parquet|choices)/is);
  });
});
