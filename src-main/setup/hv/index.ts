// The HV channel map of each setup (one file per setup).
import { invisibleE } from './invisible-e';
import type { HvSetup } from './layout';
import { muon } from './muon';
import { visibleE } from './visible-e';

const MAPS: Record<string, HvSetup> = {
  'invisible-e': invisibleE,
  'visible-e': visibleE,
  muon,
  // The hadron setup keeps the invisible-mode calorimeters and counters.
  hadron: invisibleE,
};

export function hvSetupFor(setup: string): HvSetup {
  const map = MAPS[setup];
  if (!map) throw new Error(`no HV channel map for setup "${setup}"`);
  return map;
}
