// LED gain tracking: the LED pulses fired between spills measure each ECAL channel's gain against the
// reference taken with the active calibration set. Per gap: the mean LED amplitude per cell; its ratio to
// the reference is the gain change, and 1 / ratio the correction the next spill is reconstructed with
// (energy = ADC × constant × LED correction). A cell without LED data in a gap falls back to the mean of its
// previous 3 gaps, then to the run's average, then to no correction (NA64's led_fallback). The LED events
// are decoded here on the core thread: ≈ 100 events per gap, a millisecond, and the correction must be
// ready before the next spill begins.
import type { BatchView } from '../monitor/recon/spill-histograms';
import { EventDecoder } from '../monitor/recon/event-decoder';
import type { MonitorConfig } from '../monitor/recon/config';
import { EventType } from '../../drivers/na64-daq/format/date';
import { LED_FALLBACK_SPILLS, LED_MIN_EVENTS } from '../setup/calibration';
import { LED_SOURCE } from '../shared/api/calibration';

/** Where a correction comes from, best first: the spill's own gap, the previous gaps, the run average, none. */
export type LedSource = (typeof LED_SOURCE)[number];

/** One gap's LED measurement: mean amplitude (ADC) and events per ECAL cell (NaN / 0 without data). */
export interface LedGap {
  sequence: number;
  amplitude: Float64Array;
  count: Uint32Array;
}

/** What the next spill is reconstructed with, per ECAL cell. */
export interface LedCorrection {
  /** The gap the correction comes from (its DAQ sequence). */
  sequence: number;
  /** Measured amplitude of this gap (null without data). */
  amplitude: (number | null)[];
  /** LED amplitude / reference (the gain change; null where unknown). */
  ratio: (number | null)[];
  factor: number[];
  source: LedSource[];
  /** Largest |ratio − 1| among the cells measured in this gap (null when none was). */
  maxDrift: number | null;
}

export class LedTracker {
  private readonly decoder: EventDecoder;
  /** Setup cell index of each ECAL cell (the order of every per-cell array here). */
  readonly cellIndex: number[];
  private readonly hit: number;
  private history: LedGap[] = [];
  private runSums: { sum: Float64Array; n: Uint32Array } | null = null;
  private sums: { sum: Float64Array; n: Uint32Array };

  constructor(
    config: MonitorConfig,
    /** Names of the ECAL cells, in the order of `ecalCells`. */
    readonly names: readonly string[],
    ecalCells: readonly number[],
  ) {
    this.decoder = new EventDecoder(config, EventType.CALIBRATION);
    this.cellIndex = [...ecalCells];
    this.hit = config.hitThresholdAdc;
    this.sums = { sum: new Float64Array(ecalCells.length), n: new Uint32Array(ecalCells.length) };
  }

  /** A new run: the fallbacks start over. */
  beginRun(): void {
    this.history = [];
    this.runSums = { sum: new Float64Array(this.cellIndex.length), n: new Uint32Array(this.cellIndex.length) };
  }

  /** Decode a batch of LED events of the gap after spill `sequence` (several batches of one gap add up). */
  measure(sequence: number, batch: BatchView): LedGap {
    const n = this.cellIndex.length;
    let gap = this.history.at(-1);
    if (!gap || gap.sequence !== sequence) {
      gap = { sequence, amplitude: new Float64Array(n).fill(Number.NaN), count: new Uint32Array(n) };
      this.history.push(gap);
      if (this.history.length > LED_FALLBACK_SPILLS + 1) this.history.shift();
      this.sums = { sum: new Float64Array(n), n: new Uint32Array(n) };
    }
    const view = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
    for (let i = 0; i < batch.count; i++) {
      const from = batch.offsets[i]!;
      const to = batch.offsets[i + 1]!;
      try {
        if (to < from || to > batch.data.byteLength || !this.decoder.decode(view, from, to - from)) continue;
      } catch {
        continue; // a damaged LED event is skipped; the DAQ figures count damaged events
      }
      const a = this.decoder.amplitudes;
      for (let c = 0; c < n; c++) {
        const v = a[this.cellIndex[c]!]!;
        if (v > this.hit) {
          this.sums.sum[c]! += v;
          this.sums.n[c]!++;
        }
      }
    }
    for (let c = 0; c < n; c++) {
      gap.count[c] = this.sums.n[c]!;
      gap.amplitude[c] = this.sums.n[c]! >= LED_MIN_EVENTS ? this.sums.sum[c]! / this.sums.n[c]! : Number.NaN;
    }
    return gap;
  }

  /**
   * The correction for the spill after `gap`, against `reference` (LED amplitude per ECAL cell, NaN where the
   * set has none). The gap's ratios then count for the next gaps' fallbacks and the run average.
   */
  correction(gap: LedGap, reference: Float64Array): LedCorrection {
    const n = this.cellIndex.length;
    const out: LedCorrection = { sequence: gap.sequence, amplitude: [], ratio: [], factor: [], source: [], maxDrift: null };
    const earlier = this.history.filter((g) => g !== gap).slice(-LED_FALLBACK_SPILLS);
    for (let c = 0; c < n; c++) {
      const ref = reference[c]!;
      const a = gap.amplitude[c]!;
      let ratio: number | null = null;
      let source: LedSource = 'none';
      if (a === a && ref > 0) {
        ratio = a / ref;
        source = 'spill';
        out.maxDrift = Math.max(out.maxDrift ?? 0, Math.abs(ratio - 1));
        if (this.runSums) {
          this.runSums.sum[c]! += ratio;
          this.runSums.n[c]!++;
        }
      } else if (ref > 0) {
        const previous = earlier.map((g) => g.amplitude[c]!).filter((v) => v === v);
        if (previous.length) {
          ratio = previous.reduce((s, v) => s + v, 0) / previous.length / ref;
          source = 'previous';
        } else if (this.runSums && this.runSums.n[c]! > 0) {
          ratio = this.runSums.sum[c]! / this.runSums.n[c]!;
          source = 'run';
        }
      }
      out.amplitude.push(a === a ? a : null);
      out.ratio.push(ratio);
      out.factor.push(ratio && ratio > 0 ? 1 / ratio : 1);
      out.source.push(source);
    }
    return out;
  }
}

/**
 * The last correction carried into a new run, whose first spill has no LED gap of its own yet: the same
 * factors, marked as coming from the previous spills (NA64's first fallback), no amplitude of its own.
 */
export function carriedOver(c: LedCorrection): LedCorrection {
  return { ...c, amplitude: c.amplitude.map(() => null), source: c.source.map((s) => (s === 'none' ? 'none' : 'previous')), maxDrift: null };
}

/** The worst source among the cells (what a spill's LED record says in one word). */
export function worstSource(sources: readonly LedSource[]): LedSource {
  let worst = 0;
  for (const s of sources) worst = Math.max(worst, LED_SOURCE.indexOf(s));
  return LED_SOURCE[worst]!;
}
