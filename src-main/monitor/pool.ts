// The pool of monitor workers. Batches go to the least-loaded worker; at the end of a spill each worker's
// partial histograms are merged. When every worker is saturated a batch is skipped and counted, so the
// spill can say which fraction of its events was processed (nothing is dropped silently). A lossless pool
// (replay of raw files, which can wait) queues such a batch instead and says through `backlog()` when its
// source should hold its reading: it never skips one.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mergeSnapshots, unpackSnapshots, type HistSnapshot } from '../shared/histogram';
import type { Logger } from '../log';
import { workerEntry } from '../worker-entry';
import type { FromWorker, ToWorker } from './protocol';
import type { MonitorCalibration, MonitorConfig } from './recon/config';
import type { ScanSelection } from '../shared/scan-record';
import type { BatchView } from './recon/spill-histograms';
import { addFigures, emptyFigures, type SpillFigures } from './recon/figures';

export interface SpillResult {
  processed: number;
  /** Events the workers could not decode (damaged MSADC data). */
  bad: number;
  histograms: HistSnapshot[];
  /** The events in the signal box (recon/spill-histograms.ts BOX_FIELDS each; blinding), null when none. */
  box: Float32Array | null;
  /** Counts behind EOT, e/π and the signal region, summed over the workers. */
  figures: SpillFigures;
  /** Beam-scan records of the spill from every worker (shared/scan-record.ts), null when no scan ran. */
  scan: Float32Array | null;
}

/** How often each worker is pinged (its heartbeat). */
const PING_MS = 1000;

interface Member {
  index: number;
  worker: Worker;
  inFlight: number;
  alive: boolean;
  done: Map<string, (result: SpillResult) => void>;
}

interface Queued {
  key: string;
  batch: BatchView;
}

const nothing = (): SpillResult => ({ processed: 0, bad: 0, histograms: [], box: null, figures: emptyFigures(), scan: null });

function concat(parts: readonly (Float32Array | null)[]): Float32Array | null {
  const present = parts.filter((p): p is Float32Array => p !== null);
  if (!present.length) return null;
  const out = new Float32Array(present.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of present) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function defaultPoolSize(): number {
  return Math.max(1, availableParallelism() - 1);
}

export class MonitorPool {
  private readonly members: Member[] = [];
  private config: MonitorConfig | null = null;
  private settingsMessage: Extract<ToWorker, { type: 'settings' }> | null = null;
  private readonly openSpills = new Set<string>();
  private closed = false;
  private readonly pinger: NodeJS.Timeout;
  restarts = 0;
  /** A worker answered a ping (index from 0): what its heartbeat follows. */
  onPong: (index: number, at: number) => void = () => {};
  /** Lossless pools: batches waiting for a worker with room, in order. */
  private readonly queue: Queued[] = [];
  private queueHead = 0;
  /** Waiting for the queue to be empty with room to spare (backlog), or for a spill's queued batches to be posted (end). */
  private roomWaiters: (() => void)[] = [];
  private flushWaiters: { key: string; resolve: () => void }[] = [];
  /** Batches handed on by a lossless pool (all of them), for the tests and the replay's figures. */
  submitted = 0;

  constructor(
    private readonly log: Logger,
    readonly size = defaultPoolSize(),
    /** Batches a worker may hold unprocessed before new ones are skipped (or, lossless, queued). */
    private readonly maxInFlight = 32,
    /** Lossless: never skip a batch; queue it and ask the source to wait (see `backlog`). */
    readonly lossless = false,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 64) throw new RangeError(`monitor pool size must be 1…64, got ${size}`);
    for (let i = 0; i < size; i++) this.members.push(this.spawn(i));
    this.pinger = setInterval(() => {
      const at = Date.now();
      for (const m of this.members) if (m.alive) this.post(m, { type: 'ping', at });
    }, PING_MS);
    this.pinger.unref();
  }

  private spawn(index: number): Member {
    const entry = workerEntry('monitor.worker', 'monitor/monitor.worker.ts');
    const worker = new Worker(entry.file, { workerData: entry.workerData, name: `monitor-${index}` });
    const member: Member = { index, worker, inFlight: 0, alive: true, done: new Map() };
    worker.on('message', (message: FromWorker) => this.onMessage(member, message));
    worker.on('error', (error) => this.log.error({ err: error, worker: index }, 'monitor worker failed'));
    worker.on('exit', (code) => {
      member.alive = false;
      // Whatever this worker held of open spills is lost; its share shows up as unprocessed events.
      for (const resolve of member.done.values()) resolve(nothing());
      member.done.clear();
      if (this.closed) return;
      this.restarts += 1;
      this.log.warn({ worker: index, code }, 'monitor worker exited; starting a new one');
      const replacement = this.spawn(index);
      this.members[index] = replacement;
      if (this.config) this.post(replacement, { type: 'configure', config: this.config });
      if (this.settingsMessage) this.post(replacement, this.settingsMessage);
      for (const key of this.openSpills) this.post(replacement, { type: 'begin', key });
    });
    return member;
  }

  private onMessage(member: Member, message: FromWorker): void {
    switch (message.type) {
      case 'ack':
        member.inFlight = Math.max(0, member.inFlight - 1);
        this.drain();
        break;
      case 'done': {
        const resolve = member.done.get(message.key);
        member.done.delete(message.key);
        let histograms: HistSnapshot[];
        try {
          histograms = unpackSnapshots(message.histograms);
        } catch (error) {
          this.log.error({ err: error, key: message.key, worker: member.index }, "a monitor worker's histograms of the spill do not unpack; the spill is kept without them");
          histograms = [];
        }
        resolve?.({ processed: message.processed, bad: message.bad, histograms, box: message.box, figures: message.figures ?? emptyFigures(), scan: message.scan });
        break;
      }
      case 'pong':
        this.onPong(member.index, Date.now());
        break;
      case 'error':
        this.log.error({ key: message.key, message: message.message }, 'monitor worker reported an error');
        if (member.inFlight > 0) member.inFlight -= 1;
        this.drain();
        break;
    }
  }

  private post(member: Member, message: ToWorker, transfer: ArrayBuffer[] = []): void {
    member.worker.postMessage(message, transfer);
  }

  configure(config: MonitorConfig): void {
    this.config = config;
    this.settingsMessage = null;
    for (const m of this.members) this.post(m, { type: 'configure', config });
  }

  /** New calibration and scan selection for the spills begun from now on (spills in progress keep theirs). */
  settings(calibration: MonitorCalibration, scan: ScanSelection | null): void {
    this.settingsMessage = { type: 'settings', calibration, scan };
    for (const m of this.members) this.post(m, this.settingsMessage);
  }

  begin(key: string): void {
    this.openSpills.add(key);
    for (const m of this.members) this.post(m, { type: 'begin', key });
  }

  /** The least-loaded live worker with room, or null when every one is saturated. */
  private target(): Member | null {
    let target: Member | null = null;
    for (const m of this.members) {
      if (m.alive && m.inFlight < this.maxInFlight && (!target || m.inFlight < target.inFlight)) target = m;
    }
    return target;
  }

  private send(target: Member, key: string, batch: BatchView): void {
    target.inFlight += 1;
    const { count, data, offsets } = batch;
    this.post(target, { type: 'batch', key, count, data, offsets }, [data.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer]);
  }

  /**
   * Hand a batch to the least-loaded worker. Returns false when it was skipped under back-pressure; a
   * lossless pool queues it instead (and returns true).
   */
  submit(key: string, batch: BatchView): boolean {
    if (this.lossless) {
      this.submitted += 1;
      this.queue.push({ key, batch });
      this.drain();
      return true;
    }
    const target = this.target();
    if (!target) return false;
    this.send(target, key, batch);
    return true;
  }

  /** Lossless pools: post queued batches while workers have room; wake who waits for room or for a spill's batches. */
  private drain(): void {
    if (!this.lossless) return;
    while (this.queueHead < this.queue.length) {
      const target = this.target();
      if (!target) break;
      const { key, batch } = this.queue[this.queueHead]!;
      this.queue[this.queueHead++] = undefined as unknown as Queued;
      this.send(target, key, batch);
    }
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    } else if (this.queueHead > 1024) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (this.flushWaiters.length) {
      const queued = new Set<string>();
      for (let i = this.queueHead; i < this.queue.length; i++) queued.add(this.queue[i]!.key);
      const still = this.flushWaiters.filter((w) => queued.has(w.key));
      const done = this.flushWaiters.filter((w) => !queued.has(w.key));
      this.flushWaiters = still;
      for (const w of done) w.resolve();
    }
    if (this.roomWaiters.length && this.backlog() === null) {
      const waiters = this.roomWaiters;
      this.roomWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Batches queued (lossless pools) and not yet handed to a worker. */
  queued(): number {
    return this.queue.length - this.queueHead;
  }

  /**
   * Null while the pool takes more without queueing; else (a lossless pool whose workers are saturated) a
   * promise that resolves when they have room again. A raw-file source holds its reading meanwhile.
   */
  backlog(): Promise<void> | null {
    if (this.closed) return null;
    if (this.queued() === 0 && this.target() !== null) return null;
    return new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  /** Lossless pools: resolves when every batch of `key` queued so far has been handed to a worker. */
  private flushed(key: string): Promise<void> {
    for (let i = this.queueHead; i < this.queue.length; i++) {
      if (this.queue[i]!.key === key) return new Promise<void>((resolve) => this.flushWaiters.push({ key, resolve }));
    }
    return Promise.resolve();
  }

  /** Close a spill on every worker and merge their histograms (a lossless pool first hands on the spill's queued batches). */
  async end(key: string, timeoutMs = 10_000): Promise<SpillResult> {
    if (this.lossless) await this.flushed(key);
    this.openSpills.delete(key);
    const parts = await Promise.all(
      this.members.map(
        (m) =>
          new Promise<SpillResult>((resolve) => {
            if (!m.alive) return resolve(nothing());
            const timer = setTimeout(() => {
              m.done.delete(key);
              this.log.warn({ key }, 'monitor worker did not finish the spill in time');
              resolve(nothing());
            }, timeoutMs);
            m.done.set(key, (result) => {
              clearTimeout(timer);
              resolve(result);
            });
            this.post(m, { type: 'end', key });
          }),
      ),
    );
    const byName = new Map<string, HistSnapshot[]>();
    for (const part of parts) {
      for (const h of part.histograms) byName.set(h.name, [...(byName.get(h.name) ?? []), h]);
    }
    return {
      processed: parts.reduce((n, p) => n + p.processed, 0),
      bad: parts.reduce((n, p) => n + p.bad, 0),
      histograms: [...byName.values()].map((list) => mergeSnapshots(list)),
      box: concat(parts.map((p) => p.box)),
      figures: parts.reduce((sum, p) => addFigures(sum, p.figures), emptyFigures()),
      scan: concat(parts.map((p) => p.scan)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    // Nobody waits on a closed pool: what was queued is dropped with it (a cancelled replay).
    this.queue.length = 0;
    this.queueHead = 0;
    for (const resolve of this.roomWaiters) resolve();
    for (const w of this.flushWaiters) w.resolve();
    this.roomWaiters = [];
    this.flushWaiters = [];
    clearInterval(this.pinger);
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }
}
