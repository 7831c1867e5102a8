// A spill's histograms in SQLite (the monitor's SpillHistograms fills them; this stores and reads them):
// written as one row of spill_histogram_sets (histogram-set.ts, migration 0025); spills stored before it keep
// their rows of spill_histograms (one per histogram), read as they are. Every reader of a spill's histograms
// goes through here, so both are read alike. Only RunsArchive.saveSpill writes, inside the spill's transaction.
import type { HistSnapshot } from '../shared/histogram';
import type { Db } from './database';
import { decodeHistogram } from './histogram-codec';
import { encodeHistogramSet, HISTOGRAM_SET_ENCODING, memberBlob, memberHistogram, readHistogramSet, type SetMember } from './histogram-set';

/** A histogram as a row of spill_histograms or dq_reference_histograms holds it. */
export interface StoredHistogram {
  name: string;
  kind: 'TH1D' | 'TH2D';
  encoding: string;
  data: Uint8Array;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class StoredSpillHistograms {
  private readonly q;

  constructor(db: Db) {
    this.q = {
      insertSet: db.prepare<[number, number, string, Uint8Array]>(`INSERT INTO spill_histogram_sets (run, spill, encoding, data) VALUES (?, ?, ?, ?)`),
      set: db.prepare<[number, number], { encoding: string; data: Buffer }>(`SELECT encoding, data FROM spill_histogram_sets WHERE run = ? AND spill = ?`),
      rows: db.prepare<[number, number], StoredHistogram>(`SELECT name, kind, encoding, data FROM spill_histograms WHERE run = ? AND spill = ? ORDER BY name`),
      rowNames: db.prepare<[number, number], { name: string }>(`SELECT name FROM spill_histograms WHERE run = ? AND spill = ? ORDER BY name`),
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

  names(run: number, spill: number): string[] {
    const names = new Set(this.set(run, spill).map((m) => m.name));
    for (const r of this.q.rowNames.all(run, spill)) names.add(r.name);
    return [...names].sort();
  }

  /** One histogram: the set is inflated, that one histogram unpacked. */
  get(run: number, spill: number, name: string): HistSnapshot | null {
    const member = this.set(run, spill).find((m) => m.name === name);
    if (member) return decode(run, spill, name, () => memberHistogram(member));
    const row = this.q.row.get(run, spill, name);
    return row ? decode(run, spill, name, () => decodeHistogram(row.encoding, row.data)) : null;
  }

  /** Every histogram of the spill, by name. */
  all(run: number, spill: number): HistSnapshot[] {
    const members = this.set(run, spill);
    const inSet = new Set(members.map((m) => m.name));
    return [
      ...members.map((m) => ({ name: m.name, read: () => memberHistogram(m) })),
      ...this.q.rows.all(run, spill).filter((r) => !inSet.has(r.name)).map((r) => ({ name: r.name, read: () => decodeHistogram(r.encoding, r.data) })),
    ]
      .sort(byName)
      .map((h) => decode(run, spill, h.name, h.read));
  }

  /** The spill's histograms each as a blob of its own (`bins+deflate` or as the old row has it), by name: a reference copies them. */
  stored(run: number, spill: number): StoredHistogram[] {
    const members = this.set(run, spill);
    const inSet = new Set(members.map((m) => m.name));
    return [
      ...members.map((m) => ({ name: m.name, kind: m.kind, ...memberBlob(m) })),
      ...this.q.rows.all(run, spill).filter((r) => !inSet.has(r.name)),
    ].sort(byName);
  }
}

function decode(run: number, spill: number, name: string, read: () => HistSnapshot): HistSnapshot {
  try {
    return read();
  } catch (error) {
    throw new Error(`histogram ${name} of spill ${spill} of run ${run} cannot be read: ${(error as Error).message}`, { cause: error });
  }
}
