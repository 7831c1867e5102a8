// How a run's conditions and their diff look: the sections in order with their titles, a change's colour,
// icon and word, the values as people read them (times as local times), and the lookups the screen needs to
// mark a changed value in place (old → new).
import type { ConditionsDiff, RunConditions } from '@shared/api/conditions';
import { formatPath, formatValue, type Json, type JsonChange, type PathSegment } from '@shared/json-diff';
import { formatTime, type Look } from './presentation';

export const SECTIONS = [
  { key: 'start', title: 'Run start' },
  { key: 'software', title: 'Software' },
  { key: 'site', title: 'Site' },
  { key: 'devices', title: 'Devices' },
  { key: 'setup', title: 'Setup' },
  { key: 'hv', title: 'High voltage' },
  { key: 'calibration', title: 'Calibration' },
  { key: 'dq', title: 'Data quality' },
  { key: 'alarms', title: 'Alarms in force' },
] as const;
export type SectionKey = (typeof SECTIONS)[number]['key'];

export function changeLook(op: JsonChange['op']): Look {
  switch (op) {
    case 'changed':
      return { tone: 'warn', icon: '~', label: 'CHANGED' };
    case 'added':
      return { tone: 'good', icon: '+', label: 'ADDED' };
    case 'removed':
      return { tone: 'bad', icon: '−', label: 'REMOVED' };
  }
}

/** Keys whose numbers are times (ms since 1970). */
const TIME_KEYS = new Set(['takenAt', 'activatedAt', 'createdAt', 'until', 'at']);

/** A value for the screen: times as local times, strings unquoted, the rest as compact JSON. */
export function showValue(v: Json | undefined, key?: PathSegment): string {
  if (v === undefined) return '—';
  if (typeof v === 'number' && typeof key === 'string' && TIME_KEYS.has(key)) return formatTime(v);
  if (typeof v === 'string') return v === '' ? '""' : v;
  if (v === null) return '—';
  return formatValue(v, 160);
}

export const pathKey = (path: readonly PathSegment[]): string => JSON.stringify(path);

/** The diff's changes by path, to mark values in place. */
export function changesByPath(diff: ConditionsDiff | null): Map<string, JsonChange> {
  return new Map((diff?.changes ?? []).map((c) => [pathKey(c.path), c]));
}

/** Changes per section. */
export function changesBySection(diff: ConditionsDiff | null): Map<string, JsonChange[]> {
  const out = new Map<string, JsonChange[]>();
  for (const c of diff?.changes ?? []) {
    const s = String(c.path[0]);
    out.set(s, [...(out.get(s) ?? []), c]);
  }
  return out;
}

export interface LeafRow {
  path: PathSegment[];
  /** The path below the section, as read: `beam.energyGeV`, `thresholds.ksDistance.bad`. */
  label: string;
  value: Json;
}

/** Every plain value of a section, in document order (plain arrays as one value). */
export function leaves(section: SectionKey, value: Json): LeafRow[] {
  const rows: LeafRow[] = [];
  const walk = (v: Json, path: PathSegment[]): void => {
    const plainArray = Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object');
    if (v !== null && typeof v === 'object' && !plainArray && (Array.isArray(v) ? v.length : Object.keys(v).length) > 0) {
      if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...path, i]));
      else for (const [k, e] of Object.entries(v)) walk(e, [...path, k]);
      return;
    }
    rows.push({ path, label: formatPath(path.slice(1)) || section, value: v });
  };
  walk(value, [section]);
  return rows;
}

/** The section's value in the document (the sections are the document's top-level keys). */
export function sectionValue(doc: RunConditions, key: SectionKey): Json {
  return doc[key] as unknown as Json;
}

/** `~ 1100 → 1150`, `+ value`, `− value`: a change as text (also the screen reader's words). */
export function changeText(c: JsonChange): string {
  const key = c.path.at(-1);
  switch (c.op) {
    case 'changed':
      return `${showValue(c.old, key)} → ${showValue(c.new, key)}`;
    case 'added':
      return `added: ${showValue(c.new, key)}`;
    case 'removed':
      return `removed: ${showValue(c.old, key)}`;
  }
}
