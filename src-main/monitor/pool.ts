// The pool of monitor workers. Batches go to the least-loaded worker; at the end of a spill each worker's
// partial histograms are merged. When every worker is saturated a batch is skipped and counted, so the
// spill can say which fraction of its events was processed (nothing is dropped silently).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mergeSnapshots, type HistSnapshot } from '../shared/histogram';
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

const nothing = (): SpillResult => ({ processed: 0, bad: 0, histograms: [], figures: emptyFigures(), scan: null });

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

  constructor(
    private readonly log: Logger,
    readonly size = defaultPoolSize(),
    /** Batches a worker may hold unprocessed before new ones are skipped. */
    private readonly maxInFlight = 32,
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
        break;
      case 'done': {
        const resolve = member.done.get(message.key);
        member.done.delete(message.key);
        resolve?.({ processed: message.processed, bad: message.bad, histograms: message.histograms, figures: message.figures ?? emptyFigures(), scan: message.scan });
        break;
      }
      case 'pong':
        this.onPong(member.index, Date.now());
        break;
      case 'error':
        this.log.error({ key: message.key, message: message.message }, 'monitor worker reported an error');
        if (member.inFlight > 0) member.inFlight -= 1;
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

  /** Hand a batch to the least-loaded worker. Returns false when it was skipped under back-pressure. */
  submit(key: string, batch: BatchView): boolean {
    let target: Member | null = null;
    for (const m of this.members) {
      if (m.alive && m.inFlight < this.maxInFlight && (!target || m.inFlight < target.inFlight)) target = m;
    }
    if (!target) return false;
    target.inFlight += 1;
    const { count, data, offsets } = batch;
    this.post(target, { type: 'batch', key, count, data, offsets }, [data.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer]);
    return true;
  }

  /** Close a spill on every worker and merge their histograms. */
  async end(key: string, timeoutMs = 10_000): Promise<SpillResult> {
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
      figures: parts.reduce((sum, p) => addFigures(sum, p.figures), emptyFigures()),
      scan: concat(parts.map((p) => p.scan)),
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.pinger);
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }
}
