// Headless serving of the core: the renderer build over HTTP, the typed API over a WebSocket (/rpc), and the
// read-only JSON API (/api/v1). Every API request needs the per-start token; the server listens on loopback
// unless told otherwise.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { RPCHandler } from '@orpc/server/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { createHttpApi, HttpError, sendError, sendJson } from '../api/http-api';
import { renderMetrics } from '../api/metrics';
import { rpcHandlerOptions } from '../api/handler-options';
import { createRouter } from '../api/router';
import type { Core } from '../core/core';
import { AccessRefusals } from '../audit/audited';
import { LOGBOOK_LIMITS } from '../shared/api/logbook';
import type { Logger } from '../log';
import { SessionSockets } from './session-sockets';
import { Admission, type AdmissionOptions } from './admission';
import { answerClientError, refuseOversized } from './client-errors';
import { guardSocket } from './ws-guard';
import { limitSocket } from './ws-limits';
import { serveStatic } from './static-files';

export interface ServeOptions {
  host: string;
  port: number;
  rendererDir: string;
  log: Logger;
  /** Back-pressure limits (tests tighten them); the defaults protect the live path on a 2-core machine. */
  admission?: Partial<AdmissionOptions>;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/**
 * One WebSocket message may be at most this large. The API's inputs are small except a logbook attachment
 * (at most LOGBOOK_LIMITS.attachmentBytes, base64-encoded: 4/3 of that, plus the message around it).
 */
const MAX_MESSAGE_BYTES = Math.ceil((LOGBOOK_LIMITS.attachmentBytes * 4) / 3) + (1 << 20);

function bearer(req: IncomingMessage, url: URL): string | null {
  const header = req.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  return url.searchParams.get('token');
}

export async function startServer(core: Core, options: ServeOptions): Promise<RunningServer> {
  const { log } = options;
  const router = createRouter(core);
  const rpc = new RPCHandler(router, rpcHandlerOptions(log, core.audit));
  const api = createHttpApi(router, log);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const sockets = new Set<WebSocket>();
  // A revoked token or a changed role ends the sessions it opened (closed with a code and a reason).
  // Attempts refused here, before any procedure runs, are audited too (at most a row per source a minute).
  const refusals = new AccessRefusals(core.audit);
  const refused = (req: IncomingMessage, action: string, target: string, detail: string): void =>
    refusals.record({ via: req.headers.origin === undefined ? 'cli' : 'browser', address: req.socket.remoteAddress ?? null, user: null, role: null, action, target: target.slice(0, 200), detail });
  const closeRefusalWindows = setInterval(() => refusals.flush(), 60_000).unref();
  const sessions = new SessionSockets(core.tokens, log, (r) => refusals.record(r));
  const stopFollowingTokens = core.tokens.onChange(() => sessions.recheck());

  // On loopback, accept only loopback Host headers: a DNS-rebinding page then cannot reach the API.
  const hostAllowed = (req: IncomingMessage): boolean => {
    if (!LOOPBACK.has(options.host)) return true;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return LOOPBACK.has(host);
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return sendError(res, new HttpError(400, 'BAD_REQUEST', 'malformed request URL'));
    }
    const fail = (error: unknown): void => {
      if (error instanceof HttpError) return sendError(res, error, error.status === 405 ? { Allow: 'GET, HEAD' } : {});
      log.error({ err: error, url: req.url }, 'HTTP request failed');
      if (!res.headersSent) sendError(res, new HttpError(500, 'INTERNAL', 'internal error; see the server log'));
      else res.destroy();
    };
    try {
      if (!hostAllowed(req)) throw new HttpError(421, 'MISDIRECTED', 'this server answers only to loopback host names');
      if (url.pathname === '/metrics' || url.pathname === '/api' || url.pathname.startsWith('/api/')) {
        const token = bearer(req, url);
        const session = core.tokens.session(token);
        if (!session) {
          refused(req, 'request', url.pathname, token ? 'the access token opens no session' : 'no access token');
          return sendError(res, new HttpError(401, 'UNAUTHORIZED', 'a valid access token is required (see server.json)'), {
            'WWW-Authenticate': 'Bearer realm="na64rc"',
          });
        }
        if (url.pathname !== '/metrics') return void api.handle(req, res, url, session).catch(fail);
        const text = renderMetrics(core);
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(text);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed here`);
      }
      if (url.pathname === '/healthz') return sendJson(res, 200, { ok: true });
      if (!serveStatic(options.rendererDir, url.pathname, res, req.method === 'HEAD')) {
        throw new HttpError(404, 'NOT_FOUND', `nothing at ${url.pathname}`);
      }
    } catch (error) {
      fail(error);
    }
  };

  const refuse = (socket: Duplex, status: number, text: string): void => {
    const body = JSON.stringify({ error: { code: status === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', message: text } });
    socket.end(
      `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Forbidden'}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  };

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(socket, 404, 'malformed URL');
    }
    if (url.pathname !== '/rpc') return refuse(socket, 404, `no WebSocket endpoint at ${url.pathname}`);
    if (!hostAllowed(req)) {
      refused(req, 'connect', url.pathname, `Host ${(req.headers.host ?? '').slice(0, 100)} is not a loopback name`);
      return refuse(socket, 403, 'this server answers only to loopback host names');
    }
    // Browsers always send Origin: only a page served by this server (same origin) may drive it.
    const from = req.headers.origin;
    if (from !== undefined && from !== `http://${req.headers.host ?? ''}`) {
      refused(req, 'connect', url.pathname, `a page of ${from.slice(0, 100)}, another origin`);
      return refuse(socket, 403, `WebSocket connections from ${from.slice(0, 100)} are not allowed`);
    }
    const token = url.searchParams.get('token');
    const session = core.tokens.session(token);
    if (!token || !session) {
      refused(req, 'connect', url.pathname, token ? 'the access token opens no session' : 'no access token');
      return refuse(socket, 401, 'a valid access token is required');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', (error) => log.warn({ err: error }, 'WebSocket error'));
      const { peer, context } = sessions.add(ws, limitSocket(guardSocket(ws, log), ws), token, session, from === undefined ? 'cli' : 'browser', req.socket.remoteAddress);
      void rpc.upgrade(peer, { context });
    });
  };

  // A client is its address and the token it presents: scripts sharing a machine but not a token are
  // limited apart, and an invalid token cannot buy a fresh bucket per guess. Only the API is limited per
  // client (`apiOnly`): the UI's own files load many at once and are cheap. The path is the parsed one,
  // as the handlers see it, so an absolute-form target (GET http://host/api/…) is the API too.
  const clientKey = (req: IncomingMessage, apiOnly: boolean): string | null => {
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      // The handler answers a malformed URL with 400; the client is its address meanwhile.
    }
    const path = url?.pathname ?? '';
    if (apiOnly && url && path !== '/metrics' && path !== '/api' && !path.startsWith('/api/')) return null;
    const session = url ? core.tokens.session(path === '/rpc' ? url.searchParams.get('token') : bearer(req, url)) : null;
    return `${req.socket.remoteAddress ?? ''}|${session?.user ?? ''}`;
  };
  const admission = new Admission(options.admission);
  const admitted = admission.wrap(onRequest, (req) => clientKey(req, true));
  const server: Server = createServer((req, res) => {
    if (!refuseOversized(req, res)) admitted(req, res);
  });
  server.on('upgrade', admission.wrapUpgrade(onUpgrade, (req) => clientKey(req, false)));
  server.on('clientError', answerClientError);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${hostInUrl}:${port}`,
    port,
    close: async () => {
      stopFollowingTokens();
      clearInterval(closeRefusalWindows);
      refusals.flush(true);
      for (const ws of sockets) ws.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A request held by admission or a client that keeps its connection open must not keep a stopping
      // server alive (an e2e teardown waited 60 s on one): after a grace, every connection is cut.
      const grace = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(grace);
    },
  };
}
