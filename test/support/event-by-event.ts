// Twin events generated, encoded, decoded and reconstructed one by one, each handed with the generator's
// truth of its particles to a tally: for the tests that hold a reconstruction's tag against that truth.
import { expect } from 'vitest';
import { TwinEncoder } from '../../drivers/na64-daq/encoder';
import type { ParticleTruth } from '../../drivers/twin/response';
import { DEFAULT_SPS_CYCLE } from '../../drivers/twin/sps-cycle';
import { Twin } from '../../drivers/twin/twin';
import type { MonitorConfig } from '../../src-main/monitor/recon/config';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import type { Setup } from '../../setups/load';
import { batchOf, ids } from './twin-data';

/**
 * Reconstruct the first `events` events with a beam particle of setup `setup` (seed `seed`), from spill 0 on;
 * `visit` sees each right after its reconstruction (the triggering particle's truth first, then the pile-up's).
 * Returns the reconstruction, whose figures hold all of them.
 */
export function eventByEvent(setup: Setup, config: MonitorConfig, seed: number, events: number, visit: (recon: SpillHistograms, first: ParticleTruth, pileup: ParticleTruth[]) => void): SpillHistograms {
  const twin = new Twin(setup, { seed, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs });
  const encoder = TwinEncoder.of(twin, setup.channelMap);
  const recon = new SpillHistograms(config);
  let n = 0;
  for (let s = 0; n < events; s++) {
    const spill = twin.spill(s);
    for (let e = spill.next(); e && n < events; e = spill.next()) {
      const [first, ...pileup] = e.truth.particles;
      if (!first) continue;
      recon.fill(batchOf([encoder.event(e, ids(++n, s + 1))]));
      expect(recon.bad).toBe(0);
      visit(recon, first, pileup);
    }
  }
  return recon;
}
