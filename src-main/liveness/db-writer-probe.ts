// The database writer's heartbeat: a committed write, timed. The core has one SQLite connection in its
// own thread; a write that fails (disk full, locked, damaged file) or never returns is what the shift must
// hear about before spills go missing, and the time a small commit takes is the write latency /metrics shows.
import type { Db } from '../archive/database';

/** Latencies kept for /metrics (one a second: the last minute). */
const KEPT = 60;

export class DbWriterProbe {
  private readonly write: (at: number) => void;
  private readonly latencies: number[] = [];
  lastError: string | null = null;
  failures = 0;

  constructor(db: Db) {
    const statement = db.prepare("INSERT INTO liveness (source, at) VALUES ('db-writer', ?) ON CONFLICT (source) DO UPDATE SET at = excluded.at");
    this.write = (at) => void statement.run(at);
  }

  /** One committed write: true when the database took it. */
  probe(now = Date.now()): boolean {
    const t0 = performance.now();
    try {
      this.write(now);
    } catch (error) {
      this.failures++;
      this.lastError = error instanceof Error ? error.message : String(error);
      return false;
    }
    this.latencies.push(performance.now() - t0);
    if (this.latencies.length > KEPT) this.latencies.shift();
    this.lastError = null;
    return true;
  }

  /** The write latencies of the last minute (ms): the last one and the largest. */
  latency(): { lastMs: number | null; maxMs: number | null } {
    if (!this.latencies.length) return { lastMs: null, maxMs: null };
    return { lastMs: this.latencies.at(-1)!, maxMs: Math.max(...this.latencies) };
  }
}
