// The OpenAPI document of the read-only HTTP API (/api/v1/openapi.json) as the API view lists it: one line per
// operation with its parameters' types and its answers, and the filter over them.

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  contentMediaType?: string;
  description?: string;
}

interface OperationObject {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; schema?: JsonSchema; description?: string }[];
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  servers?: { url: string }[];
  paths: Record<string, Record<string, OperationObject>>;
}

export interface ApiParameter {
  name: string;
  in: string;
  required: boolean;
  type: string;
  description: string;
}

export interface ApiOperation {
  id: string;
  method: string;
  path: string;
  summary: string;
  description: string;
  tags: string[];
  parameters: ApiParameter[];
  responses: { status: string; description: string; media: string[] }[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** "integer 1…2147483647", "root | csv", "string /^[a-z]…$/": what a parameter takes, in a few words. */
export function schemaType(schema: JsonSchema | undefined): string {
  if (!schema) return 'any';
  if (schema.enum) return schema.enum.map(String).join(' | ');
  if (schema.const !== undefined) return String(schema.const);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return branches.map(schemaType).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  if (type === 'array') return `${schemaType(schema.items)}[]`;
  const range = schema.minimum !== undefined || schema.maximum !== undefined ? ` ${schema.minimum ?? ''}…${schema.maximum ?? ''}` : '';
  const pattern = schema.pattern ? ` /${schema.pattern}/` : '';
  const long = schema.maxLength !== undefined ? ` ≤ ${schema.maxLength} chars` : '';
  const fallback = schema.default !== undefined ? ` (default ${JSON.stringify(schema.default)})` : '';
  return `${type}${schema.format ? ` (${schema.format})` : ''}${range}${pattern}${long}${fallback}`;
}

export function operations(doc: OpenApiDocument): ApiOperation[] {
  const base = doc.servers?.[0]?.url ?? '';
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    METHODS.filter((m) => methods[m]).map((m) => {
      const op = methods[m]!;
      return {
        id: op.operationId ?? `${m} ${path}`,
        method: m.toUpperCase(),
        path: `${base}${path}`,
        summary: op.summary ?? '',
        description: op.description ?? '',
        tags: op.tags ?? [],
        parameters: (op.parameters ?? []).map((p) => ({
          name: p.name,
          in: p.in,
          required: p.required ?? false,
          type: schemaType(p.schema),
          description: p.description ?? p.schema?.description ?? '',
        })),
        responses: Object.entries(op.responses ?? {}).map(([status, r]) => ({ status, description: r.description ?? '', media: Object.keys(r.content ?? {}) })),
      };
    }),
  );
}

/** Every word of the filter is in the operation's method, path, summary, tags or parameter names. */
export function matches(op: ApiOperation, filter: string): boolean {
  const text = [op.method, op.path, op.summary, op.description, op.id, ...op.tags, ...op.parameters.map((p) => p.name)].join(' ').toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((word) => text.includes(word));
}
