// Reads DATE events: checks that an event is whole and self-consistent (header, S-Link chain), lists its
// sources, and decodes it fully for tools and tests. The stream framer (framer.ts) and the monitor workers
// build on these.
import { DATE_HEADER_BYTES, type DateHeader, headerProblem, type HeaderProblem, readHeader } from './date';
import { decodeMsadc, MAX_SAMPLES } from './msadc';
import { FORMAT_MSADC, readSlinkHeader, SLINK_HEADER_WORDS } from './slink';

/** What is wrong with a stretch of bytes that should be one event. */
export type EventProblem = 'corrupt' | 'truncated';

export interface ProblemReport {
  problem: EventProblem;
  detail: string;
}

const HEADER_DETAIL: Record<HeaderProblem, string> = {
  magic: 'no DATE magic where an event should start',
  swapped: 'event written in the other byte order',
  'header-length': 'header length is not 68 bytes',
  size: 'event size is out of range',
  type: 'unknown event type',
};

export function describeHeaderProblem(p: HeaderProblem): string {
  return HEADER_DETAIL[p];
}

/**
 * Check the S-Link chain of the complete event at `offset` (size from its header): every sub-event header
 * sane, the chain ending exactly at the end of the event, each sub-event numbered like the event.
 */
export function checkSubEvents(view: DataView, offset: number, header: DateHeader): ProblemReport | null {
  const end = offset + header.size;
  let p = offset + DATE_HEADER_BYTES;
  while (p < end) {
    if (p + 4 * SLINK_HEADER_WORDS > end) return { problem: 'truncated', detail: `sub-event header cut at byte ${p - offset}` };
    const s = readSlinkHeader(view, p);
    if (s.words < SLINK_HEADER_WORDS) return { problem: 'corrupt', detail: `sub-event of ${s.words} words at byte ${p - offset}` };
    if (p + 4 * s.words > end) return { problem: 'truncated', detail: `sub-event of source ${s.sourceId} runs past the end of the event` };
    if (s.eventNumber !== header.nbInBurst || s.eventType !== header.type) {
      return { problem: 'corrupt', detail: `sub-event of source ${s.sourceId} belongs to another event` };
    }
    p += 4 * s.words;
  }
  return null;
}

/** Source ids of the sub-events of a checked event, in order. */
export function sourcesOf(view: DataView, offset: number, size: number, out: number[] = []): number[] {
  out.length = 0;
  const end = offset + size;
  for (let p = offset + DATE_HEADER_BYTES; p + 4 * SLINK_HEADER_WORDS <= end; ) {
    const s = readSlinkHeader(view, p);
    if (s.words < SLINK_HEADER_WORDS) break;
    out.push(s.sourceId);
    p += 4 * s.words;
  }
  return out;
}

/** Check a complete event (all its bytes present). */
export function checkEvent(view: DataView, offset: number, available: number): ProblemReport | null {
  if (available < DATE_HEADER_BYTES) return { problem: 'truncated', detail: 'shorter than a DATE header' };
  const hp = headerProblem(view, offset);
  if (hp) return { problem: 'corrupt', detail: HEADER_DETAIL[hp] };
  const header = readHeader(view, offset);
  if (header.size > available) return { problem: 'truncated', detail: `event of ${header.size} bytes has only ${available}` };
  return checkSubEvents(view, offset, header);
}

// ── Structured form, for tools, tests and the round trip ─────────────────────────────────────────────────

export interface MsadcChannelData {
  port: number;
  /** Map channel: chip·16 + channel in chip. */
  channel: number;
  samples: number[];
}

export type SubEventData =
  | { sourceId: number; format: typeof FORMAT_MSADC; channels: MsadcChannelData[] }
  | { sourceId: number; format: number; words: number[] };

export interface DateEventData {
  header: Omit<DateHeader, 'size'>;
  subEvents: SubEventData[];
}

/** Decode a whole event, MSADC included. Throws (RangeError / MsadcError) for a bad event. */
export function decodeEvent(bytes: Uint8Array): DateEventData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const problem = checkEvent(view, 0, bytes.byteLength);
  if (problem) throw new RangeError(`${problem.problem} event: ${problem.detail}`);
  const { size, ...header } = readHeader(view, 0);
  const subEvents: SubEventData[] = [];
  const scratch = new Uint16Array(MAX_SAMPLES + 1);
  for (let p = DATE_HEADER_BYTES; p < size; ) {
    const s = readSlinkHeader(view, p);
    const from = p + 4 * SLINK_HEADER_WORDS;
    const to = p + 4 * s.words;
    if (s.format === FORMAT_MSADC) {
      const channels: MsadcChannelData[] = [];
      decodeMsadc(view, from, to, scratch, (port, channel, out, n) => channels.push({ port, channel, samples: Array.from(out.subarray(0, n)) }));
      subEvents.push({ sourceId: s.sourceId, format: FORMAT_MSADC, channels });
    } else {
      const words: number[] = [];
      for (let q = from; q < to; q += 4) words.push(view.getUint32(q, true));
      subEvents.push({ sourceId: s.sourceId, format: s.format, words });
    }
    p = to;
  }
  return { header, subEvents };
}
