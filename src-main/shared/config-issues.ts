// A configuration file's mistakes in words a person can act on: the key path ("devices[2].transport.port")
// and what is allowed there ("a whole number from 1 to 65535, not 70000"; "unknown key "prot"; allowed: id,
// plugin, transport, options"), from zod's issues and the schema itself.
import type { z } from 'zod';

type Key = PropertyKey;

export function keyPath(path: readonly Key[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out || '(the file)';
}

function valueAt(data: unknown, path: readonly Key[]): unknown {
  let v = data;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<Key, unknown>)[k];
  }
  return v;
}

/** A value as it appears in a message: short, and never a wall of text. */
export function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = typeof value === 'string' ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

function kindOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value} (${shown(value)})`;
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

// The schema's internals are read only to name the allowed keys of an object; zod 4 keeps them in `_zod.def`.
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
  in?: z.ZodType;
}
const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The (object) schema that validates the value at `path`, following lists, wrappers and discriminated unions. */
function schemaAt(schema: z.ZodType, path: readonly Key[], data: unknown): z.ZodType | null {
  let s: z.ZodType | undefined = schema;
  let value = data;
  let i = 0;
  for (;;) {
    if (!s) return null;
    const def = defOf(s);
    if (def.innerType) {
      s = def.innerType;
      continue;
    }
    if (def.type === 'pipe' && def.in) {
      s = def.in;
      continue;
    }
    if (def.type === 'union' && def.options) {
      const disc = def.discriminator;
      const tag = disc && value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
      s = def.options.find((o) => {
        const shape = defOf(o).shape;
        const lit = shape && disc ? (defOf(shape[disc]!) as unknown as { values?: unknown[] }).values : undefined;
        return lit?.includes(tag);
      });
      if (!s) return null;
      continue;
    }
    if (i === path.length) return s;
    const k = path[i++]!;
    value = value && typeof value === 'object' ? (value as Record<Key, unknown>)[k] : undefined;
    if (def.type === 'array') s = def.element;
    else if (def.type === 'object') s = def.shape?.[String(k)];
    else return null;
  }
}

function allowedKeys(schema: z.ZodType | undefined, path: readonly Key[], data: unknown): string[] | null {
  if (!schema) return null;
  const at = schemaAt(schema, path, data);
  const shape = at ? defOf(at).shape : undefined;
  return shape ? Object.keys(shape) : null;
}

/** One issue as "what is wrong, and what is allowed" (without the path). */
export function describeIssue(issue: z.core.$ZodIssue, data: unknown, schema?: z.ZodType): string {
  const value = valueAt(data, issue.path);
  switch (issue.code) {
    case 'invalid_type': {
      if (value === undefined) return `required: ${EXPECTED[issue.expected] ?? issue.expected} must be given`;
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${kindOf(value)}`;
    }
    case 'unrecognized_keys': {
      const allowed = allowedKeys(schema, issue.path, data);
      const keys = issue.keys.map((k) => `"${k.slice(0, 40)}"`).join(', ');
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys}${allowed ? `; allowed: ${allowed.join(', ')}` : ''}`;
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options) return `must be one of ${options.map((o) => String(o)).join(', ')}, not ${shown(value)}`;
      return `${shown(value)} fits none of the allowed forms`;
    }
    case 'invalid_value':
      return `must be ${issue.values.length === 1 ? shown(issue.values[0]) : `one of ${issue.values.map((v) => shown(v)).join(', ')}`}, not ${shown(value)}`;
    case 'too_small':
    case 'too_big': {
      const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
      const inclusive = issue.inclusive !== false;
      if (issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint') {
        const rel = issue.code === 'too_small' ? (inclusive ? 'at least' : 'above') : inclusive ? 'at most' : 'below';
        return `must be ${rel} ${bound}, not ${shown(value)}`;
      }
      const unit = issue.origin === 'string' ? 'characters' : issue.origin === 'array' ? 'entries' : 'items';
      return `must have ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} ${unit}`;
    }
    case 'invalid_format':
      return `${issue.message.replace(/^Invalid string: /, '')}, not ${shown(value)}`;
    default:
      return issue.message;
  }
}

/** Every issue as one line "file: key.path: what is wrong". */
export function issueLines(file: string, error: z.ZodError, data: unknown, schema?: z.ZodType, prefix: readonly Key[] = []): string[] {
  return error.issues.map((issue) => `${file}: ${keyPath([...prefix, ...issue.path])}: ${describeIssue(issue, data, schema)}`);
}
