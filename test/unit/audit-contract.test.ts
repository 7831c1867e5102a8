// The audit's contract, checked on the router itself rather than on a list kept by hand: every procedure whose
// middleware chain holds a role check (`requires(…)`, src-main/api/implementer.ts) has the audit middleware
// (`audited(…)`, src-main/audit/audited.ts) in its chain BEFORE that check, so a refused call is recorded too.
// Both middlewares carry a mark (a symbol property) on the very function oRPC keeps in the procedure's
// `~orpc.middlewares`; the test reads those marks. A new control action without the audit fails here with its
// path. The few procedures behind a role check that are no control action are named below, each with why.
import { isLazy, isProcedure, ORPCError } from '@orpc/server';
import { describe, expect, it } from 'vitest';
import { os, REQUIRES, requires } from '../../src-main/api/implementer';
import { createRouter } from '../../src-main/api/router';
import { AUDITED, audited, type AuditMark } from '../../src-main/audit/audited';
import type { AuditTrail } from '../../src-main/audit/audit-trail';
import type { Core } from '../../src-main/core/core';
import type { Permission } from '../../src-main/shared/auth';

/**
 * Behind a role check but no control action. A read: it changes nothing. The logbook's own writing: an
 * entry, a reply, an attachment, the shift summary and a thread's open/closed state are the logbook's record
 * itself, with author and time, revisions kept (README: "the author fixing their own fresh entry is writing,
 * not audited"); amending what the author may no longer change is audited (`logbook.edit`).
 */
const NOT_CONTROL_ACTIONS: Record<string, string> = {
  'users.list': 'a read: the tokens and their roles, shown to administrators only',
  'logbook.write': 'writing the logbook: the entry is the record',
  'logbook.upload': 'an attachment of an entry being written',
  'logbook.summary': 'the shift summary is a logbook entry',
  'logbook.setThreadState': 'a thread marked open or closed: the logbook keeps it with the thread',
};

/** Control actions whose role is checked inside their service (so the supply's refusals are audited per channel). */
const ROLE_CHECKED_INSIDE = ['hv.command', 'hv.snapshots.restore'];

interface Chain {
  path: string;
  /** The marks of the chain's middlewares in order: 'audited' or the permission a role check needs (null: neither). */
  marks: (string | null)[];
}

type Marked = { [AUDITED]?: AuditMark; [REQUIRES]?: Permission };

/** Every procedure of a router, with its middleware chain's marks. */
function chains(router: unknown, prefix: string[] = []): Chain[] {
  if (isLazy(router)) throw new Error(`${prefix.join('.')} is a lazy router: the contract test cannot see its procedures`);
  if (isProcedure(router)) {
    const marks = router['~orpc'].middlewares.map((m) => {
      const marked = m as Marked;
      return marked[AUDITED] !== undefined ? 'audited' : (marked[REQUIRES] ?? null);
    });
    return [{ path: prefix.join('.'), marks }];
  }
  if (typeof router !== 'object' || router === null) return [];
  return Object.entries(router).flatMap(([key, value]) => chains(value, [...prefix, key]));
}

/** The procedures that break the contract, each with why. */
function unaudited(router: unknown, exempt: Record<string, string> = NOT_CONTROL_ACTIONS): string[] {
  const bad: string[] = [];
  for (const { path, marks } of chains(router)) {
    const check = marks.findIndex((m) => m !== null && m !== 'audited');
    if (check < 0 || path in exempt) continue;
    const audit = marks.indexOf('audited');
    if (audit < 0) bad.push(`${path}: requires ${marks[check]} but is not audited`);
    else if (audit > check) bad.push(`${path}: audited after its role check (${marks[check]}): a refused call leaves no row`);
  }
  return bad;
}

/**
 * A core that is never run: the router's parts read services from it when they are built (`core.hv`,
 * `core.setup.name` …) and call them only when a procedure is called, which this test never does.
 */
function inertCore(): Core {
  const inert: object = new Proxy(function inert() {}, {
    get: (_target, key) => (key === Symbol.toPrimitive ? () => 'inert' : key === 'then' ? undefined : inert),
    apply: () => inert,
  });
  return inert as Core;
}

const router = createRouter(inertCore());
const trail = {} as AuditTrail;

describe('the audit contract: every control action is audited before its role check', () => {
  it('finds the procedures of the whole router, role checks and audits among them', () => {
    const all = chains(router);
    expect(all.length).toBeGreaterThan(100);
    const marked = (m: string) => all.filter((c) => c.marks.includes(m)).map((c) => c.path);
    expect(marked('audited')).toEqual(expect.arrayContaining(['run.start', 'run.stop', 'hv.command', 'alarms.acknowledge', 'users.add']));
    expect(marked('run.control')).toEqual(expect.arrayContaining(['run.start', 'run.stop']));
  });

  it('has no procedure behind a role check that is not audited before it', () => {
    expect(unaudited(router)).toEqual([]);
  });

  it('audits the control actions whose role their service checks', () => {
    const audited = new Map(chains(router).map((c) => [c.path, c.marks.includes('audited')]));
    expect(ROLE_CHECKED_INSIDE.map((p) => [p, audited.get(p)])).toEqual(ROLE_CHECKED_INSIDE.map((p) => [p, true]));
  });

  it('exempts only procedures that exist and still have a role check (no stale exemption)', () => {
    const guarded = new Set(chains(router).filter((c) => c.marks.some((m) => m !== null && m !== 'audited')).map((c) => c.path));
    expect(Object.keys(NOT_CONTROL_ACTIONS).filter((p) => !guarded.has(p))).toEqual([]);
  });

  it('cannot be fooled: an unaudited control action, or one audited after its role check, is named', () => {
    const handler = () => {
      throw new ORPCError('NOT_IMPLEMENTED');
    };
    const spec = { domain: 'run' as const, action: 'start', about: () => ({ target: 'x' }) };
    // Procedures built as the domains build theirs (a part of the router, not the whole contract).
    const bad = {
      run: {
        start: os.run.start.use(requires('run.control')).handler(handler),
        stop: os.run.stop.use(requires('run.control')).use(audited(trail, spec)).handler(handler),
      },
      sim: { fault: os.sim.fault.use(audited(trail, spec)).use(requires('sim.fault')).handler(handler) },
      status: os.status.handler(handler),
    };
    expect(unaudited(bad)).toEqual([
      'run.start: requires run.control but is not audited',
      'run.stop: audited after its role check (run.control): a refused call leaves no row',
    ]);
    // Mixed into the real router, found by its path.
    expect(unaudited({ ...router, extra: bad.run })).toEqual(['extra.start: requires run.control but is not audited', expect.stringMatching(/^extra\.stop: audited after/)]);
  });
});
