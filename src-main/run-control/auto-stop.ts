// A run's automatic stop (MIDAS's "stop after N events", with its auto-restart): the run ends by itself at
// the first of its limits (spills taken, the setup's counting unit collected, minutes since the start),
// with the end reason "completed as planned" and the limit in words. Spill and counting-unit limits are
// looked at when a spill of the run is stored, so a run never stops inside a spill; a time limit stops like
// a shifter's stop (at the end of the spill in progress).
import type { AutoStop, AutoStopView } from '../shared/api/run-transition';

export interface AutoStopProgress {
  spills: number;
  units: number;
  startedAt: number;
  /** Time spent paused, which the time limit does not count. */
  pausedMs: number;
}

const unitWords = (n: number) => n.toPrecision(3).replace(/e\+?/, '×10^');

/** The limit reached, in words ("20 spills taken"), or null while none is. */
export function autoStopReached(limits: AutoStop, unit: string, p: AutoStopProgress, now: number): string | null {
  if (limits.spills !== undefined && p.spills >= limits.spills) return `automatic stop: ${p.spills} spill${p.spills === 1 ? '' : 's'} taken (limit ${limits.spills})`;
  if (limits.units !== undefined && p.units >= limits.units) return `automatic stop: ${unitWords(p.units)} ${unit} collected (limit ${unitWords(limits.units)})`;
  const endsAt = autoStopEndsAt(limits, p);
  if (endsAt !== null && now >= endsAt) return `automatic stop: ${limits.minutes} min of data taking`;
  return null;
}

/** When the time limit stops the run (ms), or null without one. */
export function autoStopEndsAt(limits: AutoStop, p: Pick<AutoStopProgress, 'startedAt' | 'pausedMs'>): number | null {
  return limits.minutes === undefined ? null : p.startedAt + p.pausedMs + limits.minutes * 60_000;
}

export function autoStopView(limits: AutoStop, unit: string, p: AutoStopProgress, chain: number): AutoStopView {
  return { limits, unit, spills: p.spills, units: p.units, endsAt: autoStopEndsAt(limits, p), restart: limits.restart, chain };
}

/** The limits in words, for the run's start comment and the audit. */
export function autoStopWords(limits: AutoStop, unit: string): string {
  const parts = [
    limits.spills === undefined ? null : `${limits.spills} spills`,
    limits.units === undefined ? null : `${unitWords(limits.units)} ${unit}`,
    limits.minutes === undefined ? null : `${limits.minutes} min`,
  ].filter((x): x is string => x !== null);
  return `stop after ${parts.join(' or ')}${limits.restart ? ', then start the next run' : ''}`;
}
