// Reviewers' sign-offs of runs and spills (table run_signoffs, migration 0013): good, bad or needs-look with
// a reason, by an expert, beside the automatic DQ verdict which is never changed. Append-only: every change is
// a new row, the one in force for a (run, spill) is the latest, and the rows before it are its history.
// Where sign-offs count: a spill in force 'bad', or any spill of a run in force 'bad', is left out of the EOT
// and listed as bad; a spill in force 'good' that DQ flagged is kept and listed as "signed off good".
import type { Db } from '../archive/database';
import type { SignOffMoves } from '../shared/api/dq';
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

/**
 * Common table expressions of what sign-offs move (prefix a query with `WITH ${SIGNED_OFF_SPILLS}`):
 * `signed_off_bad_runs` (run), `signed_off_excluded` (run, spill, eot, kot: spills left out of the EOT) and
 * `signed_off_kept` (run, spill: spills DQ flagged Bad or Medium that a sign-off in force calls good).
 * They start from the sign-offs (a small table), never from all spills.
 */
export const SIGNED_OFF_SPILLS = `
  signed_off_in_force AS (SELECT run, spill, verdict FROM run_signoffs_in_force),
  signed_off_bad_runs AS (SELECT run FROM signed_off_in_force WHERE spill IS NULL AND verdict = 'bad'),
  signed_off_excluded AS (
    SELECT d.run, d.spill, d.eot, d.kot FROM spill_dq d WHERE d.run IN (SELECT run FROM signed_off_bad_runs)
    UNION
    SELECT d.run, d.spill, d.eot, d.kot FROM signed_off_in_force b JOIN spill_dq d ON d.run = b.run AND d.spill = b.spill
     WHERE b.verdict = 'bad'
  ),
  signed_off_kept AS (
    SELECT d.run, d.spill FROM signed_off_in_force g JOIN spill_dq d ON d.run = g.run AND d.spill = g.spill
     WHERE g.verdict = 'good' AND d.verdict IN ('bad', 'medium') AND g.run NOT IN (SELECT run FROM signed_off_bad_runs)
  )`;

/** Which spills a question is about: one run, one setup's runs, spills that ended in [from, to); null: any. */
export interface MovesScope {
  run?: number | null;
  setup?: string | null;
  from?: number | null;
  to?: number | null;
}

// A setup's or a window's EOT is the live one (replayed and reprocessed runs are not in it), so what
// sign-offs move there is counted over live runs only; a run asked for by number is counted whatever it is.
const SCOPE = `(@run IS NULL OR x.run = @run) AND (@setup IS NULL OR r.setup = @setup)
  AND (@from IS NULL OR s.ended_at >= @from) AND (@to IS NULL OR s.ended_at < @to)
  AND (@run IS NOT NULL OR r.origin = 'live')`;

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
      moves: db.prepare<[Required<{ [K in keyof MovesScope]: MovesScope[K] | null }>], { excludedSpills: number; excludedEot: number | null; keptSpills: number }>(
        `WITH ${SIGNED_OFF_SPILLS}
         SELECT
           (SELECT count(*) FROM signed_off_excluded x JOIN runs r ON r.number = x.run JOIN spills s ON s.run = x.run AND s.spill = x.spill WHERE ${SCOPE}) AS excludedSpills,
           (SELECT sum(x.eot) FROM signed_off_excluded x JOIN runs r ON r.number = x.run JOIN spills s ON s.run = x.run AND s.spill = x.spill WHERE ${SCOPE}) AS excludedEot,
           (SELECT count(*) FROM signed_off_kept x JOIN runs r ON r.number = x.run JOIN spills s ON s.run = x.run AND s.spill = x.spill WHERE ${SCOPE}) AS keptSpills`,
      ),
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

  /** What sign-offs move in the EOT of `scope`: spills left out and their EOT, flagged spills kept. */
  moves(scope: MovesScope): SignOffMoves {
    const r = this.q.moves.get({ run: scope.run ?? null, setup: scope.setup ?? null, from: scope.from ?? null, to: scope.to ?? null })!;
    return { excludedSpills: r.excludedSpills, excludedEot: r.excludedEot ?? 0, keptSpills: r.keptSpills };
  }

  /** Every sign-off of a run and its spills, newest first (the audit of changes). */
  history(run: number): SignOff[] {
    return this.q.history.all(run).map(toSignOff);
  }
}
