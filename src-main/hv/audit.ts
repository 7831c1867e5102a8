// The append-only audit trail of HV writes (who, role, channel, parameter, old, new, reason, result).
// The table refuses UPDATE and DELETE by trigger; this class only appends and reads.
import type { Db } from '../archive/database';
import type { HvAuditEntry } from '../shared/api/hv';

interface Row {
  id: number;
  at: number;
  user: string;
  role: HvAuditEntry['role'];
  channel: string;
  parameter: string;
  old_value: string | null;
  new_value: string | null;
  reason: string;
  result: string;
  detail: string;
}

const toEntry = (r: Row): HvAuditEntry => ({
  id: r.id,
  at: r.at,
  user: r.user,
  role: r.role,
  channel: r.channel,
  parameter: r.parameter,
  old: r.old_value,
  new: r.new_value,
  reason: r.reason,
  result: r.result as HvAuditEntry['result'],
  detail: r.detail,
});

export class HvAudit {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      append: db.prepare(
        `INSERT INTO hv_audit (at, user, role, channel, parameter, old_value, new_value, reason, result, detail)
         VALUES (@at, @user, @role, @channel, @parameter, @old, @new, @reason, @result, @detail)`,
      ),
      list: db.prepare<{ before: number; limit: number; channel: string | null; user: string | null }, Row>(
        `SELECT * FROM hv_audit WHERE id < @before AND (@channel IS NULL OR channel = @channel) AND (@user IS NULL OR user = @user)
         ORDER BY id DESC LIMIT @limit`,
      ),
    };
  }

  append(entry: Omit<HvAuditEntry, 'id'>): void {
    this.q.append.run(entry);
  }

  list(options: { limit: number; before?: number; channel?: string; user?: string }): HvAuditEntry[] {
    return this.q.list
      .all({ before: options.before ?? Number.MAX_SAFE_INTEGER, limit: options.limit, channel: options.channel ?? null, user: options.user ?? null })
      .map(toEntry);
  }

  static csv(entries: readonly HvAuditEntry[]): string {
    const esc = (v: string | null) => (v === null ? '' : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const lines = ['id,time_utc,user,role,channel,parameter,old,new,reason,result,detail'];
    for (const e of entries) {
      lines.push(
        [String(e.id), new Date(e.at).toISOString(), e.user, e.role, e.channel, e.parameter, e.old, e.new, e.reason, e.result, e.detail].map(esc).join(','),
      );
    }
    return lines.join('\n') + '\n';
  }
}
