// What the Runs view heads a page of runs' count on target with: the unit their setups count in (EOT, MOT,
// POT), and whether a KOT column goes beside it. Kept free of the DOM so the node tests check it.
import type { RunListing } from '@shared/api/runs';

/**
 * How the runs' count on target is headed: their setups' unit when they all share one (EOT, MOT, POT), the
 * server's own setup's when no run is listed, else "on target" with each figure saying its unit (`mixed`: a
 * page of runs of several setups, or of a setup this installation does not know). `kaons`: some run counts
 * its kaons on target (KOT), which then get their own column.
 */
export function onTargetHeading(runs: readonly Pick<RunListing, 'unit' | 'kot'>[], own: string | undefined): { label: string; mixed: boolean; kaons: boolean } {
  const units = new Set(runs.map((r) => r.unit));
  const kaons = runs.some((r) => r.kot !== null);
  if (units.size === 0) return { label: own ?? 'EOT', mixed: false, kaons };
  const [only] = units;
  return units.size === 1 && only ? { label: only, mixed: false, kaons } : { label: 'on target', mixed: true, kaons };
}
