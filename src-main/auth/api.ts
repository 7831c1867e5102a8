// Sessions and users in the API. Every change to users and their tokens is audited (src-main/audit).
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import { UserExistsError } from './access-tokens';

export function authRouter(core: Core) {
  /** The role of the user's active token before the change (null: none). */
  const roleOf = (user: string) => core.tokens.list().find((t) => t.user === user && t.revokedAt === null)?.role ?? null;
  return {
    session: os.session.handler(({ context }) => context.session),
    users: {
      list: os.users.list.use(requires('users.manage')).handler(() => core.tokens.list()),
      add: os.users.add
        .use(audited(core.audit, { domain: 'users', action: 'add token', about: (input) => ({ target: input.user, old: roleOf(input.user), new: input.role }) }))
        .use(requires('users.manage'))
        .handler(({ input, context, errors }) => {
          try {
            return { ...input, token: core.tokens.add(input.user, input.role, context.session.user) };
          } catch (error) {
            if (error instanceof UserExistsError) throw errors.CONFLICT({ message: error.message });
            throw error;
          }
        }),
      revoke: os.users.revoke
        .use(audited(core.audit, { domain: 'users', action: 'revoke token', about: (input) => ({ target: input.user, old: roleOf(input.user), new: 'revoked' }) }))
        .use(requires('users.manage'))
        .handler(({ input, errors }) => {
          if (!core.tokens.revoke(input.user)) throw errors.NOT_FOUND({ message: `${input.user} has no active token` });
          return { user: input.user, revoked: true as const };
        }),
      role: os.users.role
        .use(audited(core.audit, { domain: 'users', action: 'change role', about: (input) => ({ target: input.user, old: roleOf(input.user), new: input.role }) }))
        .use(requires('users.manage'))
        .handler(({ input, errors }) => {
          if (!core.tokens.setRole(input.user, input.role)) throw errors.NOT_FOUND({ message: `${input.user} has no active token` });
          return { user: input.user, role: input.role };
        }),
    },
  };
}
