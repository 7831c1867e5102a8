// A connection lives longer than the rights it was opened with: a token can be revoked or given another
// role while its WebSocket stays open. Every call therefore runs as the session the token opens at that
// moment, never as the one it opened at the upgrade; a revoked token's call is refused before it reaches
// the router.
import { ORPCError } from '@orpc/server';
import type { ApiContext } from './implementer';

interface InterceptorOptions {
  context: ApiContext;
  next(options?: unknown): Promise<unknown>;
}

/** Handler interceptor: replace the context's session with the current one, or refuse (UNAUTHORIZED). */
export function liveSession<T extends InterceptorOptions, R>(options: T): Promise<R> {
  const { context } = options;
  if (!context.reauthenticate) return options.next() as Promise<R>;
  const session = context.reauthenticate();
  if (!session) throw new ORPCError('UNAUTHORIZED', { message: 'your access token was revoked; ask an administrator for a new one' });
  return options.next({ ...options, context: { ...context, session } }) as Promise<R>;
}
