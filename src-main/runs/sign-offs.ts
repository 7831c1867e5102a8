// Reviewers' sign-offs of runs and spills (table run_signoffs, migration 0013): good, bad or needs-look with
// a reason, by an expert, beside the automatic DQ verdict which is never changed. Append-only: every change is
// a new row, the one in force for a (run, spill) is the latest, and the rows before it are its history.
// Where sign-offs count: a spill in force 'bad', or any spill of a run in force 'bad', is left out of the EOT
// and listed as bad; a spill in force 'good' that DQ flagged is kept and listed as "signed off good".
import type { Db } from '../archive/database';
import type { SignOff, SignOffVerdict } from '../shared/api/runs';

interface SignOffRow {
  id: number;
  run: number;
  spill: number | null;
  verdict: SignOffVerdict;
  reason: string;
  user: string;
  role: string;
  at: number;
}

const toSignOff = (r: SignOffRow): SignOff => ({ ...r });

export interface SignOffsInForce {
  /** The whole run's sign-off in force, or null. */
  run: SignOff | null;
  /** Each signed spill's sign-off in force. */
  spills: Map<number, SignOff>;
}

/** "signed off bad by anna: HV trip in ECAL" — how a sign-off is quoted in lists and exports. */
export function describeSignOff(s: Pick<SignOff, 'verdict' | 'user' | 'reason' | 'spill'>): string {
  const what = s.verdict === 'needs-look' ? 'marked needs-look' : `signed off ${s.verdict}`;
  return `${what}${s.spill === null ? ' (whole run)' : ''} by ${s.user}: ${s.reason}`;
}

export class SignOffs {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      insert: db.prepare<[number, number | null, SignOffVerdict, string, string, string, number]>(
        `INSERT INTO run_signoffs (run, spill, verdict, reason, user, role, at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      byId: db.prepare<[number], SignOffRow>(`SELECT * FROM run_signoffs WHERE id = ?`),
      inForce: db.prepare<[number], SignOffRow>(`SELECT * FROM run_signoffs_in_force WHERE run = ? ORDER BY spill`),
      history: db.prepare<[number], SignOffRow>(`SELECT * FROM run_signoffs WHERE run = ? ORDER BY id DESC`),
    };
  }

  /** Record a sign-off (the caller checked the role and that the run/spill exists). */
  add(input: { run: number; spill: number | null; verdict: SignOffVerdict; reason: string; user: string; role: string; at: number }): SignOff {
    const reason = input.reason.trim();
    if (!reason) throw new Error('a sign-off needs a reason');
    const info = this.q.insert.run(input.run, input.spill, input.verdict, reason, input.user, input.role, input.at);
    return toSignOff(this.q.byId.get(Number(info.lastInsertRowid))!);
  }

  /** The sign-offs in force for a run: its own and its spills'. */
  current(run: number): SignOffsInForce {
    const out: SignOffsInForce = { run: null, spills: new Map() };
    for (const row of this.q.inForce.all(run)) {
      if (row.spill === null) out.run = toSignOff(row);
      else out.spills.set(row.spill, toSignOff(row));
    }
    return out;
  }

  /** Every sign-off of a run and its spills, newest first (the audit of changes). */
  history(run: number): SignOff[] {
    return this.q.history.all(run).map(toSignOff);
  }
}
