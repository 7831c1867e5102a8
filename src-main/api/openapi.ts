// The OpenAPI document of /api/v1, generated from the same procedures that serve it: what scripts and the
// in-app API page (src-renderer/views/ApiDocsView.vue) read to know the routes, their parameters and answers.
import { OpenAPIGenerator, type JSONSchema } from '@orpc/openapi';
import type { AnyRouter, TraverseContractProcedureCallbackOptions } from '@orpc/server';
import { ZodToJsonSchemaConverter } from '@orpc/zod/zod4';
import { VERSION } from '../version';

export const API_PREFIX = '/api/v1';

/** What /api/v1 serves and documents: the procedures with a GET route. Commands have none: the HTTP API stays read-only. */
/** What an error status means to the person reading the document. */
const ERROR_WORDS: Record<string, string> = {
  '400': 'a parameter is not valid: the message names it',
  '401': 'no valid token',
  '403': 'your role may not do this',
  '404': 'not found: the message says what',
  '409': 'not now: the message says why',
  '429': 'too many requests: retry after the time in Retry-After',
};

export function isHttpRoute({ contract }: TraverseContractProcedureCallbackOptions): boolean {
  const route = contract['~orpc'].route;
  return route.method === 'GET' && route.path !== undefined;
}

/** The body of every error answer, as the handler encodes it. */
const ErrorBody: JSONSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string', description: 'what was wrong, for a person to fix' } },
    },
  },
};

export async function openApiDocument(router: AnyRouter) {
  const generator = new OpenAPIGenerator({ schemaConverters: [new ZodToJsonSchemaConverter()] });
  const doc = await generator.generate(router, {
    info: {
      title: 'NA64 Run Control: read-only HTTP API',
      version: VERSION,
      description:
        'Runs, spills, histograms, data quality, logbook, alarms, HV, devices and calibration, for scripts and reviewers. ' +
        'Every request needs a token (`Authorization: Bearer TOKEN` or `?token=TOKEN`). Errors are `{"error": {"code", "message"}}`.',
    },
    servers: [{ url: API_PREFIX }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: "the token in server.json, or a personal one" },
        token: { type: 'apiKey', in: 'query', name: 'token' },
      },
    },
    security: [{ bearer: [] }, { token: [] }],
    filter: isHttpRoute,
    customErrorResponseBodySchema: () => ErrorBody,
  });
  // Every route can refuse a request: its parameters (400) or its token (401); the contract names only the
  // errors particular to a procedure.
  const error = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  doc.components = { ...doc.components, schemas: { ...doc.components?.schemas, Error: ErrorBody as object } };
  for (const item of Object.values(doc.paths ?? {})) {
    const op = item?.get;
    if (!op) continue;
    op.responses = { '400': error('a parameter is not valid: the message names it'), '401': error('no valid token'), ...op.responses };
    // The generator describes a procedure's own errors by their status alone ("404"): say it in words.
    for (const [status, response] of Object.entries(op.responses)) {
      const words = ERROR_WORDS[status];
      if (words && response && typeof response === 'object' && 'description' in response && response.description === status) response.description = words;
    }
  }
  // The document itself is no procedure, but a route like the others.
  doc.paths = {
    ...doc.paths,
    '/openapi.json': {
      get: {
        operationId: 'openapi',
        summary: 'This OpenAPI document',
        tags: ['API'],
        responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
  };
  return doc;
}
