// Options both transports' RPC handlers share, so the WebSocket and the Electron MessagePort behave alike.
import { ORPCError } from '@orpc/server';
import type { Logger } from '../log';
import type { AuditTrail } from '../audit/audit-trail';
import { auditRefusedInput } from '../audit/audited';
import { liveSession } from './live-session';

interface Issue {
  path?: readonly (PropertyKey | { key: PropertyKey })[];
  message: string;
}

/** "run.type: Invalid option…; comment: at most 4000 characters": what was wrong, for a person to fix. */
export function describeIssues(issues: readonly Issue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => {
      const path = (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

/** `audit`: where a control action whose input the contract refused is recorded (before any middleware could). */
export function rpcHandlerOptions(log: Logger, audit?: AuditTrail) {
  return {
    interceptors: [liveSession],
    clientInterceptors: [
      // First, so that it sees the refusal as the caller does (the sentence the next one makes of the issues).
      ...(audit ? [auditRefusedInput(audit)] : []),
      async ({ next }: { next: () => Promise<unknown> }) => {
        try {
          return await next();
        } catch (error) {
          // oRPC says only "Input validation failed"; the issues say what to fix.
          const issues = (error as ORPCError<string, { issues?: Issue[] }>)?.data?.issues;
          if (error instanceof ORPCError && error.code === 'BAD_REQUEST' && Array.isArray(issues)) {
            throw new ORPCError('BAD_REQUEST', {
              message: `invalid input: ${describeIssues(issues)}`,
              data: error.data,
              defined: error.defined,
              cause: error,
            });
          }
          if (!(error instanceof ORPCError)) log.error({ err: error }, 'API handler failed');
          throw error;
        }
      },
    ],
  };
}
