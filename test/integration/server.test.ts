// The WebSocket and HTTP API under hostile input: wrong tokens, foreign origins, malformed frames, invalid
// requests. The answer is always a clear, typed error, and the server keeps serving.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createORPCClient, ORPCError } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, type Connection } from '../../src-main/api/node-client';
import { rendererDir } from '../../src-main/cli/paths';
import type { Core } from '../../src-main/core/core';
import { expectOpenEntries } from '../support/blinding';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';
import { silentLogger } from '../../src-main/log';
import { startServer, type RunningServer } from '../../src-main/server/http-server';
import { writeServerFile } from '../../src-main/server/server-file';
import { measureSignalEfficiency } from '../../src-main/cli/simulators/signal-study';
import { physicsCuts } from '../../src-main/setup/monitoring';
import { MAX_MALFORMED_FRAMES } from '../../src-main/server/ws-guard';
import type { ApiClient } from '../../src-main/shared/api/contract';
import type { LiveEvent } from '../../src-main/shared/api/schemas';
import { SESSION_CLOSE } from '../../src-main/shared/auth';
import { promptsFor } from '../support/prompts';

const codeOf = (e: unknown) => (e instanceof ORPCError ? e.code : String(e));

let TOKEN: string;
let dir: string;
let core: Core;
let sim: SimulatedCore;
let server: RunningServer;
let conn: Connection;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-server-'));
  sim = await openSimulatedCore(dir, { timeScale: 100, seed: 1 });
  core = sim.core;
  TOKEN = core.startToken;
  server = await startServer(core, { host: '127.0.0.1', port: 0, rendererDir: rendererDir(), log: silentLogger() });
  conn = await connect(server.url, TOKEN);
});

afterAll(async () => {
  conn?.close();
  await server?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }, method = 'GET') {
  const res = await fetch(`${server.url}${path}`, { headers, method });
  const type = res.headers.get('content-type') ?? '';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape, checked by the assertions
  const body: any = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, headers: res.headers, body };
}

/** A raw request, so the Host header and the path can be anything (fetch normalises both). */
function raw(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(server.url, { path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(path: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket | null; status: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, { headers });
    ws.once('open', () => resolve({ ws, status: 101 }));
    ws.once('unexpected-response', (_req, res) => resolve({ ws: null, status: res.statusCode ?? 0 }));
    ws.once('error', () => resolve({ ws: null, status: -1 }));
  });
}

describe('HTTP JSON API', () => {
  it('requires the token, by header or query', async () => {
    expect((await get('/api/v1/status', {})).status).toBe(401);
    const wrong = await get('/api/v1/status', { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringMatching(/token/) } });
    expect(wrong.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await get(`/api/v1/status?token=${TOKEN}`, {})).status).toBe(200);
  });

  it('answers unknown routes, bad parameters and writes with clear JSON errors', async () => {
    for (const path of ['/api/v2/status', '/api/v1/nothing', '/api/v1/runs/1/everything', '/api/v1/status/extra', '/api/v1/runs/99999']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body.error.code).toBe('NOT_FOUND');
    }
    for (const path of [
      '/api/v1/runs/abc',
      '/api/v1/runs/0',
      '/api/v1/runs/-1',
      '/api/v1/runs/1e3',
      '/api/v1/runs?limit=100000',
      '/api/v1/spills/1/5000/histograms',
      '/api/v1/spills/1/1/histograms/..%2F..%2Fetc',
      '/api/v1/spills/1/1/histograms/%3Cscript%3E',
      '/api/v1/runs/%E0%A4%A',
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.error.code).toBe('BAD_REQUEST');
    }
    const post = await get('/api/v1/status', { Authorization: `Bearer ${TOKEN}` }, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('exposes Prometheus metrics behind the same token', async () => {
    expect((await get('/metrics', {})).status).toBe(401);
    const m = await get('/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(m.body).toMatch(/^# TYPE na64rc_run_state gauge$/m);
    expect(m.body).toMatch(/^na64rc_run_state\{state="idle"\} [01]$/m);
    expect(m.body).toMatch(/^na64rc_info\{version="[^"]+",setup="invisible-e",site="simulated NA64, invisible mode \(digital twin\)",simulation="true"\} 1$/m);
    // Every device of the site: up, its lifecycle state, reconnects, the age of its last answer.
    expect(m.body).toMatch(/^na64rc_device_state\{device="daq",plugin="na64-daq",state="online"\} 1$/m);
    expect(m.body).toMatch(/^na64rc_device_reconnects_total\{device="hv-iseg-0",plugin="iseg-scpi"\} 0$/m);
    expect(m.body).toMatch(/^na64rc_device_last_seen_seconds\{device="daq",plugin="na64-daq"\} \d/m);
    expect(m.body).toMatch(/^na64rc_monitor_worker_restarts_total 0$/m);
  });

  it('serves the UI with a strict Content-Security-Policy and never a file outside the build', async () => {
    const page = await get('/', {});
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    for (const path of ['/../package.json', '/..%2f..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/%00x', '/%E0%A4%A']) {
      expect(await raw(path, {}), path).toBe(404);
    }
  });

  it('answers only to loopback host names (no DNS rebinding)', async () => {
    expect(await raw(`/api/v1/status?token=${TOKEN}`, { Host: 'evil.example' })).toBe(421);
    expect(await raw(`/api/v1/status?token=${TOKEN}`, { Host: `localhost:${server.port}` })).toBe(200);
  });
});

describe('WebSocket API', () => {
  it('refuses a missing or wrong token, a foreign origin and unknown paths', async () => {
    expect((await openSocket('/rpc')).status).toBe(401);
    expect((await openSocket('/rpc?token=wrong')).status).toBe(401);
    expect((await openSocket(`/rpc?token=${TOKEN}`, { Origin: 'https://evil.example' })).status).toBe(403);
    expect((await openSocket(`/elsewhere?token=${TOKEN}`)).status).toBe(404);
    const ok = await openSocket(`/rpc?token=${TOKEN}`, { Origin: server.url });
    expect(ok.status).toBe(101);
    ok.ws!.close();
  });

  it('answers malformed frames with a typed error and keeps the connection and the server working', async () => {
    const { ws } = await openSocket(`/rpc?token=${TOKEN}`);
    const replies: unknown[] = [];
    ws!.on('message', (data) => replies.push(JSON.parse(String(data))));
    const garbage = ['not json', '{}', '[]', 'null', '{"i":1}', '{"i":1,"p":{"u":42}}', '{"i":{"x":1},"p":{"u":"/status"}}', '"x"'.repeat(1000)];
    for (const frame of garbage) ws!.send(frame);
    ws!.send(Buffer.from([0xff, 0x00, 0x12]), { binary: true });
    await new Promise((r) => setTimeout(r, 200));
    expect(replies).toHaveLength(garbage.length + 1);
    for (const reply of replies) expect(reply).toMatchObject({ error: { code: 'MALFORMED_MESSAGE', message: expect.any(String) } });
    // A well-formed request on the same connection still works.
    ws!.send(JSON.stringify({ i: 'probe', p: { u: '/status' } }));
    await new Promise((r) => setTimeout(r, 200));
    expect(replies.at(-1)).toMatchObject({ i: 'probe' });
    ws!.close();
    expect((await conn.api.status()).setup).toBe('invisible-e');
  });

  it('disconnects a peer that keeps sending garbage', async () => {
    const { ws } = await openSocket(`/rpc?token=${TOKEN}`);
    const closed = new Promise<number>((resolve) => ws!.once('close', (code) => resolve(code)));
    for (let i = 0; i < MAX_MALFORMED_FRAMES; i++) ws!.send('garbage');
    expect(await closed).toBe(1008);
  });

  it('answers invalid input with BAD_REQUEST and unknown things with NOT_FOUND', async () => {
    const bad = await conn.api.run.start({ type: 'party' as never, comment: '' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ORPCError);
    expect((bad as ORPCError<string, unknown>).code).toBe('BAD_REQUEST');
    const long = await conn.api.run.start({ type: 'physics', comment: 'x'.repeat(5000) }).catch((e: unknown) => e);
    expect((long as ORPCError<string, unknown>).code).toBe('BAD_REQUEST');
    expect((long as Error).message).toBe('invalid input: comment: at most 4000 characters');
    expect((bad as Error).message).toMatch(/^invalid input: type: /);
    const missing = await conn.api.runs.get({ run: 4242 }).catch((e: unknown) => e);
    expect((missing as ORPCError<string, unknown>).code).toBe('NOT_FOUND');
    expect((missing as Error).message).toMatch(/run 4242 does not exist/);
  });

  it('runs a run through its states over the API and streams its spills live', async () => {
    const events: LiveEvent[] = [];
    const controller = new AbortController();
    const stream = (async () => {
      try {
        for await (const e of await conn.api.live(undefined, { signal: controller.signal })) events.push(e);
      } catch {
        // aborted at the end of the test
      }
    })();
    while (events.length === 0) await new Promise((r) => setTimeout(r, 10));
    const run = await conn.api.run.start({ type: 'physics', comment: 'api test', prompts: promptsFor('physics') });
    expect(run).toMatchObject({ type: 'physics', startComment: 'api test', end: 'running' });

    const conflict = await conn.api.run.start({ type: 'physics', comment: '' }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(ORPCError);
    expect((conflict as ORPCError<string, { state: string }>).code).toBe('CONFLICT');
    expect((conflict as ORPCError<string, { state: string }>).data).toEqual({ state: 'running' });

    const deadline = Date.now() + 15_000;
    while (!events.some((e) => e.type === 'spill') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const spill = events.find((e): e is Extract<LiveEvent, { type: 'spill' }> => e.type === 'spill');
    expect(spill?.summary).toMatchObject({ run: run.number, spill: 1 });
    expect(spill?.histograms.map((h) => h.name)).toContain('ecal_energy');
    expect(events[0]?.type).toBe('status');

    const refused = await conn.api.run.stop({ reason: '', endReason: 'other' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ORPCError);
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: `cannot stop run ${run.number}: the end reason "other" needs the reason in words` });
    const stopped = await conn.api.run.stop({ reason: 'end of test', endReason: 'test' });
    expect(stopped).toMatchObject({ number: run.number, end: 'ended', stopReason: 'end of test', endReason: 'test' });
    const states = events.flatMap((e) => (e.type === 'status' ? [e.status.run.state] : []));
    expect(states).toEqual(expect.arrayContaining(['starting', 'running', 'stopping', 'idle']));
    controller.abort();
    await stream;

    expect(await conn.api.histograms.list({ run: run.number, spill: 1 })).toEqual(expect.arrayContaining(['ecal_energy', 'ecal_vs_hcal', 'pedestals', 'trigger_rates']));
    const h = await conn.api.histograms.get({ run: run.number, spill: 1, name: 'ecal_energy' });
    expectOpenEntries(h.entries, spill!.summary.eventsProcessed, spill!.summary.daq!.randomTriggers);
  });
});

describe('roles', () => {
  it('the start token is the local administrator', async () => {
    expect(await conn.api.session()).toEqual({ user: core.localUser, role: 'admin', via: 'start-token' });
  });

  it('a viewer may read but not control; a shifter may run; only an admin manages users', async () => {
    const viewer = await conn.api.users.add({ user: 'vera', role: 'viewer' });
    const shifter = await conn.api.users.add({ user: 'sam', role: 'shifter' });
    expect(viewer.token).not.toBe(shifter.token);
    const asViewer = await connect(server.url, viewer.token);
    const asShifter = await connect(server.url, shifter.token);
    try {
      expect(await asViewer.api.session()).toEqual({ user: 'vera', role: 'viewer', via: 'user-token' });
      expect((await asViewer.api.status()).setup).toBe('invisible-e');
      const refused = await asViewer.api.run.start({ type: 'physics', comment: '' }).catch((e: unknown) => e);
      expect((refused as ORPCError<string, unknown>).code).toBe('FORBIDDEN');
      expect((refused as Error).message).toBe('run.control needs the shifter role; vera is viewer');
      expect(core.runControl.state()).toBe('idle');

      const run = await asShifter.api.run.start({ type: 'cosmics', comment: 'by sam' });
      expect(run.type).toBe('cosmics');
      await asShifter.api.run.stop({ reason: '' });
      const noUsers = await asShifter.api.users.add({ user: 'eve', role: 'admin' }).catch((e: unknown) => e);
      expect((noUsers as ORPCError<string, unknown>).code).toBe('FORBIDDEN');

      expect((await get('/api/v1/status', { Authorization: `Bearer ${viewer.token}` })).status).toBe(200);
      const twice = await conn.api.users.add({ user: 'vera', role: 'expert' }).catch((e: unknown) => e);
      expect((twice as ORPCError<string, unknown>).code).toBe('CONFLICT');
      const list = await conn.api.users.list();
      expect(list.map((u) => [u.user, u.role, u.createdBy])).toEqual([
        ['sam', 'shifter', core.localUser],
        ['vera', 'viewer', core.localUser],
      ]);
    } finally {
      asViewer.close();
      asShifter.close();
    }
    // A revoked token opens nothing any more.
    await conn.api.users.revoke({ user: 'vera' });
    expect((await get('/api/v1/status', { Authorization: `Bearer ${viewer.token}` })).status).toBe(401);
    await expect(connect(server.url, viewer.token)).rejects.toThrow(/refused the access token/);
    const again = await conn.api.users.revoke({ user: 'vera' }).catch((e: unknown) => e);
    expect((again as ORPCError<string, unknown>).code).toBe('NOT_FOUND');
    const badName = await conn.api.users.add({ user: '../root', role: 'admin' }).catch((e: unknown) => e);
    expect((badName as ORPCError<string, unknown>).code).toBe('BAD_REQUEST');
  });
});

describe('sessions end with their token', () => {
  /** A WebSocket session as the renderer holds one: the typed client, and how the server closed it. */
  async function session(token: string) {
    const url = new URL('/rpc', server.url.replace(/^http/, 'ws'));
    url.searchParams.set('token', token);
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    return { api: createORPCClient<ApiClient>(new RPCLink({ websocket: ws as unknown as globalThis.WebSocket })), closed, ws };
  }
  /** Another process writing the same database (a second admin tool, a restored file): the server is not told. */
  function behindTheServersBack(sql: string, ...params: unknown[]): void {
    const other = new Database(join(dir, 'na64rc.sqlite'));
    try {
      other.prepare(sql).run(...params);
    } finally {
      other.close();
    }
  }

  it('closes a socket opened before its token was revoked, saying why; its writes go nowhere', async () => {
    const { token } = await conn.api.users.add({ user: 'rita', role: 'shifter' });
    const rita = await session(token);
    expect(await rita.api.session()).toMatchObject({ user: 'rita', role: 'shifter' });
    await conn.api.users.revoke({ user: 'rita' });
    expect(await rita.closed).toEqual({ code: SESSION_CLOSE.revoked, reason: 'your access token was revoked' });
    await expect(rita.api.run.start({ type: 'cosmics', comment: 'after revoke' })).rejects.toThrow();
    expect(core.runControl.state()).toBe('idle');
  });

  it('checks the token on every call: a revocation the server was not told of refuses the next write, then closes', async () => {
    const { token } = await conn.api.users.add({ user: 'tom', role: 'shifter' });
    const tom = await session(token);
    expect(await tom.api.session()).toMatchObject({ user: 'tom', role: 'shifter' });
    behindTheServersBack(`UPDATE access_tokens SET revoked_at = ? WHERE user = 'tom'`, Date.now());
    const refused = await tom.api.run.start({ type: 'cosmics', comment: 'after revoke' }).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('UNAUTHORIZED');
    expect((refused as Error).message).toMatch(/your access token was revoked/);
    expect(core.runControl.state()).toBe('idle');
    expect(await tom.closed).toEqual({ code: SESSION_CLOSE.revoked, reason: 'your access token was revoked' });
  });

  it('closes the sessions of a token whose role changed; they reconnect with the new role', async () => {
    const { token } = await conn.api.users.add({ user: 'ross', role: 'shifter' });
    const ross = await session(token);
    expect(await ross.api.session()).toMatchObject({ role: 'shifter' });
    expect(await conn.api.users.role({ user: 'ross', role: 'viewer' })).toEqual({ user: 'ross', role: 'viewer' });
    expect(await ross.closed).toEqual({ code: SESSION_CLOSE.roleChanged, reason: 'your role changed to viewer: reconnect' });
    const again = await session(token);
    try {
      expect(await again.api.session()).toMatchObject({ user: 'ross', role: 'viewer' });
      expect(codeOf(await again.api.run.start({ type: 'cosmics', comment: '' }).catch((e: unknown) => e))).toBe('FORBIDDEN');
      // Only an admin changes roles, and only of a user with a token.
      expect(codeOf(await again.api.users.role({ user: 'ross', role: 'admin' }).catch((e: unknown) => e))).toBe('FORBIDDEN');
      expect(codeOf(await conn.api.users.role({ user: 'nobody', role: 'admin' }).catch((e: unknown) => e))).toBe('NOT_FOUND');
    } finally {
      again.ws.close();
    }
  });

  it('runs each call with the role the token has now, even when the server was not told of the change', async () => {
    const { token } = await conn.api.users.add({ user: 'uma', role: 'shifter' });
    const uma = await session(token);
    expect(await uma.api.session()).toMatchObject({ role: 'shifter' });
    behindTheServersBack(`UPDATE access_tokens SET role = 'viewer' WHERE user = 'uma'`);
    const refused = await uma.api.run.start({ type: 'cosmics', comment: 'as a viewer now' }).catch((e: unknown) => e);
    expect(codeOf(refused)).toBe('FORBIDDEN');
    expect((refused as Error).message).toBe('run.control needs the shifter role; uma is viewer');
    expect(core.runControl.state()).toBe('idle');
    expect(await uma.closed).toEqual({ code: SESSION_CLOSE.roleChanged, reason: 'your role changed to viewer: reconnect' });
  });
});

describe('signal efficiency from signal Monte Carlo', () => {
  it('records what `na64rc signal-efficiency --record` measured (expert), serves the newest per mass, refuses other cuts, another setup and a viewer', async () => {
    // The CLI finds the server through server.json in its data directory, as `ctl` does.
    const cliDir = mkdtempSync(join(tmpdir(), 'na64rc-eff-'));
    writeServerFile(cliDir, { url: server.url, port: 0, pid: process.pid, token: TOKEN, version: 'test', startedAt: Date.now(), dataDir: dir, setup: 'invisible-e', site: '', simulation: true });
    const lines: string[] = [];
    try {
      await measureSignalEfficiency({ setup: 'invisible-e', mass: [1, 100], events: 500, seed: 9, record: true, data: cliDir, json: false }, (l) => lines.push(l));
    } finally {
      rmSync(cliDir, { recursive: true, force: true });
    }
    expect(lines.at(-1)).toMatch(/^recorded 2 measurements on the server/);
    const listed = await conn.api.dq.signalEfficiency.list();
    expect(listed.map((m) => m.massMeV)).toEqual([1, 100]);
    for (const m of listed) {
      expect(m.generated).toBe(500);
      expect(m.efficiency).toBeCloseTo(m.selected / 500, 12);
      expect(lines.some((l) => l.startsWith(`m_A′ ${m.massMeV} MeV: 500 generated, ${m.triggered} triggered, ${m.selected} selected`))).toBe(true);
    }
    // A newer measurement at a mass replaces the older one in the list.
    const cuts = physicsCuts(core.setup);
    const newer = await conn.api.dq.signalEfficiency.record({ setup: 'invisible-e', massMeV: 100, generated: 1000, triggered: 400, selected: 300, method: 'by hand', cuts });
    expect((await conn.api.dq.signalEfficiency.list()).find((m) => m.massMeV === 100)).toMatchObject({ id: newer.id, efficiency: 0.3 });
    expect((await get('/api/v1/dq/signal-efficiency')).body).toHaveLength(2);
    // The Reach view's curves use it, by mass, and say so.
    const reach = await conn.api.dq.reach({});
    expect(reach.efficiency).toMatchObject({ measured: true, value: Math.min(...(await conn.api.dq.signalEfficiency.list()).map((m) => m.efficiency)) });
    expect(reach.efficiency.source).toMatch(/1 MeV: .*100 MeV: 30\.0 %/);

    const otherCuts = await conn.api.dq.signalEfficiency.record({ setup: 'invisible-e', massMeV: 5, generated: 10, triggered: 5, selected: 1, method: 'x', cuts: { ...cuts, signal: { mode: 'missing-energy', ecalBelowGeV: 40 } } }).catch((e: unknown) => e);
    expect(codeOf(otherCuts)).toBe('CONFLICT');
    expect((otherCuts as Error).message).toMatch(/signal.ecalBelowGeV is 40 there, 50 here/);
    const otherSetup = await conn.api.dq.signalEfficiency.record({ setup: 'muon', massMeV: 5, generated: 10, triggered: 5, selected: 1, method: 'x', cuts }).catch((e: unknown) => e);
    expect((otherSetup as Error).message).toMatch(/this server runs invisible-e/);
    const impossible = await conn.api.dq.signalEfficiency.record({ setup: 'invisible-e', massMeV: 5, generated: 10, triggered: 5, selected: 6, method: 'x', cuts }).catch((e: unknown) => e);
    expect(codeOf(impossible)).toBe('BAD_REQUEST');
    const viewer = await conn.api.users.add({ user: 'vic', role: 'viewer' });
    const asViewer = await connect(server.url, viewer.token);
    try {
      expect(codeOf(await asViewer.api.dq.signalEfficiency.record({ setup: 'invisible-e', massMeV: 5, generated: 10, triggered: 5, selected: 1, method: 'x', cuts }).catch((e: unknown) => e))).toBe('FORBIDDEN');
      expect(await asViewer.api.dq.signalEfficiency.list()).toHaveLength(2);
    } finally {
      asViewer.close();
    }
  });
});
