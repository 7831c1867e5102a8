// The run registry: every run with filters, sort and paging, and a run's summary. Lists read `run_totals`
// (kept by triggers in each spill's transaction, migrations 0013 and 0021) so ten thousand runs filter and
// sort on columns; the EOT (and a hadron run's KOT) is counted with sign-offs honoured (spills signed off bad,
// and all spills of a run signed off bad, left out), from the sign-offs rather than from every spill. Each run
// says its setup's counting unit (EOT, MOT, POT): the `eot` figures are in it.
import type { Db } from '../archive/database';
import { toRun, type RunRow } from '../archive/runs-archive';
import type { DqStore } from '../dq/dq-store';
import type { RunListing, RunPage, RunQueryParsed, RunSort, RunSummary } from '../shared/api/runs';
import type { SignOff, SignOffVerdict } from '../shared/api/schemas';
import { RunPauses } from '../run-control/run-pauses';
import { kaonsOnTarget, RunCountings } from './run-counting';
import { SIGNED_OFF_SPILLS } from './sign-offs';

interface ListRow extends RunRow {
  good: number;
  medium: number;
  bad: number;
  unjudged: number;
  signoff: SignOffVerdict | null;
  spill_signoffs: number;
  counted_eot: number;
  /** NULL while none of the run's spills counted kaons. */
  counted_kot: number | null;
  duration: number;
  logbook: number;
}

/**
 * Logbook entries that link a run, the automatic run-start and run-stop entries aside (every run has
 * those): what people, alarms, calibration and DQ wrote about it.
 */
const LOGBOOK_OF = (run: string) =>
  `SELECT DISTINCT l.entry_id FROM logbook_links l JOIN logbook_entries e ON e.id = l.entry_id
    WHERE l.run = ${run} AND e.kind NOT IN ('run-start', 'run-stop')`;

const COUNTED_EOT = `max(0, t.eot - coalesce(x.eot, 0))`;
/** NULL stays NULL (SQLite's max of a NULL is NULL): a run without kaon counts has no KOT, not 0. */
const COUNTED_KOT = `max(0, t.kot - coalesce(x.kot, 0))`;
const DURATION = `(coalesce(r.stopped_at, @now) - r.started_at)`;

const SORT: Record<RunSort, string> = {
  number: 'r.number',
  started: 'r.started_at',
  duration: DURATION,
  spills: 't.spills',
  events: 't.events',
  eot: COUNTED_EOT,
  bad: 't.bad',
  type: 'r.type',
  setup: 'r.setup',
};

/** A LIKE pattern that matches `text` as typed: %, _ and \ lose their meaning. */
const containing = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class SignOffError extends Error {
  readonly code = 'NOT_FOUND';
}

export class RunRegistry {
  private readonly q;

  constructor(
    private readonly db: Db,
    private readonly dq: DqStore,
    /** What each run's setup counts on target (the server's own setup, or another read from setups/). */
    private readonly countings = new RunCountings(),
    /** Who paused each run and who resumed it. */
    private readonly pauses = new RunPauses(db),
  ) {
    this.q = {
      runExists: db.prepare<[number], { one: number }>(`SELECT 1 AS one FROM runs WHERE number = ?`),
      spillExists: db.prepare<[number, number], { one: number }>(`SELECT 1 AS one FROM spills WHERE run = ? AND spill = ?`),
      logbook: db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM (${LOGBOOK_OF('?')})`),
      totals: db.prepare<[number], { spills: number; events: number; eot: number; kot: number | null; good: number; medium: number; bad: number; unjudged: number }>(
        `SELECT spills, events, eot, kot, good, medium, bad, unjudged FROM run_totals WHERE run = ?`,
      ),
    };
  }

  /** One page of the runs that match `query`, and how many match in all. `now` ends the runs still on. */
  list(query: RunQueryParsed, now: number): RunPage {
    const where: string[] = [];
    const params: Record<string, number | string> = { now };
    const add = (clause: string, values: Record<string, number | string> = {}) => {
      where.push(clause);
      Object.assign(params, values);
    };
    if (query.setup !== undefined) add('r.setup = @setup', { setup: query.setup });
    if (query.type !== undefined) add('r.type = @type', { type: query.type });
    if (query.from !== undefined) add('r.started_at >= @from', { from: query.from });
    if (query.to !== undefined) add('r.started_at < @to', { to: query.to });
    if (query.before !== undefined) add('r.number < @before', { before: query.before });
    if (query.dq === 'has-bad') add('t.bad > 0');
    if (query.dq === 'has-medium') add('t.medium > 0');
    if (query.dq === 'clean') add('t.bad = 0 AND t.medium = 0 AND t.good > 0');
    if (query.signOff === 'none') add('t.signoff IS NULL AND t.spill_signoffs = 0');
    else if (query.signOff === 'any') add('(t.signoff IS NOT NULL OR t.spill_signoffs > 0)');
    else if (query.signOff !== undefined) add('t.signoff = @signOff', { signOff: query.signOff });
    if (query.eotMin !== undefined) add(`${COUNTED_EOT} >= @eotMin`, { eotMin: query.eotMin });
    if (query.eotMax !== undefined) add(`${COUNTED_EOT} <= @eotMax`, { eotMax: query.eotMax });
    if (query.durationMin !== undefined) add(`${DURATION} >= @durationMin`, { durationMin: query.durationMin * 1000 });
    if (query.durationMax !== undefined) add(`${DURATION} <= @durationMax`, { durationMax: query.durationMax * 1000 });
    if (query.text !== undefined && query.text.trim() !== '') {
      add(`(r.start_comment LIKE @text ESCAPE '\\' OR coalesce(r.stop_reason, '') LIKE @text ESCAPE '\\')`, { text: containing(query.text.trim()) });
    }
    if (query.logbook !== undefined) add(`${query.logbook ? '' : 'NOT '}EXISTS (${LOGBOOK_OF('r.number')})`);

    const ctes = `WITH ${SIGNED_OFF_SPILLS},
        excluded_by_run AS (SELECT run, sum(eot) AS eot, sum(kot) AS kot FROM signed_off_excluded GROUP BY run)`;
    const body = `runs r JOIN run_totals t ON t.run = r.number LEFT JOIN excluded_by_run x ON x.run = r.number
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    const total = this.db.prepare(`${ctes} SELECT count(*) AS n FROM ${body}`).get(params) as { n: number };
    const dir = query.order === 'asc' ? 'ASC' : 'DESC';
    const rows = this.db
      .prepare(
        `${ctes}
         SELECT r.*, t.spills, t.events, t.good, t.medium, t.bad, t.unjudged, t.signoff, t.spill_signoffs,
                ${COUNTED_EOT} AS counted_eot, ${COUNTED_KOT} AS counted_kot, ${DURATION} AS duration,
                (SELECT count(*) FROM (${LOGBOOK_OF('r.number')})) AS logbook
           FROM ${body}
          ORDER BY ${SORT[query.sort]} ${dir}, r.number ${dir}
          LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit: query.limit, offset: query.offset }) as ListRow[];
    return { runs: rows.map((row) => this.toListing(row)), total: total.n, offset: query.offset, limit: query.limit };
  }

  /**
   * An expert's sign-off of a run (spill null) or a spill: appended, the automatic verdict untouched.
   * Throws SignOffError NOT_FOUND for a run or spill that does not exist.
   */
  signOff(input: { run: number; spill: number | null; verdict: SignOffVerdict; reason: string }, by: { user: string; role: string }, at: number): SignOff {
    if (!this.q.runExists.get(input.run)) throw new SignOffError(`run ${input.run} does not exist`);
    if (input.spill !== null && !this.q.spillExists.get(input.run, input.spill)) throw new SignOffError(`spill ${input.spill} of run ${input.run} does not exist`);
    return this.dq.signOffs.add({ ...input, user: by.user, role: by.role, at });
  }

  /** A run in one answer, or null if there is no such run. */
  summary(run: number, now: number): RunSummary | null {
    const row = this.db.prepare<[number]>(`SELECT r.*, 0 AS spills, 0 AS events FROM runs r WHERE r.number = ?`).get(run) as ListRow | undefined;
    if (!row) return null;
    const totals = this.q.totals.get(run) ?? { spills: 0, events: 0, eot: 0, kot: null, good: 0, medium: 0, bad: 0, unjudged: 0 };
    const signed = this.dq.signOffs.current(run);
    const moved = this.dq.signOffMoves({ run });
    const counting = this.countings.of(row.setup);
    const kot = kaonsOnTarget(counting, totals.kot);
    return {
      run: toRun({ ...row, spills: totals.spills, events: totals.events }),
      durationMs: Math.max(0, (row.stopped_at ?? now) - row.started_at),
      unit: counting?.unit ?? null,
      eot: { counted: this.dq.eotOfRun(run), automatic: totals.eot, ...moved },
      kot: kot === null ? null : { counted: this.dq.kotOfRun(run), automatic: kot },
      verdicts: { good: totals.good, medium: totals.medium, bad: totals.bad, null: totals.unjudged },
      badSpills: this.dq.badSpills({ run }),
      signOff: signed.run,
      spillSignOffs: [...signed.spills.values()],
      history: this.dq.signOffs.history(run),
      logbookEntries: this.q.logbook.get(run)?.n ?? 0,
      pauses: this.pauses.ofRun(run),
    };
  }

  private toListing(row: ListRow): RunListing {
    const counting = this.countings.of(row.setup);
    return {
      ...toRun(row),
      durationMs: Math.max(0, row.duration),
      unit: counting?.unit ?? null,
      eot: row.counted_eot,
      kot: kaonsOnTarget(counting, row.counted_kot),
      verdicts: { good: row.good, medium: row.medium, bad: row.bad, null: row.unjudged },
      signOff: row.signoff,
      signedSpills: row.spill_signoffs,
      logbookEntries: row.logbook,
    };
  }
}
