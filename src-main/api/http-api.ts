// The read-only HTTP JSON API (/api/v1) for scripts, reviewers and other control-room tools, served from the
// one API contract by oRPC's OpenAPI handler: each procedure with a GET route (`.route()` in
// src-main/shared/api/*.ts) and the file and format routes of ./file-routes.ts. The routes, their parameters
// and answers are in the OpenAPI document at /api/v1/openapi.json (./openapi.ts), and README.md lists them.
// Errors are JSON {"error": {"code", "message"}} with the matching HTTP status, here and in http-server.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpenAPIHandler } from '@orpc/openapi/node';
import type { Session } from '../shared/auth';
import { experimental_ZodSmartCoercionPlugin as ZodSmartCoercionPlugin } from '@orpc/zod/zod4';
import type { Logger } from '../log';
import { fileRouter } from './file-routes';
import { rpcHandlerOptions } from './handler-options';
import { API_PREFIX, isHttpRoute, openApiDocument } from './openapi';
import type { Router } from './router';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, error.status, { error: { code: error.code, message: error.message } }, headers);
}

export type HttpApi = ReturnType<typeof createHttpApi>;

export function createHttpApi(router: Router, log: Logger) {
  const served = { ...router, files: fileRouter(router) };
  const handler = new OpenAPIHandler(served, {
    ...rpcHandlerOptions(log),
    filter: isHttpRoute,
    // A query string is text: numbers and booleans are coerced here only, so the contract keeps its types.
    plugins: [new ZodSmartCoercionPlugin()],
    customErrorResponseBodyEncoder: (error) => ({ error: { code: error.code, message: error.message } }),
  });
  // Made at the first request, not at start (it takes a while), then kept: the routes do not change while serving.
  let document: ReturnType<typeof openApiDocument> | undefined;

  return {
    /** Answer a request under /api/ for the holder of `session` (the caller has checked the token). */
    async handle(req: IncomingMessage, res: ServerResponse, url: URL, session: Session): Promise<void> {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed: this API is read-only`);
      }
      if (url.pathname === `${API_PREFIX}/openapi.json`) return sendJson(res, 200, await (document ??= openApiDocument(served)));
      // Node leaves out the body of a HEAD request's answer by itself, so the routes need to know only GET.
      req.method = 'GET';
      res.setHeader('Cache-Control', 'no-store');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      const { matched } = await handler.handle(req, res, { prefix: API_PREFIX, context: { session } });
      if (!matched) throw new HttpError(404, 'NOT_FOUND', `no such resource: ${url.pathname}`);
    },
  };
}
