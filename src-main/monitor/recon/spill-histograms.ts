// The per-spill histograms a monitor worker fills, and how one event fills them.
// Pure code, no threads: the worker, the tests and a future offline replay all call the same functions.
import { Hist1D, type HistSnapshot } from '../../shared/histogram';
import type { MonitorConfig } from './config';

export interface BatchView {
  count: number;
  channels: number;
  amplitudes: Float32Array;
  triggers: Uint8Array;
}

export class SpillHistograms {
  readonly ecalEnergy: Hist1D;
  processed = 0;

  constructor(private readonly config: MonitorConfig) {
    this.ecalEnergy = new Hist1D('ecal_energy', 'ECAL total energy', config.histograms.ecalEnergy);
  }

  /** Reconstruct and histogram every event of a batch. */
  fill(batch: BatchView): void {
    if (batch.channels !== this.config.channels) {
      throw new RangeError(`batch has ${batch.channels} channels, the monitor was configured for ${this.config.channels}`);
    }
    if (batch.amplitudes.length < batch.count * batch.channels) {
      throw new RangeError(`batch of ${batch.count} events carries only ${batch.amplitudes.length} amplitudes`);
    }
    const { ecal, gevPerAdc } = this.config;
    const threshold = this.config.zeroSuppressionAdc ?? Number.NEGATIVE_INFINITY;
    const ecalChannels = 2 * ecal.nx * ecal.ny;
    for (let event = 0; event < batch.count; event++) {
      const base = event * batch.channels + ecal.firstChannel;
      let total = 0;
      for (let ch = 0; ch < ecalChannels; ch++) {
        const adc = batch.amplitudes[base + ch]!;
        if (adc > threshold) total += adc * gevPerAdc[ecal.firstChannel + ch]!;
      }
      this.ecalEnergy.fill(total);
    }
    this.processed += batch.count;
  }

  snapshots(): HistSnapshot[] {
    return [this.ecalEnergy.snapshot()];
  }
}
