// The SPS North-Area cycle as the experiment sees it: a 4.8 s slow-extraction spill once per cycle.
// Simulated time runs `timeScale` times faster than the wall clock; every time handed out is wall-clock ms.

export interface SpsCycleConfig {
  /** Spill (slow extraction) length in simulated ms. 4.8 s is published for the North Area (NA62, W6). */
  spillMs: number;
  /** Cycle length in simulated ms. Not published for NA64: 16.8 s is a typical North-Area cycle (named default). */
  cycleMs: number;
  /** Simulated ms from start-up to the first spill, so a shifter does not wait a whole cycle. */
  firstSpillAfterMs: number;
  timeScale: number;
}

export const DEFAULT_SPS_CYCLE: Omit<SpsCycleConfig, 'timeScale'> = {
  spillMs: 4800,
  cycleMs: 16800,
  firstSpillAfterMs: 2000,
};

export interface CyclePhase {
  phase: 'spill' | 'interspill';
  /** Index of the current spill (in spill) or of the last one (between spills); -1 before the first. */
  index: number;
  phaseStartedAt: number;
  phaseEndsAt: number;
}

export class SpsCycle {
  readonly spillMs: number;
  readonly cycleMs: number;
  private readonly firstSpillAt: number;

  constructor(
    readonly config: SpsCycleConfig,
    startedAt: number,
  ) {
    if (!(config.timeScale > 0) || !Number.isFinite(config.timeScale)) throw new RangeError('timeScale must be > 0');
    if (!(config.spillMs > 0 && config.cycleMs > config.spillMs)) {
      throw new RangeError('need 0 < spillMs < cycleMs');
    }
    this.spillMs = config.spillMs / config.timeScale;
    this.cycleMs = config.cycleMs / config.timeScale;
    this.firstSpillAt = startedAt + config.firstSpillAfterMs / config.timeScale;
  }

  spillStart(index: number): number {
    return this.firstSpillAt + index * this.cycleMs;
  }

  at(now: number): CyclePhase {
    if (now < this.firstSpillAt) {
      return { phase: 'interspill', index: -1, phaseStartedAt: this.firstSpillAt - this.cycleMs + this.spillMs, phaseEndsAt: this.firstSpillAt };
    }
    const index = Math.floor((now - this.firstSpillAt) / this.cycleMs);
    const start = this.spillStart(index);
    if (now < start + this.spillMs) {
      return { phase: 'spill', index, phaseStartedAt: start, phaseEndsAt: start + this.spillMs };
    }
    return { phase: 'interspill', index, phaseStartedAt: start + this.spillMs, phaseEndsAt: this.spillStart(index + 1) };
  }
}
