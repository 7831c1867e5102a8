// The HV history writer and query: deadband and maximum interval for raw samples, incremental roll-ups
// per level, the level chosen from the plot width, catch-up after a restart, retention, and raw CSV.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { DEADBAND, HvHistory, MAX_INTERVAL_MS } from '../../src-main/hv/history';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-hvh-'));
  db = openDatabase(join(dir, 'db.sqlite'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 4, 1); // a midnight: every level's bucket starts here

function feed(h: HvHistory, seconds: number, value: (s: number) => [number, number], from = 0) {
  h.transaction(() => {
    for (let s = from; s < from + seconds; s++) {
      const [v, i] = value(s);
      h.record(T0 + s * 1000, [v], [i], [1]);
    }
  });
}

const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;

describe('HV history', () => {
  it('stores raw samples only beyond the deadband or at the maximum interval, but rolls up every reading', () => {
    const h = new HvHistory(db, ['ECAL1-3-3']);
    feed(h, 3600, (s) => [1000 + (s % 2) * DEADBAND.vmon * 0.5, 200]);
    // Flat within the deadband: one sample at the start and one per maximum interval.
    expect(count('SELECT count(*) AS n FROM hv_samples')).toBe(Math.ceil(3_600_000 / MAX_INTERVAL_MS));
    feed(h, 10, (s) => [1000 + s * 10, 200], 3600);
    expect(count('SELECT count(*) AS n FROM hv_samples')).toBe(12 + 10);
    expect(count('SELECT count(*) AS n FROM hv_rollups WHERE level = 60')).toBe(60);
    const m = db.prepare('SELECT n, v_min, v_max FROM hv_rollups WHERE level = 60 ORDER BY bucket LIMIT 1').get() as { n: number; v_min: number; v_max: number };
    expect(m).toEqual({ n: 60, v_min: 1000, v_max: 1000 + DEADBAND.vmon * 0.5 });
    expect(count('SELECT count(*) AS n FROM hv_rollups WHERE level = 600')).toBe(6);
    expect(count('SELECT count(*) AS n FROM hv_rollups WHERE level = 3600')).toBe(1);
    const hour = db.prepare('SELECT n, v_sum FROM hv_rollups WHERE level = 3600').get() as { n: number; v_sum: number };
    expect(hour.n).toBe(3600);
    expect(hour.v_sum / hour.n).toBeCloseTo(1000 + DEADBAND.vmon * 0.25, 6);
  });

  it('answers a query from the level that fits the plot width, with mean, min, max, std and gaps left as gaps', () => {
    const h = new HvHistory(db, ['S0', 'S1']);
    h.transaction(() => {
      for (let s = 0; s < 7200; s++) if (s < 1800 || s >= 3600) h.record(T0 + s * 1000, [1800 + (s % 10), NaN], [300, NaN], [1, 0]);
    });
    const now = T0 + 7200_000;
    expect(h.chooseLevel(T0, T0 + 600_000, 1000, now)).toBe('raw');
    expect(h.chooseLevel(T0, T0 + 7_200_000, 120, now)).toBe(60);
    expect(h.chooseLevel(T0, T0 + 30 * 86_400_000, 1000, T0 + 30 * 86_400_000)).toBe(3600);
    const q = h.query('S0', T0, now, 120, now);
    expect(q.level).toBe('1 min');
    // 30 + 59 closed minutes (the minute in progress is rolled up when it ends): the half hour without data
    // is missing, not zero.
    expect(q.points).toHaveLength(89);
    expect(q.points[0]!.vmon).toEqual({ mean: 1804.5, min: 1800, max: 1809, std: expect.closeTo(2.872, 2) });
    expect(q.points[30]!.t - q.points[29]!.t).toBe(31 * 60_000);
    expect(h.query('S1', T0, now, 120, now).points).toEqual([]);
    expect(() => h.query('NOPE', T0, now, 10, now)).toThrow(/no HV channel "NOPE"/);
    const csv = h.csv('S0', T0, T0 + 20_000);
    expect(csv.split('\n')[0]).toBe('time_utc,t_ms,vmon_V,imon_uA,status');
    expect(csv.split('\n')[1]).toBe(`2026-05-01T00:00:00.000Z,${T0},1800,300,1`);
  });

  it('catches up the coarser levels after a restart and keeps each level only as long as its retention', () => {
    const first = new HvHistory(db, ['VETO0']);
    feed(first, 590, () => [1400, 280]);
    // The server stops mid-bucket and comes back two days later.
    const again = new HvHistory(db, ['VETO0']);
    feed(again, 10, () => [1401, 280], 2 * 86_400);
    expect(count('SELECT count(*) AS n FROM hv_rollups WHERE level = 600')).toBe(1);
    expect(count('SELECT count(*) AS n FROM hv_rollups WHERE level = 3600')).toBe(1);
    expect(count('SELECT count(*) AS n FROM hv_rollups WHERE level = 86400')).toBe(1);
    // 40 days later (over a day boundary): raw samples and 1-min roll-ups of day 0 are gone, the rest stays.
    feed(again, 3700, () => [1402, 280], 40 * 86_400 - 1800);
    expect(count(`SELECT count(*) AS n FROM hv_samples WHERE t < ${T0 + 86_400_000}`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM hv_rollups WHERE level = 60 AND bucket < ${T0 / 1000 + 86_400}`)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM hv_rollups WHERE level = 600 AND bucket < ${T0 / 1000 + 86_400}`)).toBe(1);
  });
});
