// The ISA-18.2 alarm-system figures for a shift, from the alarm log: alarm rate per 10 minutes, time in
// flood, priority distribution, the alarms that come back most (bad actors) and those that chatter, time to
// acknowledge, the alarms standing at the end of the shift and the stale ones among them, what is shelved now.
import { CHATTER, PRIORITIES, STALE_AFTER_MS, type Priority } from '../shared/alarms';
import type { AlarmKpi, StandingAlarm } from '../shared/api/alarms';
import type { LogEntry } from './record';

const TEN_MINUTES = 600_000;
/** ISA-18.2: a flood starts above 10 alarms in 10 minutes (per operator) and ends below 5. */
export const FLOOD = { startAbove: 10, endBelow: 5 };

/** What the period's end knows beyond the activations: the acknowledgements' delays and the standing alarms. */
export interface KpiEnd {
  acknowledgeDelaysMs: readonly number[];
  standing: readonly StandingAlarm[];
}

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: readonly number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function chattering(activations: readonly LogEntry[]): { alarm: string; count: number }[] {
  const times = new Map<string, number[]>();
  for (const a of activations) {
    const at = times.get(a.alarm);
    if (at) at.push(a.at);
    else times.set(a.alarm, [a.at]);
  }
  const out: { alarm: string; count: number }[] = [];
  for (const [alarm, at] of times) {
    const chatters = at.some((t, i) => i + CHATTER.times - 1 < at.length && at[i + CHATTER.times - 1]! - t <= CHATTER.withinMs);
    if (chatters) out.push({ alarm, count: at.length });
  }
  return out.sort((a, b) => b.count - a.count || a.alarm.localeCompare(b.alarm));
}

export function alarmKpi(
  log: readonly LogEntry[],
  from: number,
  to: number,
  shelved: AlarmKpi['shelved'],
  end: KpiEnd = { acknowledgeDelaysMs: [], standing: [] },
): AlarmKpi {
  const inPeriod = log.filter((e) => e.at >= from && e.at < to);
  const activations = inPeriod.filter((e) => e.kind === 'activated');
  activations.sort((a, b) => a.at - b.at);
  const buckets: { start: number; count: number }[] = [];
  for (let start = from; start < to; start += TEN_MINUTES) buckets.push({ start, count: 0 });
  for (const a of activations) {
    const b = buckets[Math.floor((a.at - from) / TEN_MINUTES)];
    if (b) b.count += 1;
  }

  // Time in flood: slide a 10-minute window in 1-minute steps with the start/end hysteresis.
  const step = 60_000;
  let flooded = 0;
  let inFlood = false;
  let lo = 0;
  let hi = 0;
  for (let t = from; t < to; t += step) {
    while (hi < activations.length && activations[hi]!.at <= t) hi++;
    while (lo < hi && activations[lo]!.at <= t - TEN_MINUTES) lo++;
    const count = hi - lo;
    if (!inFlood && count > FLOOD.startAbove) inFlood = true;
    else if (inFlood && count < FLOOD.endBelow) inFlood = false;
    if (inFlood) flooded += Math.min(step, to - t);
  }

  const priorities = Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<Priority, number>;
  const perAlarm = new Map<string, number>();
  // The priority distribution counts what was annunciated: new alarms and escalations.
  for (const e of inPeriod) if ((e.kind === 'activated' || e.kind === 'escalated') && e.priority) priorities[e.priority] += 1;
  for (const a of activations) perAlarm.set(a.alarm, (perAlarm.get(a.alarm) ?? 0) + 1);
  const counts = buckets.map((b) => b.count);
  const delays = [...end.acknowledgeDelaysMs].sort((a, b) => a - b);
  return {
    from,
    to,
    alarms: activations.length,
    per10Min: {
      average: buckets.length ? activations.length / buckets.length : 0,
      max: counts.length ? Math.max(...counts) : 0,
      buckets,
    },
    floodPercent: to > from ? (100 * flooded) / (to - from) : 0,
    priorities,
    topAlarms: [...perAlarm.entries()]
      .map(([alarm, count]) => ({ alarm, count }))
      .sort((a, b) => b.count - a.count || a.alarm.localeCompare(b.alarm))
      .slice(0, 10),
    shelved,
    chattering: chattering(activations),
    acknowledge: { count: delays.length, medianMs: quantile(delays, 0.5), p90Ms: quantile(delays, 0.9) },
    standing: [...end.standing],
    stale: end.standing.filter((s) => s.since !== null && to - s.since > STALE_AFTER_MS),
  };
}
