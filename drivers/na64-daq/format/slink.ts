// The S-Link (CATCH) sub-event header that precedes each front-end source's data in a DATE event
// (COMPASS DaqDataDecoding SLink.h). Three little-endian words, fields from the least significant bit:
//   w0  size 16 b (words of the whole sub-event, header included) · source_id 10 b · event_type 5 b · error 1 b
//   w1  event_number 20 b (event in burst) · spill_number 11 b · TCS status 1 b
//   w2  format 8 b (bit 7: first event of the run) · errors_counter 8 b · TCS_error 8 b · status 8 b

export const SLINK_HEADER_WORDS = 3;
export const MAX_SOURCE_ID = 0x3ff;
/** The sub-event size field is 16 bits of 32-bit words. */
export const MAX_SLINK_WORDS = 0xffff;
/** Source id of the end-of-burst scaler block (not an MSADC source). */
export const SCALER_SOURCE_ID = 900;
/** Format byte of MSADC data format 3 sub-events and of the scaler block. */
export const FORMAT_MSADC = 3;
export const FORMAT_SCALER = 0x20;

export interface SlinkHeader {
  words: number;
  sourceId: number;
  eventType: number;
  error: boolean;
  eventNumber: number;
  spill: number;
  format: number;
  errors: number;
}

export function writeSlinkHeader(words: Uint32Array, at: number, h: SlinkHeader): void {
  if (h.words < SLINK_HEADER_WORDS || h.words > MAX_SLINK_WORDS) throw new RangeError(`S-Link sub-event of ${h.words} words does not fit 16 bits`);
  if (h.sourceId < 0 || h.sourceId > MAX_SOURCE_ID) throw new RangeError(`source id ${h.sourceId} does not fit 10 bits`);
  words[at] = (h.words | (h.sourceId << 16) | ((h.eventType & 0x1f) << 26) | (h.error ? 1 << 31 : 0)) >>> 0;
  words[at + 1] = ((h.eventNumber & 0xfffff) | ((h.spill & 0x7ff) << 20)) >>> 0;
  words[at + 2] = ((h.format & 0xff) | ((h.errors & 0xff) << 8)) >>> 0;
}

export function readSlinkHeader(view: DataView, byteOffset: number): SlinkHeader {
  const w0 = view.getUint32(byteOffset, true);
  const w1 = view.getUint32(byteOffset + 4, true);
  const w2 = view.getUint32(byteOffset + 8, true);
  return {
    words: w0 & 0xffff,
    sourceId: (w0 >>> 16) & 0x3ff,
    eventType: (w0 >>> 26) & 0x1f,
    error: w0 >>> 31 === 1,
    eventNumber: w1 & 0xfffff,
    spill: (w1 >>> 20) & 0x7ff,
    format: w2 & 0xff,
    errors: (w2 >>> 8) & 0xff,
  };
}
