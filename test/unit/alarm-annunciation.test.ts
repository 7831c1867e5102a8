import { describe, expect, it, vi } from 'vitest';
import { Annunciator, type Announcement } from '../../src-main/alarms/annunciator';
import { alarmKpi } from '../../src-main/alarms/kpi';
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

  it('measures time in flood with the ISA-18.2 start and end thresholds', () => {
    // 20 alarms at minute 10, then quiet: flood from minute 10 until the window empties below 5.
    const log = Array.from({ length: 20 }, (_, i) => entry(`x${i}`, 600_000 + i));
    const k = alarmKpi(log, 0, 3_600_000, []);
    expect(k.floodPercent).toBeGreaterThan(100 * (9 * 60_000) / 3_600_000);
    expect(k.floodPercent).toBeLessThan(100 * (11 * 60_000) / 3_600_000);
  });
});
