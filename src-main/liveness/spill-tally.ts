// Spills as the control room graphs them: how many were taken and how many lost since start (Prometheus
// counters, so any rate can be derived), the data-quality verdicts they got, and the spill rate of the last
// minutes from the spills actually stored (never from the SPS clock).
import type { SpillSummary, Verdict } from '../shared/api/schemas';

/** The window of the spill rate (an SPS cycle is 16.8 s: about 18 spills in 5 min). */
export const SPILL_RATE_WINDOW_MS = 300_000;

export class SpillTally {
  taken = 0;
  lost = 0;
  readonly verdicts: Record<Verdict | 'none', number> = { good: 0, medium: 0, bad: 0, null: 0, none: 0 };
  private readonly recent: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  spill(summary: Pick<SpillSummary, 'daq' | 'dq' | 'eventsSeen'>): void {
    // A spill the stream dropped in the middle of still brought data: taken. Lost is a spill with none.
    if (summary.daq?.streamLost && summary.eventsSeen === 0) this.lost++;
    else {
      this.taken++;
      this.recent.push(this.now());
    }
    this.verdicts[summary.dq?.verdict ?? 'none']++;
  }

  /** Spills with data stored per minute over the last window. */
  perMinute(): number {
    const from = this.now() - SPILL_RATE_WINDOW_MS;
    while (this.recent.length && this.recent[0]! < from) this.recent.shift();
    return (this.recent.length * 60_000) / SPILL_RATE_WINDOW_MS;
  }
}
