// From an input value to an alarm level: thresholds with hysteresis, then the on-delay and burst-count
// filters that keep noise from ringing (Phoebus: delay + count; ISA-18.2: deadband).
import { priorityRank, type Priority } from '../shared/alarms';
import type { AlarmDefinition, Condition } from './definitions';

/** The level the raw value is at, with hysteresis against the previous raw level. */
export function rawLevel(condition: Condition, value: number | boolean, previous: Priority | null): Priority | null {
  if (condition.kind === 'true') return value === true || value === 1 ? condition.priority : null;
  const v = typeof value === 'boolean' ? Number(value) : value;
  const levels = condition.levels;
  for (let i = levels.length - 1; i >= 0; i--) {
    const { priority, set } = levels[i]!;
    const held = priorityRank(previous) >= priorityRank(priority);
    const inAlarm =
      condition.kind === 'above'
        ? v >= set || (held && v > set - condition.deadband)
        : v <= set || (held && v < set + condition.deadband);
    if (inAlarm) return priority;
  }
  return null;
}

/** Per-alarm memory of the filters; not persisted (a restart re-learns it from the next inputs). */
export interface FilterState {
  raw: Priority | null;
  /** When the raw level last rose to where it is. */
  roseAt: number;
  /** When the raw condition entered alarm, within the count window. */
  entries: number[];
}

export function newFilter(): FilterState {
  return { raw: null, roseAt: 0, entries: [] };
}

/**
 * The filtered level: falling (or clearing) is immediate; rising needs the condition to hold for the delay,
 * or to have come back `count.times` within `count.withinMs`.
 */
export function filterLevel(def: AlarmDefinition, f: FilterState, raw: Priority | null, active: Priority | null, now: number): Priority | null {
  if (priorityRank(raw) > priorityRank(f.raw)) {
    f.roseAt = now;
    if (f.raw === null) f.entries.push(now);
  }
  f.raw = raw;
  if (def.count) {
    const from = now - def.count.withinMs;
    while (f.entries.length && f.entries[0]! < from) f.entries.shift();
  }
  if (raw === null || priorityRank(raw) <= priorityRank(active)) return raw;
  const held = now - f.roseAt >= def.delayMs;
  const burst = def.count !== undefined && f.entries.length >= def.count.times;
  return held || burst ? raw : active;
}
