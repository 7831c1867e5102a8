// Versioned calibration sets in SQLite: per cell, GeV per ADC count of amplitude with its uncertainty. A set
// is draft, approved, active (at most one per setup, enforced by the schema) or retired. At first start each
// setup gets an active set seeded from the twin's nominal scale, so the monitor always calibrates from the
// database and every spill records the version it used. The calibration workflow (beam-scan fits, approval,
// activation, rollback, diff) builds on these tables.
import type { Db } from '../archive/database';
import type { MonitorCalibration } from '../monitor/recon/config';

export const CALIBRATION_STATUSES = ['draft', 'approved', 'active', 'retired'] as const;
export type CalibrationStatus = (typeof CALIBRATION_STATUSES)[number];

export interface CalibrationSet {
  id: number;
  setup: string;
  version: string;
  author: string;
  sourceRuns: string;
  comment: string;
  createdAt: number;
  status: CalibrationStatus;
}

export interface CalibrationValue {
  cell: string;
  gevPerAdc: number;
  uncertainty: number;
}

/** The seed's relative uncertainty: the nominal scale is known only to the spread of PMT gains (≈ 10 %). */
export const NOMINAL_UNCERTAINTY = 0.1;

interface SetRow {
  id: number;
  setup: string;
  version: string;
  author: string;
  source_runs: string;
  comment: string;
  created_at: number;
  status: CalibrationStatus;
}

const toSet = (r: SetRow): CalibrationSet => ({
  id: r.id,
  setup: r.setup,
  version: r.version,
  author: r.author,
  sourceRuns: r.source_runs,
  comment: r.comment,
  createdAt: r.created_at,
  status: r.status,
});

export class CalibrationSets {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      active: db.prepare<[string], SetRow>(`SELECT * FROM calibration_sets WHERE setup = ? AND status = 'active'`),
      list: db.prepare<[string], SetRow>(`SELECT * FROM calibration_sets WHERE setup = ? ORDER BY id DESC`),
      insert: db.prepare<[string, string, string, string, string, number, CalibrationStatus]>(
        `INSERT INTO calibration_sets (setup, version, author, source_runs, comment, created_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertValue: db.prepare<[number, string, number, number]>(`INSERT INTO calibration_values (set_id, cell, gev_per_adc, uncertainty) VALUES (?, ?, ?, ?)`),
      values: db.prepare<[number], { cell: string; gev_per_adc: number; uncertainty: number }>(
        `SELECT cell, gev_per_adc, uncertainty FROM calibration_values WHERE set_id = ? ORDER BY cell`,
      ),
    };
  }

  active(setup: string): CalibrationSet | null {
    const row = this.q.active.get(setup);
    return row ? toSet(row) : null;
  }

  list(setup: string): CalibrationSet[] {
    return this.q.list.all(setup).map(toSet);
  }

  values(setId: number): CalibrationValue[] {
    return this.q.values.all(setId).map((r) => ({ cell: r.cell, gevPerAdc: r.gev_per_adc, uncertainty: r.uncertainty }));
  }

  /** Store a new set with all its values in one transaction. */
  create(input: Omit<CalibrationSet, 'id'>, values: readonly CalibrationValue[]): CalibrationSet {
    const id = this.db.transaction(() => {
      const info = this.q.insert.run(input.setup, input.version, input.author, input.sourceRuns, input.comment, input.createdAt, input.status);
      const id = Number(info.lastInsertRowid);
      for (const v of values) this.q.insertValue.run(id, v.cell, v.gevPerAdc, v.uncertainty);
      return id;
    })();
    return { ...input, id };
  }

  /** The active set of a setup, seeding it from `nominal` (GeV per ADC by cell) at first start. */
  ensureActive(setup: string, nominal: ReadonlyMap<string, number>, author: string, now: number): CalibrationSet {
    return (
      this.active(setup) ??
      this.create(
        { setup, version: `${setup}-nominal-v1`, author, sourceRuns: '', comment: "seeded from the twin's nominal ADC-per-GeV scale", createdAt: now, status: 'active' },
        [...nominal].map(([cell, gevPerAdc]) => ({ cell, gevPerAdc, uncertainty: gevPerAdc * NOMINAL_UNCERTAINTY })),
      )
    );
  }

  /**
   * The worker calibration of a set for the setup's cells (in cell order). A cell the set does not cover
   * keeps the nominal scale; `ledCorrection` is the LED gain correction per cell (1 = none).
   */
  forMonitor(set: CalibrationSet, cells: readonly string[], nominal: ReadonlyMap<string, number>, ledCorrection?: readonly number[]): MonitorCalibration {
    const byCell = new Map(this.values(set.id).map((v) => [v.cell, v.gevPerAdc]));
    return {
      version: set.version,
      gevPerAdc: cells.map((c) => byCell.get(c) ?? nominal.get(c)!),
      ledCorrection: cells.map((_, i) => ledCorrection?.[i] ?? 1),
    };
  }
}
