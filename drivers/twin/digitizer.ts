// MSADC waveforms: 12-bit samples every 12.5 ns, a fixed pedestal and Gaussian noise per channel, the twin's
// own pulse shape (truth.ts) scaled by the deposit × the channel's gain (PMT high voltage, slow drift), saturation
// at 4095, and the injectable channel faults (dead, hot, noisy).
import type { Cell } from '../../setups/cells';
import { SAMPLES } from '../../setups/nominal';
import { HOT_AMPLITUDE_ADC, NOISE_ADC, NOISY_FACTOR, PEDESTAL_MEAN, PEDESTAL_SPREAD } from './defaults';
import { Random } from './random';
import { PULSE_START_NS, pulseTemplate, TEMPLATE_STEP_NS } from './truth';

export type ChannelFault = 'dead' | 'hot' | 'noisy';

const ADC_MAX = 4095;
const SAMPLE_NS = 12.5;
const NOISE_TABLE_BITS = 16;
/** Length of each channel's table of quiet (pulse-free) samples. */
const QUIET_LENGTH = 4096;
/** Trigger phases the sampled templates are tabulated at (12.5 ns / 64 ≈ 0.2 ns). */
const PHASES = 64;

/** One pulse in an event: amplitudes per cell (ADC, peak) and the start time in the readout window (ns). */
export interface Pulse {
  amplitude: Float64Array;
  startNs: number;
}

export class Digitizer {
  readonly samples = SAMPLES;
  readonly pedestals: Float32Array;
  private readonly noiseSigma: Float32Array;
  private readonly tpl = pulseTemplate();
  private readonly noise: Float32Array;
  private readonly faults: (ChannelFault | null)[];
  /** Per channel: pedestal + noise, rounded, for the fast path of channels without a pulse. */
  private readonly quiet: Uint16Array[];
  /**
   * The quiet tables as 32-bit words, for copying two samples at a time: per channel, the table from an
   * even start (`quietEven`) and the table shifted by one sample (`quietOdd`), QUIET_WORDS words each.
   */
  private readonly quietEven: Uint32Array;
  private readonly quietOdd: Uint32Array;
  /** The template sampled every 12.5 ns from the first sample after the start, at PHASES phases. */
  private readonly sampled: Float32Array[];
  /** Per pulse of the event being digitised: its first sample and its sampled template (they depend on its start only). */
  private pulseFirst = new Float64Array(8);
  private pulseTable: Float32Array[] = [];
  /** The pulses that reach a channel: their amplitude, first sample, end sample and template (reused; one more for the hot pulse). */
  private addAmplitude = new Float64Array(9);
  private addFirst = new Float64Array(9);
  private addEnd = new Float64Array(9);
  private addTable: Float32Array[] = [];
  /** The hot channel’s pulse: its first sample and template. */
  private readonly hotFirst: number;
  private readonly hotTable: Float32Array;
  /** The last output buffer and its 32-bit view (the fast path copies quiet channels two samples a word). */
  private out16: Uint16Array | null = null;
  private out32: Uint32Array | null = null;

  constructor(
    readonly cells: readonly Cell[],
    seed: number,
  ) {
    const rng = new Random(seed ^ 0x0adc0adc);
    this.pedestals = Float32Array.from(cells, () => Math.round(PEDESTAL_MEAN + PEDESTAL_SPREAD * Math.max(-3, Math.min(3, rng.gauss()))));
    this.noiseSigma = new Float32Array(cells.length).fill(NOISE_ADC);
    this.noise = new Float32Array(1 << NOISE_TABLE_BITS);
    for (let i = 0; i < this.noise.length; i++) this.noise[i] = rng.gauss();
    this.quiet = cells.map((_, c) => {
      const q = new Uint16Array(QUIET_LENGTH + SAMPLES);
      for (let i = 0; i < q.length; i++) q[i] = Math.max(0, Math.round(this.pedestals[c]! + NOISE_ADC * rng.gauss()));
      return q;
    });
    this.sampled = Array.from({ length: PHASES }, (_, ph) => {
      const offset = (ph / PHASES) * SAMPLE_NS;
      const k = Math.floor((this.tpl.length * TEMPLATE_STEP_NS - offset) / SAMPLE_NS);
      return Float32Array.from({ length: k }, (_, i) => this.tpl[Math.round((offset + i * SAMPLE_NS) / TEMPLATE_STEP_NS)] ?? 0);
    });
    this.faults = cells.map(() => null);
    const words = (QUIET_LENGTH + SAMPLES) >> 1;
    this.quietEven = new Uint32Array(cells.length * words);
    this.quietOdd = new Uint32Array(cells.length * words);
    const even = new Uint16Array(this.quietEven.buffer);
    const odd = new Uint16Array(this.quietOdd.buffer);
    this.quiet.forEach((q, c) => {
      even.set(q, c * 2 * words);
      odd.set(q.subarray(1), c * 2 * words);
    });
    [this.hotFirst, this.hotTable] = this.placed(PULSE_START_NS);
  }

  setFault(cell: number, fault: ChannelFault | null): void {
    if (!Number.isInteger(cell) || cell < 0 || cell >= this.cells.length) throw new RangeError(`channel ${cell} does not exist: this setup has channels 0–${this.cells.length - 1}`);
    this.faults[cell] = fault;
    this.noiseSigma[cell] = fault === 'noisy' ? NOISE_ADC * NOISY_FACTOR : NOISE_ADC;
  }

  fault(cell: number): ChannelFault | null {
    return this.faults[cell] ?? null;
  }

  /**
   * Write every cell's waveform into `out` (cells × samples, cell-major). `gain[c]` scales the pulses of
   * cell c (PMT voltage × drift); a dead cell shows its pedestal only, a hot one a large pulse every event.
   * Cells without a pulse above a tenth of an ADC count copy pedestal + noise from their own table (fast path).
   * `count`: how many of `pulses` the event has (the first ones).
   *
   * Issue 19: the same arithmetic, in the same order, as the straightforward form (a sample is pedestal +
   * σ·noise, then each pulse’s template × amplitude added in pulse order, then the hot pulse, then rounded):
   * each sample is summed in a register instead of a work array, each pulse placed once per event instead
   * of once per cell, and quiet channels copied a word (two samples) at a time. The twin’s bytes for a seed
   * are pinned by test/unit/twin-determinism.test.ts.
   */
  digitize(rng: Random, pulses: readonly Pulse[], gain: Float64Array, out: Uint16Array, count = pulses.length): void {
    const n = this.samples;
    if (this.pulseFirst.length < count) this.grow(count);
    const pulseFirst = this.pulseFirst;
    const pulseTable = this.pulseTable;
    for (let p = 0; p < count; p++) [pulseFirst[p], pulseTable[p]] = this.placed(pulses[p]!.startNs);
    const addAmplitude = this.addAmplitude;
    const addFirst = this.addFirst;
    const addEnd = this.addEnd;
    const addTable = this.addTable;
    const noise = this.noise;
    const out32 = this.wordsOf(out);
    const words = (QUIET_LENGTH + SAMPLES) >> 1;
    const cells = this.cells.length;
    for (let c = 0; c < cells; c++) {
      const base = c * n;
      const j = (rng.uniform() * QUIET_LENGTH) | 0;
      const fault = this.faults[c];
      const g = fault === 'dead' ? 0 : gain[c]!;
      let active = fault === 'hot' || fault === 'noisy';
      if (!active && g > 0) {
        for (let p = 0; p < count; p++) {
          if (pulses[p]!.amplitude[c]! * g >= 0.1) {
            active = true;
            break;
          }
        }
      }
      if (!active) {
        if (out32) {
          const table = (j & 1) === 0 ? this.quietEven : this.quietOdd;
          const from = c * words + (j >> 1);
          const to = base >> 1;
          for (let k = 0; k < n >> 1; k++) out32[to + k] = table[from + k]!;
        } else {
          const quiet = this.quiet[c]!;
          for (let k = 0; k < n; k++) out[base + k] = quiet[j + k]!;
        }
        continue;
      }
      // The pulses that reach this channel, in pulse order, then the hot pulse.
      let adds = 0;
      for (let p = 0; p < count; p++) {
        const a = pulses[p]!.amplitude[c]! * g;
        if (a >= 0.1) {
          const first = pulseFirst[p]!;
          const table = pulseTable[p]!;
          addAmplitude[adds] = a;
          addFirst[adds] = first;
          addEnd[adds] = Math.min(n, first + table.length);
          addTable[adds] = table;
          adds++;
        }
      }
      if (fault === 'hot') {
        addAmplitude[adds] = HOT_AMPLITUDE_ADC;
        addFirst[adds] = this.hotFirst;
        addEnd[adds] = Math.min(n, this.hotFirst + this.hotTable.length);
        addTable[adds] = this.hotTable;
        adds++;
      }
      const ped = this.pedestals[c]!;
      const sigma = this.noiseSigma[c]!;
      for (let k = 0; k < n; k++) {
        let v = ped + sigma * noise[j + k]!;
        for (let a = 0; a < adds; a++) {
          const first = addFirst[a]!;
          if (k >= first && k < addEnd[a]!) v += addAmplitude[a]! * addTable[a]![k - first]!;
        }
        out[base + k] = v <= 0 ? 0 : v >= ADC_MAX ? ADC_MAX : (v + 0.5) | 0;
      }
    }
  }

  /** Room for `count` pulses (plus the hot one) in the per-event tables. */
  private grow(count: number): void {
    this.pulseFirst = new Float64Array(count);
    this.addAmplitude = new Float64Array(count + 1);
    this.addFirst = new Float64Array(count + 1);
    this.addEnd = new Float64Array(count + 1);
  }

  /** A 32-bit view of `out` when it can take one (even samples per channel, aligned), else null. */
  private wordsOf(out: Uint16Array): Uint32Array | null {
    if (out !== this.out16) {
      this.out16 = out;
      this.out32 = this.samples % 2 === 0 && out.byteOffset % 4 === 0 && out.length % 2 === 0 ? new Uint32Array(out.buffer, out.byteOffset, out.length >> 1) : null;
    }
    return this.out32;
  }

  /**
   * Where a pulse starting at `startNs` lands: the first sample at or after the start (negative for a pulse
   * that started before the readout) and the template sampled at the phase of the start before it; a start
   * just after a sample is nearest to phase 0 of that sample.
   */
  private placed(startNs: number): [number, Float32Array] {
    let first = Math.ceil(startNs / SAMPLE_NS);
    let phase = Math.round(((first * SAMPLE_NS - startNs) / SAMPLE_NS) * PHASES);
    if (phase === PHASES) [first, phase] = [first - 1, 0];
    return [first, this.sampled[phase]!];
  }
}
