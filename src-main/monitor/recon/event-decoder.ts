// One raw DATE event → per cell: pedestal, amplitude, peak time and sample sum. The MSADC data is decoded in
// place from 32-bit words (no per-channel callback, no sample copies): each channel's words are summed in
// fixed ranges (pedestal, gap, pulse window, tail), so the inner loops have no per-sample branch; the
// data-word ids are checked once per channel, and the sum is checked against the channel header's
// checksum, so damaged data still fails the whole event. Only cells with a hit get a second pass
// for their peak time.
//
// Pile-up: a particle up to ≈ 200 ns before the trigger leaves its pulse tail in the pedestal samples, which
// then read high and turn the event's energy negative (≈ 2 % of events at 5×10⁶ e⁻ per spill). Each channel
// therefore keeps a running pedestal: an event pedestal more than PILEUP_PEDESTAL_ADC above it is taken as
// pile-up and the running value is used instead; tails only ever add, so one far below replaces it.
//
// In time: at the beam's rate a pile-up particle comes with every other trigger, anywhere within 500 ns, and the
// window sum would add its pulse to the event. A cell that is hit (or has a tail in its pedestal samples) is
// therefore searched for its pulses; when it has one besides the in-time pulse, it reads the in-time one
// alone (inTimeAmplitude), and nothing when no pulse peaks in time (NA64's "good" energy: its out-of-time
// "bad energy" is pile-up). A cell with one in-time pulse keeps its window sum, the estimate with least noise.
import { DATE_HEADER_WORDS, EventType } from '../../../drivers/na64-daq/format/date';
import { ADC_KEY, CHANNEL_ID, CHANNELS_PER_CHIP, DATA_ID, MAX_SAMPLES, MsadcError, type MsadcProblem, SAMPLE_NS } from '../../../drivers/na64-daq/format/msadc';
import { FORMAT_MSADC, SLINK_HEADER_WORDS } from '../../../drivers/na64-daq/format/slink';
import { FORMAT_TRACKER, positionMmOf, stationOf, timeNsOf } from '../../../drivers/na64-daq/format/tracker';
import { PULSE_DECAY_NS, pulseTemplate, TEMPLATE_STEP_NS } from '../../../setups/nominal';
import type { MonitorConfig } from './config';

/**
 * 3 σ of the 4-sample pedestal mean (σ ≈ 1 ADC for 2 ADC of noise per sample): at the beam's rate one event in
 * two has a pile-up particle, and the small tails a higher bar lets into the running pedestal bias it high
 * (at 8 σ the ECAL sum of an empty event read −0.7 GeV). A clean pedestal is above it one time in 700, and
 * then only the running value is used.
 */
export const PILEUP_PEDESTAL_ADC = 3;
/** An event pedestal this far below the running one (8 σ) replaces it: tails only ever add. */
const PEDESTAL_RESET_ADC = 8;
/** A peak this far above the pedestal is a pulse, not noise: the scan may stop once it has halved. */
const PEAK_SEEN_ADC = 8;
/** The running pedestal averages the last ≈ 64 clean event pedestals. */
const PEDESTAL_EVENTS = 64;
/**
 * A pulse is a local maximum that rises this far (ADC) above the lowest sample since the pulse before it:
 * 6 σ of a sample's noise, so a noise wiggle on a large pulse's tail is not taken for a second pulse.
 */
const PULSE_RISE_ADC = 12;
/** A pulse's rise begins where it crosses this fraction of its height, or RISE_FLOOR_ADC (3 σ of the noise) above its base. */
const RISE_FRACTION = 0.1;
const RISE_FLOOR_ADC = 6;
/**
 * A lone pulse's window-sum amplitude over its highest sample: ≈ 1.06 for the pulse as built (slower than the
 * design's, whose sum the amplitude is scaled by), up to ≈ 1.1 where the sampling misses its peak. Above 1.15
 * (less a hit's worth of noise) the window holds more than one pulse.
 */
const LONE_PULSE_SUM = 1.15;
/** The tail under an in-time pulse is measured this long (ns) before its start at the earliest. */
const START_MARGIN_NS = 5;
/** The samples an in-time pulse is measured on must hold this much of a pulse of amplitude 1 (its whole: ≈ 8.6). */
const MIN_AREA = 1;
/** A pile-up pulse that merges with the in-time one moves its peak up to ≈ 35 ns later (its rise time). */
const MERGED_LATE_NS = 40;
/** Pulses told apart in one channel's 32 samples (the rest are not looked for). */
const MAX_PULSES = 8;
/** An earlier pulse's tail falls by this factor from one sample to the next. */
const SAMPLE_DECAY = Math.exp(-SAMPLE_NS / PULSE_DECAY_NS);

/**
 * The design pulse of peak 1 (setups/nominal.ts) tabulated from its start, where it peaks (ns after its start),
 * and from where its rise crosses f % of its height to its peak (ns), by f = 0 … 100. The same for every
 * decoder: made once a thread, not for every spill (a worker begins a decoder a spill, and these took ≈ 1 ms).
 */
interface DesignPulse {
  template: Float32Array;
  peakNs: number;
  riseToPeakNs: Float64Array;
}
let designPulseMade: DesignPulse | null = null;
function designPulse(): DesignPulse {
  if (designPulseMade) return designPulseMade;
  const template = pulseTemplate();
  let peakAt = 0;
  for (let i = 1; i < template.length; i++) if (template[i]! > template[peakAt]!) peakAt = i;
  const peakNs = peakAt * TEMPLATE_STEP_NS;
  const riseToPeakNs = Float64Array.from({ length: 101 }, (_, f) => peakNs - template.findIndex((v) => v >= f / 100) * TEMPLATE_STEP_NS);
  designPulseMade = { template, peakNs, riseToPeakNs };
  return designPulseMade;
}

export class EventDecoder {
  /** Amplitudes (ADC) of the last decoded event, by cell; NaN for a cell that was not read out. */
  readonly amplitudes: Float64Array;
  /** Pedestal of this event (mean of the first samples, ADC) by cell, as read (pile-up included). */
  readonly pedestals: Float64Array;
  /**
   * The same as the sum of the pedestal samples (an integer: `pedestals` is `pedestalOf` it), so that the
   * per-channel pedestal histogram can bin it through a table.
   */
  readonly pedestalSums: Int32Array;
  /** Running pedestal by cell (NaN until the first event); see PILEUP_PEDESTAL_ADC. */
  readonly runningPedestals: Float64Array;
  private readonly pedestalCounts: Uint32Array;
  /** Peak time (ns from the first sample) by cell; NaN unless the cell had a hit. */
  readonly peakTimes: Float64Array;
  /** 1 for a cell of the last event whose in-time pulse had to be told from pile-up (an earlier tail, another pulse). */
  readonly pileup: Uint8Array;
  /** Sum of all samples by cell. */
  readonly sums: Float64Array;
  /** Largest sample (ADC, pedestal included) by cell; NaN unless the cell had a hit. 4095 is saturation. */
  readonly peakSamples: Float64Array;
  /**
   * For the cells timed in the window of `cuts.srd` (the SRD modules and the CEDAR's sectors): height above the
   * pedestal (ADC) and time (ns from the first sample) of the highest local maximum that peaks inside [peakFromNs, peakToNs],
   * or up to MERGED_LATE_NS later when its rise began in time (merged with a later pile-up pulse; peakIn) — on
   * a quiet channel a noise wiggle of a few ADC; NaN when there is none. A pile-up pulse tens of ns away
   * has its own peak outside the window, so the in-time pulse is found beside it (the first-peak search of
   * `peakTimes` would stop at whichever came first); an earlier pulse's tail under it is measured with it.
   */
  readonly inTimeHeights: Float64Array;
  readonly inTimePeakTimes: Float64Array;
  /** The CEDAR's sectors also in the delayed window (`kaonTag.delayedNs` later): its accidental coincidences. */
  readonly delayedHeights: Float64Array;
  /** What every event resets to NaN (amplitudes, peakTimes, peakSamples, inTimeHeights, inTimePeakTimes and delayedHeights are views of it), and a copy of NaN. */
  private readonly eachEvent: Float64Array;
  private readonly unset: Float64Array;
  /** 1: timed in the in-time window (SRD); 2: also in the delayed one (CEDAR). */
  private readonly timed: Uint8Array;
  private readonly srdFromNs: number;
  private readonly srdToNs: number;
  /**
   * Tracker stations of the last event: how many clusters fell in the in-time window (MonitorConfig.tracker),
   * and the position of the in-time one (mm; NaN with none). Two or more in time: the station cannot say
   * which is the triggering particle's.
   */
  readonly stationHits: Uint8Array;
  readonly stationX: Float64Array;
  private readonly inTrackFromNs: number;
  private readonly inTrackToNs: number;
  private readonly delayedNs: number;
  /** The NA64 trigger word of the last event. */
  trigger = 0;
  private readonly addressToCell: Int16Array;
  private readonly pedWords: number;
  private readonly fromWord: number;
  private readonly toWord: number;
  private readonly pedScale: number;
  /** Pedestal 4 samples, window [6, 32): the geometry decoded without loops (msadc). */
  private readonly standard: boolean;
  private readonly windowSamples: number;
  private readonly invArea: number;
  private readonly hit: number;
  private readonly inTimeFromNs: number;
  private readonly inTimeToNs: number;
  /** The design pulse (see DesignPulse). */
  private readonly template: Float32Array;
  private readonly templatePeakNs: number;
  private readonly riseToPeakNs: Float64Array;
  /** One channel's samples above its pedestal, and the pulses found in them: peak sample, lowest sample before. */
  private readonly wave = new Float64Array(MAX_SAMPLES);
  private readonly pulsePeak = new Int32Array(MAX_PULSES + 1);
  private readonly pulseLow = new Int32Array(MAX_PULSES + 1);
  private words: Uint32Array<ArrayBufferLike> = new Uint32Array(0);
  private wordsOf: ArrayBufferLike | null = null;
  private scratch = new Uint32Array(4096);

  /**
   * `eventType`: the DATE event type this decoder reads (physics by default; the LED tracking reads the
   * calibration events between spills); others are skipped.
   */
  constructor(
    config: MonitorConfig,
    private readonly eventType: number = EventType.PHYSICS,
  ) {
    const { pedestalSamples, window } = config;
    if (pedestalSamples % 2 || window.from % 2 || window.to % 2 || pedestalSamples < 2 || window.from < pedestalSamples || window.to <= window.from) {
      throw new RangeError(`pedestal samples (${pedestalSamples}) and the window [${window.from}, ${window.to}) must be even and ordered`);
    }
    // The per-cell results every event starts from NaN, side by side in one buffer: one copy of a row of NaN resets
    // them all (TypedArray.fill with NaN wrote one element at a time: ≈ 0.3 µs an event for the six).
    const cells = config.cells;
    this.eachEvent = new Float64Array(6 * cells);
    this.unset = new Float64Array(6 * cells).fill(Number.NaN);
    this.eachEvent.set(this.unset);
    this.amplitudes = this.eachEvent.subarray(0, cells);
    this.peakTimes = this.eachEvent.subarray(cells, 2 * cells);
    this.peakSamples = this.eachEvent.subarray(2 * cells, 3 * cells);
    this.inTimeHeights = this.eachEvent.subarray(3 * cells, 4 * cells);
    this.inTimePeakTimes = this.eachEvent.subarray(4 * cells, 5 * cells);
    this.delayedHeights = this.eachEvent.subarray(5 * cells, 6 * cells);
    this.pedestals = new Float64Array(config.cells);
    this.pedestalSums = new Int32Array(config.cells);
    this.runningPedestals = new Float64Array(config.cells).fill(Number.NaN);
    this.pedestalCounts = new Uint32Array(config.cells);
    this.sums = new Float64Array(config.cells);
    this.pileup = new Uint8Array(config.cells);
    this.timed = new Uint8Array(config.cells);
    for (const c of config.layout.srd) this.timed[c] = 1;
    this.stationHits = new Uint8Array(config.tracker.stations);
    this.stationX = new Float64Array(config.tracker.stations).fill(Number.NaN);
    this.inTrackFromNs = config.tracker.inTimeFromNs;
    this.inTrackToNs = config.tracker.inTimeToNs;
    for (const c of config.layout.cedar) this.timed[c] = 2;
    this.srdFromNs = config.cuts.srd.peakFromNs;
    this.srdToNs = config.cuts.srd.peakToNs;
    this.delayedNs = config.kaonTag.delayedNs;
    this.addressToCell = config.addressToCell;
    this.pedWords = pedestalSamples / 2;
    this.fromWord = window.from / 2;
    this.toWord = window.to / 2;
    this.pedScale = 1 / pedestalSamples;
    this.standard = pedestalSamples === 4 && window.from === 6 && window.to === 32;
    this.windowSamples = window.to - window.from;
    this.invArea = 1 / window.pulseArea;
    this.hit = config.hitThresholdAdc;
    this.inTimeFromNs = config.inTime.fromNs;
    this.inTimeToNs = config.inTime.toNs;
    ({ template: this.template, peakNs: this.templatePeakNs, riseToPeakNs: this.riseToPeakNs } = designPulse());
  }

  /** The event pedestal (ADC) of a channel whose pedestal samples sum to `sum`: the same arithmetic as the decoding's. */
  pedestalOf(sum: number): number {
    return sum * this.pedScale;
  }

  /**
   * Decode the event in `view` at `offset` of `size` bytes (framed already). Returns false for an event that
   * is not PHYSICS; throws for damaged data.
   */
  decode(view: DataView, offset: number, size: number): boolean {
    const absolute = view.byteOffset + offset;
    if (absolute % 4 === 0 && size % 4 === 0) {
      if (this.wordsOf !== view.buffer) {
        this.words = new Uint32Array(view.buffer, 0, view.buffer.byteLength >>> 2);
        this.wordsOf = view.buffer;
      }
      return this.decodeWords(this.words, absolute >>> 2, (absolute + size) >>> 2);
    }
    // Unaligned (never from the DAQ path): copy the event into aligned scratch words.
    const n = Math.ceil(size / 4);
    if (this.scratch.length < n) this.scratch = new Uint32Array(n);
    new Uint8Array(this.scratch.buffer).set(new Uint8Array(view.buffer, absolute, size));
    if (size % 4) throw new RangeError(`event of ${size} bytes is not whole 32-bit words`);
    return this.decodeWords(this.scratch, 0, n);
  }

  /** Decode the event in words [start, end) of `w` (little-endian host). */
  decodeWords(w: Uint32Array, start: number, end: number): boolean {
    if (end - start < DATE_HEADER_WORDS) throw new RangeError('event shorter than its header');
    if (w[start + 4] !== this.eventType) return false;
    this.trigger = ((w[start + 8]! >>> 1) | (w[start + 9]! << 31)) >>> 0;
    this.eachEvent.set(this.unset);
    this.pileup.fill(0);
    this.stationHits.fill(0);
    this.stationX.fill(Number.NaN);
    for (let p = start + DATE_HEADER_WORDS; p < end; ) {
      const w0 = w[p]!;
      const size = w0 & 0xffff;
      if (size < SLINK_HEADER_WORDS || p + size > end) throw damagedEvent('bad sub-event', p - start);
      const format = w[p + 2]! & 0xff;
      if (format === FORMAT_MSADC) this.msadc(w, p + SLINK_HEADER_WORDS, p + size, (w0 >>> 16) & 0x3ff);
      else if (format === FORMAT_TRACKER) this.tracker(w, p + SLINK_HEADER_WORDS, p + size);
      p += size;
    }
    return true;
  }

  private tracker(w: Uint32Array, from: number, to: number): void {
    const stations = this.stationHits.length;
    for (let p = from; p < to; p++) {
      const word = w[p]!;
      const station = stationOf(word);
      // A station the setup does not have: the data is damaged (or another setup's); the event is bad.
      if (station >= stations) throw damagedTracker(station, p, stations);
      const t = timeNsOf(word);
      if (t < this.inTrackFromNs || t > this.inTrackToNs) continue;
      if (this.stationHits[station]! < 255) this.stationHits[station]!++;
      this.stationX[station] = positionMmOf(word);
    }
  }

  private msadc(w: Uint32Array, from: number, to: number, source: number): void {
    const { pedWords, fromWord, toWord, addressToCell, pedScale, windowSamples, invArea, hit, pedestals, pedestalSums, amplitudes, sums, peakTimes, runningPedestals } = this;
    const { pedestalCounts, peakSamples, timed: timedCells, standard, inTimeFromNs, inTimeToNs } = this;
    // The module's constants in locals, read once a call and not at every channel (see inTimeAmplitude).
    const adcKey = ADC_KEY;
    const channelId = CHANNEL_ID;
    const dataId = DATA_ID;
    const maxSamples = MAX_SAMPLES;
    const channelsPerChip = CHANNELS_PER_CHIP;
    const pileupAdc = PILEUP_PEDESTAL_ADC;
    const resetAdc = PEDESTAL_RESET_ADC;
    const pedestalEvents = PEDESTAL_EVENTS;
    // Its weight divided once a call: the constant above is not known to the compiler, so `1 / pedestalEvents`
    // in the loop was a division for every channel, ahead of its amplitude.
    const runningWeight = 1 / pedestalEvents;
    const lonePulseSum = LONE_PULSE_SUM;
    let p = from;
    while (p < to) {
      const head = w[p]!;
      if (head >>> 30 !== adcKey) throw damagedMsadc('adc-header', 'expected an ADC header', p);
      const blockEnd = p + ((head >>> 12) & 0xfff);
      if (blockEnd <= p || blockEnd > to) throw damagedMsadc('block-size', 'ADC block overruns its sub-event', p);
      const base = (source * 8 + ((head >>> 27) & 7)) * 64 + ((head >>> 25) & 3) * channelsPerChip;
      p++;
      while (p < blockEnd) {
        const ch = w[p]!;
        if (ch >>> 30 !== channelId) throw damagedMsadc('channel-header', 'expected a channel header', p);
        const samples = (ch >>> 16) & 0x1ff;
        const q = p + 1;
        const last = q + ((samples + 1) >>> 1);
        if (samples === 0 || samples > maxSamples) throw damagedSampleCount(samples, p);
        if (last > blockEnd) throw damagedMsadc('block-size', 'channel overruns its ADC block', p);
        // Four branch-free ranges: pedestal, gap, window, tail (each clipped to the channel's length).
        const e1 = q + pedWords < last ? q + pedWords : last;
        const e2 = q + fromWord < last ? q + fromWord : last;
        const e3 = q + toWord < last ? q + toWord : last;
        // Per word: the two 12-bit samples summed as two masked fields (low and high), and the top bytes
        // OR-ed and AND-ed: both equal the data-word id only if every word carries it.
        let any = 0;
        let all = -1;
        let pedLo = 0;
        let pedHi = 0;
        let restLo = 0;
        let restHi = 0;
        let winLo = 0;
        let winHi = 0;
        if (standard && last - q === 16) {
          // The standard readout (32 samples; pedestal 4, gap 2, window 26): the same sums straight, no loop
          // (integer sums: their order does not matter).
          const d0 = w[q]!;
          const d1 = w[q + 1]!;
          const d2 = w[q + 2]!;
          const d3 = w[q + 3]!;
          const d4 = w[q + 4]!;
          const d5 = w[q + 5]!;
          const d6 = w[q + 6]!;
          const d7 = w[q + 7]!;
          const d8 = w[q + 8]!;
          const d9 = w[q + 9]!;
          const d10 = w[q + 10]!;
          const d11 = w[q + 11]!;
          const d12 = w[q + 12]!;
          const d13 = w[q + 13]!;
          const d14 = w[q + 14]!;
          const d15 = w[q + 15]!;
          any = d0 | d1 | d2 | d3 | d4 | d5 | d6 | d7 | d8 | d9 | d10 | d11 | d12 | d13 | d14 | d15;
          all = d0 & d1 & d2 & d3 & d4 & d5 & d6 & d7 & d8 & d9 & d10 & d11 & d12 & d13 & d14 & d15;
          pedLo = (d0 & 0xfff) + (d1 & 0xfff);
          pedHi = (d0 & 0xfff000) + (d1 & 0xfff000);
          restLo = d2 & 0xfff;
          restHi = d2 & 0xfff000;
          winLo = (d3 & 0xfff) + (d4 & 0xfff) + (d5 & 0xfff) + (d6 & 0xfff) + (d7 & 0xfff) + (d8 & 0xfff) + (d9 & 0xfff) + (d10 & 0xfff) + (d11 & 0xfff) + (d12 & 0xfff) + (d13 & 0xfff) + (d14 & 0xfff) + (d15 & 0xfff);
          winHi = (d3 & 0xfff000) + (d4 & 0xfff000) + (d5 & 0xfff000) + (d6 & 0xfff000) + (d7 & 0xfff000) + (d8 & 0xfff000) + (d9 & 0xfff000) + (d10 & 0xfff000) + (d11 & 0xfff000) + (d12 & 0xfff000) + (d13 & 0xfff000) + (d14 & 0xfff000) + (d15 & 0xfff000);
        } else {
          let k = q;
          for (; k < e1; k++) {
            const d = w[k]!;
            any |= d;
            all &= d;
            pedLo += d & 0xfff;
            pedHi += d & 0xfff000;
          }
          for (; k < e2; k++) {
            const d = w[k]!;
            any |= d;
            all &= d;
            restLo += d & 0xfff;
            restHi += d & 0xfff000;
          }
          for (; k < e3; k++) {
            const d = w[k]!;
            any |= d;
            all &= d;
            winLo += d & 0xfff;
            winHi += d & 0xfff000;
          }
          for (; k < last; k++) {
            const d = w[k]!;
            any |= d;
            all &= d;
            restLo += d & 0xfff;
            restHi += d & 0xfff000;
          }
        }
        if (any >>> 24 !== dataId || all >>> 24 !== dataId) throw damagedMsadc('data-word', 'bad data word in the channel', p);
        // The high fields' sums shifted down, not divided: the sums stay integers (no conversion from a double for
        // the checksum and the pedestal sum). Below 2³² even for 511 samples (256 × 0xfff000), so `>>>` is exact.
        const ped = pedLo + (pedHi >>> 12);
        const win = winLo + (winHi >>> 12);
        const sum = ped + win + restLo + (restHi >>> 12);
        if ((sum & 0xffff) !== (ch & 0xffff)) throw damagedMsadc('checksum', 'sample checksum mismatch', p);
        const cell = addressToCell[base + ((ch >>> 25) & 0xf)]!;
        if (cell >= 0 && e3 === q + toWord) {
          const raw = ped * pedScale;
          let pedestal = runningPedestals[cell]!;
          const tail = raw > pedestal + pileupAdc;
          if (tail) {
            // pile-up tail in the pedestal samples: keep the running pedestal
          } else if (raw < pedestal - resetAdc || pedestal !== pedestal) {
            pedestal = runningPedestals[cell] = raw;
            pedestalCounts[cell] = 0;
          } else {
            // A plain average over the first events, then an exponential one.
            const n = ++pedestalCounts[cell]!;
            pedestal = runningPedestals[cell] = pedestal + (raw - pedestal) * (n < pedestalEvents ? 1 / (n + 1) : runningWeight);
          }
          const amplitude = (win - pedestal * windowSamples) * invArea;
          pedestals[cell] = raw;
          pedestalSums[cell] = ped;
          sums[cell] = sum;
          let lone = false;
          if (amplitude > hit) {
            peakTime(w, q + fromWord, q + toWord, 2 * fromWord, pedestal, cell, peakTimes, peakSamples);
            const t = peakTimes[cell]!;
            // Most hit cells hold one in-time pulse: its first peak in time, and the window no fuller than that
            // pulse alone makes it (LONE_PULSE_SUM of its height), keep the window sum without a pulse search.
            lone = !tail && t >= inTimeFromNs && t <= inTimeToNs && amplitude <= lonePulseSum * (peakSamples[cell]! - pedestal) + hit;
          }
          const timed = timedCells[cell]!;
          if (timed) {
            amplitudes[cell] = amplitude;
            this.unpack(w, q, samples, pedestal);
            this.peakIn(samples, this.srdFromNs, this.srdToNs, cell, this.inTimeHeights, this.inTimePeakTimes);
            if (timed === 2) this.peakIn(samples, this.srdFromNs + this.delayedNs, this.srdToNs + this.delayedNs, cell, this.delayedHeights, null);
          } else if ((amplitude > hit || tail) && !lone) {
            this.unpack(w, q, samples, pedestal);
            // The window sum goes in through the array, not as an argument (a double passed to a call that
            // is not inlined is a heap allocation).
            amplitudes[cell] = amplitude;
            this.inTimeAmplitude(samples, tail, cell);
          } else amplitudes[cell] = amplitude;
        }
        p = last;
      }
    }
  }

  /** The channel's samples from word `q`, `samples` of them, less `pedestal`, into `wave` (two 12-bit samples a word). */
  private unpack(w: Uint32Array, q: number, samples: number, pedestal: number): void {
    const s = this.wave;
    const pairs = samples >>> 1;
    for (let i = 0; i < pairs; i++) {
      const d = w[q + i]!;
      s[2 * i] = (d & 0xfff) - pedestal;
      s[2 * i + 1] = ((d >>> 12) & 0xfff) - pedestal;
    }
    if (samples & 1) s[samples - 1] = (w[q + pairs]! & 0xfff) - pedestal;
  }

  /**
   * The amplitude of the channel’s in-time pulse, into `amplitudes[cell]` (its `samples` samples less the pedestal in `wave`; `tail`: its pedestal
   * samples held an earlier pulse's tail; `amplitudes[cell]` holds its window-sum amplitude). Alone in the channel, the pulse
   * keeps `summed`. Beside other pulses it is measured over its own samples, from its start to the lowest one
   * before the next pulse's rise, less the earlier pulses' tail (extrapolated from before its start with the
   * pulse's decay time), over the design pulse's sum on the same samples: the same scale as the window sum, a
   * few per cent apart only where the next pulse cuts the tail short. With no pulse peaking in time, the same
   * is measured where one would be: a small deposit, or noise about zero.
   */
  private inTimeAmplitude(samples: number, tail: boolean, cell: number): void {
    const { wave: s, pulsePeak, pulseLow } = this;
    const summed = this.amplitudes[cell]!;
    // The constants of the loops in locals: V8 reads a module-level constant from the module's context at
    // every use, in every iteration (and checks whether it is a small integer or a boxed double).
    const rise = PULSE_RISE_ADC;
    const maxPulses = MAX_PULSES;
    const sampleNs = SAMPLE_NS;
    const templateStepNs = TEMPLATE_STEP_NS;
    let n = 0;
    let low = s[0]!;
    let lowAt = 0;
    for (let k = 1; k < samples - 1 && n < maxPulses; k++) {
      const c = s[k]!;
      if (c < low) {
        low = c;
        lowAt = k;
      }
      // The rise first: on noise a local maximum is a coin toss (a mispredicted branch), a 12-ADC rise is rare.
      if (c - low >= rise && c > s[k - 1]! && c >= s[k + 1]!) {
        pulsePeak[n] = k;
        pulseLow[n++] = lowAt;
        low = Number.POSITIVE_INFINITY;
      }
    }
    // A pulse still rising at the end of the readout peaks after it: out of time.
    const last = samples - 1;
    if (s[last]! < low) {
      low = s[last]!;
      lowAt = last;
    }
    if (s[last]! > s[last - 1]! && s[last]! - low >= PULSE_RISE_ADC) {
      pulsePeak[n] = samples;
      pulseLow[n++] = lowAt;
    }
    let inTime = -1;
    let peakNs = Number.NaN;
    for (let i = 0; i < n; i++) {
      const k = pulsePeak[i]!;
      if (k >= last) continue;
      // In time when the span from its rise to its peak meets the in-time peak window: a lone pulse peaks in
      // it; two that overlap (a pile-up particle ≲ 40 ns from the triggering one) make one local maximum that
      // peaks late when the triggering particle came first, and rises early when it came second.
      const l = s[k - 1]!;
      const c = s[k]!;
      const r = s[k + 1]!;
      const denominator = l - 2 * c + r;
      const t = (k + (denominator < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / denominator)) : 0)) * SAMPLE_NS;
      if (t >= this.inTimeFromNs && this.lonePeakNs(pulseLow[i]!, k) <= this.inTimeToNs && (inTime < 0 || c > s[pulsePeak[inTime]!]!)) {
        inTime = i;
        peakNs = t;
      }
    }
    if (!tail && n === (inTime < 0 ? 0 : 1)) {
      this.amplitudes[cell] = summed;
      return;
    }
    this.pileup[cell] = 1;
    // Where the triggering particle's pulse starts: from its peak, or, when none peaks in time (a deposit too
    // small to show a peak of its own beside the pile-up), where one would, in the middle of the window.
    const start = (inTime < 0 ? 0.5 * (this.inTimeFromNs + this.inTimeToNs) : peakNs) - this.templatePeakNs;
    // The earlier pulses' tail is measured on the last sample before that start (less a margin for its
    // timing: a sample the pulse has begun to rise on would take its rise for tail), or on the last earlier
    // peak if that is later; the measure ends where the next pulse begins to rise.
    let ref = Math.max(0, Math.floor((start - START_MARGIN_NS) / SAMPLE_NS));
    let to = samples;
    let earlier = tail;
    const at = inTime < 0 ? this.inTimeFromNs / SAMPLE_NS : pulsePeak[inTime]!;
    for (let i = 0; i < n; i++) {
      if (i === inTime) continue;
      const k = pulsePeak[i]!;
      if (k < at) {
        earlier = true;
        if (k > ref) ref = k;
      } else if (pulseLow[i]! < to) to = pulseLow[i]!;
    }
    const decay = SAMPLE_DECAY;
    let under = earlier ? Math.max(0, s[ref]!) * decay : 0;
    const template = this.template;
    let sum = 0;
    let area = 0;
    for (let k = ref + 1; k < to; k++) {
      sum += s[k]! - under;
      under *= decay;
      const i = Math.round((k * sampleNs - start) / templateStepNs);
      if (i >= 0 && i < template.length) area += template[i]!;
    }
    // Less than an eighth of the pulse between the tail and the next pulse: nothing to measure it by.
    this.amplitudes[cell] = area > MIN_AREA ? sum / area : 0;
  }

  /**
   * Where the pulse that peaks at sample `k` of `wave`, rising from sample `low`, begins (it crosses a tenth of
   * its height, or 3 σ of the noise for a small one), and when a lone pulse beginning there would peak (ns).
   */
  private lonePeakNs(low: number, k: number): number {
    const s = this.wave;
    const base = s[low]!;
    const c = s[k]!;
    const fraction = Math.min(0.9, Math.max(RISE_FRACTION, RISE_FLOOR_ADC / (c - base)));
    const level = base + fraction * (c - base);
    let j = low + 1;
    while (s[j]! < level) j++;
    return (j - 1 + (level - s[j - 1]!) / (s[j]! - s[j - 1]!)) * SAMPLE_NS + this.riseToPeakNs[Math.round(fraction * 100)]!;
  }

  /**
   * The highest local maximum of the samples in `wave` that peaks in time, [fromNs, toNs]: its height above the
   * pedestal (into `heights[cell]`; NaN when there is none) and its time (into `times[cell]`). Results go into
   * arrays, not return values: a double returned from a call that is not inlined is a heap allocation. A pulse that peaks up to MERGED_LATE_NS later
   * counts when it rose in time (lonePeakNs): the in-time pulse with a pile-up one that came after it, merged.
   */
  private peakIn(samples: number, fromNs: number, toNs: number, cell: number, heights: Float64Array, times: Float64Array | null): void {
    const s = this.wave;
    const first = Math.max(1, Math.floor(fromNs / SAMPLE_NS) - 1);
    const last = Math.min(samples - 2, Math.ceil((toNs + MERGED_LATE_NS) / SAMPLE_NS) + 1);
    let height = Number.NaN;
    let time = Number.NaN;
    for (let k = first; k <= last; k++) {
      const c = s[k]!;
      const l = s[k - 1]!;
      const r = s[k + 1]!;
      // A local maximum (a plateau counts once, at its first sample).
      if (!(c > l && c >= r)) continue;
      const denominator = l - 2 * c + r;
      const shift = denominator < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / denominator)) : 0;
      const t = (k + shift) * SAMPLE_NS;
      if (t < fromNs || t > toNs + MERGED_LATE_NS) continue;
      if (t > toNs) {
        let low = k;
        while (low > 0 && s[low - 1]! < s[low]!) low--;
        if (c - s[low]! < PULSE_RISE_ADC || this.lonePeakNs(low, k) > toNs) continue;
      }
      // The parabola's vertex: the peak between the samples.
      const h = c - 0.25 * (l - r) * shift;
      if (!(h <= height)) {
        height = h;
        time = t;
      }
    }
    heights[cell] = height;
    if (times) times[cell] = time;
  }
}

/**
 * Time of the largest sample in words [from, to) (first sample number `firstSample`), refined by a parabola
 * through it and its neighbours: ns from the first sample of the readout, into `times[cell]`, and the
 * largest sample itself into `peaks[cell]`.
 */
function peakTime(w: Uint32Array, from: number, to: number, firstSample: number, pedestal: number, cell: number, times: Float64Array, peaks: Float64Array): void {
  const seenAdc = PEAK_SEEN_ADC; // in a local: see inTimeAmplitude
  let best = -1;
  let at = 0;
  // The largest sample's height above the pedestal, worked out when the largest sample changes, not at every word.
  let height = best - pedestal;
  // Past the peak, once the pulse has fallen below half its height, the rest is its tail (or later pile-up).
  for (let k = from; k < to; k++) {
    const d = w[k]!;
    const a = d & 0xfff;
    const b = (d >>> 12) & 0xfff;
    if (a > best) {
      best = a;
      at = 2 * (k - from);
      height = best - pedestal;
    }
    if (b > best) {
      best = b;
      at = 2 * (k - from) + 1;
      height = best - pedestal;
    }
    if (height > seenAdc && 2 * (b - pedestal) < height) break;
  }
  peaks[cell] = best;
  const n = 2 * (to - from);
  let shift = 0;
  if (at > 0 && at < n - 1) {
    const l = sampleAt(w, from, at - 1) - pedestal;
    const c = best - pedestal;
    const r = sampleAt(w, from, at + 1) - pedestal;
    const denominator = l - 2 * c + r;
    if (denominator < 0) shift = Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / denominator));
  }
  times[cell] = (firstSample + at + shift) * SAMPLE_NS;
}

function sampleAt(w: Uint32Array, from: number, i: number): number {
  const d = w[from + (i >>> 1)]!;
  return i & 1 ? (d >>> 12) & 0xfff : d & 0xfff;
}

// The errors for damaged data, their messages built here and not at the throw: V8 (Node 20) converted the word
// number of a template literal in a throw that is never taken ahead of its branch, for every channel of every
// event (a string allocated each time: ≈ 3 kB of garbage an event, and its conversion's work).
function damagedMsadc(problem: MsadcProblem, what: string, word: number): MsadcError {
  return new MsadcError(problem, `${what} at word ${word}`);
}

function damagedSampleCount(samples: number, word: number): MsadcError {
  return new MsadcError('samples', `channel with ${samples} samples at word ${word}`);
}

function damagedEvent(what: string, word: number): RangeError {
  return new RangeError(`${what} at word ${word}`);
}

function damagedTracker(station: number, word: number, stations: number): RangeError {
  return new RangeError(`tracker cluster of station ${station} at word ${word}: this setup has ${stations}`);
}
