// API contract of sessions and users: who am I, and (admin) personal access tokens.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { Role, Session, UserName, UserToken } from '../auth';

export const authContract = {
  /** The caller's own session: user, role, and how it authenticated. */
  session: oc.output(Session),
  users: {
    list: oc.output(z.array(UserToken)),
    /** A new personal token for a user; it is shown once and only its hash is stored. */
    add: oc
      .errors({ CONFLICT: { message: 'the user already has a token' } })
      .input(z.object({ user: UserName, role: Role }))
      .output(z.object({ user: UserName, role: Role, token: z.string() })),
    revoke: oc
      .errors({ NOT_FOUND: { message: 'no active token for this user' } })
      .input(z.object({ user: UserName }))
      .output(z.object({ user: UserName, revoked: z.literal(true) })),
    /** Another role for a user's active token; the sessions it opened are closed and must reconnect. */
    role: oc
      .errors({ NOT_FOUND: { message: 'no active token for this user' } })
      .input(z.object({ user: UserName, role: Role }))
      .output(z.object({ user: UserName, role: Role })),
  },
};
