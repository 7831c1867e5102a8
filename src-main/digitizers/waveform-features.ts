// Features of one digitizer waveform: the baseline and its noise before the trigger, and the pulse after it
// (height, peak time, constant-fraction time, charge). Pulses of the beam-line counters, the SRD and the ECAL
// sum are negative going into 50 Ω (drivers/sdk/digitizer.ts), so "height" is how far the signal dips below
// the baseline. Environment-free and allocation-free in the steady state: the digitizer monitor calls it for
// every channel of every trigger.

/** The baseline needs at least this many samples; fewer pre-trigger samples and the first 8 are used. */
export const BASELINE_MIN_SAMPLES = 8;
/**
 * The peak is searched on a running mean about 1 ns wide (1 sample at ≥ 1 ns sampling, 5 at 0.2 ns): fine
 * sampling puts many noisy samples on a flat pulse top, and the lowest of them would overstate the height by
 * ~3 σ of the noise. 1 ns is well below the ≈ 4 ns rise of the fastest PMT pulses, so it flattens a counter
 * pulse's peak by < 1 %.
 */
export const PEAK_SMOOTHING_NS = 1;
/** Constant-fraction timing at 50 % of the peak on the leading edge: walk-free for pulses of one shape. */
export const CFD_FRACTION = 0.5;
/** The inputs are terminated in 50 Ω: charge = ∫ V dt / 50 Ω. */
export const TERMINATION_OHM = 50;
/** A sample within 0.5 % of full scale of either limit of the input range counts as saturated (clipped). */
export const SATURATION_MARGIN = 0.005;
/** Fired: a pulse higher than 5 × the baseline RMS (a noise excursion that large is < 10⁻⁶ per sample) … */
export const FIRED_NOISE_FACTOR = 5;
/** … and higher than 5 mV, so a channel with an unusually quiet baseline does not fire on pick-up. */
export const FIRED_MIN_V = 0.005;

export interface WaveformFeatures {
  /** Mean of the pre-trigger samples, volts. */
  baselineV: number;
  /** Standard deviation of the pre-trigger samples (the noise), volts. */
  baselineRmsV: number;
  /** Peak height below the baseline, volts, ≥ 0. */
  amplitudeV: number;
  /** Time of the peak after the trigger point, ns. */
  peakTimeNs: number;
  /** Constant-fraction time (50 % of the peak on the leading edge) after the trigger point, ns; NaN when the
   * waveform has no pulse below its baseline or the edge starts before the record. */
  timeNs: number;
  /** ∫ (baseline − v) dt / 50 Ω from the trigger point to the end of the record, pC. */
  chargePc: number;
  /** Some sample reached either limit of the input range (within 0.5 % of full scale): the height is clipped. */
  saturated: boolean;
  /** The pulse is above 5 × the baseline RMS and above 5 mV. */
  fired: boolean;
}

/** Prefix sums of the samples, reused between calls (the function is synchronous, so never shared). */
let prefix = new Float64Array(1024 + 1);

/**
 * Measure one waveform. `triggerSample` is the number of samples recorded before the trigger point; the
 * pulse is looked for from there to the end of the record (the record is the integration gate, like the
 * gate of a charge-integrating ADC opened by the trigger).
 */
export function waveformFeatures(
  samples: Float32Array,
  samplePeriodNs: number,
  triggerSample: number,
  rangeV: readonly [number, number],
): WaveformFeatures {
  if (!samples || typeof samples.length !== 'number') throw new RangeError('waveform: samples must be an array of volts');
  const n = samples.length;
  if (n === 0) throw new RangeError('waveform has no samples');
  if (n < BASELINE_MIN_SAMPLES) throw new RangeError(`waveform of ${n} samples: at least ${BASELINE_MIN_SAMPLES} are needed to measure a baseline`);
  if (!(Number.isFinite(samplePeriodNs) && samplePeriodNs > 0)) {
    throw new RangeError(`waveform: the sample period must be a positive number of ns, got ${samplePeriodNs}`);
  }
  if (!Number.isInteger(triggerSample) || triggerSample < 0 || triggerSample >= n) {
    throw new RangeError(`waveform: the trigger sample (samples before the trigger point) must be an integer in 0…${n - 1} for ${n} samples, got ${triggerSample}`);
  }
  const lo = rangeV?.[0];
  const hi = rangeV?.[1];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo)) {
    throw new RangeError(`waveform: the input range must be [min, max] volts with min < max, got [${lo}, ${hi}]`);
  }

  // One pass: reject non-numbers, look for clipping, and sum for the baseline, the running mean and the charge.
  if (prefix.length < n + 1) prefix = new Float64Array(n + 1);
  const p = prefix;
  const satLow = lo + SATURATION_MARGIN * (hi - lo);
  const satHigh = hi - SATURATION_MARGIN * (hi - lo);
  let saturated = false;
  p[0] = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[i]!;
    if (!Number.isFinite(v)) throw new RangeError(`waveform: sample ${i} of ${n} is ${v}, not a voltage`);
    if (v <= satLow || v >= satHigh) saturated = true;
    p[i + 1] = p[i]! + v;
  }

  // Baseline from the pre-trigger samples. With fewer than 8 of them (a scope set to trigger at the left edge)
  // the first 8 samples are used anyway, knowing that the start of the pulse may be among them: the noise of
  // fewer samples would be a worse baseline than that small bias for slow sampling; for fine sampling of a fast
  // pulse (0.2 ns, 4 ns rise) it costs a few % of the height. The cure is the scope's trigger position.
  const nBase = Math.max(triggerSample, BASELINE_MIN_SAMPLES);
  const baselineV = p[nBase]! / nBase;
  let sq = 0;
  for (let i = 0; i < nBase; i++) {
    const d = samples[i]! - baselineV;
    sq += d * d;
  }
  const baselineRmsV = Math.sqrt(sq / nBase);

  // Running mean over ≈ PEAK_SMOOTHING_NS (an odd number of samples, centred, shortened at the record's ends).
  const width = Math.max(1, Math.round(PEAK_SMOOTHING_NS / samplePeriodNs));
  const half = width % 2 === 1 ? (width - 1) / 2 : width / 2;
  const smooth = (i: number): number => {
    const a = Math.max(0, i - half);
    const b = Math.min(n, i + half + 1);
    return (p[b]! - p[a]!) / (b - a);
  };

  let iPeak = triggerSample;
  let low = smooth(triggerSample);
  for (let i = triggerSample + 1; i < n; i++) {
    const s = smooth(i);
    if (s < low) {
      low = s;
      iPeak = i;
    }
  }
  // Parabola through the lowest point and its neighbours: the peak between two samples (coarse sampling).
  // With the lowest point in the middle the vertex moves at most half a sample and 1/8 of the neighbours' rise.
  // Only for a rounded top, both neighbours in the upper half of the pulse: a parabola through the edge of a
  // flat-topped logic pulse, or through a one-sample spike, would invent height.
  let peakV = low;
  let offset = 0;
  if (iPeak > 0 && iPeak < n - 1) {
    const a = smooth(iPeak - 1) - low;
    const b = smooth(iPeak + 1) - low;
    const halfHeight = 0.5 * (baselineV - low);
    if (a >= 0 && b >= 0 && a + b > 0 && a < halfHeight && b < halfHeight) {
      offset = (a - b) / (2 * (a + b));
      peakV = low - ((a - b) * (a - b)) / (8 * (a + b));
    }
  }
  const amplitudeV = Math.max(0, baselineV - peakV);
  const peakTimeNs = (iPeak + offset - triggerSample) * samplePeriodNs;

  // Constant fraction: back from the peak to where the leading edge crosses 50 % of the height.
  let timeNs = Number.NaN;
  if (amplitudeV > 0) {
    const level = baselineV - CFD_FRACTION * amplitudeV;
    let below = low;
    for (let j = iPeak - 1; j >= 0; j--) {
      const s = smooth(j);
      if (s >= level) {
        const step = s - below;
        const t = step > 0 ? j + (s - level) / step : j + 1;
        timeNs = (t - triggerSample) * samplePeriodNs;
        break;
      }
      below = s;
    }
  }

  // Charge: V·ns / Ω = nC, hence × 1000 for pC.
  const gate = n - triggerSample;
  const chargePc = ((baselineV * gate - (p[n]! - p[triggerSample]!)) * samplePeriodNs * 1000) / TERMINATION_OHM;

  const fired = amplitudeV > FIRED_NOISE_FACTOR * baselineRmsV && amplitudeV > FIRED_MIN_V;
  return { baselineV, baselineRmsV, amplitudeV, peakTimeNs, timeNs, chargePc, saturated, fired };
}
