// Personal access tokens: `na64rc ctl user add alice --role shifter` gives Alice a link whose token opens
// a session as alice/shifter. The server's start token (server.json) is the local administrator's.
import { createHash } from 'node:crypto';
import type { Db } from '../archive/database';
import { newToken, tokenMatches } from '../security/token';
import type { Role, Session, UserToken } from '../shared/auth';

function hash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

interface Row {
  user: string;
  role: Role;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
}

export class UserExistsError extends Error {}

/** What changed about a user's token: open sessions opened with it must be re-checked. */
export type TokenChange = { user: string; change: 'revoked' } | { user: string; change: 'role'; role: Role };

export class AccessTokens {
  private readonly q;
  private readonly listeners = new Set<(change: TokenChange) => void>();

  constructor(
    private readonly db: Db,
    /** The per-start token of server.json: the local administrator. */
    private readonly startToken: string,
    private readonly localUser: string,
  ) {
    this.q = {
      byHash: db.prepare<[string], Row>(`SELECT * FROM access_tokens WHERE token_hash = ? AND revoked_at IS NULL`),
      active: db.prepare<[string], Row>(`SELECT * FROM access_tokens WHERE user = ? AND revoked_at IS NULL`),
      insert: db.prepare<[string, string, string, number, string]>(
        `INSERT INTO access_tokens (user, role, token_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)`,
      ),
      revoke: db.prepare<[number, string]>(`UPDATE access_tokens SET revoked_at = ? WHERE user = ? AND revoked_at IS NULL`),
      setRole: db.prepare<[Role, string]>(`UPDATE access_tokens SET role = ? WHERE user = ? AND revoked_at IS NULL`),
      list: db.prepare<[], Row>(`SELECT * FROM access_tokens ORDER BY revoked_at IS NOT NULL, user, created_at`),
    };
  }

  /** The session a token opens, or null for an unknown or revoked token. */
  session(token: string | null | undefined): Session | null {
    if (typeof token !== 'string' || token.length === 0 || token.length > 256) return null;
    if (tokenMatches(this.startToken, token)) return { user: this.localUser, role: 'admin', via: 'start-token' };
    const row = this.q.byHash.get(hash(token));
    return row ? { user: row.user, role: row.role, via: 'user-token' } : null;
  }

  /** Create a user's token; returns it once (only its hash is kept). */
  add(user: string, role: Role, createdBy: string, now = Date.now()): string {
    if (this.q.active.get(user)) throw new UserExistsError(`user ${user} already has a token; revoke it first`);
    const token = newToken();
    this.q.insert.run(user, role, hash(token), now, createdBy);
    return token;
  }

  revoke(user: string, now = Date.now()): boolean {
    const revoked = this.q.revoke.run(now, user).changes > 0;
    if (revoked) this.emit({ user, change: 'revoked' });
    return revoked;
  }

  /** Give a user's active token another role; false if the user has none. */
  setRole(user: string, role: Role): boolean {
    const changed = this.q.setRole.run(role, user).changes > 0;
    if (changed) this.emit({ user, change: 'role', role });
    return changed;
  }

  /** Hear of every revocation and role change (the server closes the sessions they end). */
  onChange(listener: (change: TokenChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(change: TokenChange): void {
    for (const listener of this.listeners) listener(change);
  }

  list(): UserToken[] {
    return this.q.list.all().map((r) => ({
      user: r.user,
      role: r.role,
      createdAt: r.created_at,
      createdBy: r.created_by,
      revokedAt: r.revoked_at,
    }));
  }
}
