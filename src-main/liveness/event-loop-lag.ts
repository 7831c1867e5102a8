// How late the core's event loop runs timers, over rolling 10 s windows: what /metrics shows as the
// responsiveness of the control software (the alarm on it has its own sampling in the alarm system).
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

const WINDOW_MS = 10_000;

export interface LagFigures {
  maxMs: number;
  p99Ms: number;
  meanMs: number;
}

export class EventLoopLag {
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private last: LagFigures | null = null;

  constructor() {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.last = this.figures();
      this.histogram.reset();
    }, WINDOW_MS);
    this.timer.unref();
  }

  private figures(): LagFigures {
    const h = this.histogram;
    // The histogram counts the resolution itself as delay; what is beyond it is lag.
    const ms = (ns: number) => (Number.isFinite(ns) ? Math.max(0, ns / 1e6 - 10) : 0);
    return { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean) };
  }

  /** The last full window's figures (the current one's until a window has passed). */
  lag(): LagFigures {
    return this.last ?? this.figures();
  }

  close(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}
