// The conditions of each run in SQLite (table run_conditions, migration 0014): one JSON document per run,
// written in the run's start transaction; and which earlier run is "the last good one" of a run's type and
// setup (by the registry's sign-offs and per-run totals), for "what changed since the last good run".
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import type { Db } from '../archive/database';
import type { Run } from '../shared/api/schemas';
import type { Json } from '../shared/json-diff';
import type { RunConditions } from '../shared/api/conditions';
import { CONDITIONS_SCHEMA } from '../shared/api/conditions';

/** What the table holds: the document without the site and the devices (those are in sites / run_devices). */
export type StoredConditions = Omit<RunConditions, 'site' | 'devices'>;

const ENCODING = 'json+deflate';

export interface LastGood {
  run: number;
  /** Why it counts as good: its sign-off, or its spills' automatic verdicts. */
  why: string;
}

interface LastGoodRow {
  number: number;
  good: number;
  bad: number;
  signoff: string | null;
  signoff_by: string | null;
}

export class ConditionsStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      insert: db.prepare<[number, number, number, string, Uint8Array]>(
        `INSERT INTO run_conditions (run, schema, taken_at, encoding, document) VALUES (?, ?, ?, ?, ?)`,
      ),
      get: db.prepare<[number], { schema: number; encoding: string; document: Buffer }>(`SELECT schema, encoding, document FROM run_conditions WHERE run = ?`),
    };
  }

  /** Call inside the run's start transaction. */
  save(doc: StoredConditions): void {
    this.q.insert.run(doc.run, doc.schema, doc.takenAt, ENCODING, deflateSync(strToU8(JSON.stringify(doc)), { level: 6 }));
  }

  get(run: number): StoredConditions | null {
    const row = this.q.get.get(run);
    if (!row) return null;
    if (row.encoding !== ENCODING) throw new Error(`run ${run}: unknown conditions encoding "${row.encoding}"`);
    return upgrade(row.schema, JSON.parse(strFromU8(inflateSync(row.document))) as StoredConditions);
  }

  /** Bytes of a run's stored document, as stored and as JSON (for the figures). */
  size(run: number): { stored: number; json: number } | null {
    const row = this.q.get.get(run);
    return row ? { stored: row.document.byteLength, json: inflateSync(row.document).byteLength } : null;
  }

  /** The answers to the start prompts of the last live run of this type and setup that recorded its conditions. */
  lastPrompts(type: string, setup: string): { run: number; answers: Record<string, Json> } | null {
    const row = this.db
      .prepare<[string, string], { run: number }>(
        `SELECT c.run FROM run_conditions c JOIN runs r ON r.number = c.run WHERE r.type = ? AND r.setup = ? AND r.origin = 'live' ORDER BY c.run DESC LIMIT 1`,
      )
      .get(type, setup);
    const doc = row ? this.get(row.run) : null;
    return doc ? { run: doc.run, answers: doc.start.prompts } : null;
  }

  /**
   * The latest run before `run` of the same type and setup that ended normally (not aborted), has spills,
   * and is good: by its run sign-off in force when it has one, else by more good than bad spills in the
   * automatic verdicts (the per-run totals of migration 0013). Replays and reprocessings (runs.origin) are
   * not candidates: they were not taken with the conditions they carry.
   */
  lastGood(run: Pick<Run, 'number' | 'type' | 'setup'>): LastGood | null {
    const row = this.db
      .prepare<[number, string, string], LastGoodRow>(
        `SELECT r.number, t.good, t.bad, t.signoff,
           (SELECT o.user FROM run_signoffs_in_force o WHERE o.run = r.number AND o.spill IS NULL) AS signoff_by
         FROM runs r JOIN run_totals t ON t.run = r.number
         WHERE r.number < ? AND r.type = ? AND r.setup = ? AND r.end_state = 'ended' AND r.origin = 'live'
           AND t.spills > 0
           AND CASE WHEN t.signoff IS NOT NULL THEN t.signoff = 'good' ELSE t.good > t.bad END
         ORDER BY r.number DESC LIMIT 1`,
      )
      .get(run.number, run.type, run.setup);
    if (!row) return null;
    return {
      run: row.number,
      why:
        row.signoff !== null
          ? `run ${row.number} is the last ${run.type} run of setup ${run.setup} before run ${run.number} signed off good (by ${row.signoff_by})`
          : `run ${row.number} is the last ${run.type} run of setup ${run.setup} before run ${run.number} that ended normally with more good spills than bad (${row.good} good, ${row.bad} bad)`,
    };
  }
}

/** Documents of an older layout, read as the current one (none yet: the layout is at its first version). */
function upgrade(schema: number, doc: StoredConditions): StoredConditions {
  if (schema > CONDITIONS_SCHEMA) throw new Error(`the conditions were written with layout ${schema}, newer than this version knows (${CONDITIONS_SCHEMA})`);
  return doc;
}
