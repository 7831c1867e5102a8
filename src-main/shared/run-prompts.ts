// What a run is started with, beside the comment: the run type's start prompts (MIDAS's edit-on-start), defined
// in a versioned file (setups/run-prompts/run-prompts.json): per run type a list of fields, each a number, a
// text, a choice from a list or a list of texts, required or not, with its unit, range and default. The answers
// are checked here, by the core before a run number is given and by the screen with the same words, and stored
// in the run's conditions with the file's version. Environment-free: the core, the CLI and the renderer use it.
import { z } from 'zod';
import { RUN_TYPES, RunType } from './api/schemas';
import type { Json } from './json-diff';

export const PROMPT_TYPES = ['number', 'text', 'choice', 'list-of-text'] as const;
/** Bounds on any answer, whatever the file says: a text's characters, a list's entries, the keys sent. */
export const TEXT_MAX = 200;
export const LIST_MAX = 20;
export const KEYS_MAX = 40;
/** Where a default may come from instead of the file: the setup's beam (so each setup gets its own). */
export const DEFAULT_SOURCES = ['setup beam energy', 'setup beam particle'] as const;

const Plain = z.union([z.number(), z.string().max(TEXT_MAX), z.array(z.string().max(TEXT_MAX)).max(LIST_MAX)]);

export const PromptField = z
  .strictObject({
    /** Its name in the API, the CLI (--prompt key=value) and the stored answers. */
    key: z.string().regex(/^[a-z][A-Za-z0-9]{0,39}$/, 'a key is a camelCase word of at most 40 letters and digits'),
    label: z.string().min(1).max(60),
    type: z.enum(PROMPT_TYPES),
    unit: z.string().min(1).max(12).optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    /** The allowed values of a choice. */
    choices: z.array(z.string().min(1).max(60)).min(1).max(40).optional(),
    required: z.boolean().default(false),
    default: Plain.optional(),
    defaultFrom: z.enum(DEFAULT_SOURCES).optional(),
    help: z.string().max(200).optional(),
  })
  .superRefine((f, ctx) => {
    const say = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (f.type === 'choice' && !f.choices) say('a choice needs its choices', 'choices');
    if (f.type !== 'choice' && f.choices) say(`choices belong to a choice, not a ${f.type}`, 'choices');
    if (f.type !== 'number' && (f.min !== undefined || f.max !== undefined)) say(`min and max belong to a number, not a ${f.type}`, 'min');
    if (f.min !== undefined && f.max !== undefined && f.min > f.max) say(`min ${f.min} is above max ${f.max}`, 'min');
    if (f.default !== undefined && f.defaultFrom !== undefined) say('give default or defaultFrom, not both', 'default');
    if (f.default !== undefined) {
      const r = check({ ...f, required: true }, f.default);
      if ('problem' in r) say(`the default does not fit: ${r.problem}`, 'default');
    }
  });
export type PromptField = z.infer<typeof PromptField>;

const Fields = z.array(PromptField).max(KEYS_MAX).superRefine((fields, ctx) => {
  const seen = new Set<string>();
  fields.forEach((f, i) => {
    if (seen.has(f.key)) ctx.addIssue({ code: 'custom', message: `the key "${f.key}" comes twice`, path: [i, 'key'] });
    seen.add(f.key);
  });
});

/** The prompts file: its version (stored with every run's answers) and the fields of each run type (none if absent). */
export const RunPromptsFile = z.strictObject({
  version: z.number().int().positive(),
  types: z.strictObject(Object.fromEntries(RUN_TYPES.map((t) => [t, Fields.optional()])) as Record<RunType, z.ZodOptional<typeof Fields>>),
});
export type RunPromptsFile = z.infer<typeof RunPromptsFile>;

/** What the screen and the CLI need of a run type's prompts: the fields, and the answers to put in them first. */
export const RunPromptsAnswer = z.object({
  type: RunType,
  version: z.number().int(),
  fields: z.array(PromptField),
  /** The last run of this type (and setup) and its answers (null: none yet, or started before prompts). */
  last: z.object({ run: z.number().int(), answers: z.record(z.string(), Plain) }).nullable(),
  /** What the form starts with: the last run's answers where they still fit, else the defaults. */
  initial: z.record(z.string(), Plain),
});
export type RunPromptsAnswer = z.infer<typeof RunPromptsAnswer>;

/** Answers as the API carries them: a number, a text, or a list of texts per key (null: not answered). */
export const PromptInput = z
  .record(z.string().max(60), z.union([z.number(), z.string().max(4000), z.array(z.string().max(4000)).max(100), z.null()]))
  .refine((r) => Object.keys(r).length <= KEYS_MAX, `at most ${KEYS_MAX} prompt answers`);
export type PromptInput = z.infer<typeof PromptInput>;

/** The field's name as a shifter reads it: "beam energy (GeV)". */
export function fieldName(f: Pick<PromptField, 'label' | 'unit'>): string {
  return f.unit ? `${f.label} (${f.unit})` : f.label;
}

/** A value as it may be quoted back, bounded (a hostile value is not echoed in full). */
function quote(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return `'${s.length > 40 ? `${s.slice(0, 40)}…` : s}'`;
}

const empty = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);

/** The normalised answer (`undefined`: none given, allowed only when not required), or the problem in words. */
function check(f: PromptField, v: unknown): { value: Json | undefined } | { problem: string } {
  const name = fieldName(f);
  if (empty(v)) return f.required ? { problem: `${name} is required` } : { value: undefined };
  switch (f.type) {
    case 'number': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isFinite(n)) return { problem: `${name}: ${quote(v)} is not a number` };
      if (f.min !== undefined && n < f.min) return { problem: `${name}: ${n} is below the minimum ${f.min}` };
      if (f.max !== undefined && n > f.max) return { problem: `${name}: ${n} is above the maximum ${f.max}` };
      return { value: n };
    }
    case 'text': {
      if (typeof v !== 'string') return { problem: `${name}: expected a text, not ${quote(v)}` };
      const t = v.trim();
      if (t.length > TEXT_MAX) return { problem: `${name}: at most ${TEXT_MAX} characters (${t.length} given)` };
      return { value: t };
    }
    case 'choice': {
      if (typeof v !== 'string') return { problem: `${name}: expected one of ${f.choices!.join(', ')}, not ${quote(v)}` };
      const t = v.trim();
      if (!f.choices!.includes(t)) return { problem: `${name}: ${quote(t)} is not one of ${f.choices!.join(', ')}` };
      return { value: t };
    }
    case 'list-of-text': {
      // A list, or one text with the entries separated by commas (the CLI's --prompt crew="A, B").
      const raw = typeof v === 'string' ? v.split(',') : Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
      if (!raw) return { problem: `${name}: expected a list of names, not ${quote(v)}` };
      const items = [...new Set(raw.map((x) => x.trim()).filter(Boolean))];
      if (items.length === 0) return f.required ? { problem: `${name} is required` } : { value: undefined };
      if (items.length > LIST_MAX) return { problem: `${name}: at most ${LIST_MAX} entries (${items.length} given)` };
      const long = items.find((x) => x.length > TEXT_MAX);
      if (long) return { problem: `${name}: an entry has more than ${TEXT_MAX} characters (${quote(long)})` };
      return { value: items };
    }
  }
}

export type PromptsOutcome = { ok: true; answers: Record<string, Json> } | { ok: false; field: string; problem: string };

/**
 * Check a start's answers against the run type's fields: the normalised answers (numbers as numbers, texts
 * trimmed, lists without blanks and repeats; fields not answered left out), or the first problem with the key
 * of the field it is about. Keys the run type does not have are refused. With `required: false` (a start that no
 * person answered) a required field may be left out; a value given must still fit.
 */
export function checkPrompts(type: RunType, fields: readonly PromptField[], input: unknown, options: { required?: boolean } = {}): PromptsOutcome {
  const required = options.required ?? true;
  const given: Record<string, unknown> = input === undefined || input === null ? {} : (input as Record<string, unknown>);
  if (typeof given !== 'object' || Array.isArray(given)) return { ok: false, field: '', problem: 'the prompt answers must be an object of key: value' };
  const keys = Object.keys(given);
  if (keys.length > KEYS_MAX) return { ok: false, field: '', problem: `at most ${KEYS_MAX} prompt answers (${keys.length} given)` };
  const known = new Set(fields.map((f) => f.key));
  const unknown = keys.find((k) => !known.has(k));
  if (unknown !== undefined) {
    const list = fields.length ? `its prompts are ${fields.map((f) => f.key).join(', ')}` : 'it has none';
    return { ok: false, field: unknown.slice(0, 60), problem: `${quote(unknown)} is not a prompt of a ${type} run; ${list}` };
  }
  const answers: Record<string, Json> = {};
  for (const f of fields) {
    const r = check(required ? f : { ...f, required: false }, Object.hasOwn(given, f.key) ? given[f.key] : undefined);
    if ('problem' in r) return { ok: false, field: f.key, problem: r.problem };
    if (r.value !== undefined) answers[f.key] = r.value;
  }
  return { ok: true, answers };
}

/** The answers as one short line, for the audit trail and the CLI: "beam energy 100 GeV, beam particle e-, crew A, B". */
export function describeAnswers(fields: readonly PromptField[], answers: Record<string, Json>, max = 300): string {
  const parts = fields
    .filter((f) => answers[f.key] !== undefined)
    .map((f) => {
      const v = answers[f.key]!;
      const text = Array.isArray(v) ? v.join(', ') : String(v);
      return `${f.label} ${text}${f.unit ? ` ${f.unit}` : ''}`;
    });
  const line = parts.join('; ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
