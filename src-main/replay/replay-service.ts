// Replay and reprocessing: recorded DATE raw files run through the same path as live data, the na64-daq
// driver (its framing and spill logic, reading a `file` transport) → a DaqService of their own → monitor
// workers of their own (the live run's workers are not disturbed) → the spill service → the database, as
// ONE new run of origin 'replay' ("replay of FILE"), or, for a reprocessing, a stored run's raw files with a
// chosen calibration set as a run of origin 'reprocess'. At speed `max` the file is read as fast as the
// workers take it and no event is ever skipped (a lossless pool: the reader holds the file while the workers
// are busy); at speed N it is paced by its DATE timestamps N× faster than they were taken.
//
// One replay at a time: a second one is refused while one runs (it would only share the same cores).
// A file that is missing, unreadable or not a DATE file is refused before a run is made; damage inside a
// file (corrupt, cut-short events, garbage) is skipped by the framer, counted per spill and listed with its
// file offset in the run's report; a file that cannot be read further ends the run aborted with why,
// keeping every spill already stored.
import { EventPublisher } from '@orpc/server';
import type { AnyDriverPlugin, DriverContext, EventSource, SourceEnd, SourceReading } from '../../drivers/sdk/index';
import { pluginById } from '../../drivers/registry';
import type { RunsArchive } from '../archive/runs-archive';
import type { CalibrationSet, CalibrationSets } from '../calibration/calibration-sets';
import type { DaqHooks, DaqService } from '../daq/daq-service';
import type { SpillService, SpillStored } from '../spills/spill-service';
import type { Logger } from '../log';
import { MonitorPool, defaultPoolSize } from '../monitor/pool';
import type { MonitorConfig } from '../monitor/recon/config';
import type { Setup } from '../../setups/load';
import type { ReplayFileReport, ReplayReport, ReplaySpeed, ReplayStatus } from '../shared/api/replay';
import type { Run, RunType } from '../shared/api/schemas';
import { checkRawFile, RawFileError, rawFileOf, type CheckedRawFile } from './raw-file-check';
import { ReplayCalibration } from './replay-calibration';

export class ReplayError extends Error {
  constructor(
    readonly code: 'BAD_REQUEST' | 'CONFLICT' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'ReplayError';
  }
}

export type ReplayOrigin = 'replay' | 'reprocess';

/** Batches a replay worker may hold: enough to keep it busy, few enough that the file is held early. */
const REPLAY_IN_FLIGHT = 4;
/** Progress is published at most this often while a replay runs. */
const PUBLISH_MS = 250;
/** The events/s and ETA follow the last few seconds. */
const RATE_WINDOW_MS = 3000;

export interface ReplayDeps {
  archive: RunsArchive;
  sets: CalibrationSets;
  setup: Setup;
  /**
   * The site's event source (its plugin and parsed options: source ids, batch size, where the DAQ writes its
   * raw files), or null without a site (headless `na64rc replay`): then the na64-daq driver with the setup's
   * source ids.
   */
  eventSource: () => { plugin: AnyDriverPlugin; options: unknown } | null;
  /** The spill service every spill goes through (live ones too). */
  spills: SpillService;
  /** The replay's DaqService: on the spill service, with the run's origin, its own pool and hooks. */
  daq: (source: EventSource, pool: MonitorPool, origin: ReplayOrigin, monitorConfig: () => MonitorConfig, hooks: DaqHooks) => DaqService;
  /** A replayed run ended (the DQ domain lets go of its accumulation). */
  runEnded?(run: Run): void;
  /** Monitor workers per replay (default: the machine's cores less one). */
  workers?: number;
  log: Logger;
  now?: () => number;
}

export interface ReplayRequest {
  files: readonly string[];
  speed: ReplaySpeed;
  type: RunType;
  comment: string;
  by: string;
}

interface FileState {
  checked: CheckedRawFile;
  reading: SourceReading | null;
  state: ReplayFileReport['state'];
}

interface Active {
  origin: ReplayOrigin;
  run: Run;
  reprocessOf: number | null;
  set: CalibrationSet;
  speed: ReplaySpeed;
  by: string;
  files: FileState[];
  index: number;
  source: EventSource;
  daq: DaqService;
  pool: MonitorPool;
  calibration: ReplayCalibration;
  startedAt: number;
  totals: Omit<ReplayReport, 'files' | 'summary'>;
  samples: { at: number; events: number; bytes: number }[];
  timer: NodeJS.Timeout;
  finishing: Promise<void> | null;
  /** Resolves when the run has ended (whichever way). */
  ended: Promise<void>;
  markEnded: () => void;
}

function emptyTotals(): Active['totals'] {
  return {
    spills: 0,
    eventsSeen: 0,
    eventsProcessed: 0,
    corruptEvents: 0,
    truncatedEvents: 0,
    outOfOrderEvents: 0,
    undecodedEvents: 0,
    missingSourceEvents: 0,
    orphanEvents: 0,
    unprocessedEvents: 0,
    storeFailures: 0,
  };
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const count = (n: number) => n.toLocaleString('en-US');

/** The report in one sentence: what was read, what was stored, what was skipped and why. */
export function summarise(report: Omit<ReplayReport, 'summary'>): string {
  const read = report.files.reduce((n, f) => n + f.bytesRead, 0);
  const skippedBytes = report.files.reduce((n, f) => n + f.bytesSkipped, 0);
  const problems = report.files.reduce((n, f) => n + f.problemCount, 0);
  const parts = [`${report.files.length} file${report.files.length === 1 ? '' : 's'}, ${mb(read)} read: ${count(report.spills)} spill${report.spills === 1 ? '' : 's'} and ${count(report.eventsSeen)} events stored`];
  const skipped: string[] = [];
  if (report.corruptEvents) skipped.push(`${count(report.corruptEvents)} corrupt`);
  if (report.truncatedEvents) skipped.push(`${count(report.truncatedEvents)} cut short`);
  if (report.outOfOrderEvents) skipped.push(`${count(report.outOfOrderEvents)} out of order`);
  if (report.undecodedEvents) skipped.push(`${count(report.undecodedEvents)} undecodable`);
  if (report.missingSourceEvents) skipped.push(`${count(report.missingSourceEvents)} without all sources`);
  if (report.orphanEvents) skipped.push(`${count(report.orphanEvents)} outside any spill`);
  if (skipped.length) parts.push(`skipped ${skipped.join(', ')} events`);
  if (skippedBytes) parts.push(`${count(skippedBytes)} bytes of damaged data or garbage skipped (${count(problems)} problem${problems === 1 ? '' : 's'} listed by offset)`);
  if (report.unprocessedEvents) parts.push(`${count(report.unprocessedEvents)} events not processed`);
  if (report.storeFailures) parts.push(`${report.storeFailures} spill${report.storeFailures === 1 ? '' : 's'} refused by the database`);
  for (const f of report.files) if (f.error) parts.push(`reading stopped: ${f.error}`);
  const notRead = report.files.filter((f) => f.state === 'not read').length;
  if (notRead) parts.push(`${notRead} file${notRead === 1 ? ' was' : 's were'} not read`);
  if (parts.length === 1) parts.push('nothing skipped');
  return `${parts.join('; ')}.`;
}

export class ReplayService {
  readonly live = new EventPublisher<{ replay: ReplayStatus }>({ maxBufferedEvents: 20 });
  private active: Active | null = null;
  /** Claimed synchronously while a replay is being set up, so two requests cannot both start one. */
  private starting = false;
  /** The last replay's final status (kept until the next one starts). */
  private last: ReplayStatus | null = null;
  private readonly workers: number;

  constructor(private readonly deps: ReplayDeps) {
    this.workers = deps.workers ?? defaultPoolSize();
    deps.spills.subscribe('spill-stored', (stored) => this.spillStored(stored));
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The replay running now, or the last one, or idle. */
  status(): ReplayStatus {
    const a = this.active;
    if (!a) {
      return (
        this.last ?? {
          state: 'idle',
          kind: null,
          run: null,
          reprocessOf: null,
          calibrationVersion: null,
          files: [],
          speed: null,
          workers: this.workers,
          by: null,
          startedAt: null,
          endedAt: null,
          elapsedMs: 0,
          bytesRead: 0,
          bytesTotal: 0,
          events: 0,
          eventsPerSecond: 0,
          etaSeconds: null,
          spills: 0,
          dataSeconds: 0,
          speedup: null,
          message: 'no replay since the server started',
          report: null,
        }
      );
    }
    return this.describe(a, a.finishing ? 'finishing' : 'running', null, a.finishing ? 'storing the last spill' : this.runningMessage(a));
  }

  private runningMessage(a: Active): string {
    const f = a.files[a.index]!;
    return `${a.origin === 'reprocess' ? `reprocessing run ${a.reprocessOf} with ${a.set.version}` : 'replaying'}: file ${a.index + 1} of ${a.files.length}, ${f.checked.path}`;
  }

  private readings(a: Active): (SourceReading | null)[] {
    return a.files.map((f, i) => (i === a.index && f.state === 'reading' ? (a.source.reading?.() ?? f.reading) : f.reading));
  }

  private describe(a: Active, state: ReplayStatus['state'], endedAt: number | null, message: string): ReplayStatus {
    const now = endedAt ?? this.now();
    const readings = this.readings(a);
    // Progress: up to the last event handed on (a paced replay reads ahead of it).
    const bytesRead = readings.reduce((n, r) => n + (r?.bytesDone ?? 0), 0);
    const bytesTotal = a.files.reduce((n, f) => n + f.checked.bytes, 0);
    const events = readings.reduce((n, r) => n + (r?.events['PHYSICS'] ?? 0), 0);
    const dataSeconds = readings.reduce((n, r) => n + (r && r.firstTimestamp !== null && r.lastTimestamp !== null ? r.lastTimestamp - r.firstTimestamp : 0), 0);
    const elapsedMs = Math.max(0, now - a.startedAt);
    // The rate over the last seconds (the whole replay when it is younger).
    let eventsPerSecond = 0;
    let etaSeconds: number | null = null;
    const first = a.samples.find((s) => s.at >= now - RATE_WINDOW_MS) ?? a.samples[0];
    if (endedAt !== null) {
      eventsPerSecond = elapsedMs > 0 ? (1000 * events) / elapsedMs : 0;
      etaSeconds = 0;
    } else if (first && now - first.at > 200) {
      const dt = (now - first.at) / 1000;
      eventsPerSecond = Math.max(0, (events - first.events) / dt);
      const byteRate = (bytesRead - first.bytes) / dt;
      etaSeconds = byteRate > 0 ? Math.max(0, (bytesTotal - bytesRead) / byteRate) : null;
    }
    return {
      state,
      kind: a.origin,
      run: a.run.number,
      reprocessOf: a.reprocessOf,
      calibrationVersion: a.set.version,
      files: a.files.map((f) => f.checked.path),
      speed: a.speed,
      workers: a.pool.size,
      by: a.by,
      startedAt: a.startedAt,
      endedAt,
      elapsedMs,
      bytesRead,
      bytesTotal,
      events,
      eventsPerSecond,
      etaSeconds,
      spills: a.totals.spills,
      dataSeconds,
      speedup: elapsedMs > 0 && dataSeconds > 0 ? dataSeconds / (elapsedMs / 1000) : null,
      message,
      report: this.report(a, readings),
    };
  }

  private report(a: Active, readings: (SourceReading | null)[]): ReplayReport {
    const files: ReplayFileReport[] = a.files.map((f, i) => {
      const r = readings[i] ?? null;
      return {
        path: f.checked.path,
        bytes: f.checked.bytes,
        bytesRead: r?.bytesRead ?? 0,
        bytesSkipped: r?.bytesSkipped ?? 0,
        events: r?.events ?? {},
        problems: r?.problems ?? [],
        problemCount: r?.problemCount ?? 0,
        error: r?.ended?.error ?? null,
        state: f.state,
      };
    });
    const report = { files, ...a.totals };
    return { ...report, summary: summarise(report) };
  }

  private publish(): void {
    this.live.publish('replay', this.status());
  }

  // ── starting ─────────────────────────────────────────────────────────────────────────────────────────

  /** Replay raw files as one new run of origin 'replay'. */
  async start(request: ReplayRequest): Promise<ReplayStatus> {
    return this.launch(request, 'replay', null, null);
  }

  /**
   * Reprocess a stored run: its raw files (a replayed run knows them; a live run's are where the site says
   * the DAQ writes them) with the calibration set `version` (any status: a draft is what this is for).
   */
  async reprocess(input: { run: number; calibrationVersion: string; speed: ReplaySpeed; by: string }): Promise<ReplayStatus> {
    const original = this.deps.archive.getRun(input.run);
    if (!original) throw new ReplayError('NOT_FOUND', `run ${input.run} does not exist`);
    if (original.setup !== this.deps.setup.name) {
      throw new ReplayError('BAD_REQUEST', `run ${input.run} was taken with setup ${original.setup}; this server runs ${this.deps.setup.name}, whose channel map and calibration sets differ`);
    }
    const set = this.deps.sets.byVersion(this.deps.setup.name, input.calibrationVersion);
    if (!set) throw new ReplayError('NOT_FOUND', `no calibration set ${input.calibrationVersion} for setup ${this.deps.setup.name}`);
    let files = original.sourceFiles;
    if (!files.length) {
      const pattern = (this.deps.eventSource()?.options as { rawFiles?: string } | undefined)?.rawFiles;
      if (!pattern) {
        throw new ReplayError(
          'BAD_REQUEST',
          `run ${input.run} was taken live and the site does not say where the DAQ writes its raw files (the event source's rawFiles option, e.g. "/data/cdr01001-{run:06}.dat"): replay its file by name instead`,
        );
      }
      files = [rawFileOf(pattern, input.run)];
    }
    const comment = `reprocessing of run ${input.run} with calibration set ${set.version} (${set.status})`;
    return this.launch({ files, speed: input.speed, type: original.type, comment, by: input.by }, 'reprocess', input.run, set);
  }

  private async launch(request: ReplayRequest, origin: ReplayOrigin, reprocessOf: number | null, chosen: CalibrationSet | null): Promise<ReplayStatus> {
    if (this.active || this.starting) {
      const a = this.active;
      throw new ReplayError('CONFLICT', a ? `a replay is running (run ${a.run.number}, ${this.runningMessage(a)}): one replay at a time; wait for it or cancel it` : 'a replay is starting: one replay at a time');
    }
    this.starting = true;
    try {
      let checked: CheckedRawFile[];
      try {
        checked = request.files.map((f) => checkRawFile(f));
      } catch (error) {
        if (error instanceof RawFileError) throw new ReplayError('BAD_REQUEST', `${error.message}; no run was made`);
        throw error;
      }
      const set = chosen ?? this.deps.sets.active(this.deps.setup.name);
      if (!set) throw new ReplayError('BAD_REQUEST', `setup ${this.deps.setup.name} has no active calibration set`);
      const comment = request.comment || `replay of ${checked.map((c) => c.path).join(', ')}`;
      const startedAt = this.now();
      const run = this.deps.archive.startRun({
        type: request.type,
        setup: this.deps.setup.name,
        comment,
        startedAt,
        provenance: { origin, sourceFiles: checked.map((c) => c.path), reprocessOf, calibrationVersion: set.version },
      });
      const pool = new MonitorPool(this.deps.log, this.workers, REPLAY_IN_FLIGHT, true);
      const calibration = new ReplayCalibration(this.deps.sets, this.deps.setup, set);
      const files: FileState[] = checked.map((c) => ({ checked: c, reading: null, state: 'pending' }));
      const source = this.source(checked[0]!.path, request.speed);
      // The hooks are called once the replay below exists.
      const self: { active: Active | null } = { active: null };
      const hooks: DaqHooks = {
        beam: () => undefined,
        led: (batch) => {
          const next = calibration.ledBatch(batch);
          if (next) self.active?.daq.settings(next, null);
        },
        ended: (end) => {
          if (self.active) this.fileEnded(self.active, end);
        },
      };
      const daq = this.deps.daq(source, pool, origin, () => calibration.monitorConfig(), hooks);
      const timer = setInterval(() => this.publish(), PUBLISH_MS);
      timer.unref();
      let markEnded!: () => void;
      const ended = new Promise<void>((resolve) => (markEnded = resolve));
      const active: Active = {
        origin,
        run,
        reprocessOf,
        set,
        speed: request.speed,
        by: request.by,
        files,
        index: 0,
        source,
        daq,
        pool,
        calibration,
        startedAt,
        totals: emptyTotals(),
        samples: [{ at: startedAt, events: 0, bytes: 0 }],
        timer,
        finishing: null,
        ended,
        markEnded,
      };
      self.active = active;
      this.active = active;
      this.last = null;
      files[0]!.state = 'reading';
      this.deps.log.warn({ run: run.number, origin, files: checked.map((c) => c.path), speed: request.speed, by: request.by, set: set.version }, `${origin} started`);
      daq.beginRun(run.number);
      try {
        await daq.start();
      } catch (error) {
        await this.finish(active, 'failed', `the replay could not start: ${(error as Error).message}`);
        throw error;
      }
      this.publish();
      return this.status();
    } finally {
      this.starting = false;
    }
  }

  /** A raw-file source for one file: the site's DAQ stream plugin (or na64-daq) on a `file` transport. */
  private source(path: string, speed: ReplaySpeed): EventSource {
    const site = this.deps.eventSource();
    const plugin = site && site.plugin.manifest.transports.includes('file') ? site.plugin : pluginById('na64-daq')!;
    const sources = [...new Set(this.deps.setup.channelMap.map((e) => e.sourceId))].sort((a, b) => a - b);
    const options = site && site.plugin === plugin ? site.options : plugin.manifest.options.parse({ sources });
    const log = this.deps.log;
    const context: DriverContext = {
      now: () => this.now(),
      log: {
        info: (m, f) => log.info({ device: 'replay', ...f }, m),
        warn: (m, f) => log.warn({ device: 'replay', ...f }, m),
        error: (m, f) => log.error({ device: 'replay', ...f }, m),
      },
    };
    const device = plugin.create({ id: 'replay', transport: { kind: 'file', path, timeScale: speed }, options }, context);
    if (device.kind !== 'event-source') throw new Error(`${plugin.manifest.id} is not an event source`);
    return device as EventSource;
  }

  // ── while it runs ────────────────────────────────────────────────────────────────────────────────────

  private spillStored({ summary, origin }: SpillStored): void {
    const a = this.active;
    if (!a || origin === 'live' || summary.run !== a.run.number) return;
    const t = a.totals;
    t.spills++;
    t.eventsSeen += summary.eventsSeen;
    t.eventsProcessed += summary.eventsProcessed;
    t.unprocessedEvents += Math.max(0, summary.eventsSeen - summary.eventsProcessed);
    const d = summary.daq;
    if (d) {
      t.corruptEvents += d.corruptEvents;
      t.truncatedEvents += d.truncatedEvents;
      t.outOfOrderEvents += d.outOfOrderEvents;
      t.undecodedEvents += d.undecodedEvents;
      t.missingSourceEvents += d.missingSourceEvents;
      t.orphanEvents += d.orphanEvents;
    }
    const now = this.now();
    const s = this.describe(a, 'running', null, '');
    a.samples.push({ at: now, events: s.events, bytes: s.bytesRead });
    while (a.samples.length > 2 && a.samples[1]!.at < now - RATE_WINDOW_MS) a.samples.shift();
  }

  /** The file being read is done: the next one, or the end of the replay. */
  private fileEnded(a: Active, end: SourceEnd): void {
    if (this.active !== a || a.finishing) return;
    const f = a.files[a.index]!;
    f.reading = a.source.reading?.() ?? f.reading;
    f.state = 'read';
    if (end.error) {
      void this.finish(a, 'failed', `${end.error}; the spills read before are kept`);
      return;
    }
    if (a.index + 1 >= a.files.length) {
      void this.finish(a, 'done', 'replay complete');
      return;
    }
    void this.nextFile(a);
  }

  private async nextFile(a: Active): Promise<void> {
    const previous = a.source;
    a.index++;
    a.files[a.index]!.state = 'reading';
    try {
      a.source = this.source(a.files[a.index]!.checked.path, a.speed);
      await a.daq.replaceSource(a.source);
    } catch (error) {
      await this.finish(a, 'failed', `file ${a.files[a.index]!.checked.path} could not be opened: ${(error as Error).message}`);
    } finally {
      await previous.close();
    }
  }

  /** Cancel the replay running now: its run ends aborted with who cancelled it; what was stored stays. */
  async cancel(by: string): Promise<ReplayStatus> {
    const a = this.active;
    if (!a) throw new ReplayError('CONFLICT', 'no replay is running');
    if (!a.finishing) {
      // Reading stops now: the spill being read is not stored (it would be partial).
      await a.source.close();
      void this.finish(a, 'cancelled', `replay cancelled by ${by}`);
    }
    await a.finishing;
    return this.status();
  }

  /** End the run: every spill handed on is stored first (or, cancelled, the partial one dropped). */
  private finish(a: Active, outcome: 'done' | 'cancelled' | 'failed', reason: string): Promise<void> {
    if (a.finishing) return a.finishing;
    a.finishing = (async () => {
      this.publish();
      try {
        if (outcome === 'cancelled') await a.daq.endRun(0);
        await a.daq.idle();
        // Spills numbered and never stored: the database refused them.
        a.totals.storeFailures = Math.max(0, a.daq.lastSpill() - a.totals.spills);
        await a.daq.endRun(0);
      } catch (error) {
        this.deps.log.error({ err: error, run: a.run.number }, 'the replay did not end cleanly');
      }
      for (const f of a.files) {
        if (f.state === 'reading') f.state = outcome === 'done' ? 'read' : 'not read';
        else if (f.state === 'pending') f.state = 'not read';
      }
      const current = a.files[a.index]!;
      current.reading = a.source.reading?.() ?? current.reading;
      if (current.reading && current.state === 'not read' && current.reading.bytesRead > 0) current.state = 'read';
      await a.source.close();
      const endedAt = this.now();
      const final = this.describe(a, outcome, endedAt, outcome === 'done' ? 'replay complete' : reason);
      try {
        const ended = this.deps.archive.endRun(a.run.number, { stoppedAt: endedAt, reason, end: outcome === 'done' ? 'ended' : 'aborted' });
        if (final.report) this.deps.archive.saveReplayReport(a.run.number, final.report);
        this.deps.runEnded?.(ended);
      } catch (error) {
        this.deps.log.error({ err: error, run: a.run.number }, 'the replayed run could not be closed');
      }
      clearInterval(a.timer);
      await a.pool.close();
      this.last = final;
      this.active = null;
      this.deps.log.warn({ run: a.run.number, outcome, reason, spills: final.spills, events: final.events, speedup: final.speedup }, `${a.origin} ${outcome}`);
      this.publish();
      a.markEnded();
    })();
    return a.finishing;
  }

  /** Resolves when the replay running now (if any) has ended. */
  async settled(): Promise<ReplayStatus> {
    const a = this.active;
    if (a) await a.ended;
    return this.status();
  }

  /** The stored report of a replayed or reprocessed run. */
  storedReport(run: number): ReplayReport {
    const r = this.deps.archive.getRun(run);
    if (!r) throw new ReplayError('NOT_FOUND', `run ${run} does not exist`);
    if (r.origin === 'live') throw new ReplayError('NOT_FOUND', `run ${run} was taken live: it has no replay report`);
    if (this.active?.run.number === run) return this.status().report!;
    const report = this.deps.archive.replayReport(run) as ReplayReport | null;
    if (!report) throw new ReplayError('NOT_FOUND', `run ${run} has no replay report (it did not end)`);
    return report;
  }

  /** Shutdown: a replay running is cancelled (its run ends aborted with the reason). */
  async close(reason = 'the server was shut down'): Promise<void> {
    const a = this.active;
    if (!a) return;
    await a.source.close();
    await this.finish(a, 'cancelled', `replay stopped: ${reason}`);
  }
}
