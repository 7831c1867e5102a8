// The HV slow-control history (DESIGN §4, control-systems.md §6): every polled reading goes into the
// 1-minute roll-up of its channel; it is stored raw only when it moved beyond the deadband, the status
// word changed, or the maximum interval passed. Coarser levels (10 min, 1 h, 1 day) are aggregated from the
// level below when their bucket closes, in SQL, for all channels at once — and caught up at start-up if
// the server was down across a boundary. Each level keeps its own retention. A query picks the level from
// the plot width, as the Archiver Appliance's "optimized" data does.
import type { Db } from '../archive/database';

/** Roll-up levels: bucket width in seconds. */
export const LEVELS = [60, 600, 3600, 86400] as const;
export type Level = (typeof LEVELS)[number];

const DAY_S = 86400;
/**
 * Retention per level (named defaults): raw samples 30 days (a month of detail for any incident), 1-min
 * roll-ups 3 days (zoomed plots of the last shifts), 10-min 90 days, 1-hour 2 years, daily forever.
 */
export const RETENTION_S: Record<'raw' | Level, number | null> = {
  raw: 30 * DAY_S,
  60: 3 * DAY_S,
  600: 90 * DAY_S,
  3600: 730 * DAY_S,
  86400: null,
};

/**
 * Deadbands (named defaults): 2.5 V and 0.5 µA. The difference of two noisy readbacks (σ ≈ 0.4 V and
 * 0.05 µA each) exceeds them about once in 10⁵ polls, so noise is not stored but any real change is. At least one raw sample per channel every MAX_INTERVAL_MS, so a flat line is
 * known to be flat and a gap means "no data".
 */
export const DEADBAND = { vmon: 2.5, imon: 0.5 } as const;
export const MAX_INTERVAL_MS = 300_000;

export interface HistoryPoint {
  t: number;
  n: number;
  vmon: { mean: number; min: number; max: number; std: number };
  imon: { mean: number; min: number; max: number; std: number };
}

export interface HistoryAnswer {
  channel: string;
  level: 'raw' | '1 min' | '10 min' | '1 h' | '1 day';
  /** Width of one point in ms (the raw level: the maximum interval between stored samples). */
  bucketMs: number;
  from: number;
  to: number;
  points: HistoryPoint[];
  runs: { number: number; startedAt: number; stoppedAt: number | null }[];
}

const LEVEL_NAMES: Record<Level, HistoryAnswer['level']> = { 60: '1 min', 600: '10 min', 3600: '1 h', 86400: '1 day' };

interface Acc {
  n: number;
  vs: number;
  vq: number;
  vmin: number;
  vmax: number;
  is: number;
  iq: number;
  imin: number;
  imax: number;
}

const emptyAcc = (): Acc => ({ n: 0, vs: 0, vq: 0, vmin: Infinity, vmax: -Infinity, is: 0, iq: 0, imin: Infinity, imax: -Infinity });

interface RollupRow {
  bucket: number;
  n: number;
  v_sum: number;
  v_sq: number;
  v_min: number;
  v_max: number;
  i_sum: number;
  i_sq: number;
  i_min: number;
  i_max: number;
}

function stats(n: number, sum: number, sq: number) {
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)) };
}

export class UnknownChannelError extends Error {}

export class HvHistory {
  private readonly ids: number[];
  private readonly byName = new Map<string, number>();
  private readonly last: ({ t: number; v: number; i: number; s: number } | null)[];
  private readonly minute: Acc[];
  private currentMinute: number | null = null;
  private readonly q;

  constructor(
    private readonly db: Db,
    readonly channelNames: readonly string[],
  ) {
    const insert = db.prepare<[string]>('INSERT OR IGNORE INTO hv_channels (name) VALUES (?)');
    const find = db.prepare<[string], { id: number }>('SELECT id FROM hv_channels WHERE name = ?');
    this.ids = db.transaction(() =>
      channelNames.map((name) => {
        insert.run(name);
        return find.get(name)!.id;
      }),
    )();
    channelNames.forEach((name, i) => this.byName.set(name, this.ids[i]!));
    this.last = channelNames.map(() => null);
    this.minute = channelNames.map(emptyAcc);
    const lastSample = db.prepare<[number], { t: number; vmon: number; imon: number; status: number }>(
      'SELECT t, vmon, imon, status FROM hv_samples WHERE channel = ? ORDER BY t DESC LIMIT 1',
    );
    this.ids.forEach((id, i) => {
      const row = lastSample.get(id);
      if (row) this.last[i] = { t: row.t, v: row.vmon, i: row.imon, s: row.status };
    });
    this.q = {
      sample: db.prepare<[number, number, number, number, number]>(
        'INSERT OR REPLACE INTO hv_samples (channel, t, vmon, imon, status) VALUES (?, ?, ?, ?, ?)',
      ),
      rollup: db.prepare<[number, number, number, number, number, number, number, number, number, number, number, number]>(
        `INSERT OR REPLACE INTO hv_rollups (level, channel, bucket, n, v_sum, v_sq, v_min, v_max, i_sum, i_sq, i_min, i_max)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      aggregate: db.prepare<{ level: number; below: number; from: number; to: number }>(
        `INSERT OR REPLACE INTO hv_rollups (level, channel, bucket, n, v_sum, v_sq, v_min, v_max, i_sum, i_sq, i_min, i_max)
         SELECT @level, channel, (bucket / CAST(@level AS INTEGER)) * CAST(@level AS INTEGER) AS b, sum(n), sum(v_sum), sum(v_sq), min(v_min), max(v_max),
                sum(i_sum), sum(i_sq), min(i_min), max(i_max)
         FROM hv_rollups WHERE level = CAST(@below AS INTEGER) AND bucket >= @from AND bucket < @to GROUP BY channel, b`,
      ),
      lastBucket: db.prepare<[number], { b: number | null }>('SELECT max(bucket) AS b FROM hv_rollups WHERE level = ?'),
      firstBucket: db.prepare<[number], { b: number | null }>('SELECT min(bucket) AS b FROM hv_rollups WHERE level = ?'),
      // Per channel, so that each delete walks the primary key instead of the whole table.
      pruneRaw: db.prepare<[number, number]>('DELETE FROM hv_samples WHERE channel = ? AND t < ?'),
      pruneLevel: db.prepare<[number, number, number]>('DELETE FROM hv_rollups WHERE level = ? AND channel = ? AND bucket < ?'),
      raw: db.prepare<[number, number, number], { t: number; vmon: number; imon: number }>(
        'SELECT t, vmon, imon FROM hv_samples WHERE channel = ? AND t >= ? AND t <= ? ORDER BY t LIMIT 200000',
      ),
      rawCsv: db.prepare<[number, number, number], { t: number; vmon: number; imon: number; status: number }>(
        'SELECT t, vmon, imon, status FROM hv_samples WHERE channel = ? AND t >= ? AND t <= ? ORDER BY t',
      ),
      level: db.prepare<[number, number, number, number], RollupRow>(
        `SELECT bucket, n, v_sum, v_sq, v_min, v_max, i_sum, i_sq, i_min, i_max FROM hv_rollups
         WHERE level = ? AND channel = ? AND bucket >= ? AND bucket <= ? ORDER BY bucket`,
      ),
      runs: db.prepare<[number, number, number], { number: number; started_at: number; stopped_at: number | null }>(
        `SELECT number, started_at, stopped_at FROM runs WHERE started_at <= ? AND coalesce(stopped_at, ?) >= ? ORDER BY number`,
      ),
    };
  }

  /**
   * One poll's readings (index into channelNames); NaN for a channel not read this time. The caller wraps
   * a poll (or, for bulk loads, many polls) in one transaction: `history.transaction(() => …)`.
   */
  record(t: number, vmon: ArrayLike<number>, imon: ArrayLike<number>, status: ArrayLike<number>): void {
    const minute = Math.floor(t / 60_000) * 60;
    if (this.currentMinute === null) {
      this.currentMinute = minute;
      this.catchUp(minute);
    } else if (minute > this.currentMinute) {
      this.closeMinute(this.currentMinute, minute);
    }
    for (let k = 0; k < this.ids.length; k++) {
      const v = vmon[k]!;
      const i = imon[k]!;
      if (Number.isNaN(v) || Number.isNaN(i)) continue;
      const s = status[k]!;
      const a = this.minute[k]!;
      a.n++;
      a.vs += v;
      a.vq += v * v;
      if (v < a.vmin) a.vmin = v;
      if (v > a.vmax) a.vmax = v;
      a.is += i;
      a.iq += i * i;
      if (i < a.imin) a.imin = i;
      if (i > a.imax) a.imax = i;
      const last = this.last[k];
      if (
        !last ||
        s !== last.s ||
        Math.abs(v - last.v) > DEADBAND.vmon ||
        Math.abs(i - last.i) > DEADBAND.imon ||
        t - last.t >= MAX_INTERVAL_MS
      ) {
        this.q.sample.run(this.ids[k]!, t, v, i, s);
        this.last[k] = { t, v, i, s };
      }
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Write the finished minute, then close every coarser bucket that ended with it. */
  private closeMinute(minute: number, next: number): void {
    for (let k = 0; k < this.ids.length; k++) {
      const a = this.minute[k]!;
      if (a.n > 0) this.q.rollup.run(60, this.ids[k]!, minute, a.n, a.vs, a.vq, a.vmin, a.vmax, a.is, a.iq, a.imin, a.imax);
      this.minute[k] = emptyAcc();
    }
    this.currentMinute = next;
    for (let l = 1; l < LEVELS.length; l++) {
      const level = LEVELS[l]!;
      const closed = Math.floor(minute / level) * level;
      if (Math.floor(next / level) * level !== closed) {
        this.q.aggregate.run({ level, below: LEVELS[l - 1]!, from: closed, to: closed + level });
        if (level === 86400) this.prune(next);
      }
    }
  }

  /** After a restart: aggregate the coarser buckets that closed while the server was down. */
  private catchUp(minute: number): void {
    for (let l = 1; l < LEVELS.length; l++) {
      const level = LEVELS[l]!;
      const below = LEVELS[l - 1]!;
      const last = this.q.lastBucket.get(level)?.b;
      const from = last === null || last === undefined ? (this.q.firstBucket.get(below)?.b ?? minute) : last + level;
      const to = Math.floor(minute / level) * level;
      if (to > from) this.q.aggregate.run({ level, below, from: Math.floor(from / level) * level, to });
    }
  }

  /** Once a day (when the daily bucket closes): drop what is older than each level keeps. */
  private prune(nowS: number): void {
    for (const id of this.ids) {
      const raw = RETENTION_S.raw;
      if (raw !== null) this.q.pruneRaw.run(id, (nowS - raw) * 1000);
      for (const level of LEVELS) {
        const keep = RETENTION_S[level];
        if (keep !== null) this.q.pruneLevel.run(level, id, nowS - keep);
      }
    }
  }

  private id(name: string): number {
    const id = this.byName.get(name);
    if (id === undefined) throw new UnknownChannelError(`no HV channel "${name}" in this setup`);
    return id;
  }

  /** The level a plot `points` wide over [from, to] should read: about one bucket per point, if kept. */
  chooseLevel(from: number, to: number, points: number, now: number): 'raw' | Level {
    const perPoint = (to - from) / 1000 / Math.max(1, points);
    const ageS = (now - from) / 1000;
    const kept = (level: 'raw' | Level) => RETENTION_S[level] === null || ageS <= RETENTION_S[level]!;
    if (perPoint < LEVELS[0] && kept('raw')) return 'raw';
    for (const level of LEVELS) if (level >= perPoint && kept(level)) return level;
    return LEVELS.at(-1)!;
  }

  query(name: string, from: number, to: number, points: number, now = Date.now()): HistoryAnswer {
    const id = this.id(name);
    const level = this.chooseLevel(from, to, points, now);
    const runs = this.q.runs.all(to, now, from).map((r) => ({ number: r.number, startedAt: r.started_at, stoppedAt: r.stopped_at }));
    if (level === 'raw') {
      const pts = this.q.raw.all(id, from, to).map((r) => ({
        t: r.t,
        n: 1,
        vmon: { mean: r.vmon, min: r.vmon, max: r.vmon, std: 0 },
        imon: { mean: r.imon, min: r.imon, max: r.imon, std: 0 },
      }));
      return { channel: name, level: 'raw', bucketMs: MAX_INTERVAL_MS, from, to, points: pts, runs };
    }
    const rows = this.q.level.all(level, id, Math.floor(from / 1000 / level) * level, Math.floor(to / 1000));
    const pts = rows.map((r) => ({
      t: r.bucket * 1000,
      n: r.n,
      vmon: { ...stats(r.n, r.v_sum, r.v_sq), min: r.v_min, max: r.v_max },
      imon: { ...stats(r.n, r.i_sum, r.i_sq), min: r.i_min, max: r.i_max },
    }));
    return { channel: name, level: LEVEL_NAMES[level], bucketMs: level * 1000, from, to, points: pts, runs };
  }

  /** Raw samples as CSV (export is raw, never the reduced view). */
  csv(name: string, from: number, to: number): string {
    const id = this.id(name);
    const lines = ['time_utc,t_ms,vmon_V,imon_uA,status'];
    for (const r of this.q.rawCsv.iterate(id, from, to)) lines.push(`${new Date(r.t).toISOString()},${r.t},${r.vmon},${r.imon},${r.status}`);
    return lines.join('\n') + '\n';
  }

}
