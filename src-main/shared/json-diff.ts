// A structural diff of two JSON documents: what was added, removed or changed, each with its path and its
// old → new values. Objects are compared key by key (the keys' order does not matter), arrays of plain values
// as one value ("[on] → [on, trip]" reads better than one change per index), arrays of objects element by
// element. Environment-free: the core, the CLI and the renderer use the same code.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A key of an object (string) or an index in an array (number). */
export type PathSegment = string | number;

export type JsonChange =
  | { op: 'added'; path: PathSegment[]; new: Json }
  | { op: 'removed'; path: PathSegment[]; old: Json }
  | { op: 'changed'; path: PathSegment[]; old: Json; new: Json };

export interface JsonDiffOptions {
  /** Leave these out (and all under them). */
  ignore?: (path: readonly PathSegment[]) => boolean;
  /**
   * Two differing plain values that count as the same (a readback within its noise); called only for numbers
   * that differ. The diff counts how many were taken as the same.
   */
  same?: (path: readonly PathSegment[], a: number, b: number) => boolean;
}

export interface JsonDiff {
  changes: JsonChange[];
  /** Differing numbers that `same` took as equal. */
  withinTolerance: number;
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isPlain(v: Json): boolean {
  return v === null || typeof v !== 'object';
}

/** Deep equality of two JSON values (objects regardless of key order). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]!));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k]!, b[k]!));
  }
  return false;
}

/** Every difference from `a` (old) to `b` (new), in document order (a's keys first, then b's new ones). */
export function diffJson(a: Json, b: Json, options: JsonDiffOptions = {}): JsonDiff {
  const changes: JsonChange[] = [];
  let withinTolerance = 0;
  const walk = (x: Json, y: Json, path: PathSegment[]): void => {
    if (options.ignore?.(path)) return;
    if (isObject(x) && isObject(y)) {
      for (const key of Object.keys(x)) {
        const p = [...path, key];
        if (!Object.hasOwn(y, key)) {
          if (!options.ignore?.(p)) changes.push({ op: 'removed', path: p, old: x[key]! });
        } else walk(x[key]!, y[key]!, p);
      }
      for (const key of Object.keys(y)) {
        const p = [...path, key];
        if (!Object.hasOwn(x, key) && !options.ignore?.(p)) changes.push({ op: 'added', path: p, new: y[key]! });
      }
      return;
    }
    if (Array.isArray(x) && Array.isArray(y) && !(x.every(isPlain) && y.every(isPlain))) {
      const common = Math.min(x.length, y.length);
      for (let i = 0; i < common; i++) walk(x[i]!, y[i]!, [...path, i]);
      for (let i = common; i < x.length; i++) changes.push({ op: 'removed', path: [...path, i], old: x[i]! });
      for (let i = common; i < y.length; i++) changes.push({ op: 'added', path: [...path, i], new: y[i]! });
      return;
    }
    if (jsonEqual(x, y)) return;
    if (typeof x === 'number' && typeof y === 'number' && options.same?.(path, x, y)) {
      withinTolerance += 1;
      return;
    }
    changes.push({ op: 'changed', path, old: x, new: y });
  };
  walk(a, b, []);
  return { changes, withinTolerance };
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A path as people read it: `hv.channels["ECAL1-3-3"].vset`, `alarms["hv.trip:S0"].limits`, `list[2]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const s of path) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENTIFIER.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** A value on one line, shortened: strings quoted, objects and arrays as compact JSON. */
export function formatValue(v: Json | undefined, max = 120): string {
  if (v === undefined) return '—';
  const text = JSON.stringify(v);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
