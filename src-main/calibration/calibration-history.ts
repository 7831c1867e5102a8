// What calibration did, per run: the beam scans (who, which cells, how it ended, the draft it made) and,
// per spill, the LED measurement of the gap before it with the gain correction the spill was reconstructed
// with and where that came from (its own gap, the previous ones, the run average, none).
import type { Db } from '../archive/database';
import { deflateText, storedJson } from '../archive/deflated-text';
import { worstSource, type LedCorrection, type LedSource } from './led-tracker';

export interface LedPoint {
  spill: number;
  amplitude: number | null;
  correction: number;
  source: LedSource;
}

/** A spill's LED record per ECAL cell ([amplitude or null, factor, source]): deflated since migration 0027, JSON text before. */
export function ledCells(run: number, spill: number, text: string, deflated: Uint8Array | null): Record<string, [number | null, number, LedSource]> {
  return storedJson(text, deflated, `the LED record of spill ${spill} of run ${run}`) as Record<string, [number | null, number, LedSource]>;
}

export class CalibrationHistory {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      startScan: db.prepare<[string, number, number, string, string, number, string]>(
        `INSERT INTO calibration_scans (setup, run, started_at, started_by, towers, events_per_cell, model, status) VALUES (?, ?, ?, ?, ?, ?, ?, 'running')`,
      ),
      scanStatus: db.prepare<[string, number | null, string, number | null, number]>(`UPDATE calibration_scans SET status = ?, set_id = coalesce(?, set_id), message = ?, ended_at = ? WHERE id = ?`),
      // The cells deflated (migration 0027): `cells` is '' in a row written since.
      writeLed: db.prepare<[number, number, string, Uint8Array, string, number | null]>(
        `INSERT OR REPLACE INTO spill_led (run, spill, calibration_version, cells, cells_deflated, source, max_drift) VALUES (?, ?, ?, '', ?, ?, ?)`,
      ),
      ledOfRun: db.prepare<[number], { spill: number; cells: string; cells_deflated: Buffer | null }>(`SELECT spill, cells, cells_deflated FROM spill_led WHERE run = ? ORDER BY spill`),
      lastLedRun: db.prepare<[], { run: number }>(`SELECT run FROM spill_led ORDER BY run DESC LIMIT 1`),
    };
  }

  startScan(s: { setup: string; run: number; startedAt: number; startedBy: string; towers: string[]; eventsPerCell: number; model: string }): number {
    return Number(this.q.startScan.run(s.setup, s.run, s.startedAt, s.startedBy, JSON.stringify(s.towers), s.eventsPerCell, s.model).lastInsertRowid);
  }

  scanStatus(id: number, status: string, setId: number | null, message: string, endedAt: number | null = null): void {
    this.q.scanStatus.run(status, setId, message, endedAt, id);
  }

  /** A spill's LED record: per ECAL cell the gap's amplitude, the correction applied and its source. */
  writeSpillLed(run: number, spill: number, version: string, cells: readonly string[], factors: readonly number[], led: LedCorrection | null): void {
    const sources: LedSource[] = cells.map((_, i) => led?.source[i] ?? 'none');
    const data = Object.fromEntries(cells.map((c, i) => [c, [led?.amplitude[i] ?? null, factors[i] ?? 1, sources[i]!]]));
    this.q.writeLed.run(run, spill, version, deflateText(JSON.stringify(data)), worstSource(sources), led?.maxDrift ?? null);
  }

  ledTrend(run: number, cell: string): LedPoint[] {
    return this.q.ledOfRun.all(run).flatMap((r) => {
      const v = (ledCells(run, r.spill, r.cells, r.cells_deflated) as Record<string, [number | null, number, LedSource]>)[cell];
      return v ? [{ spill: r.spill, amplitude: v[0], correction: v[1], source: v[2] }] : [];
    });
  }

  lastLedRun(): number | null {
    return this.q.lastLedRun.get()?.run ?? null;
  }
}
