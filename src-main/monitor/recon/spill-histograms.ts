// The per-spill histograms a monitor worker fills, and how one event fills them.
// Pure code, no threads: the worker, the tests and a future offline replay all call the same functions.
import { Hist1D, type HistSnapshot } from '../../shared/histogram';
import type { MonitorConfig } from './config';
import { EventDecoder } from './event-decoder';

/** A batch of raw DATE events: event i is `data[offsets[i] … offsets[i + 1])`. */
export interface BatchView {
  count: number;
  data: Uint8Array;
  offsets: Uint32Array;
}

export class SpillHistograms {
  readonly ecalEnergy: Hist1D;
  /** Physics events reconstructed, and events that could not be decoded (counted, not filled). */
  processed = 0;
  bad = 0;
  private readonly decoder: EventDecoder;

  constructor(private readonly config: MonitorConfig) {
    this.ecalEnergy = new Hist1D('ecal_energy', 'ECAL total energy', config.histograms.ecalEnergy);
    this.decoder = new EventDecoder(config);
  }

  /** Reconstruct and histogram every event of a batch. */
  fill(batch: BatchView): void {
    if (batch.offsets.length < batch.count + 1) {
      throw new RangeError(`batch of ${batch.count} events carries only ${batch.offsets.length} offsets`);
    }
    const view = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
    const { ecalCells, gevPerAdc } = this.config;
    const threshold = this.config.zeroSuppressionAdc ?? Number.NEGATIVE_INFINITY;
    const amplitudes = this.decoder.amplitudes;
    for (let i = 0; i < batch.count; i++) {
      const from = batch.offsets[i]!;
      const to = batch.offsets[i + 1]!;
      try {
        if (to < from || to > batch.data.byteLength) throw new RangeError('event outside its batch');
        if (!this.decoder.decode(view, from, to - from)) continue;
      } catch {
        this.bad++;
        continue;
      }
      let total = 0;
      for (const cell of ecalCells) {
        const adc = amplitudes[cell]!;
        if (adc > threshold) total += adc * gevPerAdc[cell]!;
      }
      this.ecalEnergy.fill(total);
      this.processed++;
    }
  }

  snapshots(): HistSnapshot[] {
    return [this.ecalEnergy.snapshot()];
  }
}
