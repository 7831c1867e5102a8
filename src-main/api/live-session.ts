// A connection lives longer than the rights it was opened with: a token can be revoked or given another
// role while its WebSocket stays open. Every call therefore runs as the session the token opens at that
// moment, never as the one it opened at the upgrade; a revoked token's call is refused before it reaches
// the router.
import { ORPCError } from '@orpc/server';
import type { ApiContext } from './implementer';

interface InterceptorOptions {
  context: ApiContext;
  /** The RPC request: its URL's path is the procedure's ("/run/start"). */
  request?: { url: URL };
  next(options?: unknown): Promise<unknown>;
}

/** "run.start" from an RPC request's URL ("/run/start"); undefined when there is none. */
function procedureOf(url: URL | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return url.pathname.split('/').filter(Boolean).map(decodeURIComponent).join('.').slice(0, 200);
  } catch {
    return url.pathname.slice(0, 200);
  }
}

/** Handler interceptor: replace the context's session with the current one, or refuse (UNAUTHORIZED). */
export function liveSession<T extends InterceptorOptions, R>(options: T): Promise<R> {
  const { context } = options;
  if (!context.reauthenticate) return options.next() as Promise<R>;
  const session = context.reauthenticate(procedureOf(options.request?.url));
  if (!session) throw new ORPCError('UNAUTHORIZED', { message: 'your access token was revoked; ask an administrator for a new one' });
  return options.next({ ...options, context: { ...context, session } }) as Promise<R>;
}
