// The run state machine: idle → starting → running → stopping → idle. Each transition is persisted before
// it is announced; a start that fails rolls back (the run is closed as aborted with the reason).
import type { RunsArchive } from '../archive/runs-archive';
import type { DaqService } from '../daq/daq-service';
import type { Logger } from '../log';
import type { Run, RunActor, RunState, RunType } from '../shared/api/schemas';
import type { Json } from '../shared/json-diff';
import { endReasonProblem, type EndReason } from '../shared/run-end';

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
}

export interface RunControlHooks {
  /** State or pending text changed. */
  changed(): void;
  started(run: Run): void;
  /** The run ended, by a stop or aborted (shutdown, failed start). */
  ended(run: Run): void;
  /** Written in the run's start transaction: the hardware that takes it, the conditions it is taken with. */
  recordStart?(run: number, start: RunStart): void;
  /**
   * The start's prompt answers checked against its run type's prompts (run-prompts.ts), before anything is
   * written; throws a RunInputError naming the field. 'remembered': no one answered (the last run's answers).
   */
  prompts?(type: RunType, given: Record<string, unknown> | 'remembered'): StartPrompts;
}

export class RunControl {
  private runState: RunState = 'idle';
  private run: Run | null = null;
  private pendingText: string | null = null;

  constructor(
    private readonly archive: RunsArchive,
    private readonly daq: DaqService,
    private readonly setup: string,
    /** Upper bound on waiting for the end of the spill in progress when stopping (wall ms). */
    private readonly stopTimeoutMs: () => number,
    private readonly hooks: RunControlHooks,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  state(): RunState {
    return this.runState;
  }

  current(): Run | null {
    return this.run ? this.archive.getRun(this.run.number) : null;
  }

  pending(): string | null {
    return this.pendingText;
  }

  private set(state: RunState, pending: string | null): void {
    this.runState = state;
    this.pendingText = pending;
    this.hooks.changed();
  }

  /**
   * `by`: who starts it (null: not said, e.g. the server's own --start-run). `prompts`: the answers to the run
   * type's start prompts, or 'remembered' for a start that no person answered.
   */
  async start(type: RunType, comment: string, by: RunActor | null = null, prompts: Record<string, unknown> | 'remembered' = 'remembered'): Promise<Run> {
    if (this.runState !== 'idle') {
      throw new RunStateError(this.runState, `cannot start a run while ${this.describe()}`);
    }
    // Checked before the run number is given: a refused start leaves nothing behind.
    const answered = this.hooks.prompts?.(type, prompts);
    const asked = answered ? { prompts: answered.answers, promptsVersion: answered.version, promptsSource: answered.source } : {};
    this.set('starting', 'allocating the run number and configuring the DAQ and monitor');
    let run: Run;
    try {
      const startedAt = this.now();
      run = this.archive.startRun({ type, setup: this.setup, comment, startedAt, by }, (n) => this.hooks.recordStart?.(n, { type, comment, startedAt, ...asked }));
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
    this.log.info({ run: run.number, type }, 'run started');
    this.set('running', null);
    const started = this.current()!;
    this.hooks.started(started);
    return started;
  }

  async stop(reason: string, by: RunActor | null = null, endReason: EndReason | null = null): Promise<Run> {
    const run = this.run;
    if (this.runState !== 'running' || !run) {
      throw new RunStateError(this.runState, `cannot stop: ${this.describe()}`);
    }
    const problem = endReason === null ? null : endReasonProblem(run.type, endReason, reason);
    if (problem) throw new RunInputError(`cannot stop run ${run.number}: ${problem}`);
    const open = this.daq.openSpill();
    this.set('stopping', open ? `waiting for the end of spill ${open}` : 'closing the run');
    await this.daq.endRun(this.stopTimeoutMs());
    const ended = this.archive.endRun(run.number, { stoppedAt: this.now(), reason, endReason, end: 'ended', by });
    this.run = null;
    this.log.info({ run: run.number, reason, endReason }, 'run stopped');
    this.set('idle', null);
    this.hooks.ended(ended);
    return ended;
  }

  /** Shutdown while a run is on: do not wait for the spill; the run is closed as aborted with the reason. */
  async abort(reason: string): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.set('stopping', 'shutting down');
    await this.daq.endRun(0);
    const aborted = this.archive.endRun(run.number, { stoppedAt: this.now(), reason, end: 'aborted' });
    this.run = null;
    this.set('idle', null);
    this.hooks.ended(aborted);
  }

  private describe(): string {
    switch (this.runState) {
      case 'idle':
        return 'no run is in progress';
      case 'starting':
        return `run ${this.run?.number ?? ''} is starting`.replace('  ', ' ');
      case 'running':
        return `run ${this.run!.number} is running`;
      case 'stopping':
        return `run ${this.run!.number} is stopping`;
    }
  }
}
