// The audit middleware on its own, over a real SQLite file: one row per call whatever its end (done, refused
// by the API, broken), where it came from (the desktop window, a browser or a script with its address,
// in-process), the outcome read from the answer, and no row for a call that is no control action. Then the
// attempts refused before any action (no valid token, a revoked one), one row per source a minute.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORPCError } from '@orpc/server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { ApiContext } from '../../src-main/api/implementer';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { AccessRefusals, audited, type AuditSpec, type RefusedAccess } from '../../src-main/audit/audited';
import { liveSession } from '../../src-main/api/live-session';
import { silentLogger } from '../../src-main/log';
import { SessionSockets } from '../../src-main/server/session-sockets';
import { AuditTrail } from '../../src-main/audit/audit-trail';

let dir: string;
let db: Db;
let trail: AuditTrail;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-audited-'));
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  trail = new AuditTrail(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

type Input = { channel: string; value: number; reason: string };
const spec: AuditSpec<Input, { refused: string | null }> = {
  domain: 'hv',
  action: 'set vset',
  about: (input) => (input.channel === 'none' ? null : { target: input.channel, old: '1100', new: String(input.value), reason: input.reason }),
  outcome: (answer) => (answer.refused ? { result: 'refused', detail: answer.refused } : {}),
};

/** Run the middleware as oRPC would, the procedure being `procedure`. */
async function call(context: ApiContext, input: Input, procedure: () => Promise<{ refused: string | null }>) {
  const middleware = audited(trail, spec) as unknown as (o: unknown, input: Input) => Promise<{ output: unknown }>;
  return middleware({ context, next: async () => ({ output: await procedure(), context: {} }) }, input);
}

const window: ApiContext = { session: { user: 'ops', role: 'admin', via: 'shell' } };
const browser: ApiContext = { session: { user: 'sam', role: 'shifter', via: 'user-token' }, client: 'browser', address: '127.0.0.1' };
const script: ApiContext = { session: { user: 'eve', role: 'expert', via: 'user-token' }, client: 'cli', address: '::1' };
const inProcess: ApiContext = { session: { user: 'ops', role: 'admin', via: 'start-token' } };

it('writes one row per call: done, refused by the API, refused by the answer, broken; from where it came', async () => {
  await call(window, { channel: 'S0', value: 1750, reason: 'plateau' }, async () => ({ refused: null }));
  const forbidden = new ORPCError('FORBIDDEN', { message: 'hv.set needs the expert role; sam is shifter' });
  await expect(call(browser, { channel: 'S0', value: 1800, reason: '' }, () => Promise.reject(forbidden))).rejects.toBe(forbidden);
  await call(script, { channel: 'S0', value: 99_999, reason: 'typo' }, async () => ({ refused: 'S0: must be between 0 and 3000' }));
  await expect(call(inProcess, { channel: 'S0', value: 1700, reason: '' }, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
  await call(script, { channel: 'none', value: 0, reason: '' }, async () => ({ refused: null }));

  const rows = trail.list({ limit: 10, offset: 0 }).entries.reverse();
  expect(rows.map((r) => [r.user, r.role, r.via, r.address, r.domain, r.action, r.target, r.old, r.new, r.reason, r.result, r.detail])).toEqual([
    ['ops', 'admin', 'window', null, 'hv', 'set vset', 'S0', '1100', '1750', 'plateau', 'ok', ''],
    ['sam', 'shifter', 'browser', '127.0.0.1', 'hv', 'set vset', 'S0', '1100', '1800', '', 'refused', 'hv.set needs the expert role; sam is shifter'],
    ['eve', 'expert', 'cli', '::1', 'hv', 'set vset', 'S0', '1100', '99999', 'typo', 'refused', 'S0: must be between 0 and 3000'],
    ['ops', 'admin', 'server', null, 'hv', 'set vset', 'S0', '1100', '1700', '', 'failed', 'disk full'],
  ]);
});

it('reads the old value before the action runs', async () => {
  let value = 1100;
  const reading: AuditSpec<Input, unknown> = { domain: 'hv', action: 'set vset', about: (input) => ({ target: input.channel, old: String(value), new: String(input.value) }) };
  const middleware = audited(trail, reading) as unknown as (o: unknown, input: Input) => Promise<unknown>;
  await middleware({ context: window, next: async () => ((value = 1200), { output: null, context: {} }) }, { channel: 'S0', value: 1200, reason: '' });
  expect(trail.list({ limit: 1, offset: 0 }).entries[0]).toMatchObject({ old: '1100', new: '1200' });
});

it('still writes a row when the description itself breaks, and lets the action run', async () => {
  const broken: AuditSpec<Input, unknown> = {
    domain: 'hv',
    action: 'set vset',
    about: () => {
      throw new Error('no such channel table');
    },
  };
  const middleware = audited(trail, broken) as unknown as (o: unknown, input: Input) => Promise<{ output: unknown }>;
  const done = await middleware({ context: window, next: async () => ({ output: 'done', context: {} }) }, { channel: 'S0', value: 1, reason: '' });
  expect(done.output).toBe('done');
  expect(trail.list({ limit: 1, offset: 0 }).entries[0]).toMatchObject({ target: '? (not described: no such channel table)', result: 'ok' });
});

describe('access refused before any action', () => {
  const attempt = (address: string | null, o: Partial<RefusedAccess> = {}): RefusedAccess => ({
    via: 'cli',
    address,
    user: null,
    role: null,
    action: 'connect',
    target: '/rpc',
    detail: 'the access token opens no session',
    ...o,
  });
  const rows = () => trail.list({ limit: 100, offset: 0 }).entries.reverse();

  it('writes the first attempt of a source, then those it held back in a minute as one row', () => {
    let now = Date.parse('2026-12-07T10:00:00Z');
    const refusals = new AccessRefusals(trail, { windowMs: 60_000, maxSources: 100, now: () => now });
    for (let i = 0; i < 1001; i++) refusals.record(attempt('10.0.0.7')); // a script guessing tokens
    refusals.record(attempt('10.0.0.8'));
    refusals.record(attempt('10.0.0.7', { action: 'request', target: '/api/v1/runs', detail: 'no access token' }));
    now += 59_999;
    refusals.record(attempt('10.0.0.7', { detail: 'no access token' }));
    expect(rows()).toHaveLength(3);
    now += 1;
    refusals.flush();
    refusals.record(attempt('10.0.0.7'));
    expect(rows().map((r) => [r.user, r.role, r.via, r.address, r.domain, r.action, r.target, r.result, r.detail])).toEqual([
      ['(no valid token)', 'viewer', 'cli', '10.0.0.7', 'access', 'connect', '/rpc', 'refused', 'the access token opens no session'],
      ['(no valid token)', 'viewer', 'cli', '10.0.0.8', 'access', 'connect', '/rpc', 'refused', 'the access token opens no session'],
      ['(no valid token)', 'viewer', 'cli', '10.0.0.7', 'access', 'request', '/api/v1/runs', 'refused', 'no access token'],
      ['(no valid token)', 'viewer', 'cli', '10.0.0.7', 'access', 'connect', '/rpc', 'refused', '1001 more refused since 2026-12-07T10:00:00.000Z, the last: no access token'],
      ['(no valid token)', 'viewer', 'cli', '10.0.0.7', 'access', 'connect', '/rpc', 'refused', 'the access token opens no session'],
    ]);
  });

  it('keeps the sources it follows bounded: past the limit the others share one window', () => {
    let now = 0;
    const refusals = new AccessRefusals(trail, { windowMs: 60_000, maxSources: 3, now: () => now });
    for (let i = 0; i < 50; i++) refusals.record(attempt(`10.0.1.${i}`));
    // Three sources of their own, the fourth opens the shared window, which holds the 46 others back.
    expect(rows().map((r) => r.address)).toEqual(['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.3']);
    now += 60_000;
    refusals.record(attempt('10.0.2.1'));
    expect(rows().slice(4).map((r) => [r.address, r.detail])).toEqual([
      ['10.0.1.49', '46 more refused from many sources since 1970-01-01T00:00:00.000Z, the last: the access token opens no session'],
      ['10.0.2.1', 'the access token opens no session'],
    ]);
  });

  it('records a call on a connection whose token was revoked, with the user it was and the procedure asked for', async () => {
    const seen: RefusedAccess[] = [];
    let valid = true;
    const tokens = { session: () => (valid ? { user: 'rex', role: 'shifter' as const, via: 'user-token' as const } : null) };
    const sockets = new SessionSockets(tokens, silentLogger(), (r) => seen.push(r));
    const ws = { on: () => undefined, close: () => undefined } as unknown as WebSocket;
    const peer = { addEventListener: () => undefined, send: () => undefined };
    const { context } = sockets.add(ws, peer, 't0k3n', tokens.session()!, 'browser', '192.168.1.20');
    const call = (path: string) => liveSession({ context, request: { url: new URL(`http://orpc${path}`) }, next: async () => 'done' });
    await expect(call('/run/start')).resolves.toBe('done');
    valid = false;
    expect(() => call('/hv/command')).toThrow('your access token was revoked');
    expect(seen).toEqual([{ via: 'browser', address: '192.168.1.20', user: 'rex', role: 'shifter', action: 'call', target: 'hv.command', detail: 'the access token was revoked' }]);
  });
});
