// Alarm state and log in SQLite: each change of a record is written together with its log entries, in one
// transaction, before anyone is told about it.
import type { Db } from '../archive/database';
import type { AlarmState, Priority } from '../shared/alarms';
import type { StandingAlarm } from '../shared/api/alarms';
import type { Role } from '../shared/auth';
import type { AlarmRecord, LogEntry, LogKind } from './record';

interface LogRow {
  seq: number;
  at: number;
  alarm: string;
  kind: LogKind;
  from_state: AlarmState;
  to_state: AlarmState;
  priority: Priority | null;
  value: number | null;
  user: string | null;
  role: Role | null;
  reason: string | null;
}

export interface LogQuery {
  from?: number;
  to?: number;
  alarm?: string;
  user?: string;
  kinds?: readonly LogKind[];
  limit?: number;
}

/** In alarm at the end of a shift: the condition was there (acknowledged or not), or it latched. */
const STANDING_STATES: ReadonlySet<AlarmState> = new Set(['unack', 'ack', 'latched']);

export class AlarmStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      all: db.prepare<[], { id: string; record: string }>(`SELECT id, record FROM alarm_state`),
      upsert: db.prepare<[string, string]>(
        `INSERT INTO alarm_state (id, record) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET record = excluded.record`,
      ),
      // For each acknowledgement in the period, how long after the alarm's last activation it came.
      acknowledgeDelays: db.prepare<[number, number], { ms: number | null }>(
        `SELECT a.at - (SELECT max(b.at) FROM alarm_log b WHERE b.alarm = a.alarm AND b.kind = 'activated' AND b.at <= a.at) AS ms
           FROM alarm_log a WHERE a.kind = 'acknowledged' AND a.at >= ? AND a.at < ?`,
      ),
      // Each alarm's state after its last logged change before the moment (SQLite takes the bare columns
      // from the row of max(seq)), and when it last became active.
      statesAt: db.prepare<[number, number], { alarm: string; state: AlarmState; priority: Priority | null; seq: number; since: number | null }>(
        `SELECT l.alarm, l.to_state AS state, l.priority, max(l.seq) AS seq,
                (SELECT max(b.at) FROM alarm_log b WHERE b.alarm = l.alarm AND b.kind = 'activated' AND b.at < ?) AS since
           FROM alarm_log l WHERE l.at < ? GROUP BY l.alarm`,
      ),
      lastActivation: db.prepare<[string, number], { at: number | null }>(
        `SELECT max(at) AS at FROM alarm_log WHERE alarm = ? AND kind = 'activated' AND at <= ?`,
      ),
      log: db.prepare(
        `INSERT INTO alarm_log (at, alarm, kind, from_state, to_state, priority, value, user, role, reason)
         VALUES (@at, @alarm, @kind, @from, @to, @priority, @value, @user, @role, @reason)`,
      ),
    };
  }

  /** Every stored record, by alarm id (records of alarms no longer defined are kept but unused). */
  load(): Map<string, AlarmRecord> {
    const map = new Map<string, AlarmRecord>();
    for (const row of this.q.all.all()) {
      try {
        map.set(row.id, JSON.parse(row.record) as AlarmRecord);
      } catch {
        // A damaged row is dropped: the alarm starts from normal and re-evaluates from its input.
      }
    }
    return map;
  }

  save(changes: readonly { record: AlarmRecord; log: LogEntry[] }[]): void {
    if (changes.length === 0) return;
    this.db.transaction(() => {
      for (const c of changes) {
        this.q.upsert.run(c.record.id, JSON.stringify(c.record));
        for (const e of c.log) this.q.log.run(e);
      }
    })();
  }

  /** Log entries that belong to no single alarm's record (e.g. muting a priority class). */
  append(entries: readonly LogEntry[]): void {
    this.db.transaction(() => {
      for (const e of entries) this.q.log.run(e);
    })();
  }

  /** When the alarm last became active at or before `at` (null when the log does not hold it). */
  lastActivation(alarm: string, at: number): number | null {
    return this.q.lastActivation.get(alarm, at)?.at ?? null;
  }

  /** Milliseconds from activation to acknowledgement, for each acknowledgement within [from, to). */
  acknowledgeDelays(from: number, to: number): number[] {
    return this.q.acknowledgeDelays
      .all(from, to)
      .map((r) => r.ms)
      .filter((ms): ms is number => ms !== null);
  }

  /** The alarms still in alarm (unacknowledged, acknowledged or latched) just before `to`, from the log alone. */
  standingAt(to: number): StandingAlarm[] {
    return this.q.statesAt
      .all(to, to)
      .filter((r) => STANDING_STATES.has(r.state))
      .map((r) => ({ alarm: r.alarm, state: r.state, priority: r.priority, since: r.since ?? null }));
  }

  log(query: LogQuery = {}): LogEntry[] {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    const filter = (clause: string, name: string, value: unknown) => {
      if (value === undefined) return;
      where.push(clause);
      params[name] = value;
    };
    filter('at >= @from', 'from', query.from);
    filter('at < @to', 'to', query.to);
    filter('alarm = @alarm', 'alarm', query.alarm);
    filter('user = @user', 'user', query.user);
    if (query.kinds?.length) {
      where.push(`kind IN (${query.kinds.map((_, i) => `@k${i}`).join(', ')})`);
      query.kinds.forEach((k, i) => (params[`k${i}`] = k));
    }
    params['limit'] = Math.min(Math.max(1, query.limit ?? 500), 100_000);
    const sql = `SELECT * FROM alarm_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT @limit`;
    return (this.db.prepare(sql).all(params) as LogRow[]).map((r) => ({
      at: r.at,
      alarm: r.alarm,
      kind: r.kind,
      from: r.from_state,
      to: r.to_state,
      priority: r.priority,
      value: r.value,
      user: r.user,
      role: r.role,
      reason: r.reason,
    }));
  }
}
