// One spill seen by two systems (the DAQ's start of burst, the timing source's WE, a digitizer's acquisition
// window) starts at slightly different times. The DAQ's monitoring stream only ever lags: its start of burst
// reaches the core a few ms to most of a cycle after the WE (a loaded machine, a simulation behind the clock),
// while the timing source and the digitizers see the spill within a poll. So a DAQ spill belongs to the spill
// that started LAST before it, not to the nearest one: with a lag above half a cycle the nearest is the next
// spill, and a cut spill was then checked against the empty one after it (−100 %).

/**
 * Of spills seen promptly (timing, beam counters, digitizers), the one the DAQ spill that started at
 * `daqStartedAt` belongs to: the last to start no later than a quarter cycle after it (the prompt system's own
 * poll may be late by that much), and at most a cycle before it; else null.
 */
export function spillOfDaq<T extends { startedAt: number }>(spills: readonly T[], daqStartedAt: number, cycleMs: number): T | null {
  const lead = cycleMs / 4;
  let best: T | null = null;
  for (const s of spills) {
    const lag = daqStartedAt - s.startedAt;
    if (lag >= -lead && lag < cycleMs - lead && (best === null || s.startedAt > best.startedAt)) best = s;
  }
  return best;
}
