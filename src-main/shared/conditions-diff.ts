// What changed between two runs' conditions: the structural diff of the two documents, without what always
// differs (the run number, when the snapshot was taken) and with the HV readbacks compared within their noise,
// so that a reader sees the changes that matter. Environment-free (the core, the CLI and the screen use it).
import type { ConditionsDiff, RunConditions } from './api/conditions';
import { diffJson, formatPath, formatValue, type Json, type JsonChange, type PathSegment } from './json-diff';

/**
 * HV readbacks closer than this are the same reading (named defaults): a few times the ADC jitter of an N1470
 * or an iseg module (≈ 0.4 V and 0.05 µA RMS), and well below what a changed setpoint moves (≥ 5 V, a few µA).
 */
export const HV_READBACK_TOLERANCE = { vmonV: 3, imonUA: 1 } as const;

/** Parts of the document that differ from run to run by construction. */
const ALWAYS_DIFFERENT = new Set(['run', 'takenAt']);

function ignored(path: readonly PathSegment[]): boolean {
  return path.length === 1 && ALWAYS_DIFFERENT.has(String(path[0]));
}

function withinNoise(path: readonly PathSegment[], a: number, b: number): boolean {
  if (path.length !== 4 || path[0] !== 'hv' || path[1] !== 'channels') return false;
  if (path[3] === 'vmon') return Math.abs(a - b) < HV_READBACK_TOLERANCE.vmonV;
  if (path[3] === 'imon') return Math.abs(a - b) < HV_READBACK_TOLERANCE.imonUA;
  return false;
}

/** The changes from `from` (old) to `to` (new). */
export function diffConditions(from: RunConditions, to: RunConditions, chosen: ConditionsDiff['chosen'] = 'named', why = ''): ConditionsDiff {
  const { changes, withinTolerance } = diffJson(from as unknown as Json, to as unknown as Json, { ignore: ignored, same: withinNoise });
  const counts = { added: 0, removed: 0, changed: 0 };
  for (const c of changes) counts[c.op] += 1;
  return { from: from.run, to: to.run, chosen, why, changes, counts, withinTolerance, tolerance: { ...HV_READBACK_TOLERANCE } };
}

/** The top-level section a change belongs to (site, devices, setup, hv, …). */
export function sectionOf(change: Pick<JsonChange, 'path'>): string {
  return String(change.path[0] ?? '');
}

/** One change as a line: `~ hv.channels["ECAL0-3-3"].vset: 1100 → 1150`. */
export function changeLine(c: JsonChange): string {
  const path = formatPath(c.path);
  switch (c.op) {
    case 'added':
      return `+ ${path}: ${formatValue(c.new)}`;
    case 'removed':
      return `- ${path}: ${formatValue(c.old)}`;
    case 'changed':
      return `~ ${path}: ${formatValue(c.old)} → ${formatValue(c.new)}`;
  }
}

/** The changes as indented text, one section heading each; "no changes" when there are none. */
export function diffText(diff: ConditionsDiff): string {
  const lines = [`conditions of run ${diff.from} → run ${diff.to}${diff.why ? ` (${diff.why})` : ''}`];
  const { added, removed, changed } = diff.counts;
  lines.push(`  ${changed} changed, ${added} added, ${removed} removed; ${diff.withinTolerance} HV readbacks within ±${diff.tolerance.vmonV} V / ±${diff.tolerance.imonUA} µA`);
  let section = '';
  for (const c of diff.changes) {
    const s = sectionOf(c);
    if (s !== section) {
      section = s;
      lines.push(`  ${s}`);
    }
    lines.push(`    ${changeLine(c)}`);
  }
  if (diff.changes.length === 0) lines.push('  no changes');
  return lines.join('\n');
}

/** `a=1 b="x" c=["on"]`: a flat object on one line (an HV channel, a device, an alarm). */
function flatLine(o: { [key: string]: Json }): string | null {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === 'object' && !(Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'))) return null;
    parts.push(`${k}=${typeof v === 'string' ? v : formatValue(v, 60)}`);
  }
  const line = parts.join(' ');
  return line.length <= 200 ? line : null;
}

/** The document as an indented tree of `key: value` lines; flat objects (a channel, a device) on one line. */
export function conditionsText(doc: RunConditions): string {
  const lines: string[] = [];
  const walk = (v: { [key: string]: Json }, indent: string): void => {
    for (const [k, e] of Object.entries(v)) {
      if (e === null || typeof e !== 'object' || Array.isArray(e) || Object.keys(e).length === 0) {
        lines.push(`${indent}${k}: ${formatValue(e, 200)}`);
        continue;
      }
      const flat = indent.length >= 2 ? flatLine(e) : null;
      if (flat !== null) lines.push(`${indent}${k}: ${flat}`);
      else {
        lines.push(`${indent}${k}`);
        walk(e, `${indent}  `);
      }
    }
  };
  walk(doc as unknown as { [key: string]: Json }, '');
  return lines.join('\n');
}
