// /api/v1 as the one contract serves it: its OpenAPI document is valid and names every route README.md
// promises (with its query parameters), malformed requests get a 400 that names the field, commands are not
// reachable over HTTP, and every error is the documented JSON body.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendererDir } from '../../src-main/cli/paths';
import { silentLogger } from '../../src-main/log';
import { startServer, type RunningServer } from '../../src-main/server/http-server';
import { VERSION } from '../../src-main/version';
import { openSimulatedCore, type SimulatedCore } from '../support/simulated-core';

let dir: string;
let sim: SimulatedCore;
let server: RunningServer;
let token: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-openapi-'));
  sim = await openSimulatedCore(dir, { timeScale: 100, seed: 2 });
  token = sim.core.startToken;
  server = await startServer(sim.core, { host: '127.0.0.1', port: 0, rendererDir: rendererDir(), log: silentLogger() });
});

afterAll(async () => {
  await server?.close();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function get(path: string, method = 'GET') {
  const res = await fetch(`${server.url}${path}`, { method, headers: { Authorization: `Bearer ${token}` } });
  const type = res.headers.get('content-type') ?? '';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of any shape, checked by the assertions
  const body: any = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, type, body };
}

interface Operation {
  operationId?: string;
  parameters?: { name: string; in: string }[];
  responses?: Record<string, { content?: Record<string, unknown> }>;
}
type Document = { openapi: string; info: { title: string; version: string }; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: object } };

/** `/api/v1/runs/:run/histograms[/:name][?format=root\|csv]` → each path it names, with its query parameters. */
function readmeRoutes(readme: string): { path: string; query: string[] }[] {
  const section = readme.split('### Read-only HTTP API')[1]!.split('\n### ')[0]!;
  const routes: { path: string; query: string[] }[] = [];
  for (const [, spec] of section.matchAll(/`GET (\/api\/v1[^`]*)`/g)) {
    // Each [optional part] is there or not; within it, `\|` before a "/" separates alternatives.
    let variants = [''];
    for (const [, plain, optional] of spec!.matchAll(/([^[]*)(?:\[([^\]]*)\])?/g)) {
      const choices = optional === undefined ? [''] : ['', ...optional.split(/\\\|(?=\/)/)];
      variants = variants.flatMap((v) => choices.map((c) => v + plain + c));
    }
    for (const v of new Set(variants)) {
      const cut = v.search(/[?&]/) < 0 ? v.length : v.search(/[?&]/);
      const [path, query] = [v.slice(0, cut), v.slice(cut)];
      const names = [...query.matchAll(/(?:[?&]([a-z]+)(?==|&|$))|(?:\\\|([a-z]+)(?==))/g)].map((m) => m[1] ?? m[2]!);
      routes.push({ path: path.replace(/^\/api\/v1/, '').replace(/:([a-z]+)/g, '{$1}'), query: names });
    }
  }
  return routes;
}

describe('the OpenAPI document of /api/v1', () => {
  let doc: Document;

  beforeAll(async () => {
    const r = await get('/api/v1/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
  });

  it('is a valid OpenAPI document with the app version and a bearer token', async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.info.version).toBe(VERSION);
    expect(doc.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' } });
    expect((await fetch(`${server.url}/api/v1/openapi.json`)).status).toBe(401);
  });

  it('lists every route README.md names, with its query parameters, and only GET routes', () => {
    const routes = readmeRoutes(readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8'));
    expect(routes.length).toBeGreaterThan(25);
    const generic = (p: string) => p.replace(/\{[^}]+\}/g, '{}');
    const byPath = new Map(Object.entries(doc.paths).map(([p, ops]) => [generic(p), ops]));
    for (const route of routes) {
      const op = byPath.get(generic(route.path))?.get;
      expect(op, `${route.path} is in the document`).toBeDefined();
      const params = (op!.parameters ?? []).map((p) => p.name);
      for (const name of route.query) expect(params, `${route.path}?${name}`).toContain(name);
    }
    // The file and format routes say what they answer besides JSON; every route documents its errors.
    for (const path of ['/dq/bad-spills', '/hv-audit', '/audit', '/hv/{channel}/history', '/calibration/sets/{version}', '/runs/{run}/histograms/{name}']) {
      expect(Object.keys(doc.paths[path]!.get!.responses!['200']!.content!), path).toEqual(expect.arrayContaining(['application/json', 'text/csv; charset=utf-8']));
    }
    expect(doc.paths['/runs/{run}']!.get!.responses).toMatchObject({ 400: {}, 401: {}, 404: {} });
    const methods = Object.values(doc.paths).flatMap((ops) => Object.keys(ops));
    expect(new Set(methods)).toEqual(new Set(['get']));
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    for (const command of ['run.start', 'run.stop', 'hv.command', 'alarms.acknowledge', 'logbook.write', 'devices.site.load']) expect(ids).not.toContain(command);
  });

  it('says what a run number is (1…2³¹−1) and what each error means, in words', () => {
    const run = doc.paths['/runs/{run}']!.get!.parameters!.find((p) => p.name === 'run') as unknown as { schema: { minimum?: number; maximum?: number } };
    expect(run.schema).toMatchObject({ minimum: 1, maximum: 2 ** 31 - 1 });
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [status, response] of Object.entries(ops.get?.responses ?? {})) expect((response as { description: string }).description, `${path} ${status}`).not.toMatch(/^\d+$/);
    }
  });
});

describe('/api/v1 errors', () => {
  it('answers a malformed request with 400 and a sentence that names the field', async () => {
    for (const [path, field] of [
      ['/api/v1/runs?limit=abc', 'limit'],
      ['/api/v1/runs?before=-3', 'before'],
      ['/api/v1/runs/0/spills', 'run'],
      ['/api/v1/spills/1/99999/histograms', 'spill'],
      ['/api/v1/alarms?all=maybe', 'all'],
      ['/api/v1/alarms/log?limit=0', 'limit'],
      ['/api/v1/logbook?from=yesterday', 'from'],
      ['/api/v1/devices/log?device=NOT%20AN%20ID', 'device'],
      ['/api/v1/dq/bad-spills?format=xml', 'format'],
      ['/api/v1/audit?result=maybe', 'result'],
      ['/api/v1/runs/1/histograms/Bad-Name?format=csv', 'name'],
    ] as const) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.type, path).toMatch(/^application\/json/);
      expect(r.body, path).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringContaining(`${field}: `) } });
    }
  });

  it('answers unknown paths with 404 and writes or commands with 405, as JSON', async () => {
    for (const path of ['/api/v1/no/such/thing', '/api/v1/run/start', '/api/v1/hv/command', '/api/v1/openapi.yaml']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.body, path).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    }
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/api/v1/status', '/api/v1/run/start', '/api/v1/logbook']) {
        const r = await get(path, method);
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.body.error.code).toBe('METHOD_NOT_ALLOWED');
      }
    }
    expect(sim.core.runControl.current()).toBeNull();
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await fetch(`${server.url}/api/v1/status`, { method: 'HEAD', headers: { Authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe('');
  });
});
