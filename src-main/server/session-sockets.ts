// The open WebSockets and the token each was opened with. A session ends when its token no longer opens it
// as it was (revoked, or given another role): its socket is closed with a code and a sentence the renderer
// shows, so nobody keeps acting, or watching, on rights they no longer have.
import type { WebSocket } from 'ws';
import type { ApiContext } from '../api/implementer';
import type { RefusedAccess } from '../audit/audited';
import type { Logger } from '../log';
import { sessionEnd, type Session } from '../shared/auth';

type Peer = Pick<WebSocket, 'addEventListener' | 'send'>;

/** A refused call's answer goes out before the close frame; a socket that never sends again is closed after this. */
const CLOSE_AFTER_MS = 1000;

interface Open {
  token: string;
  session: Session;
  /** Set once the session has ended: the next answer sent is the last. */
  ending: { code: number; reason: string } | null;
}

export class SessionSockets {
  private readonly open = new Map<WebSocket, Open>();

  constructor(
    private readonly tokens: { session(token: string): Session | null },
    private readonly log: Logger,
    /** Told of a call refused because the connection's token opens no session any more (the audit's AccessRefusals). */
    private readonly refused: (r: RefusedAccess) => void = () => undefined,
  ) {}

  /**
   * Follow `ws`, opened with `token` as `session`: returns the peer to hand to the RPC handler (answers
   * first, then the close) and the context that re-checks the token on every call.
   */
  add(ws: WebSocket, peer: Peer, token: string, session: Session, client?: ApiContext['client'], address?: string): { peer: Peer; context: ApiContext } {
    const entry: Open = { token, session, ending: null };
    this.open.set(ws, entry);
    ws.on('close', () => this.open.delete(ws));
    return {
      peer: {
        addEventListener: peer.addEventListener.bind(peer),
        send: ((data: Parameters<Peer['send']>[0]) => {
          peer.send(data);
          if (entry.ending) ws.close(entry.ending.code, entry.ending.reason);
        }) as Peer['send'],
      },
      context: {
        session,
        ...(client ? { client } : {}),
        ...(address ? { address } : {}),
        reauthenticate: (procedure) => {
          const now = this.tokens.session(token);
          this.end(ws, entry, now, false);
          if (!now) {
            const detail = 'the access token was revoked';
            this.refused({ via: client ?? 'cli', address: address ?? null, user: session.user, role: session.role, action: 'call', target: procedure ?? '(a call)', detail });
          }
          return now;
        },
      },
    };
  }

  /** After a token changed: close every socket whose token no longer opens the session it was opened as. */
  recheck(): void {
    for (const [ws, entry] of this.open) this.end(ws, entry, this.tokens.session(entry.token), true);
  }

  private end(ws: WebSocket, entry: Open, now: Session | null, idle: boolean): void {
    if (entry.ending) return;
    const end = sessionEnd(entry.session, now);
    if (!end) return;
    entry.ending = end;
    this.log.info({ user: entry.session.user, role: entry.session.role, now: now?.role ?? null, reason: end.reason }, 'closing a WebSocket session');
    // Called from a token change nothing is being answered: close now. Called from a call: its answer is
    // sent first (see add), and the timer covers a call that never answers (a subscription).
    if (idle) ws.close(end.code, end.reason);
    else setTimeout(() => ws.close(end.code, end.reason), CLOSE_AFTER_MS).unref();
  }
}
