// The core thread's handle on the calibration fit worker (calibration.worker.ts): started on first use,
// restarted if it dies (a scan's records are then lost and the scan says so), closed with the core.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log';
import { workerEntry } from '../worker-entry';
import type { FromFitWorker, ToFitWorker } from './protocol';
import type { SolveInput, TowerResult } from './recon/scan-solver';

/** A solve of a full 36-tower scan takes ≈ 1 s (`npm run bench -- calibration`); this bounds a stuck one. */
const SOLVE_TIMEOUT_MS = 120_000;

export class FitWorker {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: { results: TowerResult[] }) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private closed = false;
  /** Set when the worker died since the last reset: the records it held are gone. */
  lostRecords = false;

  constructor(private readonly log: Logger) {}

  private get(): Worker {
    if (this.worker) return this.worker;
    const entry = workerEntry('calibration.worker', 'calibration/calibration.worker.ts');
    const worker = new Worker(entry.file, { workerData: entry.workerData, name: 'calibration-fit' });
    worker.on('message', (m: FromFitWorker) => this.onMessage(m));
    worker.on('error', (error) => this.log.error({ err: error }, 'calibration fit worker failed'));
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = null;
      for (const p of this.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new Error('the calibration fit worker stopped'));
      }
      this.pending.clear();
      if (!this.closed) this.lostRecords = true;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private onMessage(m: FromFitWorker): void {
    if (m.type === 'error' && m.id === null) {
      this.log.error({ message: m.message }, 'calibration fit worker reported an error');
      return;
    }
    if (m.id === null) return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.type === 'solved') p.resolve({ results: m.results });
    else p.reject(new Error(m.message));
  }

  private post(message: ToFitWorker, transfer: ArrayBuffer[] = []): void {
    this.get().postMessage(message, transfer);
  }

  reset(): void {
    this.lostRecords = false;
    this.post({ type: 'reset' });
  }

  /** Hand records over (the buffer is transferred: the caller must not use it afterwards). */
  add(records: Float32Array): void {
    this.post({ type: 'add', records }, [records.buffer as ArrayBuffer]);
  }

  solve(input: SolveInput): Promise<TowerResult[]> {
    const id = this.nextId++;
    return new Promise<{ results: TowerResult[] }>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`the fit took longer than ${SOLVE_TIMEOUT_MS / 1000} s`));
      }, SOLVE_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.post({ type: 'solve', id, input });
    }).then((r) => r.results);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
