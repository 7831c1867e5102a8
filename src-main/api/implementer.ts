// The contract's implementer with the per-connection context, and the role check every command uses.
import { implement, ORPCError } from '@orpc/server';
import { allowed, PERMISSIONS, type Permission, type Session } from '../shared/auth';
import { contract } from '../shared/api/contract';
import type { RunActor } from '../shared/api/schemas';

export interface ApiContext {
  session: Session;
  /**
   * The session the connection's token opens now, asked again before every call (null: the token was
   * revoked); absent where the session cannot change (the desktop window's). See live-session.ts. `procedure`:
   * the path of the call asked for ("run.start"), what a refused call's audit row names.
   */
  reauthenticate?: (procedure?: string) => Session | null;
  /** The kind of client on a WebSocket, as its upgrade showed it: a browser page sends an Origin, a program does not. */
  client?: 'browser' | 'cli';
  /** The client's network address on a WebSocket (what the audit trail records as where an action came from). */
  address?: string;
}

/** Who is acting, as run records keep it: the user, the role, and the kind of client when the connection says it. */
export function actorOf(context: ApiContext): RunActor {
  const { session } = context;
  return { user: session.user, role: session.role, via: session.via === 'shell' ? 'window' : (context.client ?? null) };
}

export const os = implement(contract).$context<ApiContext>();

/** The mark of a role check in a procedure's oRPC middleware chain: its permission (read by the audit's contract test). */
export const REQUIRES = Symbol.for('na64rc.requires');

/** Middleware: the caller's role must allow `permission`, else FORBIDDEN with a sentence saying why. */
export function requires(permission: Permission) {
  const middleware = os.middleware(async ({ context, next }) => {
    if (!allowed(context.session.role, permission)) {
      throw new ORPCError('FORBIDDEN', {
        message: `${permission} needs the ${PERMISSIONS[permission]} role; ${context.session.user} is ${context.session.role}`,
      });
    }
    return next();
  });
  return Object.assign(middleware, { [REQUIRES]: permission });
}
