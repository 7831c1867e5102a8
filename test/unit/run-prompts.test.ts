// The run-start prompts: the file (versioned, checked completely at load), the check of a start's answers
// (normalised, or refused naming the field), hostile answers, and the answers a start no one answered gets.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_TYPES } from '../../src-main/shared/api/schemas';
import { checkPrompts, describeAnswers, PromptInput, RunPromptsFile } from '../../src-main/shared/run-prompts';
import { loadPromptsFile, PromptsFileError, RunPromptError, RunPrompts } from '../../src-main/run-control/run-prompts';
import type { Json } from '../../src-main/shared/json-diff';

const file = loadPromptsFile();
const physics = file.types.physics!;
const good = { beamEnergy: 100, beamParticle: 'e-', trigger: 'physics', crew: ['Anna', 'Ben'] };

describe('the prompts file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'na64-prompts-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const load = (content: unknown) => {
    const f = join(dir, 'p.json');
    writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
    return () => loadPromptsFile(f);
  };

  it('is versioned and has the NA64 fields of a physics run', () => {
    expect(file.version).toBeGreaterThanOrEqual(1);
    expect(physics.map((f) => f.key)).toEqual(['beamEnergy', 'beamParticle', 'trigger', 'target', 'crew']);
    expect(physics.filter((f) => f.required).map((f) => f.key)).toEqual(['beamEnergy', 'beamParticle', 'crew']);
    for (const t of RUN_TYPES) expect(Array.isArray(file.types[t] ?? [])).toBe(true);
  });

  it('a malformed file is refused naming the file and the field', () => {
    expect(load('{ not json')).toThrow(PromptsFileError);
    expect(load({ types: {} })).toThrow(/p\.json: version/);
    expect(load({ version: 1, types: { party: [] } })).toThrow(/types: .*party/i);
    const field = { key: 'beamEnergy', label: 'beam energy', type: 'number', unit: 'GeV' };
    expect(load({ version: 1, types: { physics: [{ ...field, type: 'colour' }] } })).toThrow(/types\.physics\.0\.type/);
    expect(load({ version: 1, types: { physics: [{ ...field, min: 200, max: 10 }] } })).toThrow(/types\.physics\.0\.min: min 200 is above max 10/);
    expect(load({ version: 1, types: { physics: [{ ...field, type: 'choice' }] } })).toThrow(/types\.physics\.0\.choices: a choice needs its choices/);
    expect(load({ version: 1, types: { physics: [field, field] } })).toThrow(/types\.physics\.1\.key: the key "beamEnergy" comes twice/);
    expect(load({ version: 1, types: { physics: [{ ...field, min: 10, default: 5 }] } })).toThrow(/default: the default does not fit: beam energy \(GeV\): 5 is below the minimum 10/);
    expect(load({ version: 1, types: { physics: [{ ...field, colour: 'red' }] } })).toThrow(/types\.physics\.0/);
    expect(load({ version: 1, types: { physics: [{ ...field, key: 'beam energy' }] } })).toThrow(/types\.physics\.0\.key: a key is a camelCase word/);
    expect(load({ version: 1, types: { led: [{ key: 'note', label: 'note', type: 'text', default: 'ok' }] } })()).toMatchObject({ version: 1 });
  });
});

describe('checking the answers of a start', () => {
  const check = (input: unknown, options?: { required?: boolean }) => checkPrompts('physics', physics, input, options);

  it('normalises good answers: numbers from text, texts trimmed, lists from a comma-separated text', () => {
    expect(check(good)).toEqual({ ok: true, answers: good });
    expect(check({ beamEnergy: ' 150 ', beamParticle: ' mu+ ', trigger: 'physics', crew: 'Anna,  Ben, ,Anna', target: '  Pb 5 X0  ' })).toEqual({
      ok: true,
      answers: { beamEnergy: 150, beamParticle: 'mu+', trigger: 'physics', crew: ['Anna', 'Ben'], target: 'Pb 5 X0' },
    });
  });

  it('refuses a missing required field naming it', () => {
    expect(check({})).toEqual({ ok: false, field: 'beamEnergy', problem: 'beam energy (GeV) is required' });
    expect(check(undefined)).toMatchObject({ ok: false, field: 'beamEnergy' });
    expect(check({ ...good, crew: [] })).toEqual({ ok: false, field: 'crew', problem: 'crew is required' });
    expect(check({ ...good, crew: ' , ' })).toEqual({ ok: false, field: 'crew', problem: 'crew is required' });
    expect(check({ ...good, beamParticle: null })).toEqual({ ok: false, field: 'beamParticle', problem: 'beam particle is required' });
    expect(check({ ...good, beamEnergy: '   ' })).toMatchObject({ ok: false, field: 'beamEnergy', problem: 'beam energy (GeV) is required' });
  });

  it('refuses values out of range or not in the list, with the allowed ones', () => {
    expect(check({ ...good, beamEnergy: 500 })).toEqual({ ok: false, field: 'beamEnergy', problem: 'beam energy (GeV): 500 is above the maximum 200' });
    expect(check({ ...good, beamEnergy: 1 })).toEqual({ ok: false, field: 'beamEnergy', problem: 'beam energy (GeV): 1 is below the minimum 10' });
    expect(check({ ...good, beamParticle: 'x' })).toEqual({ ok: false, field: 'beamParticle', problem: "beam particle: 'x' is not one of e-, e+, mu+, pi-, K-" });
    expect(check({ ...good, trigger: 'PHYSICS' })).toMatchObject({ ok: false, field: 'trigger' });
  });

  it('refuses hostile input: wrong types, unknown keys, huge strings, too many keys', () => {
    expect(check({ ...good, beamEnergy: 'a hundred' })).toEqual({ ok: false, field: 'beamEnergy', problem: "beam energy (GeV): 'a hundred' is not a number" });
    expect(check({ ...good, beamEnergy: '0x64' })).toMatchObject({ ok: false, field: 'beamEnergy' });
    expect(check({ ...good, beamEnergy: Infinity })).toMatchObject({ ok: false, field: 'beamEnergy' });
    expect(check({ ...good, beamEnergy: [100] })).toMatchObject({ ok: false, field: 'beamEnergy' });
    expect(check({ ...good, beamParticle: ['e-'] })).toMatchObject({ ok: false, field: 'beamParticle' });
    expect(check({ ...good, target: 42 })).toMatchObject({ ok: false, field: 'target', problem: "target / setup note: expected a text, not '42'" });
    expect(check({ ...good, crew: [1, 2] })).toMatchObject({ ok: false, field: 'crew' });
    expect(check({ ...good, crew: { a: 1 } })).toMatchObject({ ok: false, field: 'crew' });
    expect(check({ ...good, colour: 'red' })).toEqual({ ok: false, field: 'colour', problem: "'colour' is not a prompt of a physics run; its prompts are beamEnergy, beamParticle, trigger, target, crew" });
    expect(check({ ...good, __proto__x: 1 })).toMatchObject({ ok: false, field: '__proto__x' });
    expect(check(JSON.parse('{"__proto__": {"beamEnergy": 1}}'))).toMatchObject({ ok: false, field: '__proto__' });
    expect(check([1, 2])).toMatchObject({ ok: false, field: '' });
    expect(check('beamEnergy=100')).toMatchObject({ ok: false, field: '' });
    const huge = 'x'.repeat(100_000);
    const r = check({ ...good, target: huge });
    expect(r).toMatchObject({ ok: false, field: 'target', problem: 'target / setup note: at most 200 characters (100000 given)' });
    const quoted = check({ ...good, beamParticle: huge });
    expect(!quoted.ok && quoted.problem.length).toBeLessThan(200);
    expect(check({ ...good, [huge]: 1 })).toMatchObject({ ok: false, field: 'x'.repeat(60) });
    expect(check({ ...good, crew: Array.from({ length: 21 }, (_, i) => `p${i}`) })).toMatchObject({ ok: false, field: 'crew', problem: 'crew: at most 20 entries (21 given)' });
    expect(check(Object.fromEntries(Array.from({ length: 41 }, (_, i) => [`k${i}`, 1])))).toMatchObject({ ok: false, problem: 'at most 40 prompt answers (41 given)' });
    // The API's schema bounds what reaches the check at all.
    expect(PromptInput.safeParse({ target: huge }).success).toBe(false);
    expect(PromptInput.safeParse({ crew: [{}] }).success).toBe(false);
    expect(PromptInput.safeParse(good).success).toBe(true);
  });

  it('a type without prompts takes none, and refuses any', () => {
    expect(checkPrompts('led', [], {})).toEqual({ ok: true, answers: {} });
    expect(checkPrompts('led', [], { crew: 'A' })).toMatchObject({ ok: false, field: 'crew', problem: "'crew' is not a prompt of a led run; it has none" });
  });

  it('without required, a start no one answered may leave fields out but not give bad ones', () => {
    expect(check({}, { required: false })).toEqual({ ok: true, answers: {} });
    expect(check({ beamEnergy: 7 }, { required: false })).toMatchObject({ ok: false, field: 'beamEnergy' });
  });

  it('describes the answers in one bounded line', () => {
    expect(describeAnswers(physics, good)).toBe('beam energy 100 GeV; beam particle e-; trigger configuration physics; crew Anna, Ben');
    expect(describeAnswers(physics, { ...good, target: 'y'.repeat(1000) }, 100)).toHaveLength(100);
  });
});

describe('the answers a start is taken with', () => {
  let last: { run: number; answers: Record<string, Json> } | null = null;
  const prompts = new RunPrompts(file, { beam: () => ({ energyGeV: 160, particle: 'mu+' }), lastAnswers: () => last });
  afterEach(() => (last = null));

  it('given answers are checked; a missing one is refused naming the field', () => {
    expect(prompts.check('physics', good)).toEqual({ answers: good, version: file.version, source: 'entered' });
    const refused = (() => {
      try {
        prompts.check('physics', { beamEnergy: 100 });
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(RunPromptError);
    expect(refused).toMatchObject({ field: 'beamParticle', message: 'cannot start a physics run: beam particle is required' });
  });

  it('the form starts from the defaults (the setup beam) and then from the last run of the type', () => {
    expect(prompts.answer('physics')).toMatchObject({ last: null, initial: { beamEnergy: 160, beamParticle: 'mu+', trigger: 'physics' } });
    last = { run: 12, answers: { ...good, target: 'old', gone: 'a field the file no longer has', beamEnergy: 999 } };
    expect(prompts.answer('physics').initial).toEqual({ beamEnergy: 160, beamParticle: 'e-', trigger: 'physics', crew: ['Anna', 'Ben'], target: 'old' });
  });

  it('a start no one answered takes the last run, else the defaults, and says so', () => {
    expect(prompts.check('physics', 'remembered')).toEqual({
      answers: { beamEnergy: 160, beamParticle: 'mu+', trigger: 'physics' },
      version: file.version,
      source: `started without prompts: the defaults of prompts v${file.version}; not answered: crew`,
    });
    last = { run: 12, answers: good };
    expect(prompts.check('physics', 'remembered')).toEqual({ answers: good, version: file.version, source: 'started without prompts: the answers of run 12' });
    last = null;
    expect(prompts.check('led', 'remembered')).toEqual({ answers: {}, version: file.version, source: 'started without prompts' });
  });
});

it('the file parses with the shared schema alone (what the renderer may import)', () => {
  expect(RunPromptsFile.safeParse(file).success).toBe(true);
});
