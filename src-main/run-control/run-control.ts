// The run state machine: idle → starting → running ⇄ (pausing → paused → resuming) → stopping → idle.
// A start (and a resume) first asks the transition's participants in sequence order (./transition.ts): any
// may refuse, or hold it back until a condition holds, before anything is started. Start, pause and stop are
// spill-aligned: a run takes data from the next spill that begins, a pause and a stop wait for the end of
// the spill in progress. Each transition is persisted before it is announced; a start that fails after the
// run number was given rolls back (the run is closed as aborted with the reason). A run may stop by itself
// at a limit (./auto-stop.ts), and start the next run of its type (MIDAS auto-restart).
import type { RunsArchive } from '../archive/runs-archive';
import type { DaqService } from '../daq/daq-service';
import type { Logger } from '../log';
import type { Run, RunActor, RunState, RunType } from '../shared/api/schemas';
import type { AutoStop, AutoStopView, TransitionRecord, TransitionView } from '../shared/api/run-transition';
import type { Json } from '../shared/json-diff';
import { endReasonProblem, type EndReason } from '../shared/run-end';
import { autoStopReached, autoStopView, autoStopWords, type AutoStopProgress } from './auto-stop';
import type { RunPauses } from './run-pauses';
import { askParticipants, TransitionCancelledError, TransitionRefusedError, type TransitionKind, type TransitionParticipant } from './transition';

export class RunStateError extends Error {
  constructor(
    readonly state: RunState,
    message: string,
  ) {
    super(message);
    this.name = 'RunStateError';
  }
}

/** A stop the run type does not allow (an end reason not in its list, "other" without words). */
export class RunInputError extends Error {
  override name = 'RunInputError';
}

/** The answers to the run type's start prompts a run is taken with, the prompts file's version, and whence they came. */
export interface StartPrompts {
  answers: Record<string, Json>;
  version: number;
  /** 'entered' (by a person or a script), or how a start no one answered got them (run-prompts.ts). */
  source: string;
}

/** What a run is started with. */
export interface RunStart {
  type: RunType;
  comment: string;
  startedAt: number;
  prompts?: Record<string, Json>;
  promptsVersion?: number;
  promptsSource?: string;
  /** Its automatic stop, if it has one. */
  autoStop?: AutoStop;
}

/** How a run is started beyond its type and comment. */
export interface RunStartOptions {
  /** The answers to the run type's start prompts, or 'remembered' for a start no person answered (default). */
  prompts?: Record<string, unknown> | 'remembered';
  autoStop?: AutoStop | null;
  /** Runs of this chain of automatic restarts before this one (0: a start by hand). */
  chain?: number;
}

/** An action the server took by itself (an automatic stop or restart), for the audit trail. */
export interface AutomaticAction {
  action: 'stop' | 'start';
  target: string;
  old: string | null;
  new: string | null;
  reason: string;
  result: 'ok' | 'refused' | 'failed';
  detail: string;
}

export interface RunControlHooks {
  /** State or pending text changed. */
  changed(): void;
  started(run: Run): void;
  /** The run ended, by a stop or aborted (shutdown, failed start). */
  ended(run: Run): void;
  /** Written in the run's start transaction: the hardware that takes it, the conditions it is taken with. */
  recordStart?(run: number, start: RunStart): void;
  /** The run's counting unit collected so far (EOT, MOT or POT as counted), for an automatic stop. */
  unitsOfRun?(run: number): number;
  /** The action the server took by itself, for the audit trail. */
  automatic?(action: AutomaticAction): void;
  /**
   * The start's prompt answers checked against its run type's prompts (run-prompts.ts), before anything is
   * written; throws a RunInputError naming the field. 'remembered': no one answered (the last run's answers).
   */
  prompts?(type: RunType, given: Record<string, unknown> | 'remembered'): StartPrompts;
}

/** A time limit is looked at this often (spill and counting-unit limits at each stored spill). */
const AUTO_STOP_TICK_MS = 1000;

export class RunControl {
  private runState: RunState = 'idle';
  private run: Run | null = null;
  private pendingText: string | null = null;
  private readonly participants = new Set<TransitionParticipant>();
  private transitionRecord: TransitionRecord | null = null;
  private cancelRequested = false;
  /** The running run's automatic stop: its limits, the chain it belongs to, the time it spent paused. */
  private auto: { limits: AutoStop; unit: string; chain: number; pausedMs: number; comment: string; prompts?: Record<string, Json>; stopping: boolean } | null = null;
  private pausedSince: number | null = null;
  private readonly autoTimer: NodeJS.Timeout;

  constructor(
    private readonly archive: RunsArchive,
    private readonly daq: DaqService,
    private readonly setup: string,
    /** Upper bound on waiting for the end of the spill in progress when stopping (wall ms). */
    private readonly stopTimeoutMs: () => number,
    private readonly hooks: RunControlHooks,
    private readonly log: Logger,
    private readonly pauses: RunPauses,
    /** The setup's counting unit, for the automatic stop's words. */
    private readonly unit: string,
    private readonly now: () => number = Date.now,
  ) {
    this.autoTimer = setInterval(() => this.lookAtAutoStop(), AUTO_STOP_TICK_MS);
    this.autoTimer.unref();
  }

  /** A service takes part in the transitions it names, asked in its sequence order; returns the way out. */
  participate(participant: TransitionParticipant): () => void {
    this.participants.add(participant);
    return () => this.participants.delete(participant);
  }

  state(): RunState {
    return this.runState;
  }

  /** What an automatic stop's counting-unit limit counts (EOT, MOT or POT). */
  countingUnit(): string {
    return this.unit;
  }

  current(): Run | null {
    return this.run ? this.archive.getRun(this.run.number) : null;
  }

  pending(): string | null {
    return this.pendingText;
  }

  /** The transition in progress, or the last one (kept so a refusal stays on screen with its reason). */
  transition(): TransitionRecord | null {
    return this.transitionRecord;
  }

  /** The running run's automatic stop and how far it is from it, or null. */
  autoStop(): AutoStopView | null {
    const a = this.auto;
    const run = this.run;
    if (!a || !run) return null;
    return autoStopView(a.limits, a.unit, this.progress(run, a), a.chain);
  }

  private set(state: RunState, pending: string | null): void {
    this.runState = state;
    this.pendingText = pending;
    this.hooks.changed();
  }

  /** Ask the participants of `kind`; the record follows each answer and keeps the outcome. */
  private async ask(kind: TransitionKind, type: RunType): Promise<void> {
    this.cancelRequested = false;
    const progress = (view: TransitionView) => {
      this.transitionRecord = { ...view, outcome: 'in progress', endedAt: null };
      const waiting = view.participants.find((p) => p.state === 'deferred');
      if (waiting) this.pendingText = `${kind} held back by ${waiting.name}: ${waiting.detail}`;
      this.hooks.changed();
    };
    try {
      await askParticipants([...this.participants], { kind, type }, { progress, cancelled: () => this.cancelRequested, now: this.now });
      if (this.transitionRecord) this.transitionRecord = { ...this.transitionRecord, outcome: 'done', endedAt: this.now() };
    } catch (error) {
      if (this.transitionRecord) {
        this.transitionRecord = { ...this.transitionRecord, outcome: error instanceof TransitionCancelledError ? 'cancelled' : 'refused', endedAt: this.now() };
      }
      throw error;
    } finally {
      this.cancelRequested = false;
    }
  }

  /** `by`: who starts it (null: the server itself, e.g. --start-run or an automatic restart). */
  async start(type: RunType, comment: string, by: RunActor | null = null, options: RunStartOptions = {}): Promise<Run> {
    if (this.runState !== 'idle') {
      throw new RunStateError(this.runState, `cannot start a run while ${this.describe()}`);
    }
    // The answers are checked before anything else: a refused start leaves nothing behind.
    const answered = this.hooks.prompts?.(type, options.prompts ?? 'remembered');
    const asked = answered ? { prompts: answered.answers, promptsVersion: answered.version, promptsSource: answered.source } : {};
    this.set('starting', 'asking the participants; the run takes data from the next spill that begins');
    try {
      await this.ask('start', type);
    } catch (error) {
      this.set('idle', null);
      if (error instanceof TransitionRefusedError || error instanceof TransitionCancelledError) this.log.warn({ type, reason: error.message }, 'run start refused');
      throw error;
    }
    this.set('starting', 'allocating the run number and configuring the DAQ and monitor');
    let run: Run;
    const autoStop = options.autoStop ?? undefined;
    try {
      const startedAt = this.now();
      const start: RunStart = { type, comment, startedAt, ...asked, ...(autoStop ? { autoStop } : {}) };
      run = this.archive.startRun({ type, setup: this.setup, comment, startedAt, by }, (n) => this.hooks.recordStart?.(n, start));
    } catch (error) {
      this.set('idle', null);
      throw error;
    }
    this.run = run;
    try {
      this.daq.beginRun(run.number);
    } catch (error) {
      const reason = `start failed: ${error instanceof Error ? error.message : String(error)}`;
      const aborted = this.archive.endRun(run.number, { stoppedAt: this.now(), reason, end: 'aborted' });
      this.run = null;
      this.set('idle', null);
      this.hooks.ended(aborted);
      this.log.error({ run: run.number, err: error }, 'run start failed and was rolled back');
      throw error;
    }
    this.daq.limitSpills(autoStop?.spills ?? null);
    // An automatic restart is taken with this run's answers as entered (a crew is not asked at 3 a.m.); a run
    // no one answered passes that on, so the next one is remembered the same way.
    const entered = answered?.source === 'entered' ? { prompts: answered.answers } : {};
    this.auto = autoStop ? { limits: autoStop, unit: this.unit, chain: (options.chain ?? 0) + 1, pausedMs: 0, comment, ...entered, stopping: false } : null;
    this.pausedSince = null;
    this.log.info({ run: run.number, type, ...(autoStop ? { autoStop: autoStopWords(autoStop, this.unit) } : {}) }, 'run started');
    this.set('running', null);
    const started = this.current()!;
    this.hooks.started(started);
    return started;
  }

  /** Call off a start (or a resume) that a participant holds back; nothing has been started by then. */
  cancel(): void {
    if ((this.runState !== 'starting' && this.runState !== 'resuming') || this.transitionRecord?.outcome !== 'in progress') {
      throw new RunStateError(this.runState, `nothing to call off: ${this.describe()}`);
    }
    this.cancelRequested = true;
  }

  /** Pause between spills: the spill in progress is taken to its end, then no data until the resume. */
  async pause(reason: string, by: RunActor | null = null): Promise<Run> {
    const run = this.run;
    if (this.runState !== 'running' || !run) {
      throw new RunStateError(this.runState, `cannot pause: ${this.describe()}`);
    }
    const open = this.daq.openSpill();
    this.set('pausing', open ? `pausing at the end of spill ${open}` : 'pausing between spills');
    await this.daq.pauseRun(this.stopTimeoutMs());
    if (this.run !== run) return this.archive.getRun(run.number)!;
    const at = this.now();
    this.pauses.paused(run.number, at, by, reason, this.daq.lastSpill());
    this.pausedSince = at;
    this.log.info({ run: run.number, reason, afterSpill: this.daq.lastSpill() }, 'run paused');
    this.set('paused', `paused after spill ${this.daq.lastSpill()}${reason.trim() ? `: ${reason.trim()}` : ''}`);
    return this.current()!;
  }

  /** Resume a paused run: its participants are asked again; data from the next spill that begins. */
  async resume(by: RunActor | null = null): Promise<Run> {
    const run = this.run;
    if (this.runState !== 'paused' || !run) {
      throw new RunStateError(this.runState, `cannot resume: ${this.describe()}`);
    }
    this.set('resuming', 'asking the participants; data from the next spill that begins');
    try {
      await this.ask('resume', run.type);
    } catch (error) {
      this.set('paused', `still paused: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    this.daq.resumeRun();
    const at = this.now();
    this.pauses.resumed(run.number, at, by);
    if (this.auto && this.pausedSince !== null) this.auto.pausedMs += at - this.pausedSince;
    this.pausedSince = null;
    this.log.info({ run: run.number }, 'run resumed');
    this.set('running', null);
    return this.current()!;
  }

  async stop(reason: string, by: RunActor | null = null, endReason: EndReason | null = null): Promise<Run> {
    const run = this.run;
    if ((this.runState !== 'running' && this.runState !== 'paused') || !run) {
      throw new RunStateError(this.runState, `cannot stop: ${this.describe()}`);
    }
    const problem = endReason === null ? null : endReasonProblem(run.type, endReason, reason);
    if (problem) throw new RunInputError(`cannot stop run ${run.number}: ${problem}`);
    const open = this.daq.openSpill();
    this.set('stopping', open ? `waiting for the end of spill ${open}` : 'closing the run');
    await this.daq.endRun(this.stopTimeoutMs());
    if (this.pausedSince !== null) this.pauses.resumed(run.number, this.now(), by);
    const ended = this.archive.endRun(run.number, { stoppedAt: this.now(), reason, endReason, end: 'ended', by });
    this.run = null;
    this.auto = null;
    this.pausedSince = null;
    this.log.info({ run: run.number, reason, endReason }, 'run stopped');
    this.set('idle', null);
    this.hooks.ended(ended);
    return ended;
  }

  /** Shutdown while a run is on: do not wait for the spill; the run is closed as aborted with the reason. */
  async abort(reason: string): Promise<void> {
    clearInterval(this.autoTimer);
    this.cancelRequested = true;
    const run = this.run;
    if (!run) return;
    this.set('stopping', 'shutting down');
    await this.daq.endRun(0);
    const aborted = this.archive.endRun(run.number, { stoppedAt: this.now(), reason, end: 'aborted' });
    this.run = null;
    this.auto = null;
    this.set('idle', null);
    this.hooks.ended(aborted);
  }

  // ── The automatic stop ─────────────────────────────────────────────────────────────────────────────

  /** A spill of the live stream was stored: the spill and counting-unit limits are looked at. */
  spillStored(run: number): void {
    if (this.run?.number === run) this.lookAtAutoStop();
  }

  private progress(run: Run, a: NonNullable<RunControl['auto']>): AutoStopProgress {
    const paused = this.pausedSince === null ? 0 : this.now() - this.pausedSince;
    return { spills: this.archive.getRun(run.number)?.spills ?? 0, units: this.hooks.unitsOfRun?.(run.number) ?? 0, startedAt: run.startedAt, pausedMs: a.pausedMs + paused };
  }

  private lookAtAutoStop(): void {
    const a = this.auto;
    const run = this.run;
    if (!a || !run || a.stopping || this.runState !== 'running') return;
    const reached = autoStopReached(a.limits, a.unit, this.progress(run, a), this.now());
    if (reached) {
      a.stopping = true;
      void this.stopByItself(run, a, reached);
    }
  }

  private async stopByItself(run: Run, a: NonNullable<RunControl['auto']>, reason: string): Promise<void> {
    const target = `run ${run.number} (${run.type})`;
    try {
      await this.stop(reason, null, 'completed as planned');
      this.hooks.automatic?.({ action: 'stop', target, old: `run ${run.number} running`, new: 'stopped: completed as planned', reason, result: 'ok', detail: '' });
    } catch (error) {
      a.stopping = false;
      this.hooks.automatic?.({ action: 'stop', target, old: `run ${run.number} ${this.runState}`, new: null, reason, result: 'failed', detail: error instanceof Error ? error.message : String(error) });
      this.log.error({ err: error, run: run.number }, 'the automatic stop failed');
      return;
    }
    if (!a.limits.restart) return;
    try {
      const next = await this.start(run.type, a.comment, null, { autoStop: a.limits, chain: a.chain, prompts: a.prompts ?? 'remembered' });
      this.hooks.automatic?.({ action: 'start', target: `run ${next.number} (${next.type})`, old: 'idle', new: 'running', reason: `automatic restart after run ${run.number} (${autoStopWords(a.limits, a.unit)})`, result: 'ok', detail: '' });
    } catch (error) {
      const refused = error instanceof TransitionRefusedError || error instanceof TransitionCancelledError || error instanceof RunStateError;
      this.hooks.automatic?.({
        action: 'start',
        target: `a ${run.type} run`,
        old: this.runState,
        new: null,
        reason: `automatic restart after run ${run.number}`,
        result: refused ? 'refused' : 'failed',
        detail: error instanceof Error ? error.message : String(error),
      });
      this.log.error({ err: error, after: run.number }, 'the automatic restart did not start a run');
    }
  }

  private describe(): string {
    const n = this.run?.number;
    switch (this.runState) {
      case 'idle':
        return 'no run is in progress';
      case 'starting':
        return n === undefined ? 'a run is starting' : `run ${n} is starting`;
      case 'running':
        return `run ${n} is running`;
      case 'pausing':
        return `run ${n} is pausing`;
      case 'paused':
        return `run ${n} is paused`;
      case 'resuming':
        return `run ${n} is resuming`;
      case 'stopping':
        return `run ${n} is stopping`;
    }
  }
}
