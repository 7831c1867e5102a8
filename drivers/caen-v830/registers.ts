// The CAEN V830 32-channel latching multi-event scaler at the register level (protocols.md §7.2).
// Sources: NSCLDAQ CCAENV830Registers.h (K2; jrtomps/nscldaq and FRIBDAQ/NSCLDAQ: register map, control
// and status bits, the configuration ROM at 0x8026…0x8F06) and op3/ucesb spec/vme_caen_v830.spec (K4: the
// MEB header and 26-bit data words). Counters are 32 bits wide in the module; in the 26-bit format the
// MEB word carries the low 26 bits and the channel number, so a reading wraps at 2^26.

export const V830 = {
  /** Multi-event buffer: any address of the window reads the next word (D32, BLT). */
  MEB: 0x0000,
  MEB_END: 0x0ffc,
  /** Live counter of channel 0; channel ch at COUNTERS + 4·ch (D32). */
  COUNTERS: 0x1000,
  CHANNEL_ENABLE: 0x1100,
  DWELL_TIME: 0x1104,
  CONTROL: 0x1108,
  BIT_SET: 0x110a,
  BIT_CLEAR: 0x110c,
  STATUS: 0x110e,
  GEO: 0x1110,
  SOFTWARE_RESET: 0x1120,
  /** Clears the MEB and the counters. */
  SOFTWARE_CLEAR: 0x1122,
  /** Latches every enabled counter into the MEB as one event (acquisition mode "random"). */
  SOFTWARE_TRIGGER: 0x1124,
  TRIGGER_COUNTER: 0x1128,
  ALMOST_FULL: 0x112c,
  FIRMWARE: 0x1132,
  MEB_EVENT_COUNT: 0x1134,
} as const;

/** Configuration ROM (one byte per D16 location, the low byte), NSCLDAQ CAENV830ROM. */
export const V830_ROM = {
  OUI_MSB: 0x8026,
  OUI: 0x802a,
  OUI_LSB: 0x802e,
  VERSION: 0x8032,
  BOARD_H: 0x8036,
  BOARD_M: 0x803a,
  BOARD_L: 0x803e,
  REVISION: 0x804e,
  SERIAL_H: 0x8f02,
  SERIAL_L: 0x8f06,
} as const;

/** The module's window: registers and ROM up to 0x8F06 (64 kB, the A32/A24 decoding granularity). */
export const V830_WINDOW = 0x10000;
export const V830_CHANNELS = 32;
/** Board number in the ROM (830 = 0x00033E). */
export const V830_BOARD = 830;
/** CAEN's IEEE OUI in the ROM. */
export const CAEN_OUI = 0x0040e6;

/** Control register bits (same bits in bit set / bit clear). */
export const CONTROL = {
  ACQ_MASK: 0x03,
  FORMAT_26: 0x04,
  TEST: 0x08,
  BERR_ENABLE: 0x10,
  HEADER_ENABLE: 0x20,
  FP_CLEAR_MEB: 0x40,
  AUTO_RESET: 0x80,
} as const;

/** Acquisition modes, control bits 1:0. Periodic is 11 in K2 but 10 in an MVLC template (protocols.md open point 4): unused here. */
export const ACQ = { disabled: 0, random: 1, periodic: 3 } as const;

export const STATUS = { DATA_READY: 0x01, ALMOST_FULL: 0x02, FULL: 0x04, GLOBAL_DATA_READY: 0x08, GLOBAL_BUSY: 0x10, BERR: 0x80 } as const;

export type V830Format = '32-bit' | '26-bit';

/** Counter width a reading has in a format. */
export function formatBits(format: V830Format): 26 | 32 {
  return format === '26-bit' ? 26 : 32;
}

export interface V830Control {
  acquisition: keyof typeof ACQ;
  format: V830Format;
  header: boolean;
  berr: boolean;
  autoReset: boolean;
}

export function encodeControl(c: V830Control): number {
  return ACQ[c.acquisition] | (c.format === '26-bit' ? CONTROL.FORMAT_26 : 0) | (c.berr ? CONTROL.BERR_ENABLE : 0) | (c.header ? CONTROL.HEADER_ENABLE : 0) | (c.autoReset ? CONTROL.AUTO_RESET : 0);
}

export function decodeControl(word: number): V830Control {
  const acq = word & CONTROL.ACQ_MASK;
  return {
    acquisition: acq === ACQ.random ? 'random' : acq === ACQ.disabled ? 'disabled' : 'periodic',
    format: word & CONTROL.FORMAT_26 ? '26-bit' : '32-bit',
    header: (word & CONTROL.HEADER_ENABLE) !== 0,
    berr: (word & CONTROL.BERR_ENABLE) !== 0,
    autoReset: (word & CONTROL.AUTO_RESET) !== 0,
  };
}

export class V830DataError extends Error {
  override name = 'V830DataError';
}

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export interface MebHeader {
  geo: number;
  /** Data words that follow (the enabled channels). */
  words: number;
  /** [17:16]: what triggered the event. */
  triggerSource: number;
  eventNumber: number;
}

/** MEB header: [31:27] GEO, [26] = 1, [23:18] word count, [17:16] trigger source, [15:0] event number (K4). */
export function decodeMebHeader(word: number): MebHeader {
  if (!((word >>> 26) & 1)) throw new V830DataError(`${hex(word)} is not an MEB header (bit 26 is 0)`);
  return { geo: (word >>> 27) & 0x1f, words: (word >>> 18) & 0x3f, triggerSource: (word >>> 16) & 0x3, eventNumber: word & 0xffff };
}

export function encodeMebHeader(h: MebHeader): number {
  return (((h.geo & 0x1f) << 27) | (1 << 26) | ((h.words & 0x3f) << 18) | ((h.triggerSource & 0x3) << 16) | (h.eventNumber & 0xffff)) >>> 0;
}

/** 26-bit format data word: [31:27] channel, [26] = 0, [25:0] count (K4). */
export function decodeData26(word: number): { channel: number; count: number } {
  if ((word >>> 26) & 1) throw new V830DataError(`${hex(word)} is not a 26-bit data word (bit 26 is 1: a header?)`);
  return { channel: (word >>> 27) & 0x1f, count: word & 0x3ffffff };
}

export function encodeData26(channel: number, counter: number): number {
  return (((channel & 0x1f) << 27) | (counter & 0x3ffffff)) >>> 0;
}

/** Enabled channels in the order the module writes them into an event: ascending. */
export function enabledChannels(mask: number): number[] {
  return Array.from({ length: V830_CHANNELS }, (_, ch) => ch).filter((ch) => (mask >>> ch) & 1);
}

export function channelMask(channels: readonly number[]): number {
  return channels.reduce((m, ch) => (m | (1 << ch)) >>> 0, 0);
}

/**
 * One MEB event as counts per enabled channel (ascending channel order), checked: the header (when
 * enabled) must announce the right word count, and 26-bit words must name the channel expected next.
 */
export function decodeMebEvent(words: readonly number[], o: { format: V830Format; header: boolean; channels: readonly number[] }): number[] {
  const expected = o.channels.length + (o.header ? 1 : 0);
  if (words.length !== expected) throw new V830DataError(`an event of ${o.channels.length} channels${o.header ? ' and a header' : ''} is ${expected} words, not ${words.length}`);
  const data = o.header ? words.slice(1) : words;
  if (o.header) {
    const h = decodeMebHeader(words[0]!);
    if (h.words !== o.channels.length) throw new V830DataError(`the MEB header announces ${h.words} words, ${o.channels.length} channels are enabled`);
  }
  return data.map((w, i) => {
    if (o.format === '32-bit') return w >>> 0;
    const { channel, count } = decodeData26(w);
    if (channel !== o.channels[i]) throw new V830DataError(`word ${i} of the event is channel ${channel}, channel ${o.channels[i]} was expected`);
    return count;
  });
}

/** What a counter counted between two readings of `bits` width, across one wrap of the counter. */
export function countIncrement(before: number, after: number, bits: 26 | 32): number {
  const modulus = 2 ** bits;
  return (((after - before) % modulus) + modulus) % modulus;
}

/** "1.06" from the firmware register (major in the high byte, minor in the low byte). */
export function firmwareText(word: number): string {
  return `${(word >>> 8) & 0xff}.${(word & 0xff).toString(16).padStart(2, '0')}`;
}
