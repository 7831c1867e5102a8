// Runs, spills and spill histograms in SQLite. One transaction per logical write: a run start, a run end,
// a whole spill with its histograms.
import type { Run, RunActor, RunOrigin, RunType, SpillDaq, SpillSummary } from '../shared/api/schemas';
import type { HistSnapshot } from '../shared/histogram';
import type { Db } from './database';
import { StoredSpillHistograms } from './stored-spill-histograms';
import type { EndReason } from '../shared/run-end';

/** A row of `runs` with its spill and event counts, as the archive and the registry read it. */
export interface RunRow {
  number: number;
  type: RunType;
  setup: string;
  started_at: number;
  stopped_at: number | null;
  start_comment: string;
  stop_reason: string | null;
  end_reason: EndReason | null;
  end_state: Run['end'];
  spills: number;
  events: number;
  started_by: string | null;
  started_role: RunActor['role'] | null;
  started_via: RunActor['via'];
  stopped_by: string | null;
  stopped_role: RunActor['role'] | null;
  stopped_via: RunActor['via'];
  origin: RunOrigin;
  source_files: string | null;
  reprocess_of: number | null;
  calibration_version: string | null;
}

interface SpillRow {
  run: number;
  spill: number;
  started_at: number;
  ended_at: number;
  events_seen: number;
  events_processed: number;
  intensity: number;
  ecal_mean_gev: number | null;
  ecal_peak_gev: number | null;
  daq_recorded: number;
  physics_triggers: number;
  beam_triggers: number;
  random_triggers: number;
  calibration_events: number;
  corrupt_events: number;
  truncated_events: number;
  out_of_order_events: number;
  undecoded_events: number;
  missing_source_events: number;
  missing_sources: string;
  orphan_events: number;
  lost_events: number;
  scaler_accepted: number | null;
  dead_time_fraction: number | null;
  end_of_burst: number;
  stream_lost: string | null;
}

/** The DAQ figures with their two sums, as the API carries them. */
export function spillDaq(f: Omit<SpillDaq, 'badEvents' | 'skippedEvents'>): SpillDaq {
  return {
    ...f,
    badEvents: f.corruptEvents + f.truncatedEvents + f.outOfOrderEvents + f.undecodedEvents,
    skippedEvents: f.missingSourceEvents + f.orphanEvents + f.lostEvents,
  };
}

function toDaq(row: SpillRow): SpillDaq | null {
  if (!row.daq_recorded) return null;
  return spillDaq({
    physicsTriggers: row.physics_triggers,
    beamTriggers: row.beam_triggers,
    randomTriggers: row.random_triggers,
    calibrationEvents: row.calibration_events,
    corruptEvents: row.corrupt_events,
    truncatedEvents: row.truncated_events,
    outOfOrderEvents: row.out_of_order_events,
    undecodedEvents: row.undecoded_events,
    missingSourceEvents: row.missing_source_events,
    missingSources: row.missing_sources ? row.missing_sources.split(',').map(Number) : [],
    orphanEvents: row.orphan_events,
    lostEvents: row.lost_events,
    scalerAccepted: row.scaler_accepted,
    deadTimeFraction: row.dead_time_fraction,
    endOfBurst: row.end_of_burst === 1,
    streamLost: row.stream_lost,
  });
}

const RUN_COLUMNS = `r.number, r.type, r.setup, r.started_at, r.stopped_at, r.start_comment, r.stop_reason, r.end_reason, r.end_state,
  r.started_by, r.started_role, r.started_via, r.stopped_by, r.stopped_role, r.stopped_via,
  r.origin, r.source_files, r.reprocess_of, r.calibration_version,
  (SELECT count(*) FROM spills s WHERE s.run = r.number) AS spills,
  (SELECT coalesce(sum(events_seen), 0) FROM spills s WHERE s.run = r.number) AS events`;

const actor = (user: string | null, role: RunActor['role'] | null, via: RunActor['via']): RunActor | null =>
  user !== null && role !== null ? { user, role, via } : null;

export function toRun(row: RunRow): Run {
  return {
    number: row.number,
    type: row.type,
    setup: row.setup,
    startedAt: row.started_at,
    stoppedAt: row.stopped_at,
    startComment: row.start_comment,
    stopReason: row.stop_reason,
    endReason: row.end_reason ?? null,
    end: row.end_state,
    spills: row.spills,
    events: row.events,
    startedBy: actor(row.started_by, row.started_role, row.started_via),
    stoppedBy: actor(row.stopped_by, row.stopped_role, row.stopped_via),
    origin: row.origin,
    sourceFiles: row.source_files ? (JSON.parse(row.source_files) as string[]) : [],
    reprocessOf: row.reprocess_of,
    calibrationVersion: row.calibration_version,
  };
}

/** What a replayed or reprocessed run records at its start (a live run: none of it). */
export interface RunProvenance {
  origin: Exclude<RunOrigin, 'live'>;
  sourceFiles: readonly string[];
  reprocessOf: number | null;
  calibrationVersion: string;
}

function toSpill(row: SpillRow): SpillSummary {
  return {
    run: row.run,
    spill: row.spill,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    eventsSeen: row.events_seen,
    eventsProcessed: row.events_processed,
    processedFraction: row.events_seen > 0 ? Math.min(1, row.events_processed / row.events_seen) : 1,
    intensity: row.intensity,
    ecalMeanGeV: row.ecal_mean_gev,
    ecalPeakGeV: row.ecal_peak_gev,
    daq: toDaq(row),
  };
}

export class RunsArchive {
  private readonly q;
  /** A spill's histograms: written here only (saveSpill), read by every domain through it. */
  readonly spillHistograms: StoredSpillHistograms;

  constructor(private readonly db: Db) {
    this.spillHistograms = new StoredSpillHistograms(db);
    this.q = {
      lastRunNumber: db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'last_run_number'`),
      setLastRunNumber: db.prepare<[string]>(
        `INSERT INTO meta (key, value) VALUES ('last_run_number', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
      maxRun: db.prepare<[], { n: number | null }>(`SELECT max(number) AS n FROM runs`),
      insertRun: db.prepare<[number, string, string, number, string, string | null, string | null, string | null]>(
        `INSERT INTO runs (number, type, setup, started_at, start_comment, end_state, started_by, started_role, started_via)
         VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
      ),
      setProvenance: db.prepare<[string, string, number | null, string, number]>(
        `UPDATE runs SET origin = ?, source_files = ?, reprocess_of = ?, calibration_version = ? WHERE number = ?`,
      ),
      setReplayReport: db.prepare<[string, number]>(`UPDATE runs SET replay_report = ? WHERE number = ?`),
      replayReport: db.prepare<[number], { replay_report: string | null }>(`SELECT replay_report FROM runs WHERE number = ?`),
      endRun: db.prepare<[number, string, string | null, string, string | null, string | null, string | null, number]>(
        `UPDATE runs SET stopped_at = ?, stop_reason = ?, end_reason = ?, end_state = ?, stopped_by = ?, stopped_role = ?, stopped_via = ?
          WHERE number = ? AND end_state = 'running'`,
      ),
      runningRuns: db.prepare<[], { number: number }>(`SELECT number FROM runs WHERE end_state = 'running'`),
      getRun: db.prepare<[number], RunRow>(`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.number = ?`),
      listRuns: db.prepare<[number, number], RunRow>(
        `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.number < ? ORDER BY r.number DESC LIMIT ?`,
      ),
      insertSpill: db.prepare(
        `INSERT INTO spills (run, spill, started_at, ended_at, events_seen, events_processed, intensity, ecal_mean_gev, ecal_peak_gev,
           daq_recorded, physics_triggers, beam_triggers, random_triggers, calibration_events, corrupt_events, truncated_events,
           out_of_order_events, undecoded_events, missing_source_events, missing_sources, orphan_events, lost_events,
           scaler_accepted, dead_time_fraction, end_of_burst, stream_lost)
         VALUES (@run, @spill, @startedAt, @endedAt, @eventsSeen, @eventsProcessed, @intensity, @ecalMeanGeV, @ecalPeakGeV,
           @daqRecorded, @physicsTriggers, @beamTriggers, @randomTriggers, @calibrationEvents, @corruptEvents, @truncatedEvents,
           @outOfOrderEvents, @undecodedEvents, @missingSourceEvents, @missingSources, @orphanEvents, @lostEvents,
           @scalerAccepted, @deadTimeFraction, @endOfBurst, @streamLost)`,
      ),
      listSpills: db.prepare<[number], SpillRow>(`SELECT * FROM spills WHERE run = ? ORDER BY spill`),
      liveRunAt: db.prepare<[number, number], { number: number }>(
        `SELECT number FROM runs WHERE origin = 'live' AND started_at <= ? AND (stopped_at IS NULL OR stopped_at >= ?) ORDER BY number DESC LIMIT 1`,
      ),
      spillAt: db.prepare<[number, number], { spill: number }>(`SELECT spill FROM spills WHERE run = ? AND started_at <= ? ORDER BY started_at DESC LIMIT 1`),
      spillExists: db.prepare<[number, number], { one: number }>(`SELECT 1 AS one FROM spills WHERE run = ? AND spill = ?`),
    };
  }

  /** The highest run number ever allocated (0 before the first run). */
  lastRunNumber(): number {
    const stored = Number(this.q.lastRunNumber.get()?.value ?? 0);
    return Math.max(stored, this.q.maxRun.get()?.n ?? 0);
  }

  /**
   * Allocate the next run number and record the run as running, atomically; `also` writes what other
   * domains keep of the run's start (the hardware that takes it) in the same transaction.
   */
  startRun(
    input: { type: RunType; setup: string; comment: string; startedAt: number; by?: RunActor | null; provenance?: RunProvenance },
    also?: (run: number) => void,
  ): Run {
    const number = this.db.transaction(() => {
      const next = this.lastRunNumber() + 1;
      const by = input.by ?? null;
      this.q.insertRun.run(next, input.type, input.setup, input.startedAt, input.comment, by?.user ?? null, by?.role ?? null, by?.via ?? null);
      const p = input.provenance;
      if (p) this.q.setProvenance.run(p.origin, JSON.stringify(p.sourceFiles), p.reprocessOf, p.calibrationVersion, next);
      this.q.setLastRunNumber.run(String(next));
      also?.(next);
      return next;
    })();
    return this.getRun(number)!;
  }

  endRun(number: number, input: { stoppedAt: number; reason: string; endReason?: EndReason | null; end: 'ended' | 'aborted'; by?: RunActor | null }): Run {
    const by = input.by ?? null;
    this.q.endRun.run(input.stoppedAt, input.reason, input.endReason ?? null, input.end, by?.user ?? null, by?.role ?? null, by?.via ?? null, number);
    return this.getRun(number)!;
  }

  /** Runs left `running` by a process that died: they are closed as aborted at start-up. */
  abortRunningRuns(reason: string, at: number): number[] {
    const numbers = this.q.runningRuns.all().map((r) => r.number);
    this.db.transaction(() => {
      for (const n of numbers) this.q.endRun.run(at, reason, null, 'aborted', null, null, null, n);
    })();
    return numbers;
  }

  /** What reading a replay's raw files found (stored as it goes, so it survives a crash), JSON. */
  saveReplayReport(run: number, report: unknown): void {
    this.q.setReplayReport.run(JSON.stringify(report), run);
  }

  replayReport(run: number): unknown {
    const text = this.q.replayReport.get(run)?.replay_report;
    return text ? (JSON.parse(text) as unknown) : null;
  }

  getRun(number: number): Run | null {
    const row = this.q.getRun.get(number);
    return row ? toRun(row) : null;
  }

  listRuns(limit: number, before?: number): Run[] {
    return this.q.listRuns.all(before ?? Number.MAX_SAFE_INTEGER, limit).map(toRun);
  }

  /**
   * Store a finished spill and all its histograms in one transaction (without DAQ figures: they are unknown);
   * `also` writes what other domains keep of the spill (data quality) in the same transaction.
   */
  saveSpill(summary: Omit<SpillSummary, 'daq'> & { daq?: SpillDaq | null }, histograms: readonly HistSnapshot[], also?: () => void): void {
    this.db.transaction(() => {
      const { daq, dq: _dq, ...spill } = summary;
      this.q.insertSpill.run({
        ...spill,
        daqRecorded: daq ? 1 : 0,
        physicsTriggers: daq?.physicsTriggers ?? 0,
        beamTriggers: daq?.beamTriggers ?? 0,
        randomTriggers: daq?.randomTriggers ?? 0,
        calibrationEvents: daq?.calibrationEvents ?? 0,
        corruptEvents: daq?.corruptEvents ?? 0,
        truncatedEvents: daq?.truncatedEvents ?? 0,
        outOfOrderEvents: daq?.outOfOrderEvents ?? 0,
        undecodedEvents: daq?.undecodedEvents ?? 0,
        missingSourceEvents: daq?.missingSourceEvents ?? 0,
        missingSources: daq?.missingSources.join(',') ?? '',
        orphanEvents: daq?.orphanEvents ?? 0,
        lostEvents: daq?.lostEvents ?? 0,
        scalerAccepted: daq?.scalerAccepted ?? null,
        deadTimeFraction: daq?.deadTimeFraction ?? null,
        endOfBurst: daq?.endOfBurst ? 1 : 0,
        streamLost: daq?.streamLost ?? null,
      });
      this.spillHistograms.write(summary.run, summary.spill, histograms);
      also?.();
    })();
  }

  /** A run's spills as the archive keeps them (their data quality is the DQ domain's: SpillService.list). */
  /**
   * The live run taking data at `ms` (wall clock) and its spill then: the one in progress, or the last one
   * stored before it (between spills); null outside every live run.
   */
  liveSpillAt(ms: number): { run: number; spill: number | null } | null {
    const run = this.q.liveRunAt.get(ms, ms)?.number;
    if (run === undefined) return null;
    return { run, spill: this.q.spillAt.get(run, ms)?.spill ?? null };
  }

  listSpills(run: number): SpillSummary[] {
    return this.q.listSpills.all(run).map(toSpill);
  }

  spillExists(run: number, spill: number): boolean {
    return this.q.spillExists.get(run, spill) !== undefined;
  }

  histogramNames(run: number, spill: number): string[] {
    return this.spillHistograms.names(run, spill);
  }

  histogram(run: number, spill: number, name: string): HistSnapshot | null {
    return this.spillHistograms.get(run, spill, name);
  }
}
