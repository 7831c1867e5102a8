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
  /** The template sampled every 12.5 ns from the first sample after the start, at PHASES phases. */
  private readonly sampled: Float32Array[];
  private readonly work = new Float64Array(SAMPLES);

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
   */
  digitize(rng: Random, pulses: readonly Pulse[], gain: Float64Array, out: Uint16Array): void {
    const n = this.samples;
    const work = this.work;
    for (let c = 0; c < this.cells.length; c++) {
      const base = c * n;
      const j = (rng.uniform() * QUIET_LENGTH) | 0;
      const fault = this.faults[c];
      const g = fault === 'dead' ? 0 : gain[c]!;
      let active = fault === 'hot' || fault === 'noisy';
      if (!active && g > 0) {
        for (let p = 0; p < pulses.length; p++) if (pulses[p]!.amplitude[c]! * g >= 0.1) active = true;
      }
      if (!active) {
        const quiet = this.quiet[c]!;
        for (let k = 0; k < n; k++) out[base + k] = quiet[j + k]!;
        continue;
      }
      const ped = this.pedestals[c]!;
      const sigma = this.noiseSigma[c]!;
      for (let k = 0; k < n; k++) work[k] = ped + sigma * this.noise[j + k]!;
      for (let p = 0; p < pulses.length; p++) {
        const a = pulses[p]!.amplitude[c]! * g;
        if (a >= 0.1) this.addPulse(a, pulses[p]!.startNs);
      }
      if (fault === 'hot') this.addPulse(HOT_AMPLITUDE_ADC, PULSE_START_NS);
      for (let k = 0; k < n; k++) {
        const v = work[k]!;
        out[base + k] = v <= 0 ? 0 : v >= ADC_MAX ? ADC_MAX : (v + 0.5) | 0;
      }
    }
  }

  /** Add a pulse of peak `amplitude` starting at `startNs`, from the template sampled at the nearest phase. */
  private addPulse(amplitude: number, startNs: number): void {
    // The first sample at or after the start (negative for a pulse that started before the readout) and the
    // phase of the start before it; a start just after a sample is nearest to phase 0 of that sample.
    let first = Math.ceil(startNs / SAMPLE_NS);
    let phase = Math.round(((first * SAMPLE_NS - startNs) / SAMPLE_NS) * PHASES);
    if (phase === PHASES) [first, phase] = [first - 1, 0];
    const table = this.sampled[phase]!;
    const work = this.work;
    const end = Math.min(this.samples, first + table.length);
    for (let k = Math.max(0, first); k < end; k++) work[k]! += amplitude * table[k - first]!;
  }
}
