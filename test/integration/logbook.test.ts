// The logbook through the real built CLI, real sockets and a real SQLite file: roles on the typed API,
// the automatic run entries, attachments over the WebSocket up to the limit, the HTTP routes and their
// headers for hostile files, `na64rc ctl log …`, and a hard kill that loses nothing saved.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Connection } from '../../src-main/api/node-client';
import type { LogEntry, SearchResult } from '../../src-main/shared/api/logbook';
import { LOGBOOK_LIMITS } from '../../src-main/shared/api/logbook';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { refusal } from '../support/refusal';
import { promptsFor } from '../support/prompts';

// A 1×1 PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');

let dir: string;
let server: ServeProcess;
let admin: Connection;
let shifter: Connection;
let viewer: Connection;

async function token(user: string, role: string): Promise<string> {
  const r = await runCli(['ctl', '--data', dir, '--json', 'user', 'add', user, '--role', role]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout).token as string;
}

async function get(path: string, auth = server.info.token): Promise<Response> {
  return fetch(`${server.info.url}${path}`, { headers: { Authorization: `Bearer ${auth}` } });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-logbook-it-'));
  server = await startServe(dir, ['--sim', '--time-scale', '40']);
  admin = await connect(server.info.url, server.info.token);
  shifter = await connect(server.info.url, await token('alice', 'shifter'));
  viewer = await connect(server.info.url, await token('victor', 'viewer'));
});

afterAll(async () => {
  for (const c of [admin, shifter, viewer]) c?.close();
  await server?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('the logbook over the typed API', () => {
  it('writes the automatic run-start entry, and the stop entry in its thread', async () => {
    await shifter.api.run.start({ type: 'physics', comment: 'first beam', prompts: promptsFor('physics') });
    const start = await waitFor('the run-start entry', async () => (await viewer.api.logbook.search({ q: '', origin: 'system', run: 1 })).hits[0]);
    expect(start.entry).toMatchObject({ kind: 'run-start', title: 'Run 1 started (physics)', author: 'na64rc', origin: 'system', links: [{ kind: 'run', run: 1 }] });
    await waitFor('a spill', async () => (await shifter.api.status()).run.spill >= 1);
    await shifter.api.run.stop({ reason: 'done' });
    const thread = await waitFor('the stop entry', async () => {
      const t = await viewer.api.logbook.thread({ id: start.entry.id });
      return t.length === 2 ? t : null;
    });
    expect(thread[1]).toMatchObject({ kind: 'run-stop', parentId: start.entry.id, facts: { runEnd: 'ended', stopReason: 'done' } });
    expect(thread[1]!.facts.spills).toBeGreaterThanOrEqual(1);
  });

  it('lets viewers read but not write, with a sentence naming the role', async () => {
    const e = await refusal(viewer.api.logbook.write({ title: 'I only watch' }));
    expect(e.code).toBe('FORBIDDEN');
    expect(e.message).toBe('logbook.write needs the shifter role; victor is viewer');
    expect((await refusal(viewer.api.logbook.upload({ name: 'a.png', data: PNG.toString('base64') }))).code).toBe('FORBIDDEN');
    expect((await refusal(viewer.api.logbook.summary({}))).code).toBe('FORBIDDEN');
    expect((await viewer.api.logbook.search({ q: 'run' })).hits.length).toBeGreaterThan(0);
  });

  it('keeps a shifter to their own entries within the edit window; the admin amends anything', async () => {
    const file = await shifter.api.logbook.upload({ name: 'plot.png', data: PNG.toString('base64') });
    expect(file).toMatchObject({ kind: 'image', mime: 'image/png', thumbnail: true });
    const entry = await shifter.api.logbook.write({ title: 'ECAL looks fine', body: 'Peak at 100 GeV', tags: ['ecal'], links: [{ kind: 'spill', run: 1, spill: 1 }], attachments: [{ hash: file.hash, name: 'plot.png' }] });
    expect(entry).toMatchObject({ author: 'alice', authorRole: 'shifter', attachments: [{ name: 'plot.png', kind: 'image' }] });
    const edited = await shifter.api.logbook.edit({ id: entry.id, revision: 1, title: 'ECAL looks fine (edited)', body: 'Peak at 100 GeV', tags: ['ecal'], links: entry.links, attachments: [{ hash: file.hash, name: 'plot.png' }] });
    expect(edited.revision).toBe(2);
    const stale = await refusal(shifter.api.logbook.edit({ id: entry.id, revision: 1, title: 'stale' }));
    expect(stale.code).toBe('CONFLICT');
    const system = (await viewer.api.logbook.search({ q: '', origin: 'system', limit: 1 })).hits[0]!.entry;
    const locked = await refusal(shifter.api.logbook.edit({ id: system.id, revision: 1, title: 'rewritten history' }));
    expect(locked).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/written by the system; add a reply instead/) });
    const amended = await admin.api.logbook.edit({ id: system.id, revision: system.revision, title: system.title, body: `${system.body}\n\nBeam was mis-steered for the first spill.`, tags: system.tags, links: system.links });
    expect(amended).toMatchObject({ revision: system.revision + 1, editedBy: expect.any(String) });
    expect((await viewer.api.logbook.revisions({ id: entry.id })).map((r) => r.title)).toEqual(['ECAL looks fine']);
    const reply = await admin.api.logbook.write({ title: 'Re: ECAL', replyTo: entry.id });
    expect(reply.threadId).toBe(entry.id);
    const closed = await shifter.api.logbook.setThreadState({ id: reply.id, state: 'closed' });
    expect(closed).toMatchObject({ id: entry.id, threadState: 'closed' });
  });

  it('refuses hostile input with sentences, and keeps answering', async () => {
    expect((await refusal(shifter.api.logbook.write({ title: 'x', links: [{ kind: 'run', run: 99 }] }))).message).toBe('run 99 does not exist: only runs that were taken can be linked');
    expect((await refusal(shifter.api.logbook.write({ title: 'x', tags: ['<script>'] }))).message).toMatch(/^invalid input: tags\.0: a tag is one word/);
    expect((await refusal(viewer.api.logbook.search({ q: 'NEAR(' }))).message).toMatch(/^The search is not complete at its end/);
    expect((await refusal(viewer.api.logbook.search({ q: 'x'.repeat(10_000) }))).message).toBe('invalid input: q: a search is at most 500 characters');
    expect((await refusal(shifter.api.logbook.upload({ name: 'a.bin', data: '%%%' }))).message).toBe('invalid input: data: the file is not base64-encoded');
    expect((await refusal(viewer.api.logbook.thread({ id: 123_456 }))).message).toBe('entry 123456 does not exist');
    expect((await viewer.api.status()).version).toBeTruthy();
  });

  it('takes an attachment at the size limit over the WebSocket and refuses one beyond it', async () => {
    const big = Buffer.alloc(LOGBOOK_LIMITS.attachmentBytes, 7);
    big[0] = 1; // not a known file type: stored as it is
    const file = await shifter.api.logbook.upload({ name: 'run1.dat', data: big.toString('base64') });
    expect(file).toMatchObject({ size: LOGBOOK_LIMITS.attachmentBytes, kind: 'file' });
    const over = Buffer.alloc(LOGBOOK_LIMITS.attachmentBytes + 3, 7).toString('base64');
    expect((await refusal(shifter.api.logbook.upload({ name: 'too-big.dat', data: over }))).message).toBe('invalid input: data: an attachment is at most 10 MiB');
    expect((await viewer.api.status()).version).toBeTruthy();
  });
});

describe('GET /api/v1/logbook', () => {
  it('searches with highlights and filters, and explains a broken query', async () => {
    const r = await api<SearchResult>(server.info, '/api/v1/logbook?q=ecal&author=alice');
    expect(r.status).toBe(200);
    expect(r.body.hits[0]!.title).toContainEqual({ text: 'ECAL', hit: true });
    expect((await api<SearchResult>(server.info, '/api/v1/logbook?run=1&origin=system&from=2020-01-01')).body.hits.length).toBeGreaterThanOrEqual(2);
    expect((await api<SearchResult>(server.info, '/api/v1/logbook?attachments=1')).body.hits.every((h) => h.entry.attachments.length > 0)).toBe(true);
    const broken = await api<{ error: { message: string } }>(server.info, `/api/v1/logbook?q=${encodeURIComponent('"open')}`);
    expect(broken.status).toBe(400);
    expect(broken.body.error.message).toMatch(/without its closing "/);
    for (const bad of ['run=abc', 'origin=robot', 'from=yesterday', 'attachments=maybe', 'limit=100000', 'tag=%3Cb%3E']) {
      const res = await api<{ error: { code: string } }>(server.info, `/api/v1/logbook?${bad}`);
      expect(res.status, bad).toBe(400);
    }
    expect((await get('/api/v1/logbook?q=ecal', 'wrong')).status).toBe(401);
  });

  it('serves entries, threads and revisions', async () => {
    const hit = (await api<SearchResult>(server.info, '/api/v1/logbook?q=%22looks%20fine%22')).body.hits[0]!;
    expect((await api<LogEntry>(server.info, `/api/v1/logbook/${hit.entry.id}`)).body.title).toBe('ECAL looks fine (edited)');
    expect((await api<LogEntry[]>(server.info, `/api/v1/logbook/${hit.entry.id}/thread`)).body).toHaveLength(2);
    expect((await api<unknown[]>(server.info, `/api/v1/logbook/${hit.entry.id}/revisions`)).body).toHaveLength(1);
    expect((await get('/api/v1/logbook/999999')).status).toBe(404);
    expect((await get('/api/v1/logbook/abc')).status).toBe(400);
    expect((await get('/api/v1/logbook/1/nothing')).status).toBe(404);
  });

  it('hands out attachments so that nothing in them runs: SVG and HTML only as downloads, in a sandbox', async () => {
    const svg = await shifter.api.logbook.upload({ name: 'diagram.png', data: SVG.toString('base64') });
    expect(svg.kind).toBe('active');
    const res = await get(`/api/v1/logbook/attachments/${svg.hash}?name=${encodeURIComponent('<img src=x onerror=alert(1)>.svg')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="<img src=x onerror=alert(1)>.svg"; filename*=UTF-8''%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E.svg`);
    expect(res.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await res.arrayBuffer()).equals(SVG)).toBe(true);

    const png = await shifter.api.logbook.upload({ name: 'p.png', data: PNG.toString('base64') });
    const image = await get(`/api/v1/logbook/attachments/${png.hash}`);
    expect([image.headers.get('content-type'), image.headers.get('content-disposition'), image.headers.get('content-security-policy')]).toEqual(['image/png', 'inline', "sandbox; default-src 'none'"]);
    expect((await get(`/api/v1/logbook/attachments/${png.hash}?thumbnail=1`)).headers.get('content-type')).toBe('image/png');
    expect((await get(`/api/v1/logbook/attachments/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await get('/api/v1/logbook/attachments/..%2F..%2Fna64rc.sqlite')).status).toBe(400);
  });

  it('exports a run as a printable page and as a zip', async () => {
    const html = await get('/api/v1/logbook/export?run=1&format=html');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-disposition')).toMatch(/^attachment; filename="na64-logbook-run1\.html"/);
    expect(html.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    const page = await html.text();
    expect(page).toContain('Run 1 started (physics)');
    expect(page).not.toMatch(/<script/i);
    const zip = unzipSync(new Uint8Array(await (await get('/api/v1/logbook/export?run=1')).arrayBuffer()));
    expect(strFromU8(zip['logbook.md']!)).toContain('# NA64 logbook: run 1');
    expect((await get('/api/v1/logbook/export')).status).toBe(400);
    expect((await get('/api/v1/logbook/export?run=77')).status).toBe(404);
  });
});

describe('na64rc ctl log', () => {
  it('adds an entry with a file for scripts, and says what is wrong in one line', async () => {
    const file = join(dir, 'trip.log');
    writeFileSync(file, 'HV trip ECAL0-3-3 at 03:12\n');
    const added = await runCli(['ctl', '--data', dir, 'log', 'add', '--title', 'HV trip', '--body', 'ramped back', '--tag', 'hv', '--run', '1', '--spill', '1', '--attach', file]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^wrote #\d+ HV trip\n/);
    expect(added.stdout).toContain('links: run 1 spill 1');
    expect(added.stdout).toContain('attachment: trip.log (text/plain; charset=utf-8, 27 bytes');

    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(LOGBOOK_LIMITS.attachmentBytes + 1));
    for (const [args, message] of [
      [['--title', 'x', '--attach', big], /big\.bin is 10\.0 MiB; attachments are at most 10 MiB/],
      [['--title', 'x', '--attach', join(dir, 'missing')], /cannot read .*missing: no such file/],
      [['--title', 'x', '--run', '42'], /run 42 does not exist/],
      [['--title', 'x', '--spill', '3'], /--spill needs --run/],
      [['--title', ' '], /an entry needs a title/],
      [['--body', 'no title'], /required option '--title <text>' not specified/],
    ] as const) {
      const r = await runCli(['ctl', '--data', dir, 'log', 'add', ...args]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }

    const found = await runCli(['ctl', '--data', dir, 'log', 'search', 'trip']);
    expect(found.stdout).toMatch(/HV \[trip\]/);
    const bad = await runCli(['ctl', '--data', dir, 'log', 'search', 'NEAR(']);
    expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/^na64rc: The search is not complete/)]);
    const out = join(dir, 'run1.zip');
    const exported = await runCli(['ctl', '--data', dir, 'log', 'export', '--run', '1', '--out', out]);
    expect(exported.stdout).toMatch(/^wrote \d+ entries to .*run1\.zip/);
    expect(Object.keys(unzipSync(readFileSync(out)))).toContain('logbook.md');
    const summary = await runCli(['ctl', '--data', dir, 'log', 'summary']);
    expect(summary.stdout).toMatch(/Shift summary .*\n[\s\S]*## Runs\n\n1 run, \d+ spills/);
  });

  it('takes the edit time from --log-edit-minutes (0: authors never edit, they reply)', async () => {
    const other = mkdtempSync(join(tmpdir(), 'na64rc-logbook-it-'));
    const strict = await startServe(other, ['--sim', '--time-scale', '40', '--log-edit-minutes', '0']);
    try {
      const r = await runCli(['ctl', '--data', other, '--json', 'user', 'add', 'bob', '--role', 'shifter']);
      const bob = await connect(strict.info.url, JSON.parse(r.stdout).token as string);
      const e = await bob.api.logbook.write({ title: 'stamped at once' });
      expect(e.editableUntil).toBe(e.createdAt);
      expect((await refusal(bob.api.logbook.edit({ id: e.id, revision: 1, title: 'changed' }))).message).toBe(
        'entries are not edited in this logbook (edit time 0); add a reply instead (or ask an admin)',
      );
      bob.close();
      const bad = await runCli(['serve', '--data', other, '--log-edit-minutes', '-5']);
      expect([bad.code, bad.stderr]).toEqual([1, expect.stringMatching(/--log-edit-minutes.*must be between 0 and 10080/)]);
    } finally {
      await strict.stop('SIGKILL');
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('loses nothing saved when the server is killed, and logs the run it found aborted', async () => {
    await admin.api.run.start({ type: 'cosmics', comment: 'overnight' });
    await waitFor('the run-start entry', async () => (await viewer.api.logbook.search({ q: 'cosmics', origin: 'system' })).hits[0]);
    const before = (await viewer.api.logbook.search({ q: '', limit: 500 })).hits.map((h) => [h.entry.id, h.entry.revision, h.entry.title]);
    for (const c of [admin, shifter, viewer]) c.close();
    await server.stop('SIGKILL');
    const db = new Database(join(dir, 'na64rc.sqlite'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare(`SELECT count(*) AS n FROM logbook_entries`).get() as { n: number }).n).toBe(before.length);
    db.close();
    server = await startServe(dir, ['--sim', '--time-scale', '40']);
    viewer = await connect(server.info.url, server.info.token);
    admin = viewer;
    shifter = viewer;
    const after = (await viewer.api.logbook.search({ q: '', limit: 500 })).hits.map((h) => [h.entry.id, h.entry.revision, h.entry.title]);
    expect(after.slice(1)).toEqual(before);
    const stop = (await viewer.api.logbook.search({ q: '', limit: 1 })).hits[0]!.entry;
    expect(stop).toMatchObject({ kind: 'run-stop', title: expect.stringMatching(/^Run 2 aborted \(cosmics, \d+ spills\)$/), parentId: before[0]![0], facts: { runEnd: 'aborted' } });
    expect(stop.facts.stopReason).toMatch(/server stopped while the run was on/);
  });
});
