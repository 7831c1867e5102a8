// The data directory holds the logbook, the audit trails, token hashes and a live admin token: after a real
// `na64rc serve --sim` start and a few writes, it and everything in it are its owner's only (0700 / 0600),
// including what an older version left readable (0755 / 0644), and the tightening is logged.
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { promptArgs } from '../support/prompts';

let root: string;
let dir: string;
let server: ServeProcess | null = null;

/** Every path under `dir` (itself as "./", directories ending in "/") with its permission bits, as "0600". */
function modes(): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (path: string) => {
    const st = lstatSync(path);
    const name = (relative(dir, path) || '.') + (st.isDirectory() ? '/' : '');
    out[name] = (st.mode & 0o777).toString(8).padStart(4, '0');
    if (st.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(dir);
  return out;
}

/** What anyone but the owner could read, enter or write. */
const exposed = (m: Record<string, string>) => Object.entries(m).filter(([path, mode]) => mode !== (path.endsWith('/') ? '0700' : '0600'));

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'na64rc-perm-'));
  dir = join(root, 'data');
  // What an older version left: a world-readable directory, log, site file and attachment.
  mkdirSync(join(dir, 'attachments', 'ab'), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'na64rc.log'), '', { mode: 0o644 });
  writeFileSync(join(dir, 'site.json'), '{}\n', { mode: 0o644 });
  writeFileSync(join(dir, 'attachments', 'ab', 'ab01.old'), 'an old attachment', { mode: 0o644 });
  // Not the app's: `--data` may name a directory shared with other files, which are left as they are.
  writeFileSync(join(dir, 'notes.txt'), 'mine\n', { mode: 0o644 });
  server = await startServe(dir, ['--sim', '--time-scale', '20'], 60_000);
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('the data directory', () => {
  it('is owner-only after a start and a few writes: database, WAL, SHM, log, server.json, site.json, attachments', async () => {
    const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);
    writeFileSync(join(root, 'plot.txt'), 'ECAL cell (3,3) scan\n');
    expect((await ctl('user', 'add', 'alice', '--role', 'shifter')).code).toBe(0);
    expect((await ctl('run', 'start', 'physics', '--comment', 'permissions', ...promptArgs('physics'))).code).toBe(0);
    expect((await ctl('log', 'add', '--title', 'scan', '--body', 'see file', '--attach', join(root, 'plot.txt'))).code).toBe(0);
    await waitFor('a spill of the run', async () => (await api<{ run: { spill: number } }>(server!.info, '/api/v1/status')).body.run.spill >= 1);
    expect((await ctl('run', 'stop', '--reason', 'done')).code).toBe(0);

    const { ['notes.txt']: notes, ...m } = modes();
    expect(notes).toBe('0644');
    // Each kind of file the app writes is there to be checked.
    for (const file of ['./', 'na64rc.sqlite', 'na64rc.sqlite-wal', 'na64rc.sqlite-shm', 'na64rc.log', 'server.json', 'site.json', 'attachments/']) expect(m).toHaveProperty([file]);
    expect(Object.keys(m).filter((p) => p.startsWith('attachments/') && !p.startsWith('attachments/ab/')).length).toBeGreaterThanOrEqual(3);
    expect(exposed(m)).toEqual([]);
    // The old files were tightened at start, and the log says so.
    expect(m['attachments/ab/ab01.old']).toBe('0600');
    const log = readFileSync(join(dir, 'na64rc.log'), 'utf8');
    expect(log).toMatch(/"msg":"the data directory was open to other users; made owner-only"/);
    expect(log).toContain('"from":"0755","to":"0700"');
  });

  it('stays owner-only after a clean stop (the database checkpointed, server.json removed)', async () => {
    expect(await server!.stop('SIGTERM')).toBe(0);
    server = null;
    const { ['notes.txt']: notes, ...m } = modes();
    expect(notes).toBe('0644');
    expect(m).not.toHaveProperty(['server.json']);
    expect(exposed(m)).toEqual([]);
  });
});
