// The pauses of runs in SQLite (migration 0024): opened when a run is paused, closed when it resumes, never
// rewritten after. A server that stops while a run is paused leaves the pause open: the run is aborted then,
// and the open pause says it never resumed.
import type { Db } from '../archive/database';
import type { RunPause } from '../shared/api/runs';
import type { RunActor } from '../shared/api/schemas';

interface PauseRow {
  run: number;
  paused_at: number;
  paused_by: string | null;
  paused_role: RunActor['role'] | null;
  paused_via: RunActor['via'];
  reason: string;
  after_spill: number;
  resumed_at: number | null;
  resumed_by: string | null;
  resumed_role: RunActor['role'] | null;
  resumed_via: RunActor['via'];
}

const actor = (user: string | null, role: RunActor['role'] | null, via: RunActor['via']): RunActor | null => (user === null || role === null ? null : { user, role, via });

export class RunPauses {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      open: db.prepare<[number, number, string | null, string | null, string | null, string, number]>(
        `INSERT INTO run_pauses (run, paused_at, paused_by, paused_role, paused_via, reason, after_spill) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      close: db.prepare<[number, string | null, string | null, string | null, number]>(
        `UPDATE run_pauses SET resumed_at = ?, resumed_by = ?, resumed_role = ?, resumed_via = ? WHERE run = ? AND resumed_at IS NULL`,
      ),
      ofRun: db.prepare<[number], PauseRow>(`SELECT * FROM run_pauses WHERE run = ? ORDER BY paused_at, id`),
    };
  }

  paused(run: number, at: number, by: RunActor | null, reason: string, afterSpill: number): void {
    this.q.open.run(run, at, by?.user ?? null, by?.role ?? null, by?.via ?? null, reason, afterSpill);
  }

  resumed(run: number, at: number, by: RunActor | null): void {
    this.q.close.run(at, by?.user ?? null, by?.role ?? null, by?.via ?? null, run);
  }

  ofRun(run: number): RunPause[] {
    return this.q.ofRun.all(run).map((r) => ({
      run: r.run,
      pausedAt: r.paused_at,
      pausedBy: actor(r.paused_by, r.paused_role, r.paused_via),
      reason: r.reason,
      afterSpill: r.after_spill,
      resumedAt: r.resumed_at,
      resumedBy: actor(r.resumed_by, r.resumed_role, r.resumed_via),
    }));
  }
}
