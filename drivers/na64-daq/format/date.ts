// The DATE event header as the NA64 reader ("DATE_36", FileSourceSvc.cpp) and DATE event.h 3.14 define it:
// 17 little-endian 32-bit words, then the payload. Pure code: the driver, the simulator, the monitor workers
// and the CLI all read and write events through this file.
//
//   word  0 size            whole event in bytes, header included
//        1 magic           0xDA1E5AFE (0xFE5A1EDA when written on a machine of the other byte order)
//        2 headLen         header size in bytes (68)
//        3 version         0x00030006 (DATE 3.6)
//        4 type            1 SOR, 2 EOR, 5 SOB, 6 EOB, 7 PHYSICS, 8 CALIBRATION
//        5 runNb
//        6 nbInRun         event number in the run
//        7 burst<<20 | nbInBurst   (12-bit burst ≤ 4095, 20-bit event in burst)
//      8–9 triggerPattern  NA64 trigger word = (tp[0] >>> 1) + (tp[1] << 31)
//       10 detectorPattern
//    11–13 typeAttribute   (bit 68 of the 96: super event)
//       14 ldcId, 15 gdcId, 16 timestamp (seconds since the epoch)

export const DATE_MAGIC = 0xda1e5afe;
export const DATE_MAGIC_SWAPPED = 0xfe5a1eda;
export const DATE_HEADER_WORDS = 17;
export const DATE_HEADER_BYTES = DATE_HEADER_WORDS * 4;
export const DATE_VERSION = 0x00030006;
/** An event larger than this is treated as corrupt (a 2×6×6 ECAL event with full waveforms is ≈ 10 kB). */
export const MAX_EVENT_BYTES = 4 * 1024 * 1024;

export const EventType = {
  SOR: 1,
  EOR: 2,
  SOB: 5,
  EOB: 6,
  PHYSICS: 7,
  CALIBRATION: 8,
} as const;
export type EventTypeName = keyof typeof EventType;
export type EventTypeCode = (typeof EventType)[EventTypeName];
const TYPE_NAMES = new Map<number, EventTypeName>(Object.entries(EventType).map(([k, v]) => [v, k as EventTypeName]));

export function eventTypeName(code: number): EventTypeName | null {
  return TYPE_NAMES.get(code) ?? null;
}

export const MAX_BURST = 0xfff;
export const MAX_NB_IN_BURST = 0xfffff;

/** Bits of the NA64 trigger word (the pattern shifted right by one, as DAQEvent.cpp reads it). */
export const Trigger = {
  physics: 1 << 0,
  beam: 1 << 1,
  random: 1 << 2,
  calibration: 1 << 3,
} as const;

export interface DateHeader {
  size: number;
  type: number;
  run: number;
  nbInRun: number;
  burst: number;
  nbInBurst: number;
  triggerPattern: [number, number];
  detectorPattern: number;
  typeAttribute: [number, number, number];
  ldcId: number;
  gdcId: number;
  timestamp: number;
}

export function triggerWord(tp: readonly [number, number]): number {
  return ((tp[0] >>> 1) | (tp[1] << 31)) >>> 0;
}

export function triggerPatternOf(word: number): [number, number] {
  return [(word << 1) >>> 0, (word >>> 31) & 1];
}

/** Write a header at `byteOffset` (little endian). */
export function writeHeader(view: DataView, byteOffset: number, h: DateHeader): void {
  writeHeaderSized(view, byteOffset, h, h.size);
}

/** `writeHeader` with the size apart (the writer knows it only at the end; no header copy per event). */
export function writeHeaderSized(view: DataView, byteOffset: number, h: Omit<DateHeader, 'size'>, size: number): void {
  if (h.burst < 0 || h.burst > MAX_BURST) throw new RangeError(`burst ${h.burst} does not fit 12 bits`);
  if (h.nbInBurst < 0 || h.nbInBurst > MAX_NB_IN_BURST) throw new RangeError(`event in burst ${h.nbInBurst} does not fit 20 bits`);
  const at = byteOffset;
  view.setUint32(at, size >>> 0, true);
  view.setUint32(at + 4, DATE_MAGIC >>> 0, true);
  view.setUint32(at + 8, DATE_HEADER_BYTES >>> 0, true);
  view.setUint32(at + 12, DATE_VERSION >>> 0, true);
  view.setUint32(at + 16, h.type >>> 0, true);
  view.setUint32(at + 20, h.run >>> 0, true);
  view.setUint32(at + 24, h.nbInRun >>> 0, true);
  view.setUint32(at + 28, ((h.burst << 20) | h.nbInBurst) >>> 0, true);
  view.setUint32(at + 32, h.triggerPattern[0] >>> 0, true);
  view.setUint32(at + 36, h.triggerPattern[1] >>> 0, true);
  view.setUint32(at + 40, h.detectorPattern >>> 0, true);
  view.setUint32(at + 44, h.typeAttribute[0] >>> 0, true);
  view.setUint32(at + 48, h.typeAttribute[1] >>> 0, true);
  view.setUint32(at + 52, h.typeAttribute[2] >>> 0, true);
  view.setUint32(at + 56, h.ldcId >>> 0, true);
  view.setUint32(at + 60, h.gdcId >>> 0, true);
  view.setUint32(at + 64, h.timestamp >>> 0, true);
}

export function readHeader(view: DataView, byteOffset: number): DateHeader {
  const r = (i: number) => view.getUint32(byteOffset + 4 * i, true);
  const id = r(7);
  return {
    size: r(0),
    type: r(4),
    run: r(5),
    nbInRun: r(6),
    burst: id >>> 20,
    nbInBurst: id & MAX_NB_IN_BURST,
    triggerPattern: [r(8), r(9)],
    detectorPattern: r(10),
    typeAttribute: [r(11), r(12), r(13)],
    ldcId: r(14),
    gdcId: r(15),
    timestamp: r(16),
  };
}

/** Why the bytes at an offset are not a usable DATE event header. */
export type HeaderProblem = 'magic' | 'swapped' | 'header-length' | 'size' | 'type';

/** Check the fixed fields of the header at `byteOffset` (the caller made sure 68 bytes are there). */
export function headerProblem(view: DataView, byteOffset: number): HeaderProblem | null {
  const magic = view.getUint32(byteOffset + 4, true);
  if (magic !== DATE_MAGIC) return magic === DATE_MAGIC_SWAPPED ? 'swapped' : 'magic';
  if (view.getUint32(byteOffset + 8, true) !== DATE_HEADER_BYTES) return 'header-length';
  const size = view.getUint32(byteOffset, true);
  if (size < DATE_HEADER_BYTES || size > MAX_EVENT_BYTES || size % 4 !== 0) return 'size';
  if (eventTypeName(view.getUint32(byteOffset + 16, true)) === null) return 'type';
  return null;
}
