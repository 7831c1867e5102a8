// Bounds on one WebSocket connection's work, behind the malformed-frame gate: at most MAX_IN_FLIGHT calls
// answered at a time and a message rate (a token bucket). A request beyond either gets a typed oRPC error
// (TOO_MANY_REQUESTS, status 429) at once and never reaches the router, so one busy script cannot queue
// unbounded work on the event loop the live path runs on.
import type { WebSocket } from 'ws';
import { countWsShed, TokenBucket } from './admission';

/** Calls (subscriptions included) one connection may have open; the UI keeps a few dozen at most. */
export const MAX_IN_FLIGHT = 256;
/** Messages per second one connection may send on average, and at once. */
export const MESSAGE_RATE = 200;
export const MESSAGE_BURST = 400;

type Guarded = Pick<WebSocket, 'addEventListener' | 'send'>;
type MessageListener = (event: { data: unknown }) => void;

// The start of an oRPC message: {"i":ID[,"t":TYPE][,"p":{"e":"EVENT"…}]…; enough to follow a call's life.
const HEAD = /^\{"i":("(?:[^"\\]|\\.)*"|-?\d+)(?:,"t":(\d))?(?:,"p":\{"e":"(\w+)")?/;

function tooMany(id: string, message: string): string {
  const json = { defined: false, code: 'TOO_MANY_REQUESTS', status: 429, message, data: undefined };
  return `{"i":${id},"p":{"s":429,"b":${JSON.stringify({ json, meta: [] })}}}`;
}

export function limitSocket(guarded: Guarded, ws: WebSocket, limits = { maxInFlight: MAX_IN_FLIGHT, rate: MESSAGE_RATE, burst: MESSAGE_BURST }): Guarded {
  const open = new Set<string>();
  const bucket = new TokenBucket(limits.rate, limits.burst, performance.now());
  return {
    send: ((data: unknown, ...rest: unknown[]) => {
      // A response, or an event stream's last message, ends the call.
      if (typeof data === 'string') {
        const m = HEAD.exec(data);
        if (m && (m[2] === undefined || (m[2] === '3' && (m[3] === 'done' || m[3] === 'error')))) open.delete(m[1]!);
      }
      return (ws.send as (...a: unknown[]) => void)(data, ...rest);
    }) as WebSocket['send'],
    addEventListener: ((type: string, listener: MessageListener) => {
      if (type !== 'message') return guarded.addEventListener(type as 'close', listener as never);
      guarded.addEventListener('message', (event: { data: unknown }) => {
        const m = typeof event.data === 'string' ? HEAD.exec(event.data) : null;
        if (!m) return listener(event);
        const id = m[1]!;
        if (m[2] === '4') open.delete(id);
        const request = m[2] === undefined || m[2] === '1';
        let refusal: string | null = null;
        if (bucket.take(performance.now()) > 0) refusal = `more than ${limits.rate} messages per second on this connection; slow down`;
        else if (request && open.size >= limits.maxInFlight) refusal = `${open.size} calls are open on this connection already; wait for some to finish`;
        if (refusal === null) {
          if (request) open.add(id);
          return listener(event);
        }
        countWsShed();
        // Only a request has a caller waiting for an answer; other messages over the limit are dropped.
        if (request) ws.send(tooMany(id, refusal));
      });
    }) as WebSocket['addEventListener'],
  };
}
