// USBTMC / USB488 framing, byte for byte (protocols.md §5), shared by the host (host.ts) and the device side
// of an emulated instrument (device.ts), so both ends read and write the same headers.
//
// Sources: USBTMC 1.0 and USB488 1.0 (USB-IF); python-ivi/python-usbtmc `usbtmc/usbtmc.py` (T1: header
// packing, bTag, GET_CAPABILITIES, abort and clear sequences, quirks); ananswer/webusbtmc
// `webusbtmc/webusbtmc.js` (T2: the same over the W3C WebUSB API, multi-packet responses). Where T1 and T2
// differ we follow the specification: bcdUSBTMC is little-endian (T1; T2 reads it big-endian), and the
// USB488 capability bytes are 14 and 15 (T2; T1 reads byte 4 for them, a bug).

/** bInterfaceClass / SubClass / Protocol of a USBTMC interface (§5 table). */
export const USBTMC_CLASS = 0xfe;
export const USBTMC_SUBCLASS = 0x03;
export const USBTMC_PROTOCOL = 0x00;
export const USB488_PROTOCOL = 0x01;

/** MsgID of the Bulk-OUT and Bulk-IN headers. */
export const MSG = {
  DEV_DEP_MSG_OUT: 1,
  /** REQUEST_DEV_DEP_MSG_IN on Bulk-OUT and its answer DEV_DEP_MSG_IN on Bulk-IN share the id. */
  DEV_DEP_MSG_IN: 2,
  VENDOR_SPECIFIC_OUT: 126,
  VENDOR_SPECIFIC_IN: 127,
  USB488_TRIGGER: 128,
} as const;

/** Class control requests (bRequest). */
export const REQUEST = {
  INITIATE_ABORT_BULK_OUT: 1,
  CHECK_ABORT_BULK_OUT_STATUS: 2,
  INITIATE_ABORT_BULK_IN: 3,
  CHECK_ABORT_BULK_IN_STATUS: 4,
  INITIATE_CLEAR: 5,
  CHECK_CLEAR_STATUS: 6,
  GET_CAPABILITIES: 7,
  INDICATOR_PULSE: 64,
  READ_STATUS_BYTE: 128,
  REN_CONTROL: 160,
  GO_TO_LOCAL: 161,
  LOCAL_LOCKOUT: 162,
} as const;

/** USBTMC_status values of the control replies. */
export const STATUS = {
  SUCCESS: 0x01,
  PENDING: 0x02,
  INTERRUPT_IN_BUSY: 0x20,
  FAILED: 0x80,
  TRANSFER_NOT_IN_PROGRESS: 0x81,
  SPLIT_NOT_IN_PROGRESS: 0x82,
  SPLIT_IN_PROGRESS: 0x83,
} as const;

const STATUS_NAMES = new Map<number, string>(Object.entries(STATUS).map(([name, code]) => [code, name]));
/** "PENDING (0x02)", for messages. */
export function statusName(code: number): string {
  return `${STATUS_NAMES.get(code) ?? 'unknown status'} (0x${code.toString(16).padStart(2, '0')})`;
}

/** bmRequestType of the class requests: Device-to-Host | Class | Interface (0xA1) or Endpoint (0xA2). */
export const REQUEST_TYPE_INTERFACE = 0xa1;
export const REQUEST_TYPE_ENDPOINT = 0xa2;

export const HEADER_SIZE = 12;
/** bmTransferAttributes bits: EOM on DEV_DEP_MSG_OUT / DEV_DEP_MSG_IN, TermCharEnabled on the request. */
export const ATTR_EOM = 0x01;
export const ATTR_TERM_CHAR = 0x02;
/** GET_CAPABILITIES answers 0x18 bytes. */
export const CAPABILITIES_LENGTH = 0x18;

/** The bTag after `last`: 1..255, wrapping 255 → 1, never 0 (§5; T1 `(last % 255) + 1`). */
export function nextBTag(last: number): number {
  return (last % 255) + 1;
}

/** The READ_STATUS_BYTE bTag after `last`: 2..127 (USB488 §4.3.1; T1, T2). */
export function nextStatusBTag(last: number): number {
  return last >= 127 || last < 2 ? 2 : last + 1;
}

const pad4 = (n: number) => (4 - (n % 4)) % 4;

function header(msgId: number, bTag: number): Uint8Array {
  if (!Number.isInteger(bTag) || bTag < 1 || bTag > 255) throw new RangeError(`a bTag is 1..255, not ${bTag}`);
  const h = new Uint8Array(HEADER_SIZE);
  h[0] = msgId;
  h[1] = bTag;
  h[2] = ~bTag & 0xff;
  return h;
}

function setU32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value, true);
}

/** One DEV_DEP_MSG_OUT transfer: header, the payload, zero padding to a multiple of 4. */
export function devDepMsgOut(bTag: number, payload: Uint8Array, eom: boolean): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length + pad4(payload.length));
  out.set(header(MSG.DEV_DEP_MSG_OUT, bTag));
  setU32(out, 4, payload.length);
  out[8] = eom ? ATTR_EOM : 0;
  out.set(payload, HEADER_SIZE);
  return out;
}

/** REQUEST_DEV_DEP_MSG_IN: at most `maxBytes` in the answer, optionally ending at `termChar`. */
export function requestDevDepMsgIn(bTag: number, maxBytes: number, termChar: number | null = null): Uint8Array {
  const out = header(MSG.DEV_DEP_MSG_IN, bTag);
  setU32(out, 4, maxBytes);
  if (termChar !== null) {
    out[8] = ATTR_TERM_CHAR;
    out[9] = termChar;
  }
  return out;
}

/** USB488 TRIGGER: the header and eight zero bytes. */
export function usb488Trigger(bTag: number): Uint8Array {
  return header(MSG.USB488_TRIGGER, bTag);
}

/** The device's DEV_DEP_MSG_IN: header, payload, padding. `transferSize` is what the header claims (a Rigol lies). */
export function devDepMsgIn(bTag: number, payload: Uint8Array, eom: boolean, transferSize = payload.length): Uint8Array {
  const out = new Uint8Array(HEADER_SIZE + payload.length + pad4(payload.length));
  out.set(header(MSG.DEV_DEP_MSG_IN, bTag));
  setU32(out, 4, transferSize);
  out[8] = eom ? ATTR_EOM : 0;
  out.set(payload, HEADER_SIZE);
  return out;
}

/** A decoded 12-byte Bulk-OUT or Bulk-IN header. */
export interface BulkHeader {
  msgId: number;
  bTag: number;
  transferSize: number;
  attributes: number;
  /** Byte 9: TermChar of a REQUEST_DEV_DEP_MSG_IN. */
  termChar: number;
}

/** Reads a header; throws a RangeError naming what is wrong (too short, bTag / ~bTag disagree, bTag 0). */
export function parseBulkHeader(bytes: Uint8Array): BulkHeader {
  if (bytes.length < HEADER_SIZE) throw new RangeError(`a USBTMC header is ${HEADER_SIZE} bytes, got ${bytes.length}`);
  const bTag = bytes[1]!;
  if (bytes[2] !== (~bTag & 0xff)) {
    throw new RangeError(`bTagInverse 0x${bytes[2]!.toString(16).padStart(2, '0')} is not the inverse of bTag ${bTag}`);
  }
  if (bTag === 0) throw new RangeError('bTag 0 is not allowed');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { msgId: bytes[0]!, bTag, transferSize: view.getUint32(4, true), attributes: bytes[8]!, termChar: bytes[9]! };
}

/** What GET_CAPABILITIES says (USBTMC Table 37, USB488 Table 8). */
export interface UsbtmcCapabilities {
  /** BCD, e.g. 0x0100 for 1.00. */
  bcdUSBTMC: number;
  indicatorPulse: boolean;
  talkOnly: boolean;
  listenOnly: boolean;
  termChar: boolean;
  /** 0 when the interface is plain USBTMC (no USB488 subclass). */
  bcdUSB488: number;
  usb4882: boolean;
  remoteLocal: boolean;
  trigger: boolean;
  scpi: boolean;
  /** SR1: service request; RL1: remote/local; DT1: device trigger. */
  sr1: boolean;
  rl1: boolean;
  dt1: boolean;
}

/** Decodes a GET_CAPABILITIES reply (0x18 bytes, status first). */
export function parseCapabilities(b: Uint8Array): UsbtmcCapabilities {
  if (b.length < 16) throw new RangeError(`GET_CAPABILITIES answered ${b.length} bytes, expected ${CAPABILITIES_LENGTH}`);
  if (b[0] !== STATUS.SUCCESS) throw new RangeError(`GET_CAPABILITIES answered ${statusName(b[0]!)}`);
  const bit = (byte: number, n: number) => (b[byte]! & (1 << n)) !== 0;
  return {
    bcdUSBTMC: b[2]! | (b[3]! << 8),
    indicatorPulse: bit(4, 2),
    talkOnly: bit(4, 1),
    listenOnly: bit(4, 0),
    termChar: bit(5, 0),
    bcdUSB488: b[12]! | (b[13]! << 8),
    usb4882: bit(14, 2),
    remoteLocal: bit(14, 1),
    trigger: bit(14, 0),
    scpi: bit(15, 3),
    sr1: bit(15, 2),
    rl1: bit(15, 1),
    dt1: bit(15, 0),
  };
}

/** The GET_CAPABILITIES reply a device sends for `caps` (the inverse of parseCapabilities). */
export function encodeCapabilities(caps: UsbtmcCapabilities): Uint8Array {
  const b = new Uint8Array(CAPABILITIES_LENGTH);
  const flag = (on: boolean, n: number) => (on ? 1 << n : 0);
  b[0] = STATUS.SUCCESS;
  b[2] = caps.bcdUSBTMC & 0xff;
  b[3] = caps.bcdUSBTMC >> 8;
  b[4] = flag(caps.indicatorPulse, 2) | flag(caps.talkOnly, 1) | flag(caps.listenOnly, 0);
  b[5] = flag(caps.termChar, 0);
  b[12] = caps.bcdUSB488 & 0xff;
  b[13] = caps.bcdUSB488 >> 8;
  b[14] = flag(caps.usb4882, 2) | flag(caps.remoteLocal, 1) | flag(caps.trigger, 0);
  b[15] = flag(caps.scpi, 3) | flag(caps.sr1, 2) | flag(caps.rl1, 1) | flag(caps.dt1, 0);
  return b;
}

/** Bytes as the §5 examples write them: "01 01 FE 00 …". */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
}
