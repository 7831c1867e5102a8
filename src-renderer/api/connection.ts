// The renderer's one way to the core: the typed API client over whichever transport exists — the
// MessagePort the Electron shell hands over, or the WebSocket of `na64rc serve` with the token from the URL.
// Reconnects with backoff; a refused token is reported as such, not retried forever, and so is a session
// the server ended because its token was revoked or its role changed (it closes the socket saying why).
import { createORPCClient } from '@orpc/client';
import { RPCLink as PortLink } from '@orpc/client/message-port';
import { RPCLink as SocketLink } from '@orpc/client/websocket';
import type { ApiClient } from '@shared/api/contract';
import { SESSION_CLOSE } from '@shared/auth';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'unauthorized' | 'no-token' | 'revoked' | 'role-changed';

export interface ConnectionEvents {
  state(state: ConnectionState, detail: string): void;
  /** A (new) client is ready: load what is needed and subscribe to live updates. */
  connected(api: ApiClient): void;
}

const TOKEN_KEY = 'na64rc.token';
const PORT_CHANNEL = 'na64rc:port';

/** Take the token from the URL fragment (#token=…) once, keep it for this tab, and clean the address bar. */
export function takeToken(location: Location, storage: Storage, history: History): string | null {
  const match = /(?:^#|[#&?/])token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (match?.[1]) {
    storage.setItem(TOKEN_KEY, match[1]);
    history.replaceState(null, '', `${location.pathname}${location.search}#/`);
    return match[1];
  }
  return storage.getItem(TOKEN_KEY);
}

export function connectShell(events: ConnectionEvents): void {
  events.state('connecting', 'waiting for the application shell');
  window.addEventListener('message', (event) => {
    if (event.source !== window || event.data !== PORT_CHANNEL || !event.ports[0]) return;
    const port = event.ports[0];
    const link = new PortLink({ port });
    port.start();
    events.state('connected', 'desktop application');
    events.connected(createORPCClient<ApiClient>(link));
  });
}

/** What a session the server ended is told, by close code; null for any other close (reconnect). */
export function sessionEnded(code: number, reason: string): { state: ConnectionState; detail: string } | null {
  if (code === SESSION_CLOSE.revoked) return { state: 'revoked', detail: 'your access token was revoked: ask an administrator for a new link' };
  if (code === SESSION_CLOSE.roleChanged) return { state: 'role-changed', detail: reason || 'your role changed: reconnect' };
  return null;
}

export interface SocketConnection {
  /** Connect again after the server ended the session (a changed role): the same token, its new role. */
  reconnect(): void;
}

export function connectSocket(events: ConnectionEvents, token: string | null): SocketConnection {
  if (!token) {
    events.state('no-token', 'open the address printed by `na64rc serve`: it carries the access token');
    return { reconnect: () => {} };
  }
  let delay = 500;
  /** The server ended the session: no retries until the person asks to reconnect. */
  let sessionOver = false;
  const open = () => {
    const url = new URL('/rpc', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.hash = '';
    url.search = '';
    url.searchParams.set('token', token);
    const ws = new WebSocket(url);
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      delay = 500;
      events.state('connected', window.location.host);
      events.connected(createORPCClient<ApiClient>(new SocketLink({ websocket: ws })));
    });
    ws.addEventListener('close', (event) => {
      const ended = sessionEnded(event.code, event.reason);
      if (ended) {
        sessionOver = true;
        events.state(ended.state, ended.detail);
        return;
      }
      void (async () => {
        // The WebSocket API hides the HTTP status of a refused handshake: ask the JSON API why.
        if (!opened && (await tokenRefused(token))) {
          events.state('unauthorized', 'the server refused the access token (was it restarted?); open the address it printed');
          return;
        }
        events.state('reconnecting', `connection lost; retrying in ${(delay / 1000).toFixed(1)} s`);
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 5000);
      })();
    });
  };
  events.state('connecting', window.location.host);
  open();
  return {
    reconnect: () => {
      if (!sessionOver) return;
      sessionOver = false;
      delay = 500;
      events.state('connecting', window.location.host);
      open();
    },
  };
}

async function tokenRefused(token: string): Promise<boolean> {
  try {
    const res = await fetch('/api/v1/status', { headers: { Authorization: `Bearer ${token}` } });
    return res.status === 401;
  } catch {
    return false;
  }
}
