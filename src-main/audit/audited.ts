// The one way a control action reaches the audit trail: an oRPC middleware on the action's procedure, put
// BEFORE its role check (`.use(audited(…)).use(requires(…))`), so that a call the role refuses, one the state
// refuses (a start while a run is on) and one that breaks are recorded as surely as one that succeeds. The
// window, browser pages and `na64rc ctl` all call the same procedures, so none of them can act unaudited.
import { ORPCError } from '@orpc/server';
import { os, type ApiContext } from '../api/implementer';
import type { AuditDomain, AuditVia } from '../shared/api/audit';
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
  return Object.assign(middleware, { [AUDITED]: spec.domain });
}
