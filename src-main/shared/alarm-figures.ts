// The ISA-18.2 figures beyond rate, flood and priorities, as words: one text for the end-of-shift summary,
// `na64rc ctl alarm kpi` and the Alarms view's figures.
import { CHATTER } from './alarms';
import type { AlarmKpi, StandingAlarm } from './api/alarms';

export function durationWords(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 60_000 ? `${(ms / 1000).toFixed(0)} s` : ms < 7_200_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

export function standingWords(xs: readonly StandingAlarm[]): string {
  return xs.map((s) => `${s.alarm} (${s.state}${s.priority ? `, ${s.priority}` : ''})`).join(', ') || 'none';
}

/** Chattering, time to acknowledge, standing and stale alarms: one sentence each. */
export function kpiEndLines(k: Pick<AlarmKpi, 'chattering' | 'acknowledge' | 'standing' | 'stale'>): string[] {
  const a = k.acknowledge;
  return [
    `Chattering (${CHATTER.times} times within ${CHATTER.withinMs / 1000} s): ${k.chattering.map((c) => `${c.alarm} ×${c.count}`).join(', ') || 'none'}.`,
    `Time to acknowledge: ${a.count ? `median ${durationWords(a.medianMs)}, 90 % within ${durationWords(a.p90Ms)} (${a.count} acknowledgements)` : 'no acknowledgements'}.`,
    `Standing at the end: ${standingWords(k.standing)}.`,
    `Stale (in alarm over 24 h): ${standingWords(k.stale)}.`,
  ];
}
