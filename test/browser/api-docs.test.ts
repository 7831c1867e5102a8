// The API view's list in real Chromium, fed the OpenAPI document the contract's GET routes make: every
// operation with its method, path, summary, parameters with types and answers; the filter narrows it.
import { OpenAPIGenerator } from '@orpc/openapi';
import { ZodToJsonSchemaConverter } from '@orpc/zod/zod4';
import { mount } from '@vue/test-utils';
import { beforeAll, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { contract } from '@shared/api/contract';
import ApiOperations from '../../src-renderer/components/api/ApiOperations.vue';
import { matches, operations, schemaType, type OpenApiDocument } from '../../src-renderer/api-docs';
import { NAV } from '../../src-renderer/router';

let doc: OpenApiDocument;

beforeAll(async () => {
  const generator = new OpenAPIGenerator({ schemaConverters: [new ZodToJsonSchemaConverter()] });
  doc = (await generator.generate(contract, {
    info: { title: 'NA64 Run Control: read-only HTTP API', version: '9.9.9' },
    servers: [{ url: '/api/v1' }],
    filter: ({ contract: c }) => c['~orpc'].route.method === 'GET' && c['~orpc'].route.path !== undefined,
  })) as unknown as OpenApiDocument;
});

describe('the API view', () => {
  it('lists every operation with method, path, summary, typed parameters and answers', async () => {
    const w = mount(ApiOperations, { props: { doc } });
    const ops = w.findAll('[data-testid="api-operation"]');
    expect(ops.length).toBe(operations(doc).length);
    expect(ops.length).toBeGreaterThan(15);
    expect(w.text()).toContain('version 9.9.9');

    const search = w.find('[data-path="/api/v1/logbook"]');
    expect(search.text()).toContain('GET');
    expect(search.text()).toContain('Logbook search');
    const params = search.findAll('[data-testid="api-parameter"]').map((p) => p.text());
    expect(params.find((p) => p.startsWith('limit'))).toMatch(/query.*integer 1…500/);
    expect(params.find((p) => p.startsWith('before'))).toMatch(/query.*integer/);
    expect(search.findAll('[data-testid="api-response"]')[0]!.text()).toMatch(/^200 .*application\/json/);

    const run = w.find('[data-path="/api/v1/runs/{run}"]');
    expect(run.find('[data-testid="api-parameter"]').text()).toMatch(/^run\*\s*path/);
    expect(run.findAll('[data-testid="api-response"]').map((r) => r.text().slice(0, 3))).toContain('404');
  });

  it('filters by every word: path, summary, tag or parameter', async () => {
    const w = mount(ApiOperations, { props: { doc } });
    const filter = w.find('[data-testid="api-filter"]');
    await filter.setValue('logbook');
    const logbook = w.findAll('[data-testid="api-operation"]').map((o) => o.attributes('data-path'));
    expect(logbook.length).toBeGreaterThanOrEqual(4);
    // The logbook's routes, and the routes with a `logbook` tag or parameter.
    expect(logbook.filter((p) => p!.startsWith('/api/v1/logbook')).length).toBeGreaterThanOrEqual(4);
    expect(logbook).toContain('/api/v1/logbook');
    await filter.setValue('runs site');
    expect(w.findAll('[data-testid="api-operation"]').map((o) => o.attributes('data-path'))).toEqual(['/api/v1/runs/{run}/site']);
    await filter.setValue('no-such-operation');
    await nextTick();
    expect(w.findAll('[data-testid="api-operation"]')).toHaveLength(0);
    expect(w.find('[data-testid="api-none"]').text()).toContain('no-such-operation');
  });

  it('says what a parameter takes in a few words, and sits on Alt+A', () => {
    expect(schemaType({ type: 'integer', minimum: 1, maximum: 1000, default: 100 })).toBe('integer 1…1000 (default 100)');
    expect(schemaType({ enum: ['root', 'csv'] })).toBe('root | csv');
    expect(schemaType({ anyOf: [{ type: 'number' }, { type: 'string' }] })).toBe('number or string');
    const op = operations(doc).find((o) => o.path === '/api/v1/alarms/log')!;
    expect(matches(op, 'ALARM limit')).toBe(true);
    expect(matches(op, 'alarm hv')).toBe(false);
    expect(NAV.find((n) => n.name === 'api')).toMatchObject({ label: 'API', key: 'a' });
  });
});
