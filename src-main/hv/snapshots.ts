// Saved HV configurations (Phoebus Save-and-Restore): named snapshots of every channel's settings, one
// marked golden per setup. Saving and marking are single transactions; values are never edited.
import type { Db } from '../archive/database';
import type { HvSnapshot, HvSnapshotValue } from '../shared/api/hv';

interface SnapshotRow {
  id: number;
  setup: string;
  name: string;
  created_at: number;
  created_by: string;
  comment: string;
  golden: number;
  channels: number;
}

interface ValueRow {
  channel: string;
  on_state: number;
  vset: number;
  iset: number;
  ramp_up: number;
  ramp_down: number;
  trip_time: number;
}

export class SnapshotExistsError extends Error {}

const toSnapshot = (r: SnapshotRow): HvSnapshot => ({
  id: r.id,
  setup: r.setup,
  name: r.name,
  createdAt: r.created_at,
  createdBy: r.created_by,
  comment: r.comment,
  golden: r.golden === 1,
  channels: r.channels,
});

export class HvSnapshots {
  private readonly q;

  constructor(private readonly db: Db) {
    const columns = `s.id, s.setup, s.name, s.created_at, s.created_by, s.comment, s.golden,
      (SELECT count(*) FROM hv_snapshot_values v WHERE v.snapshot = s.id) AS channels`;
    this.q = {
      insert: db.prepare<[string, string, number, string, string]>(
        'INSERT INTO hv_snapshots (setup, name, created_at, created_by, comment) VALUES (?, ?, ?, ?, ?)',
      ),
      value: db.prepare(
        `INSERT INTO hv_snapshot_values (snapshot, channel, on_state, vset, iset, ramp_up, ramp_down, trip_time)
         VALUES (@snapshot, @channel, @on, @vset, @iset, @rampUp, @rampDown, @tripTime)`,
      ),
      exists: db.prepare<[string, string], { id: number }>('SELECT id FROM hv_snapshots WHERE setup = ? AND name = ?'),
      list: db.prepare<[string], SnapshotRow>(`SELECT ${columns} FROM hv_snapshots s WHERE s.setup = ? ORDER BY s.id DESC`),
      get: db.prepare<[number], SnapshotRow>(`SELECT ${columns} FROM hv_snapshots s WHERE s.id = ?`),
      values: db.prepare<[number], ValueRow>('SELECT * FROM hv_snapshot_values WHERE snapshot = ? ORDER BY channel'),
      unmark: db.prepare<[string]>('UPDATE hv_snapshots SET golden = 0 WHERE setup = ? AND golden = 1'),
      mark: db.prepare<[number]>('UPDATE hv_snapshots SET golden = 1 WHERE id = ?'),
      golden: db.prepare<[string], SnapshotRow>(`SELECT ${columns} FROM hv_snapshots s WHERE s.setup = ? AND s.golden = 1`),
    };
  }

  save(setup: string, name: string, by: string, comment: string, values: readonly HvSnapshotValue[], at: number): HvSnapshot {
    const id = this.db.transaction(() => {
      if (this.q.exists.get(setup, name)) throw new SnapshotExistsError(`a snapshot named "${name}" exists already for ${setup}`);
      const snapshot = Number(this.q.insert.run(setup, name, at, by, comment).lastInsertRowid);
      for (const v of values) this.q.value.run({ snapshot, ...v, on: v.on ? 1 : 0 });
      return snapshot;
    })();
    return this.get(id)!;
  }

  list(setup: string): HvSnapshot[] {
    return this.q.list.all(setup).map(toSnapshot);
  }

  get(id: number): HvSnapshot | null {
    const row = this.q.get.get(id);
    return row ? toSnapshot(row) : null;
  }

  golden(setup: string): HvSnapshot | null {
    const row = this.q.golden.get(setup);
    return row ? toSnapshot(row) : null;
  }

  values(id: number): HvSnapshotValue[] {
    return this.q.values.all(id).map((r) => ({
      channel: r.channel,
      on: r.on_state === 1,
      vset: r.vset,
      iset: r.iset,
      rampUp: r.ramp_up,
      rampDown: r.ramp_down,
      tripTime: r.trip_time,
    }));
  }

  markGolden(setup: string, id: number): void {
    this.db.transaction(() => {
      this.q.unmark.run(setup);
      this.q.mark.run(id);
    })();
  }
}
