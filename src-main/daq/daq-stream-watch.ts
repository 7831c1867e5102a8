// Whether spills are arriving from the DAQ, for the screens: from the stream's own start and end of burst
// and its connection, never from the SPS clock (a timing device keeps cycling while the DAQ gets nothing).
import type { DaqStreamState } from '../shared/api/schemas';

/** No start of burst for this many cycles while connected: "no spill" (one cycle late is not news)… */
const CYCLES_WITHOUT_SPILL = 1.5;
/** …plus this slack: a spill a loaded machine reads a little late is not "no spill" (matters when time runs faster). */
const SLACK_MS = 1000;

export class DaqStreamWatch {
  private lastStart: number | null = null;
  private lastEnd: number | null = null;
  private readonly watchingSince: number;

  constructor(private readonly now: () => number = Date.now) {
    this.watchingSince = now();
  }

  /** The DAQ stream's start (WE) or end (EE) of burst. */
  signal(signal: 'WE' | 'EE', at: number): void {
    if (signal === 'WE') this.lastStart = at;
    else this.lastEnd = at;
  }

  /**
   * `lostSince`: when the stream's connection went down, null while it is up. `cycleMs`: the SPS cycle the
   * clock knows (how long a spill may take to come).
   */
  state(lostSince: number | null, cycleMs: number): DaqStreamState {
    if (lostSince !== null) return { state: 'lost', since: lostSince };
    const now = this.now();
    const last = Math.max(this.lastStart ?? 0, this.lastEnd ?? 0);
    if (this.lastStart !== null && now - this.lastStart <= CYCLES_WITHOUT_SPILL * cycleMs + SLACK_MS) return { state: 'spills', since: this.lastStart };
    return { state: 'no-spill', since: last > 0 ? last : this.watchingSince };
  }
}
