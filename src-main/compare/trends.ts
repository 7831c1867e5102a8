// Trends: one per-spill quantity across spills and runs, read from where each is stored (the spill row, its
// DQ row, the derived per-spill figures, the per-channel figures, the HV history at the spill's end), with
// the runs in the range and their first and last spills. Every query walks a primary key or an index over
// the range (spills (run, spill), spills_by_end, spill_channel_figures (channel, run, spill), hv_samples
// (channel, t)); a long range is thinned to every k-th spill in SQL, and the answer says so.
import type { Db } from '../archive/database';
import { MAX_INTERVAL_MS } from '../hv/history';
import { TREND_QUANTITIES, type Trend, type TrendQuantityName, type TrendRun } from '../shared/api/compare';

export class TrendError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** How each quantity is read: the value expression over the spill row `s` and the table joined to it. */
const SOURCES: Record<Exclude<TrendQuantityName, 'hv.vmon' | 'hv.imon'>, { join: string; value: string; limit?: string; indexed?: 'spill' | 'channel' }> = {
  'ecal.peak': { join: '', value: 's.ecal_peak_gev' },
  'ecal.beam-energy': { join: 'LEFT JOIN spill_dq d ON d.run = s.run AND d.spill = s.spill', value: 'd.beam_energy_gev' },
  'ecal.width': { join: 'LEFT JOIN spill_figures f ON f.run = s.run AND f.spill = s.spill', value: 'f.ecal_width_gev', indexed: 'spill' },
  'ecal.mean': { join: '', value: 's.ecal_mean_gev' },
  purity: { join: 'LEFT JOIN spill_dq d ON d.run = s.run AND d.spill = s.spill', value: 'CASE WHEN d.beam_events > 0 THEN CAST(d.beam_electrons AS REAL) / d.beam_events END' },
  'hadron-fraction': { join: 'LEFT JOIN spill_dq d ON d.run = s.run AND d.spill = s.spill', value: 'CASE WHEN d.beam_events > 0 THEN CAST(d.beam_hadrons AS REAL) / d.beam_events END' },
  'srd.efficiency': { join: 'LEFT JOIN spill_dq d ON d.run = s.run AND d.spill = s.spill', value: 'd.electron_efficiency' },
  'hadron.suppression': { join: 'LEFT JOIN spill_dq d ON d.run = s.run AND d.spill = s.spill', value: 'd.hadron_suppression', limit: 'd.suppression_is_limit' },
  eot: { join: 'LEFT JOIN spill_dq d ON d.run = s.run AND d.spill = s.spill', value: 'd.eot' },
  intensity: { join: '', value: 's.intensity' },
  events: { join: '', value: 's.events_seen' },
  'event-rate': { join: '', value: 'CASE WHEN s.ended_at > s.started_at THEN s.events_seen * 1000.0 / (s.ended_at - s.started_at) END' },
  'processed-fraction': { join: '', value: 'CASE WHEN s.events_seen > 0 THEN min(1.0, CAST(s.events_processed AS REAL) / s.events_seen) END' },
  'dead-time': { join: '', value: 's.dead_time_fraction' },
  pedestal: { join: 'LEFT JOIN spill_channel_figures c ON c.channel = @channel AND c.run = s.run AND c.spill = s.spill', value: 'c.pedestal', indexed: 'channel' },
  'led.amplitude': { join: 'LEFT JOIN spill_channel_figures c ON c.channel = @channel AND c.run = s.run AND c.spill = s.spill', value: 'c.led_amplitude', indexed: 'channel' },
  'led.factor': { join: 'LEFT JOIN spill_channel_figures c ON c.channel = @channel AND c.run = s.run AND c.spill = s.spill', value: 'c.led_factor', indexed: 'channel' },
};

/** The range as SQL over the spill row `s`: runs from…to, or spills that ended in since…until. */
const RANGE = {
  runs: 's.run BETWEEN @from AND @to',
  time: 's.ended_at BETWEEN @since AND @until',
} as const;

type Range = { kind: 'runs'; from: number; to: number } | { kind: 'time'; since: number; until: number };

interface Row {
  run: number;
  spill: number;
  t: number;
  v: number | null;
  lim: number | null;
}

/** HV at a spill's end: the last raw sample before it, if not older than the longest interval between raw samples. */
const HV_STALE_MS = MAX_INTERVAL_MS + 60_000;
/** Roll-up levels a spill older than the raw retention falls back to, finest first. */
const HV_FALLBACK_LEVELS = [600, 3600, 86400] as const;

export class TrendStore {
  private readonly statements = new Map<string, ReturnType<Db['prepare']>>();
  private readonly rawStatements = new Map<string, ReturnType<Db['prepare']>>();
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      latestRun: db.prepare<[], { n: number | null }>(`SELECT max(run) AS n FROM spills`),
      hvChannel: db.prepare<[string], { id: number }>(`SELECT id FROM hv_channels WHERE name = ?`),
      hvChannels: db.prepare<[], { name: string }>(`SELECT name FROM hv_channels ORDER BY name`),
      hvCount: db.prepare<[number, number, number], { n: number }>(`SELECT count(*) AS n FROM hv_samples WHERE channel = ? AND t BETWEEN ? AND ?`),
      hvSamples: db.prepare<[number, number, number], { t: number; vmon: number; imon: number }>(`SELECT t, vmon, imon FROM hv_samples WHERE channel = ? AND t BETWEEN ? AND ? ORDER BY t`),
      hvBefore: db.prepare<[number, number], { t: number; vmon: number; imon: number }>(`SELECT t, vmon, imon FROM hv_samples WHERE channel = ? AND t <= ? ORDER BY t DESC LIMIT 1`),
      hvRollup: db.prepare<[number, number, number], { n: number; v_sum: number; i_sum: number }>(`SELECT n, v_sum, i_sum FROM hv_rollups WHERE level = ? AND channel = ? AND bucket = ?`),
      channelKnown: db.prepare<[string], { one: number }>(`SELECT 1 AS one FROM spill_channel_figures WHERE channel = ? LIMIT 1`),
    };
  }

  private raw(key: string, sql: string) {
    let s = this.rawStatements.get(key);
    if (!s) this.rawStatements.set(key, (s = this.db.prepare(sql).raw(true)));
    return s;
  }

  private statement(key: string, sql: string) {
    let s = this.statements.get(key);
    if (!s) this.statements.set(key, (s = this.db.prepare(sql)));
    return s;
  }

  /** The range asked for, checked: runs from…to, or a time range; neither: the latest run with spills. */
  private range(q: { from?: number | undefined; to?: number | undefined; since?: number | undefined; until?: number | undefined }): Range {
    const byRun = q.from !== undefined || q.to !== undefined;
    const byTime = q.since !== undefined || q.until !== undefined;
    if (byRun && byTime) throw new TrendError('BAD_REQUEST', 'ask for runs (from, to) or a time range (since, until), not both');
    if (byTime) {
      const since = q.since ?? 0;
      const until = q.until ?? Number.MAX_SAFE_INTEGER;
      if (since > until) throw new TrendError('BAD_REQUEST', `since (${since}) is after until (${until})`);
      return { kind: 'time', since, until };
    }
    const latest = this.q.latestRun.get()?.n ?? 0;
    const to = q.to ?? (q.from !== undefined ? Math.max(latest, q.from) : latest);
    const from = q.from ?? to;
    if (from > to) throw new TrendError('BAD_REQUEST', `from (run ${from}) is after to (run ${to})`);
    return { kind: 'runs', from, to };
  }

  /** The runs of the range with their first and last spills (the boundaries the plot marks). */
  private runs(range: Range): TrendRun[] {
    const sql = `SELECT s.run, r.type, r.setup, min(s.spill) AS firstSpill, max(s.spill) AS lastSpill, count(*) AS spills,
                        min(s.started_at) AS startedAt, max(s.ended_at) AS endedAt
                   FROM spills s JOIN runs r ON r.number = s.run WHERE ${RANGE[range.kind]} GROUP BY s.run ORDER BY s.run`;
    return this.statement(`runs:${range.kind}`, sql).all(params(range)) as TrendRun[];
  }

  /** Spills of the range, every `every`-th in (run, spill) order, with the value expression. */
  private rows(range: Range, every: number, join: string, value: string, limit: string | null, extra: Record<string, unknown>): Row[] {
    const select = `s.run AS run, s.spill AS spill, s.ended_at AS t, ${value} AS v, ${limit ?? 'NULL'} AS lim`;
    const where = RANGE[range.kind];
    const sql =
      every === 1
        ? `SELECT ${select} FROM spills s ${join} WHERE ${where} ORDER BY s.run, s.spill`
        : `SELECT run, spill, t, v, lim FROM (SELECT ${select}, row_number() OVER (ORDER BY s.run, s.spill) AS i FROM spills s ${join} WHERE ${where})
            WHERE (i - 1) % @every = 0 ORDER BY run, spill`;
    // Rows as arrays (no object per row): a year of spills is 40,000 of them.
    const raw = this.raw(`rows:${range.kind}:${every === 1}:${join}:${value}:${limit}`, sql).all({ ...params(range), ...extra, ...(every === 1 ? {} : { every }) }) as [number, number, number, number | null, number | null][];
    return raw.map(([run, spill, t, v, lim]) => ({ run, spill, t, v, lim }));
  }

  private notIndexed(range: Range, kind: 'spill' | 'channel' | undefined): number {
    if (!kind) return 0;
    const sql = `SELECT count(*) AS n FROM spills s WHERE ${RANGE[range.kind]} AND NOT EXISTS (SELECT 1 FROM spill_figures f WHERE f.run = s.run AND f.spill = s.spill)`;
    return (this.statement(`missing:${range.kind}`, sql).get(params(range)) as { n: number }).n;
  }

  get(query: { quantity: TrendQuantityName; channel?: string | undefined; from?: number | undefined; to?: number | undefined; since?: number | undefined; until?: number | undefined; limit: number }): Trend {
    const meta = TREND_QUANTITIES[query.quantity];
    const channel = meta.needs ? (query.channel ?? null) : null;
    if (meta.needs && !channel) throw new TrendError('BAD_REQUEST', `${query.quantity} is per ${meta.needs === 'hv-channel' ? 'HV channel' : meta.needs === 'cell' ? 'ECAL cell' : 'channel'}: name one (channel=…)`);
    const range = this.range(query);
    const runs = this.runs(range);
    const total = runs.reduce((n, r) => n + r.spills, 0);
    const every = Math.max(1, Math.ceil(total / query.limit));
    const notes: string[] = [];
    let rows: Row[];
    let notIndexed = 0;
    if (query.quantity === 'hv.vmon' || query.quantity === 'hv.imon') {
      const id = this.q.hvChannel.get(channel!)?.id;
      if (id === undefined) throw new TrendError('NOT_FOUND', `no HV channel "${channel}" has any history`);
      rows = this.rows(range, every, '', 'NULL', null, {});
      this.hvAtSpills(rows, id, query.quantity === 'hv.vmon' ? 'vmon' : 'imon', notes);
    } else {
      const source = SOURCES[query.quantity];
      if (source.indexed === 'channel' && !this.q.channelKnown.get(channel!)) {
        throw new TrendError('NOT_FOUND', `no ${meta.needs === 'cell' ? 'ECAL cell' : 'channel'} "${channel}" has stored figures`);
      }
      rows = this.rows(range, every, source.join, source.value, source.limit ?? null, source.indexed === 'channel' ? { channel } : {});
      notIndexed = this.notIndexed(range, source.indexed);
      if (notIndexed) notes.push(`${notIndexed} spills of the range are not indexed yet (their ${meta.label.toLowerCase()} is computed from the stored histograms in the background): those points are empty for now`);
    }
    const lowerLimits: number[] = [];
    const out = { run: new Array<number>(rows.length), spill: new Array<number>(rows.length), t: new Array<number>(rows.length), value: new Array<number | null>(rows.length) };
    rows.forEach((r, i) => {
      out.run[i] = r.run;
      out.spill[i] = r.spill;
      out.t[i] = r.t;
      out.value[i] = r.v === null || !Number.isFinite(r.v) ? null : r.v;
      if (r.lim === 1) lowerLimits.push(i);
    });
    if (every > 1) notes.unshift(`${total} spills in the range: every ${every}th is shown (at most ${query.limit} points; narrow the range for all)`);
    return { quantity: query.quantity, label: meta.label, unit: meta.unit, channel, points: out, lowerLimits, runs, total, shown: rows.length, every, capped: every > 1, notIndexed, notes };
  }

  /**
   * The HV channel's readback at each spill's end: the last raw sample at or before it (one ordered walk over
   * the channel's samples of the range when they are few per spill, else a primary-key lookup per spill); a
   * spill older than the raw samples kept gets the mean of the finest roll-up bucket holding its end.
   */
  private hvAtSpills(rows: Row[], channel: number, field: 'vmon' | 'imon', notes: string[]): void {
    if (!rows.length) return;
    const lo = rows.reduce((m, r) => Math.min(m, r.t), Infinity) - HV_STALE_MS;
    const hi = rows.reduce((m, r) => Math.max(m, r.t), -Infinity);
    const samples = this.q.hvCount.get(channel, lo, hi)?.n ?? 0;
    const at = (t: number): { t: number; vmon: number; imon: number } | null => this.q.hvBefore.get(channel, t) ?? null;
    if (samples <= 20 * rows.length) {
      const list = this.q.hvSamples.all(channel, lo, hi);
      const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.t - rows[b]!.t);
      let k = -1;
      for (const i of order) {
        const r = rows[i]!;
        while (k + 1 < list.length && list[k + 1]!.t <= r.t) k++;
        const s = k >= 0 ? list[k]! : null;
        r.v = s && r.t - s.t <= HV_STALE_MS ? s[field] : null;
      }
    } else {
      for (const r of rows) {
        const s = at(r.t);
        r.v = s && r.t - s.t <= HV_STALE_MS ? s[field] : null;
      }
    }
    let rolled = 0;
    for (const r of rows) {
      if (r.v !== null) continue;
      for (const level of HV_FALLBACK_LEVELS) {
        const bucket = Math.floor(r.t / 1000 / level) * level;
        const b = this.q.hvRollup.get(level, channel, bucket);
        if (b && b.n > 0) {
          r.v = (field === 'vmon' ? b.v_sum : b.i_sum) / b.n;
          rolled++;
          break;
        }
      }
    }
    if (rolled) notes.push(`${rolled} points are roll-up means (10 min, 1 h or 1 day) around the spill: the raw samples of that time are no longer kept`);
  }

  hvChannels(): string[] {
    return this.q.hvChannels.all().map((r) => r.name);
  }
}

function params(range: Range): Record<string, number> {
  return range.kind === 'runs' ? { from: range.from, to: range.to } : { since: range.since, until: range.until };
}
