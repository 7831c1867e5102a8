// Encodes the twin's events as the NA64 DAQ writes them: a DATE event per trigger, one S-Link sub-event per
// front-end source, MSADC blocks per port and chip, channels as the channel map places the cells. Used by
// the TCP simulator and by `na64rc sim` (raw files).
import { EventType, triggerPatternOf, type EventTypeCode } from './format/date';
import type { ChannelMapEntry } from './format/channel-map';
import { CHANNELS_PER_CHIP } from './format/msadc';
import { scalerWords } from './format/scaler';
import { FORMAT_MSADC, FORMAT_SCALER, SCALER_SOURCE_ID } from './format/slink';
import { FORMAT_TRACKER, TRACKER_SOURCE_ID, trackerWord } from './format/tracker';
import { DateWriter, type HeaderFields } from './format/writer';
import type { SpillScalers, Twin, TwinEvent } from '../twin/twin';

interface Channel {
  chan: number;
  cell: number;
}
interface Block {
  port: number;
  chip: number;
  channels: Channel[];
  /** The channels as the writer takes them: chan ids, and each one's first sample in the event's samples. */
  chans: Int32Array;
  froms: Int32Array;
}
interface Source {
  sourceId: number;
  blocks: Block[];
}

export interface EventIds {
  run: number;
  nbInRun: number;
  burst: number;
  nbInBurst: number;
  /** Seconds since the epoch. */
  timestamp: number;
}

export class TwinEncoder {
  private readonly writer = new DateWriter();
  readonly sources: Source[];

  private trackerWords = new Uint32Array(64);

  /**
   * `entries` place the twin's cells (by name) on (source, port, channel); every cell must be placed once.
   * `trackerStations` > 0: physics events carry a tracker sub-event (format/tracker.ts).
   */
  constructor(
    cellNames: readonly string[],
    entries: readonly ChannelMapEntry[],
    private readonly samples: number,
    private readonly trackerStations = 0,
  ) {
    const index = new Map(cellNames.map((n, i) => [n, i]));
    const bySource = new Map<number, Map<number, Channel[]>>();
    const placed = new Set<string>();
    for (const e of entries) {
      const cell = index.get(e.cell);
      if (cell === undefined) throw new RangeError(`channel map line ${e.line}: cell ${e.cell} is not part of this setup`);
      placed.add(e.cell);
      const blocks = bySource.get(e.sourceId) ?? new Map<number, Channel[]>();
      bySource.set(e.sourceId, blocks);
      const key = e.port * 4 + Math.floor(e.channel / CHANNELS_PER_CHIP);
      blocks.set(key, [...(blocks.get(key) ?? []), { chan: e.channel % CHANNELS_PER_CHIP, cell }]);
    }
    const missing = cellNames.filter((n) => !placed.has(n));
    if (missing.length) throw new RangeError(`the channel map has no channel for ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more cells` : ''}`);
    this.sources = [...bySource.entries()]
      .sort(([a], [b]) => a - b)
      .map(([sourceId, blocks]) => ({
        sourceId,
        blocks: [...blocks.entries()]
          .sort(([a], [b]) => a - b)
          .map(([key, channels]) => {
            const sorted = channels.sort((a, b) => a.chan - b.chan);
            return { port: key >> 2, chip: key & 3, channels: sorted, chans: Int32Array.from(sorted, (c) => c.chan), froms: Int32Array.from(sorted, (c) => c.cell * samples) };
          }),
      }));
  }

  /** The encoder of a twin's events: its cells on `channelMap`, its samples, its tracker stations. */
  static of(twin: Twin, channelMap: readonly ChannelMapEntry[]): TwinEncoder {
    return new TwinEncoder(twin.cells.map((c) => c.name), channelMap, twin.digitizer.samples, twin.response.spectrometers.stations);
  }

  sourceIds(): number[] {
    return [...this.sources.map((s) => s.sourceId), ...(this.trackerStations ? [TRACKER_SOURCE_ID] : [])];
  }

  private header(type: EventTypeCode, ids: EventIds, trigger: number): HeaderFields {
    return {
      type,
      run: ids.run,
      nbInRun: ids.nbInRun,
      burst: ids.burst,
      nbInBurst: ids.nbInBurst,
      triggerPattern: triggerPatternOf(trigger),
      detectorPattern: 1,
      typeAttribute: [0, 0, 0],
      ldcId: 0,
      gdcId: 1,
      timestamp: ids.timestamp,
    };
  }

  /** A physics or calibration event; sources in `skip` are left out (a front-end that sent nothing). */
  event(event: TwinEvent, ids: EventIds, skip?: ReadonlySet<number>): Uint8Array {
    const w = this.writer.begin(this.header(event.type === 'physics' ? EventType.PHYSICS : EventType.CALIBRATION, ids, event.trigger));
    const n = this.samples;
    for (const source of this.sources) {
      if (skip?.has(source.sourceId)) continue;
      w.beginSubEvent(source.sourceId, FORMAT_MSADC);
      for (const block of source.blocks) {
        w.beginAdc(block.port, block.chip).channels(block.chans, event.samples, block.froms, n);
      }
    }
    if (this.trackerStations && event.type === 'physics' && !skip?.has(TRACKER_SOURCE_ID)) {
      const hits = event.hits;
      if (this.trackerWords.length < hits.count) this.trackerWords = new Uint32Array(hits.count * 2);
      for (let i = 0; i < hits.count; i++) this.trackerWords[i] = trackerWord(hits.station[i]!, hits.timeNs[i]!, hits.xMm[i]!);
      w.beginSubEvent(TRACKER_SOURCE_ID, FORMAT_TRACKER).raw(this.trackerWords.subarray(0, hits.count));
    }
    return w.end();
  }

  /** SOR, EOR, SOB: a header only. */
  marker(type: EventTypeCode, ids: EventIds): Uint8Array {
    return this.writer.begin(this.header(type, ids, 0)).end();
  }

  /** EOB with the spill's scaler totals. */
  endOfBurst(ids: EventIds, scalers: SpillScalers): Uint8Array {
    return this.writer
      .begin(this.header(EventType.EOB, ids, 0))
      .beginSubEvent(SCALER_SOURCE_ID, FORMAT_SCALER)
      .raw(scalerWords(scalers))
      .end();
  }
}
