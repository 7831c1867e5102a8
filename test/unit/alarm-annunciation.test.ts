import { describe, expect, it, vi } from 'vitest';
import { Annunciator, type Announcement } from '../../src-main/alarms/annunciator';
import { alarmKpi } from '../../src-main/alarms/kpi';
import { alarmSummarySection } from '../../src-main/alarms/logbook-link';
import type { AlarmService } from '../../src-main/alarms/alarm-service';
import { kpiEndLines } from '../../src-main/shared/alarm-figures';
import type { LogEntry } from '../../src-main/alarms/record';
import type { Priority } from '../../src-main/shared/alarms';

const ann = (alarm: string, priority: Priority, at = 0) => ({ alarm, name: alarm, priority, at, sound: 'priority' as const });

describe('Annunciator', () => {
  it('announces a few alarms one by one', () => {
    const out: Announcement[] = [];
    const a = new Annunciator((x) => out.push(x));
    a.push(ann('a', 'low'));
    a.push(ann('b', 'high'));
    a.flush();
    expect(out.map((x) => (x.kind === 'alarm' ? x.alarm : 'summary'))).toEqual(['a', 'b']);
  });

  it('summarises a burst of 500 as the most urgent plus "N more"', () => {
    vi.useFakeTimers();
    const out: Announcement[] = [];
    const a = new Annunciator((x) => out.push(x));
    for (let i = 0; i < 500; i++) a.push(ann(`hv-${i}`, i === 321 ? 'critical' : 'medium'));
    vi.advanceTimersByTime(300);
    vi.useRealTimers();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ kind: 'summary', more: 499, first: { alarm: 'hv-321', priority: 'critical' } });
  });
});

describe('alarm KPIs', () => {
  const entry = (alarm: string, at: number, priority: Priority = 'low'): LogEntry => ({
    at, alarm, kind: 'activated', from: 'normal', to: 'unack', priority, value: null, user: null, role: null, reason: null,
  });

  it('counts alarms per 10 minutes, priorities and bad actors', () => {
    const log = [entry('a', 0), entry('a', 60_000, 'high'), entry('b', 700_000, 'medium'), entry('a', 1_000_000)];
    const k = alarmKpi(log, 0, 1_800_000, []);
    expect(k.alarms).toBe(4);
    expect(k.per10Min.buckets.map((b) => b.count)).toEqual([2, 2, 0]);
    expect(k.per10Min.max).toBe(2);
    expect(k.priorities).toEqual({ low: 2, medium: 1, high: 1, critical: 0 });
    expect(k.topAlarms).toEqual([{ alarm: 'a', count: 3 }, { alarm: 'b', count: 1 }]);
    expect(k.floodPercent).toBe(0);
  });

  it('names chattering alarms, the time to acknowledge (median, 90th percentile) and the stale among the standing', () => {
    // 'c' comes back 3 times within a minute once; 'd' three times, but never within a minute.
    const log = [entry('c', 0), entry('c', 20_000), entry('c', 50_000), entry('d', 0), entry('d', 70_000), entry('d', 140_000)];
    const delays = [30_000, 10_000, 20_000, 600_000, 40_000, 50_000, 60_000, 70_000, 80_000, 90_000];
    const standing = [
      { alarm: 'old', state: 'ack' as const, priority: 'medium' as const, since: -25 * 3_600_000 },
      { alarm: 'new', state: 'unack' as const, priority: 'high' as const, since: 3_000_000 },
    ];
    const k = alarmKpi(log, 0, 3_600_000, [], { acknowledgeDelaysMs: delays, standing });
    expect(k.chattering).toEqual([{ alarm: 'c', count: 3 }]);
    expect(k.acknowledge).toEqual({ count: 10, medianMs: 50_000, p90Ms: 90_000 });
    expect(k.standing.map((s) => s.alarm)).toEqual(['old', 'new']);
    expect(k.stale.map((s) => s.alarm)).toEqual(['old']);
    expect(kpiEndLines(k)).toEqual([
      'Chattering (3 times within 60 s): c ×3.',
      'Time to acknowledge: median 50 s, 90 % within 1.5 min (10 acknowledgements).',
      'Standing at the end: old (ack, medium), new (unack, high).',
      'Stale (in alarm over 24 h): old (ack, medium).',
    ]);
    expect(alarmKpi([], 0, 1, []).acknowledge).toEqual({ count: 0, medianMs: null, p90Ms: null });

    // The end-of-shift summary's alarm section carries the same four figures, for the shift asked.
    const asked: [number, number][] = [];
    const service = { kpi: (from: number, to: number) => (asked.push([from, to]), k) } as unknown as AlarmService;
    const section = alarmSummarySection(service)({ from: 0, to: 3_600_000 });
    expect(asked).toEqual([[0, 3_600_000]]);
    expect(section.title).toBe('Alarms');
    expect(section.lines.slice(-4)).toEqual(kpiEndLines(k));
  });

  it('measures time in flood with the ISA-18.2 start and end thresholds', () => {
    // 20 alarms at minute 10, then quiet: flood from minute 10 until the window empties below 5.
    const log = Array.from({ length: 20 }, (_, i) => entry(`x${i}`, 600_000 + i));
    const k = alarmKpi(log, 0, 3_600_000, []);
    expect(k.floodPercent).toBeGreaterThan(100 * (9 * 60_000) / 3_600_000);
    expect(k.floodPercent).toBeLessThan(100 * (11 * 60_000) / 3_600_000);
  });
});
