// Versioned calibration sets in SQLite: per cell, GeV per ADC count of amplitude with its uncertainty. A set
// is draft, approved, active (at most one per setup, enforced by the schema) or retired. At first start each
// setup gets an active set seeded from the nominal scale (setups/nominal.ts), so the monitor always calibrates from the
// database and every spill records the version it used. Also the beam-scan fits behind a set and its LED
// reference; the workflow (approval, activation, rollback) is in calibration-service.ts.
import type { Db } from '../archive/database';
import type { MonitorCalibration } from '../monitor/recon/config';
import type { SET_STATUSES } from '../shared/api/calibration';

/** A refused calibration action, with what the API answers (not found, conflict, bad request). */
export class CalibrationError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'CONFLICT' | 'BAD_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

export type CalibrationStatus = (typeof SET_STATUSES)[number];

export interface CalibrationSet {
  id: number;
  setup: string;
  version: string;
  author: string;
  sourceRuns: string;
  comment: string;
  createdAt: number;
  status: CalibrationStatus;
  approvedBy?: string | null;
  approvedAt?: number | null;
  activatedBy?: string | null;
  activatedAt?: number | null;
}

/** A tower's beam-scan result stored with the set it produced (the fit as JSON for the screens). */
export interface StoredFit {
  tower: string;
  status: string;
  reason: string;
  events: number;
  fit: unknown;
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
  approved_by: string | null;
  approved_at: number | null;
  activated_by: string | null;
  activated_at: number | null;
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
  approvedBy: r.approved_by,
  approvedAt: r.approved_at,
  activatedBy: r.activated_by,
  activatedAt: r.activated_at,
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
      byVersion: db.prepare<[string, string], SetRow>(`SELECT * FROM calibration_sets WHERE setup = ? AND version = ?`),
      byId: db.prepare<[number], SetRow>(`SELECT * FROM calibration_sets WHERE id = ?`),
      approve: db.prepare<[string, number, number]>(`UPDATE calibration_sets SET status = 'approved', approved_by = ?, approved_at = ? WHERE id = ? AND status = 'draft'`),
      retire: db.prepare<[number]>(`UPDATE calibration_sets SET status = 'retired' WHERE id = ? AND status = 'active'`),
      activate: db.prepare<[string, number, number]>(
        `UPDATE calibration_sets SET status = 'active', activated_by = ?, activated_at = ? WHERE id = ? AND status IN ('approved', 'retired')`,
      ),
      insertFit: db.prepare<[number, string, string, string, number, string | null]>(
        `INSERT INTO calibration_fits (set_id, tower, status, reason, events, fit) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      fits: db.prepare<[number], { tower: string; status: string; reason: string; events: number }>(`SELECT tower, status, reason, events FROM calibration_fits WHERE set_id = ? ORDER BY tower`),
      fit: db.prepare<[number, string], { tower: string; status: string; reason: string; events: number; fit: string | null }>(`SELECT * FROM calibration_fits WHERE set_id = ? AND tower = ?`),
      insertLed: db.prepare<[number, string, number]>(`INSERT OR REPLACE INTO calibration_led_references (set_id, cell, amplitude) VALUES (?, ?, ?)`),
      led: db.prepare<[number], { cell: string; amplitude: number }>(`SELECT cell, amplitude FROM calibration_led_references WHERE set_id = ?`),
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

  byVersion(setup: string, version: string): CalibrationSet | null {
    const row = this.q.byVersion.get(setup, version);
    return row ? toSet(row) : null;
  }

  byId(id: number): CalibrationSet | null {
    const row = this.q.byId.get(id);
    return row ? toSet(row) : null;
  }

  /**
   * Store a new set with all its values (and the scan fits and LED reference behind it) in one transaction.
   */
  create(
    input: Omit<CalibrationSet, 'id'>,
    values: readonly CalibrationValue[],
    extra: { fits?: readonly StoredFit[]; led?: ReadonlyMap<string, number> } = {},
  ): CalibrationSet {
    const id = this.db.transaction(() => {
      const info = this.q.insert.run(input.setup, input.version, input.author, input.sourceRuns, input.comment, input.createdAt, input.status);
      const id = Number(info.lastInsertRowid);
      for (const v of values) this.q.insertValue.run(id, v.cell, v.gevPerAdc, v.uncertainty);
      for (const f of extra.fits ?? []) this.q.insertFit.run(id, f.tower, f.status, f.reason, f.events, f.fit === null || f.fit === undefined ? null : JSON.stringify(f.fit));
      for (const [cell, a] of extra.led ?? []) this.q.insertLed.run(id, cell, a);
      return id;
    })();
    return { ...input, id };
  }

  /** draft → approved. False when the set is not a draft (the caller says why). */
  approve(id: number, user: string, now: number): boolean {
    return this.q.approve.run(user, now, id).changes === 1;
  }

  /**
   * Make a set the setup's active one in one transaction: the active set is retired first (the schema
   * allows one active set per setup). Only an approved or retired set can become active.
   */
  activate(set: CalibrationSet, user: string, now: number): boolean {
    return this.db.transaction(() => {
      const current = this.active(set.setup);
      if (current && current.id !== set.id) this.q.retire.run(current.id);
      const changed = this.q.activate.run(user, now, set.id).changes === 1;
      if (!changed) throw new Error('not activated');
      return true;
    }).immediate();
  }

  fits(setId: number): Omit<StoredFit, 'fit'>[] {
    return this.q.fits.all(setId);
  }

  fit(setId: number, tower: string): StoredFit | null {
    const row = this.q.fit.get(setId, tower);
    return row ? { ...row, fit: row.fit === null ? null : (JSON.parse(row.fit) as unknown) } : null;
  }

  ledReference(setId: number): Map<string, number> {
    return new Map(this.q.led.all(setId).map((r) => [r.cell, r.amplitude]));
  }

  setLedReference(setId: number, amplitudes: ReadonlyMap<string, number>): void {
    this.db.transaction(() => {
      for (const [cell, a] of amplitudes) this.q.insertLed.run(setId, cell, a);
    })();
  }

  /** The active set of a setup, seeding it from `nominal` (GeV per ADC by cell) at first start. */
  ensureActive(setup: string, nominal: ReadonlyMap<string, number>, author: string, now: number): CalibrationSet {
    return (
      this.active(setup) ??
      this.create(
        { setup, version: `${setup}-nominal-v1`, author, sourceRuns: '', comment: "seeded from the nominal ADC-per-GeV scale", createdAt: now, status: 'active' },
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
