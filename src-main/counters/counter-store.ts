// The beam-line counters' archive: every spill's counts as read at the end of burst, and the cross-checks
// with the DAQ's end-of-burst scaler per spill of a run.
import type { Db } from '../archive/database';
import type { CounterSpill, CrossCheck } from '../shared/api/beamline';

interface SpillRow {
  device: string;
  sequence: number;
  started_at: number;
  ended_at: number;
  counts: string | null;
  problem: string | null;
}

interface CheckRow {
  run: number;
  spill: number;
  device: string;
  quantity: 'triggers' | 'particles';
  scaler: number;
  daq: number;
  difference: number;
  tolerance: number;
  ok: number;
  at: number;
}

const toSpill = (r: SpillRow): CounterSpill => ({
  device: r.device,
  sequence: r.sequence,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  counts: r.counts === null ? null : (JSON.parse(r.counts) as Record<string, number>),
  problem: r.problem,
});

const toCheck = (r: CheckRow): CrossCheck => ({ ...r, ok: r.ok === 1 });

export class CounterStore {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insertSpill: db.prepare<[string, number, number, number, string | null, string | null]>(
        `INSERT OR REPLACE INTO counter_spills (device, sequence, started_at, ended_at, counts, problem) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      recent: db.prepare<[string, number], SpillRow>(`SELECT * FROM (SELECT * FROM counter_spills WHERE device = ? ORDER BY started_at DESC LIMIT ?) ORDER BY started_at`),
      between: db.prepare<[number, number], SpillRow>(`SELECT * FROM counter_spills WHERE ended_at >= ? AND started_at <= ? ORDER BY started_at`),
      insertCheck: db.prepare(
        `INSERT OR REPLACE INTO counter_crosschecks (run, spill, device, quantity, scaler, daq, difference, tolerance, ok, at)
         VALUES (@run, @spill, @device, @quantity, @scaler, @daq, @difference, @tolerance, @ok, @at)`,
      ),
      runChecks: db.prepare<[number], CheckRow>(`SELECT * FROM counter_crosschecks WHERE run = ? ORDER BY spill, device, quantity`),
      lastChecks: db.prepare<[number], CheckRow>(`SELECT * FROM (SELECT * FROM counter_crosschecks ORDER BY at DESC LIMIT ?) ORDER BY at`),
    };
  }

  saveSpill(s: CounterSpill): void {
    this.q.insertSpill.run(s.device, s.sequence, s.startedAt, s.endedAt, s.counts === null ? null : JSON.stringify(s.counts), s.problem);
  }

  recent(device: string, limit: number): CounterSpill[] {
    return this.q.recent.all(device, limit).map(toSpill);
  }

  /** Counter spills that overlap a time window (a DAQ spill's). */
  between(from: number, to: number): CounterSpill[] {
    return this.q.between.all(from, to).map(toSpill);
  }

  saveCheck(c: CrossCheck): void {
    this.q.insertCheck.run({ ...c, ok: c.ok ? 1 : 0 });
  }

  checksOfRun(run: number): CrossCheck[] {
    return this.q.runChecks.all(run).map(toCheck);
  }

  lastChecks(limit: number): CrossCheck[] {
    return this.q.lastChecks.all(limit).map(toCheck);
  }
}
