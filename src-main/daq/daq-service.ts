// The DAQ service: follows the event source's spill signals, numbers the spills of the current run,
// feeds batches to the monitor pool and, at each end of spill, hands the monitor's result to the spill
// service (which stores and announces it). Events skipped under back-pressure are counted in the spill.
// While the event source is offline during a run, every spill the SPS cycle brings is handed over as lost,
// with no data and the reason, so the run's record has no silent hole.
import { emptySpillDaqFigures, type DriverState, type EventBatch, type EventSource, type EventSourceListener, type SourceEnd, type SpillEnd, type SpillStart } from '../../drivers/sdk/index';
import type { Logger } from '../log';
import type { MonitorPool } from '../monitor/pool';
import type { MonitorCalibration, MonitorConfig } from '../monitor/recon/config';
import type { ScanSelection } from '../shared/scan-record';
import type { SpillOrigin, SpillService } from '../spills/spill-service';

/** Burst numbers are 12 bits in the DATE event header. */
export const MAX_SPILLS_PER_RUN = 4095;

export interface DaqHooks {
  /** The beam phase changed (a spill began or ended). */
  beam(): void;
  /** The stream delivered something (a batch, a start or end of burst): the DAQ stream's heartbeat. */
  alive?(): void;
  /** The DAQ stream's start (WE) or end (EE) of burst: the spill clock follows them when the site names no timing device. */
  signal?(signal: 'WE' | 'EE', at: number, sequence: number): void;
  /**
   * LED events between spills (a batch of raw calibration events; `sequence` is the spill before the gap).
   * Called synchronously before the next spill begins, so new settings given here apply to it.
   */
  led?(batch: EventBatch, run: number): void;
  /** A finite source (a replayed raw file) has ended: read to its end, or not readable further. */
  ended?(info: SourceEnd): void;
}

interface OpenSpill {
  run: number;
  spill: number;
  sequence: number;
  startedAt: number;
  seen: number;
  skipped: number;
  stored: Promise<void>;
  markStored: () => void;
  calibration: MonitorCalibration;
  scan: ScanSelection | null;
}

export class DaqService {
  /** `lastSpill` is the last burst number given out; a spill that fails to store leaves a gap, as on real DAQs. */
  private run: { number: number; lastSpill: number; stopping: boolean; paused: boolean; spillLimit: number | null; calibration: MonitorCalibration; scan: ScanSelection | null } | null = null;
  private open: OpenSpill | null = null;
  private src: EventSource;
  private stopFollowing: () => void = () => {};
  /** The event source is offline: since when, why, and the next spill the SPS cycle brings without it. */
  private outage: { since: number; why: string; nextStart: number; timer: NodeJS.Timeout | null } | null = null;
  /** When the last spill began (from the source's signals or the cycle), for the lost spills of an outage. */
  private lastSpillStartAt: number | null = null;
  /** Spill ends being stored (the monitor's result awaited, then the spill service). */
  private readonly storing = new Set<Promise<void>>();

  constructor(
    source: EventSource,
    private readonly pool: MonitorPool,
    private readonly spills: SpillService,
    /** Asked at each run start: the active calibration applies from the next run on. */
    private readonly monitorConfig: () => MonitorConfig,
    private readonly hooks: DaqHooks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    /** What this service's spills are: the live stream's, or a replayed or reprocessed file's. */
    private readonly origin: SpillOrigin = 'live',
  ) {
    this.src = source;
  }

  private readonly listener: EventSourceListener = {
    spillStart: (info) => this.onSpillStart(info),
    batch: (batch) => this.onBatch(batch),
    spillEnd: (info) => this.storingUntil(this.onSpillEnd(info)),
    // A source that can wait (a replayed file) waits while a lossless pool has a backlog; the live stream
    // cannot, and its batches are skipped and counted under back-pressure as before.
    backlog: () => (this.pool.lossless ? this.pool.backlog() : null),
    ended: (info) => this.hooks.ended?.(info),
  };

  /** A spill being stored until `stored` settles: `idle()` waits for it. */
  private storingUntil(stored: Promise<void>): void {
    this.storing.add(stored);
    void stored.finally(() => this.storing.delete(stored));
  }

  /** Resolves when every spill that has ended so far is stored (a replay ends its run only then). */
  async idle(): Promise<void> {
    while (this.storing.size) await Promise.all([...this.storing]);
  }

  /** The event source now (a site load may replace it between runs). */
  source(): EventSource {
    return this.src;
  }

  async start(): Promise<void> {
    this.follow();
    await this.src.start(this.listener);
  }

  /** A site load replaced the event stream's device (between runs): follow the new one. */
  async replaceSource(next: EventSource | null): Promise<void> {
    if (!next) return;
    this.stopFollowing();
    this.endOutage();
    this.src = next;
    this.follow();
    await next.start(this.listener);
    if (this.run) next.arm(true);
  }

  private follow(): void {
    this.stopFollowing = this.src.onState((state, reason) => this.sourceState(state, reason));
  }

  // ── Outages of the event stream ──────────────────────────────────────────────────────────────────────

  private sourceState(state: DriverState, reason: string): void {
    // A replayed file has no SPS cycle to miss spills of: it goes offline when it has been read.
    if (this.origin !== 'live') return;
    if (state === 'online' || state === 'degraded') this.endOutage();
    else if (state === 'offline' && !this.outage) {
      const now = this.now();
      const { cycleMs } = this.src.beam();
      // The SPS keeps its cycle: the next spill is due one cycle after the last one began.
      let nextStart = (this.lastSpillStartAt ?? now) + cycleMs;
      while (nextStart < now - cycleMs) nextStart += cycleMs;
      this.outage = { since: now, why: reason.replace(/; retrying in .*$/, ''), nextStart, timer: null };
      this.scheduleLostSpill();
    }
  }

  private endOutage(): void {
    if (this.outage?.timer) clearTimeout(this.outage.timer);
    this.outage = null;
  }

  private scheduleLostSpill(): void {
    const o = this.outage;
    if (!o) return;
    const { spillMs } = this.src.beam();
    o.timer = setTimeout(() => this.recordLostSpill(), Math.max(0, o.nextStart + spillMs - this.now()));
    o.timer.unref();
  }

  /** A spill of the SPS cycle went by while the stream was offline: recorded with no data and the reason. */
  private recordLostSpill(): void {
    const o = this.outage;
    if (!o) return;
    const { spillMs, cycleMs } = this.src.beam();
    const startedAt = o.nextStart;
    o.nextStart += cycleMs;
    this.lastSpillStartAt = startedAt;
    this.scheduleLostSpill();
    const run = this.run;
    if (!run || run.stopping || run.paused || this.open || run.lastSpill >= MAX_SPILLS_PER_RUN) return;
    if (run.spillLimit !== null && run.lastSpill >= run.spillLimit) return;
    const spill = ++run.lastSpill;
    const why = `the DAQ stream was offline (${o.why})`;
    this.log.warn({ run: run.number, spill, why: o.why }, 'spill lost: the DAQ stream is offline');
    const stored = this.spills.store({
      origin: this.origin,
      run: run.number,
      spill,
      startedAt,
      endedAt: startedAt + spillMs,
      eventsSeen: 0,
      intensity: 0,
      daq: { ...emptySpillDaqFigures(), undecodedEvents: 0, streamLost: why },
      result: null,
      taken: { calibration: run.calibration, scanSelection: null, scan: null },
    }).then(
      () => undefined,
      (error: unknown) => this.log.error({ err: error, run: run.number, spill }, 'the lost spill could not be recorded'),
    );
    this.storingUntil(stored);
  }

  /** The last spill number of the current run (0 before its first spill). */
  lastSpill(): number {
    return this.run?.lastSpill ?? 0;
  }

  /** The spill being taken now, if any. */
  openSpill(): number | null {
    return this.open?.spill ?? null;
  }

  beginRun(run: number): void {
    const config = this.monitorConfig();
    this.pool.configure(config);
    this.run = { number: run, lastSpill: 0, stopping: false, paused: false, spillLimit: null, calibration: config.calibration, scan: config.scan ?? null };
    this.src.arm(true);
  }

  /**
   * Take no spill beyond number `last` in this run (an automatic stop after N spills: the run stops when the
   * last one is stored, and no spill has begun for it by then). Null: no limit.
   */
  limitSpills(last: number | null): void {
    if (this.run) this.run.spillLimit = last;
  }

  /** The run in progress (null between runs). */
  currentRun(): number | null {
    return this.run?.number ?? null;
  }

  /**
   * New calibration (an activated set, a new LED correction) and beam-scan selection for the spills that
   * begin from now on, without restarting the workers. Ignored between runs: the next run asks anew.
   */
  settings(calibration: MonitorCalibration, scan: ScanSelection | null): void {
    if (!this.run) return;
    this.run.calibration = calibration;
    this.run.scan = scan;
    this.pool.settings(calibration, scan);
  }

  /** Let the spill in progress finish and be stored (bounded by `timeoutMs`), then stop taking data. */
  async endRun(timeoutMs: number): Promise<void> {
    if (!this.run) return;
    this.run.stopping = true;
    await this.finishOpenSpill(timeoutMs);
    this.src.arm(false);
    this.run = null;
  }

  /**
   * Pause between spills: no spill opens from now on, the one in progress finishes and is stored (bounded by
   * `timeoutMs`), then data taking is off; the run stays open and its spill numbers go on at the resume.
   */
  async pauseRun(timeoutMs: number): Promise<void> {
    if (!this.run || this.run.paused) return;
    this.run.paused = true;
    await this.finishOpenSpill(timeoutMs);
    if (this.run?.paused) this.src.arm(false);
  }

  /** Take data again from the next spill that begins (one in progress now is not taken: it began paused). */
  resumeRun(): void {
    if (!this.run || !this.run.paused) return;
    this.src.arm(true);
    this.run.paused = false;
  }

  private async finishOpenSpill(timeoutMs: number): Promise<void> {
    const open = this.open;
    if (!open) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      open.stored.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut && this.open === open) {
      this.log.warn({ run: open.run, spill: open.spill }, 'end of spill never came; the partial spill is not stored');
      this.open = null;
      void this.pool.end(`${open.run}:${open.spill}`, 1000);
    }
  }

  private onSpillStart(info: SpillStart): void {
    this.hooks.alive?.();
    this.lastSpillStartAt = info.startedAt;
    this.hooks.signal?.('WE', info.startedAt, info.sequence);
    this.openRunSpill(info);
    // Announce after the spill is numbered, so the status already carries the new spill number.
    this.hooks.beam();
  }

  private openRunSpill(info: SpillStart): void {
    const run = this.run;
    if (!run || run.stopping || run.paused || this.open) return;
    if (run.spillLimit !== null && run.lastSpill >= run.spillLimit) return;
    if (run.lastSpill >= MAX_SPILLS_PER_RUN) {
      this.log.error({ run: run.number }, `run reached ${MAX_SPILLS_PER_RUN} spills; further spills are not recorded`);
      return;
    }
    let markStored!: () => void;
    const { calibration, scan } = run;
    const stored = new Promise<void>((resolve) => (markStored = resolve));
    const spill = run.lastSpill + 1;
    run.lastSpill = spill;
    this.open = { run: run.number, spill, sequence: info.sequence, startedAt: info.startedAt, seen: 0, skipped: 0, stored, markStored, calibration, scan };
    this.pool.begin(`${run.number}:${spill}`);
  }

  private onBatch(batch: EventBatch): void {
    this.hooks.alive?.();
    if (batch.type === 'calibration') {
      if (this.run && !this.run.stopping && !this.run.paused) this.hooks.led?.(batch, this.run.number);
      return;
    }
    const open = this.open;
    if (!open || batch.sequence !== open.sequence) return;
    open.seen += batch.count;
    if (!this.pool.submit(`${open.run}:${open.spill}`, batch)) open.skipped += batch.count;
  }

  private async onSpillEnd(info: SpillEnd): Promise<void> {
    this.hooks.alive?.();
    this.hooks.signal?.('EE', info.endedAt, info.sequence);
    this.hooks.beam();
    const open = this.open;
    if (!open || info.sequence !== open.sequence) return;
    this.open = null;
    try {
      const result = await this.pool.end(`${open.run}:${open.spill}`);
      await this.spills.store({
        origin: this.origin,
        run: open.run,
        spill: open.spill,
        startedAt: open.startedAt,
        endedAt: info.endedAt,
        eventsSeen: open.seen,
        intensity: info.intensity,
        daq: info.daq,
        result,
        taken: { calibration: open.calibration, scanSelection: open.scan, scan: result.scan },
      });
    } catch (error) {
      this.log.error({ err: error, run: open.run, spill: open.spill }, 'the monitor could not finish the spill');
    } finally {
      open.markStored();
    }
  }
}
