// Answers, not resets, for requests the server will not take: a malformed request (400), header fields too
// large (431), a URI too long (414), a body over the limit (413). A client (or a proxy in between) then
// knows what was wrong; a reset connection says nothing and looks like a crash. Every answer has the API's
// JSON error body and Connection: close. The socket is only destroyed when nothing can be written to it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { countRefused, errorBody } from './admission';

/** The longest request target answered: longer ones get 414 (the API's longest real URL is far shorter). */
export const MAX_URL_BYTES = 8 * 1024;
/** The largest request body accepted; the HTTP API is read-only, so no route reads one. */
export const MAX_BODY_BYTES = 64 * 1024;
/** A refused client that keeps sending is cut off after this long. */
const LINGER_MS = 2000;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
};

interface ParserError extends Error {
  code?: string;
  rawPacket?: Buffer;
}

function classify(error: ParserError): { status: number; code: string; message: string } {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    // The request line alone overflowing the header limit is a URI too long, not a header problem.
    const eol = error.rawPacket?.indexOf('\n') ?? -1;
    if ((eol === -1 ? (error.rawPacket?.length ?? 0) : eol) > MAX_URL_BYTES) {
      return { status: 414, code: 'URI_TOO_LONG', message: `the request target is longer than ${MAX_URL_BYTES} bytes` };
    }
    return { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request header fields are too large' };
  }
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' };
  return { status: 400, code: 'BAD_REQUEST', message: `malformed HTTP request (${(error.code ?? 'parse error').replace(/^HPE_/, '')})` };
}

/** The server's 'clientError' handler: the parser refused what the client sent. */
export function answerClientError(error: ParserError, socket: Duplex): void {
  // ECONNRESET: the peer is gone; nothing written would arrive.
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, code, message } = classify(error);
  countRefused(status);
  const body = errorBody(code, message);
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  // What the client still sends is read and dropped (an unread receive buffer would make the kernel reset
  // the connection and lose the answer); a client that never stops is cut off.
  socket.on('data', () => {});
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/**
 * Refuse a request the parser accepted but the server will not take (URI too long, body over the limit);
 * true when answered. A request with a body is answered with Connection: close, so its body is never
 * buffered: what arrives of it is dropped.
 */
export function refuseOversized(req: IncomingMessage, res: ServerResponse): boolean {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasBody) res.setHeader('Connection', 'close');
  let refusal: { status: number; code: string; message: string } | null = null;
  if ((req.url ?? '').length > MAX_URL_BYTES) {
    refusal = { status: 414, code: 'URI_TOO_LONG', message: `the request target is longer than ${MAX_URL_BYTES} bytes` };
  } else if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    refusal = { status: 413, code: 'CONTENT_TOO_LARGE', message: `the request body is larger than ${MAX_BODY_BYTES} bytes` };
  }
  if (!refusal) return false;
  countRefused(refusal.status);
  const body = errorBody(refusal.code, refusal.message);
  res.writeHead(refusal.status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  res.end(body);
  req.resume();
  return true;
}
