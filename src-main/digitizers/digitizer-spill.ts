// One spill of one waveform digitizer as the monitor sees it: per input, how often it was read and fired,
// its pulse heights, times, charges and baselines as histograms (ROOT conventions, src-main/shared/histogram.ts),
// and its last waveforms for the persistence view. Memory is fixed by the channel list: four histograms and
// 16 decimated waveforms per channel, whatever the number of triggers.
import type { DigitizerChannel, WaveformEvent } from '../../drivers/sdk/digitizer';
import { Hist1D, type AxisSpec, type Hist1DSnapshot } from '../shared/histogram';
import { waveformFeatures, type WaveformFeatures } from './waveform-features';

/** The persistence view keeps the last 16 waveforms of each channel … */
export const PERSISTENCE_WAVEFORMS = 16;
/** … each decimated to at most 256 points (a plot's width; the UI overlays them). */
export const PERSISTENCE_POINTS = 256;

/**
 * Histogram axes: heights up to 1 V (a MIP in a counter ≈ 0.2 V, the ECAL sum of 100 GeV ≈ 0.8 V), charge up
 * to 1000 pC (a MIP ≈ 30 pC, the ECAL sum of 100 GeV ≈ 890 pC), times from 20 ns before to 80 ns after the trigger, baselines ±50 mV.
 */
export const DIGITIZER_AXES = {
  amplitude: { nbins: 200, min: 0, max: 1000, title: 'amplitude [mV]' },
  charge: { nbins: 250, min: 0, max: 1000, title: 'charge into 50 Ω [pC]' },
  time: { nbins: 100, min: -20, max: 80, title: 'time after trigger (50 % CFD) [ns]' },
  baseline: { nbins: 100, min: -50, max: 50, title: 'baseline [mV]' },
} as const satisfies Record<string, AxisSpec>;

export type DigitizerHistogram = keyof typeof DIGITIZER_AXES;

/**
 * The histogram's name, an identifier like every stored histogram's (lower snake case, at most 64):
 * `dig_<device>_<channel name>_<amplitude|charge|time|baseline>`.
 */
export function digitizerHistogramName(device: string, channel: string, which: DigitizerHistogram): string {
  const id = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return `dig_${id(device)}_${id(channel)}_${which}`.slice(0, 64);
}

export interface DigitizerChannelSummary {
  /** Input number on the device (0-based). */
  channel: number;
  name: string;
  /** Waveforms of this channel read in the spill. */
  triggers: number;
  /** Of them, with a pulse (waveform-features.ts: above 5 × noise and 5 mV). */
  fired: number;
  /** Of them, clipped at the input range. */
  saturated: number;
  /** Fired per second of spill; null before any time has passed. */
  rateHz: number | null;
  /** Mean height of the fired pulses, volts; null when none fired. */
  meanAmplitudeV: number | null;
  /** Mean baseline over all triggers, volts; null without triggers. */
  meanBaselineV: number | null;
  /** Mean baseline RMS (the noise) over all triggers, volts; null without triggers. */
  meanNoiseV: number | null;
}

export interface DigitizerSpillResult {
  device: string;
  startedAt: number;
  /** When the spill ended (close), or the time the snapshot was taken for (snapshot). */
  endedAt: number;
  /** True once the spill was closed; false for a mid-spill snapshot. */
  closed: boolean;
  /** Triggers (events) read from the device. */
  triggers: number;
  channels: DigitizerChannelSummary[];
  /** Per channel: amplitude, charge, baseline (one entry per trigger) and time (one entry per fired pulse). */
  histograms: Hist1DSnapshot[];
}

export interface DigitizerPersistence {
  /** Sample period of the decimated points, ns; null before the first waveform. */
  samplePeriodNs: number | null;
  /** Decimated points before the trigger point (may be fractional); null before the first waveform. */
  triggerSample: number | null;
  channels: { channel: number; name: string; waveforms: number[][] }[];
}

interface ChannelState {
  def: DigitizerChannel;
  triggers: number;
  fired: number;
  saturated: number;
  sumFiredAmplitudeV: number;
  sumBaselineV: number;
  sumNoiseV: number;
  amplitude: Hist1D;
  charge: Hist1D;
  time: Hist1D;
  baseline: Hist1D;
  /** Oldest first, at most PERSISTENCE_WAVEFORMS. */
  recent: number[][];
}

function checkName(what: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('/')) {
    throw new RangeError(`${what} must be a non-empty name without '/', got ${JSON.stringify(name)}`);
  }
  return name;
}

/**
 * Decimate to buckets of `factor` samples, keeping in each the sample farthest from the baseline: the minimum
 * of a negative pulse survives, and the baseline is not dragged down the way a plain bucket minimum would drag it.
 */
function decimate(samples: Float32Array, factor: number, baselineV: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < samples.length; start += factor) {
    const end = Math.min(samples.length, start + factor);
    let keep = samples[start]!;
    for (let i = start + 1; i < end; i++) {
      const v = samples[i]!;
      if (Math.abs(v - baselineV) > Math.abs(keep - baselineV)) keep = v;
    }
    out.push(Math.round(keep * 1e4) / 1e4); // 0.1 mV: finer than the noise, short in JSON
  }
  return out;
}

export class DigitizerSpill {
  private readonly states: ChannelState[];
  private readonly byIndex = new Map<number, ChannelState>();
  private triggers = 0;
  private lastEventAt: number | null = null;
  private endedAt: number | null = null;
  /** The persistence view's timebase; a change (the scope's timebase was turned) clears the view. */
  private persistenceTimebase: { samplePeriodNs: number; triggerSample: number; factor: number } | null = null;

  /** Triggers read so far. */
  get triggerCount(): number {
    return this.triggers;
  }

  constructor(
    readonly device: string,
    channels: readonly DigitizerChannel[],
    readonly startedAt: number,
  ) {
    checkName('digitizer device', device);
    if (!Array.isArray(channels) || channels.length === 0) throw new RangeError(`digitizer ${device}: no channels to monitor`);
    if (!Number.isFinite(startedAt)) throw new RangeError(`digitizer ${device}: spill start must be a time in ms, got ${startedAt}`);
    const names = new Set<string>();
    this.states = channels.map((def) => {
      const name = checkName(`digitizer ${device}: channel name`, def?.name);
      if (!Number.isInteger(def.index) || def.index < 0) throw new RangeError(`digitizer ${device} ${name}: input number must be an integer ≥ 0, got ${def.index}`);
      if (this.byIndex.has(def.index)) throw new RangeError(`digitizer ${device}: input ${def.index} is listed twice`);
      if (names.has(name)) throw new RangeError(`digitizer ${device}: channel name ${name} is used twice`);
      const [lo, hi] = def.rangeV ?? [];
      if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi! > lo!)) {
        throw new RangeError(`digitizer ${device} ${name}: input range must be [min, max] volts with min < max, got [${lo}, ${hi}]`);
      }
      names.add(name);
      const hist = (which: DigitizerHistogram, title: string, yTitle: string): Hist1D =>
        new Hist1D(digitizerHistogramName(device, name, which), `${name} ${title}`, { ...DIGITIZER_AXES[which] }, yTitle);
      const state: ChannelState = {
        def: { index: def.index, name, rangeV: [lo!, hi!] },
        triggers: 0,
        fired: 0,
        saturated: 0,
        sumFiredAmplitudeV: 0,
        sumBaselineV: 0,
        sumNoiseV: 0,
        amplitude: hist('amplitude', 'amplitude', 'triggers'),
        charge: hist('charge', 'charge', 'triggers'),
        time: hist('time', 'pulse time', 'pulses'),
        baseline: hist('baseline', 'baseline', 'triggers'),
        recent: [],
      };
      this.byIndex.set(def.index, state);
      return state;
    });
  }

  /**
   * Account one trigger. A bad event (unknown or repeated channel, bad timing fields, NaN samples) throws a
   * RangeError naming the channel and leaves the spill as it was.
   */
  add(event: WaveformEvent): void {
    if (this.endedAt !== null) throw new Error(`digitizer ${this.device}: the spill was closed; start a new one`);
    if (!event || !Array.isArray(event.waveforms)) throw new RangeError(`digitizer ${this.device}: an event needs a list of waveforms`);
    if (!Number.isFinite(event.at)) throw new RangeError(`digitizer ${this.device}: event time must be in ms, got ${event.at}`);
    const measured: { state: ChannelState; features: WaveformFeatures; samples: Float32Array }[] = [];
    let longest = 0;
    for (const w of event.waveforms) {
      const state = this.byIndex.get(w?.channel);
      if (!state) {
        const known = this.states.map((s) => s.def.index).join(', ');
        throw new RangeError(`digitizer ${this.device}: waveform of input ${w?.channel}, which is not among the monitored inputs ${known}`);
      }
      if (measured.some((m) => m.state === state)) throw new RangeError(`digitizer ${this.device} ${state.def.name}: two waveforms in one event`);
      let features: WaveformFeatures;
      try {
        features = waveformFeatures(w.samples, event.samplePeriodNs, event.triggerSample, state.def.rangeV);
      } catch (e) {
        if (e instanceof RangeError) throw new RangeError(`digitizer ${this.device} ${state.def.name} (input ${state.def.index}): ${e.message}`, { cause: e });
        throw e;
      }
      measured.push({ state, features, samples: w.samples });
      longest = Math.max(longest, w.samples.length);
    }

    this.triggers += 1;
    this.lastEventAt = event.at;
    const factor = Math.max(1, Math.ceil(longest / PERSISTENCE_POINTS));
    const tb = this.persistenceTimebase;
    if (!tb || tb.samplePeriodNs !== event.samplePeriodNs || tb.triggerSample !== event.triggerSample || tb.factor !== factor) {
      this.persistenceTimebase = { samplePeriodNs: event.samplePeriodNs, triggerSample: event.triggerSample, factor };
      for (const s of this.states) s.recent = [];
    }
    for (const { state, features: f, samples } of measured) {
      state.triggers += 1;
      state.sumBaselineV += f.baselineV;
      state.sumNoiseV += f.baselineRmsV;
      if (f.saturated) state.saturated += 1;
      if (f.fired) {
        state.fired += 1;
        state.sumFiredAmplitudeV += f.amplitudeV;
        // A time only means something for a pulse; noise would spread a flat floor under the peak.
        if (Number.isFinite(f.timeNs)) state.time.fill(f.timeNs);
      }
      state.amplitude.fill(f.amplitudeV * 1000);
      state.charge.fill(f.chargePc);
      state.baseline.fill(f.baselineV * 1000);
      state.recent.push(decimate(samples, factor, f.baselineV));
      if (state.recent.length > PERSISTENCE_WAVEFORMS) state.recent.shift();
    }
  }

  /** The spill so far, for the live display; `now` (ms) sets the rate's time base (default: the last trigger). */
  snapshot(now?: number): DigitizerSpillResult {
    if (now !== undefined && !(Number.isFinite(now) && now >= this.startedAt)) {
      throw new RangeError(`digitizer ${this.device}: snapshot time ${now} is not a time after the spill start ${this.startedAt}`);
    }
    const endedAt = this.endedAt ?? now ?? this.lastEventAt ?? this.startedAt;
    const seconds = (endedAt - this.startedAt) / 1000;
    return {
      device: this.device,
      startedAt: this.startedAt,
      endedAt,
      closed: this.endedAt !== null,
      triggers: this.triggers,
      channels: this.states.map((s) => ({
        channel: s.def.index,
        name: s.def.name,
        triggers: s.triggers,
        fired: s.fired,
        saturated: s.saturated,
        rateHz: seconds > 0 ? s.fired / seconds : null,
        meanAmplitudeV: s.fired > 0 ? s.sumFiredAmplitudeV / s.fired : null,
        meanBaselineV: s.triggers > 0 ? s.sumBaselineV / s.triggers : null,
        meanNoiseV: s.triggers > 0 ? s.sumNoiseV / s.triggers : null,
      })),
      histograms: this.states.flatMap((s) => [s.amplitude.snapshot(), s.charge.snapshot(), s.time.snapshot(), s.baseline.snapshot()]),
    };
  }

  /** End the spill at `endedAt` (ms) and return its result; later events are refused. */
  close(endedAt: number): DigitizerSpillResult {
    if (this.endedAt !== null) throw new Error(`digitizer ${this.device}: the spill was already closed`);
    if (!(Number.isFinite(endedAt) && endedAt >= this.startedAt)) {
      throw new RangeError(`digitizer ${this.device}: spill end ${endedAt} is not a time after its start ${this.startedAt}`);
    }
    this.endedAt = endedAt;
    return this.snapshot();
  }

  /** The last waveforms of each channel, decimated, oldest first: the UI's persistence view. */
  persistence(): DigitizerPersistence {
    const tb = this.persistenceTimebase;
    return {
      samplePeriodNs: tb ? tb.samplePeriodNs * tb.factor : null,
      triggerSample: tb ? tb.triggerSample / tb.factor : null,
      channels: this.states.map((s) => ({ channel: s.def.index, name: s.def.name, waveforms: s.recent.map((w) => [...w]) })),
    };
  }
}
