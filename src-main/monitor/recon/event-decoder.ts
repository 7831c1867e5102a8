// One raw DATE event → the amplitude of every mapped cell: walk the S-Link sub-events, decode the MSADC
// channels, take the pedestal from the first samples and the amplitude from the pedestal-subtracted sum over
// the pulse window (divided by the pulse template's sum, so the trigger phase does not bias it).
import { DATE_HEADER_BYTES, EventType } from '../../../drivers/na64-daq/format/date';
import { decodeMsadc, MAX_SAMPLES } from '../../../drivers/na64-daq/format/msadc';
import { FORMAT_MSADC, readSlinkHeader, SLINK_HEADER_WORDS } from '../../../drivers/na64-daq/format/slink';
import type { MonitorConfig } from './config';

export class EventDecoder {
  /** Amplitudes (ADC) of the last decoded event, by cell; NaN for a cell that was not read out. */
  readonly amplitudes: Float64Array;
  private readonly scratch = new Uint16Array(MAX_SAMPLES + 1);
  private source = 0;
  private readonly visit: (port: number, channel: number, samples: Uint16Array, n: number) => void;

  constructor(private readonly config: MonitorConfig) {
    this.amplitudes = new Float64Array(config.cells);
    const { addressToCell, pedestalSamples, window } = config;
    this.visit = (port, channel, samples, n) => {
      const cell = addressToCell[(this.source * 8 + port) * 64 + channel]!;
      if (cell < 0 || n < window.to) return;
      let ped = 0;
      for (let k = 0; k < pedestalSamples; k++) ped += samples[k]!;
      ped /= pedestalSamples;
      let sum = 0;
      for (let k = window.from; k < window.to; k++) sum += samples[k]!;
      this.amplitudes[cell] = (sum - ped * (window.to - window.from)) / window.pulseArea;
    };
  }

  /**
   * Decode the event in `view` at `offset` of `size` bytes (framed already: header and S-Link chain are
   * whole). Returns false for an event that is not PHYSICS; throws for damaged MSADC data.
   */
  decode(view: DataView, offset: number, size: number): boolean {
    if (view.getUint32(offset + 16, true) !== EventType.PHYSICS) return false;
    this.amplitudes.fill(Number.NaN);
    const end = offset + size;
    for (let p = offset + DATE_HEADER_BYTES; p < end; ) {
      const s = readSlinkHeader(view, p);
      if (s.words < SLINK_HEADER_WORDS || p + 4 * s.words > end) throw new RangeError(`bad sub-event at byte ${p - offset}`);
      if (s.format === FORMAT_MSADC) {
        this.source = s.sourceId;
        decodeMsadc(view, p + 4 * SLINK_HEADER_WORDS, p + 4 * s.words, this.scratch, this.visit);
      }
      p += 4 * s.words;
    }
    return true;
  }
}
