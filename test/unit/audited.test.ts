// The audit middleware on its own, over a real SQLite file: one row per call whatever its end (done, refused
// by the API, broken), where it came from (the desktop window, a browser or a script with its address,
// in-process), the outcome read from the answer, and no row for a call that is no control action.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORPCError } from '@orpc/server';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ApiContext } from '../../src-main/api/implementer';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { audited, type AuditSpec } from '../../src-main/audit/audited';
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
