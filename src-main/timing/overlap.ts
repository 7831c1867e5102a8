// One spill seen by two systems (the DAQ's start of burst, the timing source's WE, a digitizer's acquisition
// window) starts at slightly different times: a few ms to a few hundred (a DAQ stream that lags). Its ends
// differ more (a lagging stream's end of burst comes long after EE), so spills are matched by their start.

/** Of spills, the one that started closest to `startedAt`, if within `withinMs` (half an SPS cycle); else null. */
export function sameSpill<T extends { startedAt: number }>(spills: readonly T[], startedAt: number, withinMs: number): T | null {
  let best: T | null = null;
  for (const s of spills) {
    const d = Math.abs(s.startedAt - startedAt);
    if (d <= withinMs && (best === null || d < Math.abs(best.startedAt - startedAt))) best = s;
  }
  return best;
}
