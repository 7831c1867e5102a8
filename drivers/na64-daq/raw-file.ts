// Raw files as the NA64 DAQ writes them (cdr01001-00RRRR.dat): DATE events back to back. Here: the twin's
// run written offline (no pacing: simulated time only), and the summary `na64rc inspect` prints.
import { DEFAULT_SPS_CYCLE } from '../twin/sps-cycle';
import type { Twin } from '../twin/twin';
import { type EventIds, TwinEncoder } from './encoder';
import { DATE_HEADER_BYTES, EventType, eventTypeName, MAX_BURST, type DateHeader } from './format/date';
import type { ChannelMapEntry } from './format/channel-map';
import { DateFramer } from './format/framer';
import { decodeMsadc, MAX_SAMPLES } from './format/msadc';
import { sourcesOf } from './format/reader';
import { scalersFromWords, type ScalerTotals } from './format/scaler';
import { FORMAT_MSADC, readSlinkHeader, SCALER_SOURCE_ID, SLINK_HEADER_WORDS } from './format/slink';

/** Simulated files start at 2026-01-01 00:00:00 UTC, so the same seed gives the same bytes. */
const FILE_EPOCH_S = 1_767_225_600;

export interface SimulatedRun {
  spills: number;
  run: number;
}

/**
 * The events of a simulated run in order: SOR, then per spill SOB, physics events, EOB with the scalers and
 * the LED events of the gap after it, then EOR.
 */
export function* twinRunEvents(twin: Twin, channelMap: readonly ChannelMapEntry[], options: SimulatedRun): Generator<Uint8Array> {
  const encoder = TwinEncoder.of(twin, channelMap);
  const cycle = DEFAULT_SPS_CYCLE;
  let nbInRun = 0;
  let burst = 0;
  let nbInBurst = 0;
  const ids = (simMs: number): EventIds => ({ run: options.run, nbInRun: nbInRun++, burst, nbInBurst: nbInBurst++, timestamp: FILE_EPOCH_S + Math.floor(simMs / 1000) });
  yield encoder.marker(EventType.SOR, ids(0));
  for (let k = 0; k < options.spills; k++) {
    const start = cycle.firstSpillAfterMs + k * cycle.cycleMs;
    burst = (k % MAX_BURST) + 1;
    nbInBurst = 0;
    yield encoder.marker(EventType.SOB, ids(start));
    const spill = twin.spill(k);
    for (let e = spill.next(); e; e = spill.next()) yield encoder.event(e, ids(start + e.timeMs));
    yield encoder.endOfBurst(ids(start + cycle.spillMs), spill.scalers);
    const led = twin.led(k);
    for (let e = led.next(); e; e = led.next()) yield encoder.event(e, ids(start + cycle.spillMs + e.timeMs));
  }
  yield encoder.marker(EventType.EOR, ids(cycle.firstSpillAfterMs + options.spills * cycle.cycleMs));
}

export interface BurstSummary {
  burst: number;
  run: number;
  events: Record<string, number>;
  scalers: ScalerTotals | null;
}

export interface RawSummary {
  bytes: number;
  runs: number[];
  events: number;
  byType: Record<string, number>;
  bursts: BurstSummary[];
  /** Sub-events per S-Link source id, in physics and calibration events. */
  sources: Record<string, number>;
  errors: { corrupt: number; truncated: number; undecoded: number };
  /** The first problems, in words. */
  problems: string[];
}

const MAX_PROBLEMS = 20;

/** Reads a raw file chunk by chunk; `summary()` after the last chunk. */
export class RawInspector {
  private readonly framer: DateFramer;
  private readonly s: RawSummary = { bytes: 0, runs: [], events: 0, byType: {}, bursts: [], sources: {}, errors: { corrupt: 0, truncated: 0, undecoded: 0 }, problems: [] };
  private readonly scratch = new Uint16Array(MAX_SAMPLES + 1);
  private readonly ids: number[] = [];

  constructor() {
    this.framer = new DateFramer({
      event: (bytes, header) => this.event(bytes, header),
      problem: (report) => {
        this.s.errors[report.problem]++;
        this.note(`${report.problem} event after event ${this.s.events}: ${report.detail}`);
      },
    });
  }

  private note(problem: string): void {
    if (this.s.problems.length < MAX_PROBLEMS) this.s.problems.push(problem);
  }

  push(chunk: Uint8Array): void {
    this.s.bytes += chunk.length;
    this.framer.push(chunk);
  }

  summary(): RawSummary {
    this.framer.finish();
    return this.s;
  }

  private burst(header: DateHeader): BurstSummary {
    const last = this.s.bursts[this.s.bursts.length - 1];
    if (last && last.burst === header.burst && last.run === header.run) return last;
    const b: BurstSummary = { burst: header.burst, run: header.run, events: {}, scalers: null };
    this.s.bursts.push(b);
    return b;
  }

  private event(bytes: Uint8Array, header: DateHeader): void {
    const type = eventTypeName(header.type) ?? String(header.type);
    this.s.events++;
    this.s.byType[type] = (this.s.byType[type] ?? 0) + 1;
    if (!this.s.runs.includes(header.run)) this.s.runs.push(header.run);
    if (header.type === EventType.SOR || header.type === EventType.EOR) return;
    const burst = this.burst(header);
    burst.events[type] = (burst.events[type] ?? 0) + 1;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (header.type === EventType.EOB) {
      for (let p = DATE_HEADER_BYTES; p < header.size; ) {
        const sub = readSlinkHeader(view, p);
        if (sub.sourceId === SCALER_SOURCE_ID) {
          const words: number[] = [];
          for (let q = p + 4 * SLINK_HEADER_WORDS; q < p + 4 * sub.words; q += 4) words.push(view.getUint32(q, true));
          burst.scalers = scalersFromWords(words);
        }
        p += 4 * sub.words;
      }
      return;
    }
    for (const id of sourcesOf(view, 0, header.size, this.ids)) this.s.sources[id] = (this.s.sources[id] ?? 0) + 1;
    try {
      for (let p = DATE_HEADER_BYTES; p < header.size; ) {
        const sub = readSlinkHeader(view, p);
        if (sub.format === FORMAT_MSADC) decodeMsadc(view, p + 4 * SLINK_HEADER_WORDS, p + 4 * sub.words, this.scratch, () => undefined);
        p += 4 * sub.words;
      }
    } catch (error) {
      this.s.errors.undecoded++;
      this.note(`burst ${header.burst} event ${header.nbInBurst}: ${(error as Error).message}`);
    }
  }
}
