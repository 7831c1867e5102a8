// System alarm inputs: disk space of the data directory, worker restarts, database errors, and how
// responsive the core's event loop is.
import { statfsSync } from 'node:fs';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const TEN_MINUTES = 600_000;

export interface SystemCounters {
  workerRestarts(): number;
  databaseErrors(): number;
}

export class SystemAlarmSource {
  private readonly loop: IntervalHistogram;
  private readonly history: { at: number; restarts: number; dbErrors: number }[] = [];
  private lastDisk = 0;

  constructor(
    private readonly dataDir: string,
    private readonly counters: SystemCounters,
    private readonly send: (values: Record<string, number | boolean | null>) => void,
  ) {
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    this.loop.enable();
  }

  /** Called about once a second. */
  sample(now: number): void {
    const values: Record<string, number | null> = {};
    if (now - this.lastDisk >= 30_000) {
      this.lastDisk = now;
      try {
        const fs = statfsSync(this.dataDir);
        values['system:disk-free-gb'] = (fs.bavail * fs.bsize) / 1e9;
      } catch {
        values['system:disk-free-gb'] = null;
      }
    }
    this.history.push({ at: now, restarts: this.counters.workerRestarts(), dbErrors: this.counters.databaseErrors() });
    while (this.history.length > 1 && this.history[0]!.at < now - TEN_MINUTES) this.history.shift();
    const first = this.history[0]!;
    const last = this.history.at(-1)!;
    values['system:worker-restarts-10min'] = last.restarts - first.restarts;
    values['system:database-errors-10min'] = last.dbErrors - first.dbErrors;
    values['system:event-loop-lag-ms'] = this.loop.max / 1e6;
    this.loop.reset();
    this.send(values);
  }

  close(): void {
    this.loop.disable();
  }
}
