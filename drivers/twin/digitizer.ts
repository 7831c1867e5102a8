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
/** A sample as the MSADC gives it: rounded to an ADC count, 0 … 4095. */
function adcCount(v: number): number {
  return v <= 0 ? 0 : v >= ADC_MAX ? ADC_MAX : (v + 0.5) | 0;
}
/** Whether a Uint32Array word holds two Uint16Array samples with the first in its low half. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

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
  /** The same tables as 32-bit words, two samples each (little-endian: the first in the low half). */
  private readonly quietPairs: Uint32Array[];
  /** The `out` last digitised into and its 32-bit view (null: not writable two samples at a time). */
  private out: Uint16Array | null = null;
  private outPairs: Uint32Array | null = null;
  /** The template sampled every 12.5 ns from the first sample after the start, at PHASES phases. */
  private readonly sampled: Float32Array[];
  /**
   * Per pulse of the event being digitised: its sampled template placed at its start, one value per sample
   * of the readout window, 0 where the template does not reach (reused). Adding amplitude × 0 leaves a
   * finite sum as it was: the samples come out as they did when only the template’s range was added.
   */
  private placedPulses: Float64Array[] = [];
  /** Per placed pulse: the samples it reaches, [first, end) (for the general path). */
  private placedFirst = new Float64Array(8);
  private placedEnd = new Float64Array(8);
  /** The pulses that reach the channel being digitised, their amplitudes and ranges (reused). */
  private readonly adds: Float64Array[] = [];
  private addAmplitude = new Float64Array(9);
  private addFirst = new Float64Array(9);
  private addEnd = new Float64Array(9);
  /** The hot channel’s pulse, placed (as `placedPulses`), and its range. */
  private readonly hotPulse: Float64Array;
  private readonly hotFirst: number;
  private readonly hotEnd: number;

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
    this.quietPairs = this.quiet.map((q) => new Uint32Array(q.buffer, q.byteOffset, q.length >> 1));
    this.sampled = Array.from({ length: PHASES }, (_, ph) => {
      const offset = (ph / PHASES) * SAMPLE_NS;
      const k = Math.floor((this.tpl.length * TEMPLATE_STEP_NS - offset) / SAMPLE_NS);
      return Float32Array.from({ length: k }, (_, i) => this.tpl[Math.round((offset + i * SAMPLE_NS) / TEMPLATE_STEP_NS)] ?? 0);
    });
    this.faults = cells.map(() => null);
    this.hotPulse = this.place(PULSE_START_NS, new Float64Array(SAMPLES), 0);
    this.hotFirst = this.placedFirst[0]!;
    this.hotEnd = this.placedEnd[0]!;
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
   * of once per cell (its template on the samples, 0 where it does not reach: adding amplitude × 0 changes
   * no finite sum), one loop over the samples without branches for the usual one to three pulses, two
   * samples a loop and a 32-bit store (quiet channels too). The twin’s bytes for a seed are pinned by
   * test/unit/twin-determinism.test.ts.
   */
  digitize(rng: Random, pulses: readonly Pulse[], gain: Float64Array, out: Uint16Array, count = pulses.length): void {
    const n = this.samples;
    if (this.addAmplitude.length <= count) this.grow(count);
    const placed = this.placedPulses;
    for (let p = 0; p < count; p++) placed[p] = this.place(pulses[p]!.startNs, placed[p] ?? new Float64Array(n), p);
    const placedFirst = this.placedFirst;
    const placedEnd = this.placedEnd;
    const noise = this.noise;
    const cells = this.cells.length;
    const adds = this.adds;
    const addAmplitude = this.addAmplitude;
    const addFirst = this.addFirst;
    const addEnd = this.addEnd;
    if (out !== this.out) {
      this.out = out;
      this.outPairs = LITTLE_ENDIAN && out.byteOffset % 4 === 0 && n % 2 === 0 && (QUIET_LENGTH + n) % 2 === 0 ? new Uint32Array(out.buffer, out.byteOffset, out.length >> 1) : null;
    }
    const outPairs = this.outPairs;
    const half = n >> 1;
    for (let c = 0; c < cells; c++) {
      const base = c * n;
      const j = (rng.uniform() * QUIET_LENGTH) | 0;
      const fault = this.faults[c];
      const g = fault === 'dead' ? 0 : gain[c]!;
      // The pulses that reach this channel (≥ 0.1 ADC), in pulse order, collected in one pass; a hot or a
      // noisy channel is never quiet.
      const forced = fault === 'hot' || fault === 'noisy';
      let m = 0;
      let finite = true;
      if (forced || g > 0) {
        for (let p = 0; p < count; p++) {
          const a = pulses[p]!.amplitude[c]! * g;
          if (a >= 0.1) {
            adds[m] = placed[p]!;
            addFirst[m] = placedFirst[p]!;
            addEnd[m] = placedEnd[p]!;
            addAmplitude[m++] = a;
            if (a === Infinity) finite = false;
          }
        }
      }
      if (m === 0 && !forced) {
        if (outPairs) {
          // Two samples a 32-bit word (issue 19: most channels of an event are quiet). An odd start takes
          // the high half of one table word and the low half of the next.
          const pairs = this.quietPairs[c]!;
          const o = base >> 1;
          const h = j >> 1;
          if ((j & 1) === 0) {
            for (let k = 0; k < half; k++) outPairs[o + k] = pairs[h + k]!;
          } else {
            let low = pairs[h]! >>> 16;
            for (let k = 0; k < half; k++) {
              const next = pairs[h + k + 1]!;
              outPairs[o + k] = low | (next << 16);
              low = next >>> 16;
            }
          }
        } else {
          const quiet = this.quiet[c]!;
          for (let k = 0; k < n; k++) out[base + k] = quiet[j + k]!;
        }
        continue;
      }
      if (fault === 'hot') {
        adds[m] = this.hotPulse;
        addFirst[m] = this.hotFirst;
        addEnd[m] = this.hotEnd;
        addAmplitude[m++] = HOT_AMPLITUDE_ADC;
      }
      const ped = this.pedestals[c]!;
      const sigma = this.noiseSigma[c]!;
      if (!outPairs || !finite || m === 0 || m > 3) {
        this.pulsedSamples(out, base, j, ped, sigma, m, finite);
        continue;
      }
      // One, two or three pulses of finite amplitude (≈ 99 % of the pulsed channels): two samples a
      // loop, stored as one 32-bit word (issue 19: ≈ 20 % faster than one a loop).
      const o = base >> 1;
      const a0 = addAmplitude[0]!;
      const t0 = adds[0]!;
      if (m === 1) {
        for (let k = 0; k < n; k += 2) {
          const v = ped + sigma * noise[j + k]! + a0 * t0[k]!;
          const w = ped + sigma * noise[j + k + 1]! + a0 * t0[k + 1]!;
          outPairs[o + (k >> 1)] = adcCount(v) | (adcCount(w) << 16);
        }
        continue;
      }
      const a1 = addAmplitude[1]!;
      const t1 = adds[1]!;
      if (m === 2) {
        for (let k = 0; k < n; k += 2) {
          const v = ped + sigma * noise[j + k]! + a0 * t0[k]! + a1 * t1[k]!;
          const w = ped + sigma * noise[j + k + 1]! + a0 * t0[k + 1]! + a1 * t1[k + 1]!;
          outPairs[o + (k >> 1)] = adcCount(v) | (adcCount(w) << 16);
        }
        continue;
      }
      const a2 = addAmplitude[2]!;
      const t2 = adds[2]!;
      for (let k = 0; k < n; k += 2) {
        const v = ped + sigma * noise[j + k]! + a0 * t0[k]! + a1 * t1[k]! + a2 * t2[k]!;
        const w = ped + sigma * noise[j + k + 1]! + a0 * t0[k + 1]! + a1 * t1[k + 1]! + a2 * t2[k + 1]!;
        outPairs[o + (k >> 1)] = adcCount(v) | (adcCount(w) << 16);
      }
    }
  }

  /**
   * A pulsed (or noisy) channel's samples one at a time: the `m` pulses collected in `digitize`, each added
   * only where it reaches (an infinite amplitude × 0 would not be 0). Any number of pulses (a noisy channel
   * may have none), any layout of `out`.
   */
  private pulsedSamples(out: Uint16Array, base: number, j: number, ped: number, sigma: number, m: number, finite: boolean): void {
    const n = this.samples;
    const noise = this.noise;
    const adds = this.adds;
    const addAmplitude = this.addAmplitude;
    if (m === 1 && finite) {
      const a0 = addAmplitude[0]!;
      const t0 = adds[0]!;
      for (let k = 0; k < n; k++) out[base + k] = adcCount(ped + sigma * noise[j + k]! + a0 * t0[k]!);
    } else if (m === 2 && finite) {
      const a0 = addAmplitude[0]!;
      const t0 = adds[0]!;
      const a1 = addAmplitude[1]!;
      const t1 = adds[1]!;
      for (let k = 0; k < n; k++) out[base + k] = adcCount(ped + sigma * noise[j + k]! + a0 * t0[k]! + a1 * t1[k]!);
    } else {
      const addFirst = this.addFirst;
      const addEnd = this.addEnd;
      for (let k = 0; k < n; k++) {
        let v = ped + sigma * noise[j + k]!;
        for (let i = 0; i < m; i++) if (k >= addFirst[i]! && k < addEnd[i]!) v += addAmplitude[i]! * adds[i]![k]!;
        out[base + k] = adcCount(v);
      }
    }
  }

  /**
   * Place the template of a pulse starting at `startNs` into `into` (one value per sample, 0 where it does
   * not reach). The first sample at or after the start (negative for a pulse that started before the
   * readout) takes the template sampled at the phase of the start before it; a start just after a sample is
   * nearest to phase 0 of that sample.
   */
  private place(startNs: number, into: Float64Array, p: number): Float64Array {
    let first = Math.ceil(startNs / SAMPLE_NS);
    let phase = Math.round(((first * SAMPLE_NS - startNs) / SAMPLE_NS) * PHASES);
    if (phase === PHASES) [first, phase] = [first - 1, 0];
    const table = this.sampled[phase]!;
    into.fill(0);
    const end = Math.min(this.samples, first + table.length);
    for (let k = Math.max(0, first); k < end; k++) into[k] = table[k - first]!;
    this.placedFirst[p] = first;
    this.placedEnd[p] = end;
    return into;
  }

  /** Room for `count` pulses (and the hot one) in the per-event tables. */
  private grow(count: number): void {
    this.placedFirst = new Float64Array(count + 1);
    this.placedEnd = new Float64Array(count + 1);
    this.addAmplitude = new Float64Array(count + 1);
    this.addFirst = new Float64Array(count + 1);
    this.addEnd = new Float64Array(count + 1);
  }
}
