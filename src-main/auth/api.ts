// Sessions and users in the API.
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { UserExistsError } from './access-tokens';

export function authRouter(core: Core) {
  return {
    session: os.session.handler(({ context }) => context.session),
    users: {
      list: os.users.list.use(requires('users.manage')).handler(() => core.tokens.list()),
      add: os.users.add.use(requires('users.manage')).handler(({ input, context, errors }) => {
        try {
          return { ...input, token: core.tokens.add(input.user, input.role, context.session.user) };
        } catch (error) {
          if (error instanceof UserExistsError) throw errors.CONFLICT({ message: error.message });
          throw error;
        }
      }),
      revoke: os.users.revoke.use(requires('users.manage')).handler(({ input, errors }) => {
        if (!core.tokens.revoke(input.user)) throw errors.NOT_FOUND({ message: `${input.user} has no active token` });
        return { user: input.user, revoked: true as const };
      }),
      role: os.users.role.use(requires('users.manage')).handler(({ input, errors }) => {
        if (!core.tokens.setRole(input.user, input.role)) throw errors.NOT_FOUND({ message: `${input.user} has no active token` });
        return { user: input.user, role: input.role };
      }),
    },
  };
}
