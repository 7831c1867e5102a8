// The audit trail's one owner: appends a row per control action (src-main/audit/audited.ts calls it for every
// audited procedure) and reads them back with filters. The table refuses UPDATE and DELETE by trigger
// (db/migrations/0022-audit.ts); this class has no way to change a row either.
import type { Db } from '../archive/database';
import type { AuditEntry, AuditFilter, AuditPage, AuditQuery } from '../shared/api/audit';

/** A row to append: everything but the id the database gives it. */
export type AuditRecord = Omit<AuditEntry, 'id'>;

interface Row {
  id: number;
  at: number;
  user: string;
  role: AuditEntry['role'];
  via: AuditEntry['via'];
  address: string | null;
  domain: AuditEntry['domain'];
  action: string;
  target: string;
  old_value: string | null;
  new_value: string | null;
  reason: string;
  result: AuditEntry['result'];
  detail: string;
}

const toEntry = ({ old_value, new_value, ...r }: Row): AuditEntry => ({ ...r, old: old_value, new: new_value });

/** The filters as statement parameters: an absent filter is NULL and matches everything. */
function params(f: AuditFilter) {
  return { domain: f.domain ?? null, user: f.user ?? null, from: f.from ?? null, to: f.to ?? null, result: f.result ?? null };
}

const WHERE = `(@domain IS NULL OR domain = @domain) AND (@user IS NULL OR user = @user) AND (@from IS NULL OR at >= @from)
  AND (@to IS NULL OR at < @to) AND (@result IS NULL OR result = @result)`;

/** Texts longer than this are cut (with "…"): a 36-channel HV command's old values, a long reason. */
const MAX_TEXT = 2000;
const cut = (s: string) => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s);
const cutOrNull = (s: string | null) => (s === null ? null : cut(s));

export class AuditTrail {
  private readonly q;

  /** `failed`: told when a row could not be written (the action is done by then and stays done). */
  constructor(
    db: Db,
    private readonly failed: (error: unknown, record: AuditRecord) => void = (error) => {
      throw error;
    },
  ) {
    this.q = {
      append: db.prepare(
        `INSERT INTO audit (at, user, role, via, address, domain, action, target, old_value, new_value, reason, result, detail)
         VALUES (@at, @user, @role, @via, @address, @domain, @action, @target, @old, @new, @reason, @result, @detail)`,
      ),
      page: db.prepare<ReturnType<typeof params> & { limit: number; offset: number }, Row>(
        `SELECT * FROM audit WHERE ${WHERE} ORDER BY at DESC, id DESC LIMIT @limit OFFSET @offset`,
      ),
      count: db.prepare<ReturnType<typeof params>, { n: number }>(`SELECT count(*) AS n FROM audit WHERE ${WHERE}`),
      refusedByDomain: db.prepare<{ from: number; to: number }, { domain: string; n: number }>(
        `SELECT domain, count(*) AS n FROM audit WHERE result = 'refused' AND at >= @from AND at < @to GROUP BY domain ORDER BY n DESC, domain`,
      ),
    };
  }

  append(record: AuditRecord): void {
    this.q.append.run({
      ...record,
      target: cut(record.target),
      old: cutOrNull(record.old),
      new: cutOrNull(record.new),
      reason: cut(record.reason),
      detail: cut(record.detail),
    });
  }

  /**
   * Append after the action: a row that cannot be written (a full disk) must not turn an action that was
   * done into one the caller believes failed; it is reported (logged, and counted as a database error).
   */
  record(record: AuditRecord): void {
    try {
      this.append(record);
    } catch (error) {
      this.failed(error, record);
    }
  }

  /** Newest first, one page, with the number of rows that match. */
  list(query: AuditQuery): AuditPage {
    const p = params(query);
    const entries = this.q.page.all({ ...p, limit: query.limit, offset: query.offset }).map(toEntry);
    return { entries, total: this.q.count.get(p)!.n, offset: query.offset };
  }

  /** Refused actions in [from, to), per domain, most first (the end-of-shift summary). */
  refusedByDomain(from: number, to: number): { domain: string; count: number }[] {
    return this.q.refusedByDomain.all({ from, to }).map((r) => ({ domain: r.domain, count: r.n }));
  }
}
