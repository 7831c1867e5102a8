// A spill's histograms in SQLite: written as one row of spill_histogram_sets (histogram-set.ts, migration
// 0025); spills stored before it keep their rows of spill_histograms (one per histogram), read as they are.
// Every reader of a spill's histograms goes through here, so both are read alike. Only RunsArchive.saveSpill
// writes, inside the spill's transaction.
import type { HistSnapshot } from '../shared/histogram';
import type { Db } from './database';
import { decodeHistogram } from './histogram-codec';
import { encodeHistogramSet, HISTOGRAM_SET_ENCODING, readHistogramSet, type SetMember } from './histogram-set';

export class SpillHistograms {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insertSet: db.prepare<[number, number, string, Uint8Array]>(`INSERT INTO spill_histogram_sets (run, spill, encoding, data) VALUES (?, ?, ?, ?)`),
      set: db.prepare<[number, number], { encoding: string; data: Buffer }>(`SELECT encoding, data FROM spill_histogram_sets WHERE run = ? AND spill = ?`),
      rows: db.prepare<[number, number], SetMember>(`SELECT name, kind, encoding, data FROM spill_histograms WHERE run = ? AND spill = ? ORDER BY name`),
      row: db.prepare<[number, number, string], { encoding: string; data: Buffer }>(`SELECT encoding, data FROM spill_histograms WHERE run = ? AND spill = ? AND name = ?`),
    };
  }

  /** Inside the spill's transaction (RunsArchive.saveSpill): a spill without histograms has no row. */
  write(run: number, spill: number, histograms: readonly HistSnapshot[]): void {
    if (histograms.length) this.q.insertSet.run(run, spill, HISTOGRAM_SET_ENCODING, encodeHistogramSet(histograms));
  }

  private set(run: number, spill: number): SetMember[] {
    const row = this.q.set.get(run, spill);
    if (!row) return [];
    try {
      return readHistogramSet(row.encoding, row.data);
    } catch (error) {
      throw new Error(`the histograms of spill ${spill} of run ${run} cannot be read: ${(error as Error).message}`, { cause: error });
    }
  }

  /** The spill's histograms still encoded, by name (a reference copies them as they are). */
  stored(run: number, spill: number): SetMember[] {
    const members = this.set(run, spill);
    const inSet = new Set(members.map((m) => m.name));
    return [...members, ...this.q.rows.all(run, spill).filter((r) => !inSet.has(r.name))].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  names(run: number, spill: number): string[] {
    return this.stored(run, spill).map((m) => m.name);
  }

  /** One histogram: the set's index and that histogram are inflated, not the others. */
  get(run: number, spill: number, name: string): HistSnapshot | null {
    const member = this.set(run, spill).find((m) => m.name === name) ?? this.q.row.get(run, spill, name);
    return member ? decode(run, spill, name, member) : null;
  }

  /** Every histogram of the spill, by name. */
  all(run: number, spill: number): HistSnapshot[] {
    return this.stored(run, spill).map((m) => decode(run, spill, m.name, m));
  }
}

function decode(run: number, spill: number, name: string, m: { encoding: string; data: Uint8Array }): HistSnapshot {
  try {
    return decodeHistogram(m.encoding, m.data);
  } catch (error) {
    throw new Error(`histogram ${name} of spill ${spill} of run ${run} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}
