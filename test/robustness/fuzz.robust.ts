// Robustness, part "fuzz": every GET operation of /api/v1, as its OpenAPI document describes it, asked with
// values fast-check makes: valid ones, boundaries, and malformed or hostile ones (huge and negative numbers,
// unicode, broken percent-encoding, SQL and HTML payloads, long strings, repeated parameters). The server
// (`na64rc serve --sim`, a temporary data directory) must never answer 5xx nor drop a connection; every 4xx
// is {"error": {"code", "message"}}; every 200 that says JSON is JSON.
//   node --import tsx test/robustness/fuzz.robust.ts [--short] [--seed N]
// The last line on stdout is one JSON object with the figures; the exit code is 1 unless ok.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import buildOnce from '../support/build-once';
import { startServe } from '../support/serve-process';

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  anyOf?: Schema[];
  default?: unknown;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  path: string;
  operationId: string;
  parameters: Parameter[];
}

const args = process.argv.slice(2);
const SHORT = args.includes('--short');
const SEED = args.includes('--seed') ? Number(args[args.indexOf('--seed') + 1]) : Date.now() % 1_000_000;
const REQUESTS = SHORT ? 400 : 3000;
const CONCURRENCY = 4;
/** Longer URLs are refused by Node's header limit before the API sees them; that is the HTTP layer's part. */
const LONG = 6000;

const HOSTILE = [
  "' OR 1=1 --",
  '1; DROP TABLE runs',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '../../../../etc/passwd',
  '..%2F..%2Fetc%2Fpasswd',
  '%00',
  '%zz',
  '%E0%A4%A',
  '%',
  '%%',
  '\u0000',
  '\u202e\u0645\u0631\u062d\u0628\u0627',
  '😀🚀',
  'NaN',
  'Infinity',
  '-0',
  '1e3',
  '0x10',
  ' 1',
  '1.5',
  'true',
  'null',
  '[]',
  '{}',
  '__proto__',
  'constructor',
  '',
];
const NUMBERS = [-1, 0, 1, 2, 4095, 4096, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 2 ** 53 + 2, 1e21, -(2 ** 53), Number.MAX_VALUE];

function types(schema: Schema | undefined): string[] {
  if (!schema) return [];
  if (schema.anyOf) return schema.anyOf.flatMap(types);
  return Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
}

/** Values the schema allows (as the query string spells them). */
function valid(schema: Schema | undefined): fc.Arbitrary<string> {
  if (!schema) return fc.constant('1');
  if (schema.enum) return fc.constantFrom(...schema.enum.map(String));
  if (schema.const !== undefined) return fc.constant(String(schema.const));
  if (schema.anyOf?.length) return fc.oneof(...schema.anyOf.map(valid));
  const t = types(schema);
  if (t.includes('integer') || t.includes('number')) {
    const min = schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : 0);
    const max = Math.min(schema.maximum ?? 10_000, min + 10_000);
    return fc.oneof(fc.integer({ min, max }), fc.constantFrom(min, max)).map(String);
  }
  if (t.includes('boolean')) return fc.constantFrom('true', 'false');
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 200));
  return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40) });
}

/** Values at and just beyond the schema's bounds. */
function boundary(schema: Schema | undefined): fc.Arbitrary<string> {
  const edges: (number | string)[] = [...NUMBERS];
  for (const n of [schema?.minimum, schema?.maximum, schema?.exclusiveMinimum, schema?.exclusiveMaximum]) if (n !== undefined) edges.push(n - 1, n, n + 1);
  for (const n of [schema?.minLength, schema?.maxLength]) if (n !== undefined) edges.push('x'.repeat(Math.min(n + 1, LONG)), 'x'.repeat(Math.min(n, LONG)));
  return fc.constantFrom(...edges.map(String));
}

const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...HOSTILE),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 64 }),
  fc.integer({ min: 1, max: LONG }).map((n) => 'a'.repeat(n)),
  fc.integer({ min: 1, max: 400 }).map((n) => '%FF'.repeat(n)),
);

/** A value and whether it is put in the URL as it is (broken percent-encoding) or encoded. */
function value(p: Parameter): fc.Arbitrary<{ text: string; raw: boolean }> {
  return fc.record({
    text: fc.oneof({ weight: 5, arbitrary: valid(p.schema) }, { weight: 2, arbitrary: boundary(p.schema) }, { weight: 3, arbitrary: hostile }),
    raw: fc.boolean(),
  });
}

const enc = (v: { text: string; raw: boolean }) => (v.raw && !/[\s#?&/]/.test(v.text) ? v.text : encodeURIComponent(v.text));

function request(op: Operation): fc.Arbitrary<string> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const query = op.parameters.filter((p) => p.in === 'query');
  return fc
    .record({
      path: fc.tuple(...pathParams.map(value)),
      // Each query parameter: left out, once, or repeated; now and then one the API does not know.
      query: fc.tuple(...query.map((p) => fc.option(fc.array(value(p), { minLength: 1, maxLength: 3 }), { nil: undefined, freq: 2 }))),
      extra: fc.option(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })), { freq: 8 }),
    })
    .map(({ path, query: values, extra }) => {
      let url = op.path;
      pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, enc(path[i]!) || 'x')));
      const parts: string[] = [];
      query.forEach((p, i) => values[i]?.forEach((v) => parts.push(`${encodeURIComponent(p.name)}=${enc(v)}`)));
      if (extra) parts.push(`${encodeURIComponent(extra[0])}=${encodeURIComponent(extra[1])}`);
      return `/api/v1${url}${parts.length ? `?${parts.join('&')}` : ''}`;
    });
}

function isErrorBody(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Object.keys(body).join() !== 'error') return false;
  const error = (body as { error: unknown }).error;
  return typeof error === 'object' && error !== null && Object.keys(error).sort().join() === 'code,message' && typeof (error as { code: unknown }).code === 'string' && typeof (error as { message: unknown }).message === 'string';
}

async function main(): Promise<boolean> {
  const started = Date.now();
  buildOnce();
  const dir = mkdtempSync(join(tmpdir(), 'na64rc-fuzz-'));
  const server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics'], 60_000);
  const { url, token } = server.info;
  const headers = { Authorization: `Bearer ${token}` };
  const status: Record<string, number> = {};
  const failures: string[] = [];
  let fiveXX = 0;
  let resets = 0;
  let requests = 0;
  let operations: number;
  try {
    // Let a few spills in, so that runs, spills and histograms exist to be found.
    await new Promise((r) => setTimeout(r, SHORT ? 3000 : 8000));
    const doc = (await (await fetch(`${url}/api/v1/openapi.json`, { headers })).json()) as { paths: Record<string, Record<string, { operationId: string; parameters?: Parameter[] }>> };
    const ops: Operation[] = Object.entries(doc.paths).flatMap(([path, methods]) =>
      methods.get ? [{ path, operationId: methods.get.operationId, parameters: methods.get.parameters ?? [] }] : [],
    );
    operations = ops.length;
    const all = fc.oneof(...ops.map(request));
    // Every operation once as it is, then the generated ones.
    const paths = [...ops.map((o) => `/api/v1${o.path.replace(/\{[^}]+\}/g, '1')}`), ...fc.sample(all, { numRuns: REQUESTS - ops.length, seed: SEED })];

    const fail = (path: string, why: string) => {
      if (failures.length < 20) failures.push(`${why}: GET ${path.slice(0, 300)}`);
    };
    let next = 0;
    const worker = async () => {
      while (next < paths.length) {
        const path = paths[next++]!;
        requests += 1;
        let res: Response;
        try {
          res = await fetch(`${url}${path}`, { headers });
        } catch (error) {
          resets += 1;
          fail(path, `no answer (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`);
          continue;
        }
        status[res.status] = (status[res.status] ?? 0) + 1;
        const type = res.headers.get('content-type') ?? '';
        const text = await res.text();
        // 503 BUSY is the server's back-pressure by design (the live data first; "retry in 1 s"), like a 429:
        // not a fault. Any other 5xx, or a 503 without that body, is one.
        const busy = res.status === 503 && /"code":"BUSY"/.test(text);
        if (res.status >= 500 && !busy) {
          fiveXX += 1;
          fail(path, `${res.status} ${text.slice(0, 200)}`);
        } else if (res.status >= 400 && !busy) {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          if (!type.startsWith('application/json') || !isErrorBody(body)) fail(path, `${res.status} without the JSON error body: ${text.slice(0, 200)}`);
        } else if (type.includes('json')) {
          try {
            JSON.parse(text);
          } catch {
            fail(path, `${res.status} says JSON but is not`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (!(await fetch(`${url}/healthz`).catch(() => null))?.ok) failures.push('the server stopped answering');
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const f of failures) console.error(f);
  const ok = failures.length === 0 && fiveXX === 0 && resets === 0 && requests > 0;
  console.log(JSON.stringify({ robustness: 'fuzz', seed: SEED, requests, operations, status, fiveXX, resets, ms: Date.now() - started, ok }));
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    console.error(error);
    console.log(JSON.stringify({ robustness: 'fuzz', requests: 0, operations: 0, status: {}, fiveXX: 0, resets: 0, ms: 0, ok: false }));
    process.exit(1);
  },
);
