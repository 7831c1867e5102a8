// What blinding leaves in the histograms: every reconstructed event but those it sealed, the signal box's
// (none on the simulated beam without injected signal) and a hidden sample of one in 512.
import { expect } from 'vitest';

/** Sealed events allowed in `processed` reconstructed ones: the hidden sample (1/512) with ample room. */
export const sealedAtMost = (processed: number): number => Math.ceil((3 * processed) / 512) + 10;

/**
 * A spill's (or run's) beam-spectrum entries (ecal_energy …) against the events reconstructed, of which
 * `randomTriggers` were random triggers: pedestal noise, in none of the beam's spectra.
 */
export function expectOpenEntries(entries: number, processed: number, randomTriggers: number): void {
  expect(randomTriggers).toBeGreaterThan(0);
  expect(entries).toBeLessThanOrEqual(processed - randomTriggers);
  expect(processed - randomTriggers - entries).toBeLessThanOrEqual(sealedAtMost(processed));
}
