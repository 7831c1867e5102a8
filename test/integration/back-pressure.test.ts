// Back-pressure on a real server over real sockets: a client past its rate gets 429, the server past its
// concurrency gets 503, both with Retry-After and the JSON error body; a WebSocket connection past its
// message rate gets a typed error per call; and requests the server will not parse or take get an answer
// (400, 413, 414, 431), never a reset connection.
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ORPCError } from '@orpc/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src-main/api/node-client';
import { rendererDir } from '../../src-main/cli/paths';
import { silentLogger } from '../../src-main/log';
import type { AdmissionOptions } from '../../src-main/server/admission';
import { startServer, type RunningServer } from '../../src-main/server/http-server';
import { MAX_IN_FLIGHT, MESSAGE_BURST } from '../../src-main/server/ws-limits';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

let dir: string;
let sim: SimulatedCore;
const servers: RunningServer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-backpressure-'));
  sim = await openSimulatedCore(dir, { timeScale: 100, seed: 1 });
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function serve(admission: Partial<AdmissionOptions> = {}): Promise<RunningServer> {
  const server = await startServer(sim.core, { host: '127.0.0.1', port: 0, rendererDir: rendererDir(), log: silentLogger(), admission });
  servers.push(server);
  return server;
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape, checked by the assertions
  body: any;
}

/** One GET on a connection of its own, so concurrent requests really are concurrent on the server. */
function get(server: RunningServer, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { agent: new Agent({ keepAlive: false }), headers: { Authorization: `Bearer ${sim.core.startToken}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        const retry = res.headers['retry-after'];
        resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retry) ? retry[0] : retry, body: text.startsWith('{') ? JSON.parse(text) : text });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Send raw bytes on a TCP connection and collect everything until the server closes it. */
function rawExchange(server: RunningServer, head: string, bodyBytes = 0): Promise<{ text: string; error: string | null }> {
  return new Promise((resolve) => {
    const socket = tcpConnect(server.port, '127.0.0.1');
    let text = '';
    let error: string | null = null;
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (text += d));
    // EPIPE on our side while still sending a body the server refused is fine; a reset before its answer is not.
    socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    socket.on('close', () => resolve({ text, error }));
    socket.on('connect', async () => {
      socket.write(head);
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      for (let sent = 0; sent < bodyBytes && !socket.destroyed; sent += chunk.length) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r).once('close', r));
      }
    });
  });
}

function parseRaw(text: string): { status: number; headers: string; body: unknown } {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: body ? JSON.parse(body) : null };
}

describe('back-pressure', () => {
  it('answers a client past its rate with 429 and Retry-After, and other clients still get through', async () => {
    const server = await serve({ clientRate: 1, clientBurst: 3 });
    const answers: Answer[] = [];
    for (let i = 0; i < 6; i++) answers.push(await get(server, '/api/v1/status'));
    expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
    const refused = answers.filter((a) => a.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    for (const a of refused) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.body).toEqual({ error: { code: 'TOO_MANY_REQUESTS', message: expect.stringMatching(/retry in \d+ s/) } });
    }
    // An absolute-form target is the same API, the same client.
    const absolute = await rawExchange(server, `GET ${server.url}/api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${sim.core.startToken}\r\nConnection: close\r\n\r\n`);
    expect(parseRaw(absolute.text).status).toBe(429);
    // The UI's files are not the API: not limited per client.
    expect((await get(server, '/healthz')).status).toBe(200);
    // The refusals are counted for /metrics.
    await new Promise((r) => setTimeout(r, 1100));
    const metrics = await get(server, '/metrics');
    expect(metrics.body).toMatch(/na64rc_http_shed_total\{reason="client_rate"\} [1-9]/);
    expect(metrics.body).toMatch(/na64rc_http_responses_total\{status="429"\} [1-9]/);
  });

  it('answers past the global concurrency limit with 503 and Retry-After, and answers the admitted ones', async () => {
    // A budget the first request uses up: the next ones wait their turn, so the in-flight limit is reached.
    const server = await serve({ clientRate: null, maxInFlight: 3, budgetMs: 0.001, maxWaitMs: 5000 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => get(server, '/api/v1/status')));
    const overloaded = answers.filter((a) => a.status === 503);
    expect(overloaded.length).toBeGreaterThanOrEqual(12 - 1 - 3);
    for (const a of overloaded) {
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.body).toMatchObject({ error: { code: 'OVERLOADED', message: expect.any(String) } });
    }
    expect(answers.filter((a) => a.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true);
  }, 20_000);

  it('answers WebSocket calls past the connection limits (calls open, message rate) with a typed TOO_MANY_REQUESTS error', async () => {
    const server = await serve();
    const conn = await connect(server.url, sim.core.startToken);
    try {
      const results = await Promise.all(
        Array.from({ length: MESSAGE_BURST + 200 }, () => conn.api.status().then(() => 'ok', (e: unknown) => e)),
      );
      const refused = results.filter((r) => r instanceof ORPCError);
      expect(refused.length).toBeGreaterThanOrEqual(50);
      for (const e of refused) expect((e as ORPCError<string, unknown>).code).toBe('TOO_MANY_REQUESTS');
      expect(results.filter((r) => r === 'ok').length).toBeGreaterThanOrEqual(Math.min(MESSAGE_BURST, MAX_IN_FLIGHT));
      // The connection is still good once the client slows down.
      await new Promise((r) => setTimeout(r, 1000));
      expect((await conn.api.status()).setup).toBe('invisible-e');
    } finally {
      conn.close();
    }
  }, 20_000);
});

describe('answers, not resets', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await serve();
  });

  it('header fields too large: 431', async () => {
    const { text } = await rawExchange(server, `GET /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(32 * 1024)}\r\n\r\n`);
    const r = parseRaw(text);
    expect(r.status).toBe(431);
    expect(r.headers).toMatch(/Connection: close/i);
    expect(r.body).toEqual({ error: { code: 'HEADERS_TOO_LARGE', message: expect.any(String) } });
  });

  it('a garbage request line: 400', async () => {
    const { text } = await rawExchange(server, 'HELLO THERE\r\n\r\n');
    const r = parseRaw(text);
    expect(r.status).toBe(400);
    expect(r.headers).toMatch(/Connection: close/i);
    expect(r.body).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringMatching(/malformed/) } });
  });

  it('a URI too long: 414, whether the parser or the server sees it first', async () => {
    for (const length of [10 * 1024, 40 * 1024]) {
      const { text } = await rawExchange(server, `GET /api/v1/${'a'.repeat(length)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      const r = parseRaw(text);
      expect(r.status).toBe(414);
      expect(r.headers).toMatch(/Connection: close/i);
      expect(r.body).toEqual({ error: { code: 'URI_TOO_LONG', message: expect.any(String) } });
    }
  });

  it('a POST with a huge body: 413 at once, without the body being read first', async () => {
    const started = Date.now();
    const head = `POST /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${sim.core.startToken}\r\nContent-Length: 1000000000\r\n\r\n`;
    const { text, error } = await rawExchange(server, head, 8 * 1024 * 1024);
    const r = parseRaw(text);
    expect(r.status).toBe(413);
    expect(r.headers).toMatch(/Connection: close/i);
    expect(r.body).toEqual({ error: { code: 'CONTENT_TOO_LARGE', message: expect.any(String) } });
    expect(error === null || error === 'EPIPE').toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a request or WebSocket upgrade whose target is no URL gets an answer, and the server keeps serving', async () => {
    const request = await rawExchange(server, `GET http://[::1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(parseRaw(request.text).status).toBe(400);
    const upgrade = await rawExchange(
      server,
      `GET http://[::1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`,
    );
    expect(parseRaw(upgrade.text).status).toBe(404);
    expect((await get(server, '/api/v1/status')).status).toBe(200);
  });

  it('a POST with a small body to the read-only API: 405 and Connection: close', async () => {
    const head = `POST /api/v1/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${sim.core.startToken}\r\nContent-Length: 5\r\n\r\nhello`;
    const { text } = await rawExchange(server, head);
    const r = parseRaw(text);
    expect(r.status).toBe(405);
    expect(r.headers).toMatch(/Connection: close/i);
  });
});
