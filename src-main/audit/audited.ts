// The one way a control action reaches the audit trail: an oRPC middleware on the action's procedure, put
// BEFORE its role check (`.use(audited(…)).use(requires(…))`), so that a call the role refuses, one the state
// refuses (a start while a run is on) and one that breaks are recorded as surely as one that succeeds. The
// window, browser pages and `na64rc ctl` all call the same procedures, so none of them can act unaudited.
// Attempts refused before any procedure runs (no valid token, another origin, a revoked token) come through
// AccessRefusals below, bounded per source, and calls whose input the contract refused (validated before
// any middleware) through auditRefusedInput: this file is the one way into the audit trail.
import { ValidationError } from '@orpc/contract';
import { ORPCError } from '@orpc/server';
import { os, type ApiContext } from '../api/implementer';
import type { AuditDomain, AuditVia } from '../shared/api/audit';
import type { Role } from '../shared/auth';
import type { AuditRecord, AuditTrail } from './audit-trail';

/** What an action is about, known before it runs: its target, the value it changes and the value it sets. */
export interface AuditAbout {
  /** The action when it depends on the input ("set vset", "switch off"); the spec's otherwise. */
  action?: string;
  target: string;
  old?: string | null;
  new?: string | null;
  reason?: string;
}

/** What the action turned out to be once it returned (an HV write a supply refused returns, but is refused). */
export type AuditOutcome = Partial<Pick<AuditRecord, 'target' | 'new' | 'result' | 'detail'>>;

export interface AuditSpec<I, O> {
  domain: AuditDomain;
  action: string;
  /** Read before the action (the old value is the one it replaces); null: this call is no control action. */
  about(input: I, context: ApiContext): AuditAbout | null;
  outcome?(output: O, about: AuditAbout): AuditOutcome;
}

/** Where the call came from: the desktop window, a browser page or a script (with its address), or in-process. */
export function whereFrom(context: ApiContext): { via: AuditVia; address: string | null } {
  if (context.session.via === 'shell') return { via: 'window', address: null };
  return { via: context.client ?? 'server', address: context.address ?? null };
}

/** A refusal is the API saying no (a 4xx: role, state, limits, unknown target); anything else failed. */
export function refusalOf(error: unknown): { result: 'refused' | 'failed'; detail: string } {
  const detail = error instanceof Error ? error.message : String(error);
  return { result: error instanceof ORPCError && error.status < 500 ? 'refused' : 'failed', detail };
}

/** The spec's description; one that throws (a lookup that broke) still leaves a row, saying so, and the action goes on. */
function describe<I, O>(spec: AuditSpec<I, O>, input: I, context: ApiContext): AuditAbout | null {
  try {
    return spec.about(input, context);
  } catch (error) {
    return { target: `? (not described: ${error instanceof Error ? error.message : String(error)})` };
  }
}

/**
 * The mark this middleware carries in a procedure's oRPC middleware chain (`~orpc.middlewares`): the contract
 * test (test/unit/audit-contract.test.ts) walks the router and fails on a control action without it.
 */
export const AUDITED = Symbol.for('na64rc.audited');

export function audited<I, O>(trail: AuditTrail, spec: AuditSpec<I, O>) {
  const middleware = os.middleware(async ({ context, next }, input: I) => {
    const about = describe(spec, input, context);
    if (!about) return next();
    const { user, role } = context.session;
    const row = (end: AuditOutcome): AuditRecord => ({
      at: Date.now(),
      user,
      role,
      ...whereFrom(context),
      domain: spec.domain,
      action: about.action ?? spec.action,
      target: about.target,
      old: about.old ?? null,
      new: about.new ?? null,
      reason: about.reason ?? '',
      result: 'ok',
      detail: '',
      ...end,
    });
    let done;
    try {
      done = await next();
    } catch (error) {
      trail.record(row(refusalOf(error)));
      throw error;
    }
    trail.record(row(spec.outcome?.(done.output as O, about) ?? {}));
    return done;
  });
  const mark: AuditMark = { domain: spec.domain, action: spec.action };
  return Object.assign(middleware, { [AUDITED]: mark });
}

/** What the audit mark of a procedure's middleware says: the domain and the action of the procedure. */
export interface AuditMark {
  domain: AuditDomain;
  action: string;
}

/** Caused by oRPC's input validation (the error, or one it was rewritten into, has a ValidationError as cause). */
function inputRefused(error: unknown): boolean {
  if (!(error instanceof ORPCError) || error.code !== 'BAD_REQUEST') return false;
  let cause: unknown = error;
  for (let depth = 0; cause && depth < 4; depth++, cause = (cause as { cause?: unknown }).cause) if (cause instanceof ValidationError) return true;
  return false;
}

interface ClientCall {
  procedure: { '~orpc': { middlewares: readonly unknown[] } };
  path: readonly string[];
  context: ApiContext;
  next(): Promise<unknown>;
}

/**
 * oRPC validates a call's input before any middleware runs, so a control action whose input the contract
 * refuses (a malformed or out-of-range value) never reaches its `audited` middleware. This client interceptor
 * of the RPC handlers records such a call as refused, in the domain and action of the audit mark the
 * procedure carries (a procedure without the mark is no control action: nothing is written).
 */
export function auditRefusedInput(trail: AuditTrail) {
  return async ({ procedure, path, context, next }: ClientCall): Promise<unknown> => {
    try {
      return await next();
    } catch (error) {
      const mark = procedure['~orpc'].middlewares.map((m) => (m as { [AUDITED]?: AuditMark })[AUDITED]).find((m) => m !== undefined);
      if (mark && inputRefused(error)) {
        const { user, role } = context.session;
        const detail = error instanceof Error ? error.message : String(error);
        trail.record({ at: Date.now(), user, role, ...whereFrom(context), domain: mark.domain, action: mark.action, target: path.join('.'), old: null, new: null, reason: '', result: 'refused', detail });
      }
      throw error;
    }
  };
}

/**
 * An attempt refused before any procedure runs, so no `audited` middleware sees it: a WebSocket or an API
 * request without a valid token, a page of another origin, a call on a connection whose token was revoked.
 */
export interface RefusedAccess {
  via: AuditVia;
  address: string | null;
  /** Known when a revoked or changed token's connection calls; null: no token, or one that opens nothing. */
  user: string | null;
  role: Role | null;
  /** "connect", "request", "call". */
  action: string;
  /** The endpoint or the procedure ("/rpc", "/api/v1/runs", "run.start"). */
  target: string;
  /** Why it was refused, as the client was told. */
  detail: string;
}

/** A source's window: when it opened (its first attempt written), the attempts held back since, the last of them. */
interface Window {
  since: number;
  held: number;
  last: RefusedAccess | null;
}

/**
 * Refused access into the audit trail, bounded: per source (the client's address, the kind of attempt, and
 * the user when a revoked token's connection is known) the first attempt of a window (a minute) is a row,
 * and the attempts held back in that window are one more row when it closes ("1000 more refused since
 * 10:02:07"): a script guessing tokens in a loop, or a page hammering the API, leaves at most two rows a
 * minute, and its trace. At most `maxSources` sources are followed; past that one shared window takes the
 * others. `flush` closes the windows that are over (`record` does too; the server also calls it every minute
 * and when it stops). Who is unknown without a token: the row's user is "(no valid token)" and its role
 * viewer, the most an unauthenticated client could be.
 */
export class AccessRefusals {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly trail: AuditTrail,
    private readonly o: { windowMs: number; maxSources: number; now: () => number } = { windowMs: 60_000, maxSources: 1000, now: Date.now },
  ) {}

  record(r: RefusedAccess): void {
    const at = this.o.now();
    this.close(at, false);
    const key = this.sourceOf(r);
    const open = this.windows.get(key);
    if (open) {
      open.held++;
      open.last = r;
      return;
    }
    this.windows.set(key, { since: at, held: 0, last: null });
    this.write(r, at, r.detail);
  }

  /** Close the windows that are over (`all`: every window, when the server stops): those that held attempts back write them as one row. */
  flush(all = false): void {
    this.close(this.o.now(), all);
  }

  private close(at: number, all: boolean): void {
    for (const [key, w] of this.windows) {
      if (!all && at - w.since < this.o.windowMs) continue;
      this.windows.delete(key);
      if (w.last) this.write(w.last, at, `${w.held} more refused${key === SHARED ? ' from many sources' : ''} since ${new Date(w.since).toISOString()}, the last: ${w.last.detail}`);
    }
  }

  private write(r: RefusedAccess, at: number, detail: string): void {
    this.trail.record({
      at,
      user: r.user ?? '(no valid token)',
      role: r.role ?? 'viewer',
      via: r.via,
      address: r.address,
      domain: 'access',
      action: r.action,
      target: r.target,
      old: null,
      new: null,
      reason: '',
      result: 'refused',
      detail,
    });
  }

  /** The source's key, or the shared one once `maxSources` windows are open. */
  private sourceOf(r: RefusedAccess): string {
    const key = `${r.address ?? `(${r.via})`} ${r.action}${r.user === null ? '' : ` ${r.user}`}`;
    return this.windows.has(key) || this.windows.size < this.o.maxSources ? key : SHARED;
  }
}

const SHARED = '*';
