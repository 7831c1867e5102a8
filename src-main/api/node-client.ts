// A typed API client for Node (na64rc ctl, tests): the contract over the server's WebSocket.
import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/websocket';
import { WebSocket } from 'ws';
import type { ApiClient } from '../shared/api/contract';

export interface Connection {
  api: ApiClient;
  close(): void;
}

export async function connect(url: string, token: string, timeoutMs = 5000): Promise<Connection> {
  const wsUrl = new URL('/rpc', url);
  wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
  wsUrl.searchParams.set('token', token);
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      reject(new Error(res.statusCode === 401 ? 'the server refused the access token' : `the server refused the connection (HTTP ${res.statusCode})`));
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the server at ${url}: ${error.message}`));
    });
  });
  const link = new RPCLink({ websocket: ws as unknown as globalThis.WebSocket });
  return { api: createORPCClient<ApiClient>(link), close: () => ws.close() };
}
