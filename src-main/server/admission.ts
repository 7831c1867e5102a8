// Admission of HTTP requests and WebSocket upgrades: the live path (DAQ stream, spill storage, the live
// broadcast) shares the main event loop with the API, and spills are the product, requests are not.
// Three limits, cheapest first:
//   - per client (remote address + token): a token bucket, 429 with Retry-After;
//   - global: at most `maxInFlight` requests admitted and unanswered (queued or being written), 503;
//   - time: request handlers may use at most `budgetMs` of every `windowMs` of the main thread, in slices of
//     at most `sliceMs` with the event loop free in between, and nothing while the loop is saturated (its
//     utilisation over the last window above `eluMax`). A request waiting longer than `maxWaitMs` gets 503.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';

export interface AdmissionOptions {
  /** Requests per second each client may send on average; null: no per-client limit. */
  clientRate: number | null;
  /** Requests a client may send at once after being quiet. */
  clientBurst: number;
  maxInFlight: number;
  windowMs: number;
  budgetMs: number;
  sliceMs: number;
  maxWaitMs: number;
  /** Event-loop utilisation (0…1) over the last window above which no request starts (one per window still does). */
  eluMax: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = {
  clientRate: 50,
  clientBurst: 100,
  maxInFlight: 64,
  windowMs: 1000,
  // A third of the main thread for the API: the rest stays with the live path whatever the load.
  budgetMs: 330,
  sliceMs: 10,
  maxWaitMs: 2000,
  eluMax: 0.9,
};

/** Buckets of clients quiet for this long are full again and forgotten; bounds the map under address churn. */
const BUCKET_IDLE_MS = 60_000;
const MAX_BUCKETS = 10_000;

export type Refusal = { status: 429 | 503; code: 'TOO_MANY_REQUESTS' | 'OVERLOADED' | 'BUSY'; message: string; retryAfterS: number };

export class TokenBucket {
  private tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }
  /** Take one token; 0 when granted, else the seconds until one is there (at least 1, as Retry-After). */
  take(now: number): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rate));
  }
  idleSince(): number {
    return this.at;
  }
}

// Counters for /metrics, summed over every server of the process (one in practice).
const counters = {
  requests: 0,
  byStatus: new Map<number, number>(),
  shed: new Map<string, number>(),
  inFlight: 0,
  queued: 0,
  handlerMs: 0,
  wsShed: 0,
};

function count<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Prometheus lines of the admission counters (requests by status, shed requests, in flight, handler time). */
export function admissionMetrics(): string[] {
  const lines = [
    '# HELP na64rc_http_requests_total HTTP requests received (admitted or not).',
    '# TYPE na64rc_http_requests_total counter',
    `na64rc_http_requests_total ${counters.requests}`,
    '# HELP na64rc_http_responses_total HTTP responses by status code.',
    '# TYPE na64rc_http_responses_total counter',
    ...[...counters.byStatus].sort((a, b) => a[0] - b[0]).map(([status, n]) => `na64rc_http_responses_total{status="${status}"} ${n}`),
    '# HELP na64rc_http_shed_total Requests and WebSocket messages refused to protect the live path, by reason.',
    '# TYPE na64rc_http_shed_total counter',
    ...[...counters.shed].sort().map(([reason, n]) => `na64rc_http_shed_total{reason="${reason}"} ${n}`),
    `na64rc_http_shed_total{reason="ws_message_rate"} ${counters.wsShed}`,
    '# HELP na64rc_http_in_flight HTTP requests admitted and not yet answered (queued included).',
    '# TYPE na64rc_http_in_flight gauge',
    `na64rc_http_in_flight ${counters.inFlight}`,
    '# HELP na64rc_http_queued HTTP requests waiting for their share of the event loop.',
    '# TYPE na64rc_http_queued gauge',
    `na64rc_http_queued ${counters.queued}`,
    '# HELP na64rc_http_handler_seconds_total Main-thread time spent in HTTP request handlers.',
    '# TYPE na64rc_http_handler_seconds_total counter',
    `na64rc_http_handler_seconds_total ${(counters.handlerMs / 1000).toFixed(3)}`,
  ];
  return lines;
}

/** Count a request answered before admission (the parser's or the size limits' refusals). */
export function countRefused(status: number): void {
  counters.requests += 1;
  count(counters.byStatus, status);
}

/** The JSON error answer every refusal and client error has, ready for a raw socket or a response. */
export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

function refuse(res: ServerResponse, refusal: Refusal): void {
  const body = errorBody(refusal.code, refusal.message);
  res.writeHead(refusal.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Retry-After': String(refusal.retryAfterS),
  });
  res.end(body);
}

interface Waiting {
  run: () => void;
  res: ServerResponse;
  since: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export class Admission {
  readonly options: AdmissionOptions;
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly queue: Waiting[] = [];
  private inFlight = 0;
  /** Handler time per tenth of the window, the oldest first: a sliding window without per-request records. */
  private readonly spent: number[];
  private spentAt: number;
  private drainTimer: NodeJS.Timeout | null = null;
  private drainScheduled = false;
  private elu = performance.eventLoopUtilization();
  private eluValue = 0;
  private eluAt = performance.now();
  private lastSweep = performance.now();

  constructor(options: Partial<AdmissionOptions> = {}) {
    this.options = { ...DEFAULT_ADMISSION, ...options };
    this.spent = new Array<number>(10).fill(0);
    this.spentAt = performance.now();
  }

  /** Per-client limit; 0 when granted, else Retry-After seconds. */
  private clientWait(key: string, now: number): number {
    const { clientRate, clientBurst } = this.options;
    if (clientRate === null) return 0;
    if (now - this.lastSweep > BUCKET_IDLE_MS || this.buckets.size > MAX_BUCKETS) {
      this.lastSweep = now;
      for (const [k, b] of this.buckets) if (now - b.idleSince() > BUCKET_IDLE_MS) this.buckets.delete(k);
      // Under address churn beyond the cap the oldest go first (a Map iterates in insertion order).
      for (const k of this.buckets.keys()) {
        if (this.buckets.size <= MAX_BUCKETS) break;
        this.buckets.delete(k);
      }
    }
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(clientRate, clientBurst, now)));
    return bucket.take(now);
  }

  /** Roll the sliding window forward to `now`; returns the handler time spent within it. */
  private windowSpent(now: number): number {
    const tenth = this.options.windowMs / 10;
    const steps = Math.floor((now - this.spentAt) / tenth);
    if (steps > 0) {
      for (let i = 0; i < Math.min(steps, 10); i++) {
        this.spent.shift();
        this.spent.push(0);
      }
      this.spentAt += steps * tenth;
    }
    return this.spent.reduce((a, b) => a + b, 0);
  }

  private loopSaturated(now: number): boolean {
    if (now - this.eluAt >= this.options.windowMs) {
      const next = performance.eventLoopUtilization();
      this.eluValue = performance.eventLoopUtilization(next, this.elu).utilization;
      this.elu = next;
      this.eluAt = now;
    }
    return this.eluValue > this.options.eluMax;
  }

  /** Decide on a request before anything else is done for it: a refusal, or null to admit it. */
  check(key: string | null): Refusal | null {
    const now = performance.now();
    counters.requests += 1;
    if (key !== null) {
      const wait = this.clientWait(key, now);
      if (wait > 0) {
        count(counters.shed, 'client_rate');
        return { status: 429, code: 'TOO_MANY_REQUESTS', message: `too many requests from this client; retry in ${wait} s`, retryAfterS: wait };
      }
    }
    if (this.inFlight >= this.options.maxInFlight) {
      count(counters.shed, 'in_flight');
      return { status: 503, code: 'OVERLOADED', message: `the server is answering ${this.inFlight} requests already; retry in 1 s`, retryAfterS: 1 };
    }
    return null;
  }

  /** Wrap a request handler: refused requests are answered here, admitted ones run within the time budget. */
  wrap(handler: Handler, key: (req: IncomingMessage) => string | null): Handler {
    return (req, res) => {
      res.once('finish', () => count(counters.byStatus, res.statusCode));
      const refusal = this.check(key(req));
      if (refusal) return refuse(res, refusal);
      this.inFlight += 1;
      counters.inFlight += 1;
      res.once('close', () => {
        this.inFlight -= 1;
        counters.inFlight -= 1;
      });
      this.queue.push({ run: () => handler(req, res), res, since: performance.now() });
      counters.queued += 1;
      this.scheduleDrain(0);
    };
  }

  private scheduleDrain(delayMs: number): void {
    if (delayMs <= 0) {
      if (this.drainScheduled) return;
      this.drainScheduled = true;
      // setImmediate runs after the poll phase: the I/O that is ready (the DAQ stream) goes first.
      setImmediate(() => {
        this.drainScheduled = false;
        this.drain();
      });
      return;
    }
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drain();
    }, delayMs);
  }

  private drain(): void {
    const sliceStart = performance.now();
    while (this.queue.length) {
      const now = performance.now();
      const item = this.queue[0]!;
      if (item.res.destroyed || item.res.writableEnded) {
        this.queue.shift();
        counters.queued -= 1;
        continue;
      }
      if (now - item.since > this.options.maxWaitMs) {
        this.queue.shift();
        counters.queued -= 1;
        count(counters.shed, 'wait');
        refuse(item.res, { status: 503, code: 'BUSY', message: 'the server is busy with the live data; retry in 1 s', retryAfterS: 1 });
        continue;
      }
      const spent = this.windowSpent(now);
      // A saturated loop (the live path busy on its own) still answers one request per window.
      const overBudget = spent >= this.options.budgetMs || (spent > 0 && this.loopSaturated(now));
      if (overBudget) {
        // Wait for the window to move by a tenth; a request whose wait runs out then gets its 503.
        this.scheduleDrain(Math.max(1, Math.min(this.options.windowMs / 10, item.since + this.options.maxWaitMs - now + 1)));
        return;
      }
      if (now - sliceStart >= this.options.sliceMs) {
        this.scheduleDrain(0);
        return;
      }
      this.queue.shift();
      counters.queued -= 1;
      const t = performance.now();
      try {
        item.run();
      } catch {
        // The handlers answer their own errors; one that throws anyway must not stop the queue.
        item.res.destroy();
      } finally {
        const used = performance.now() - t;
        this.spent[9] = this.spent[9]! + used;
        counters.handlerMs += used;
      }
    }
  }

  /** Wrap an upgrade handler: a refused upgrade gets its HTTP answer on the raw socket. */
  wrapUpgrade(
    handler: (req: IncomingMessage, socket: Duplex, head: Buffer) => void,
    key: (req: IncomingMessage) => string | null,
  ): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
    return (req, socket, head) => {
      const refusal = this.check(key(req));
      if (!refusal) return handler(req, socket, head);
      count(counters.byStatus, refusal.status);
      const body = errorBody(refusal.code, refusal.message);
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.status === 429 ? 'Too Many Requests' : 'Service Unavailable'}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nRetry-After: ${refusal.retryAfterS}\r\nConnection: close\r\n\r\n${body}`,
      );
    };
  }
}

/** Count a WebSocket message refused for its connection's rate (the gate itself is in ws-limits.ts). */
export function countWsShed(): void {
  counters.wsShed += 1;
}
