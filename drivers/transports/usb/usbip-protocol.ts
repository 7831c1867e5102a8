// The USB/IP wire protocol, encoder and stream decoder (pure, no I/O).
// Sources: the Linux kernel, torvalds/linux Documentation/usb/usbip_protocol.rst (message layouts, v1.1.1 =
// 0x0111, network byte order, the UNLINK sequences) and tools/usb/usbip/src/usbip_network.h (op_common,
// OP_REP_IMPORT carries the device only when the status is 0; op status codes of usbip_common.h: ST_OK 0,
// ST_NA 1, ST_DEV_BUSY 2, ST_DEV_ERR 3, ST_NODEV 4, ST_ERROR 5).
//
// Every field is big-endian, except the 8-byte SETUP packet inside CMD_SUBMIT, which is the raw USB SETUP
// (its wValue / wIndex / wLength little-endian, as on the bus). A connection starts with one "op" exchange
// (8-byte op_common header: version, code, status): OP_REQ_DEVLIST → OP_REP_DEVLIST and the server closes,
// or OP_REQ_IMPORT → OP_REP_IMPORT and, if the status is 0, the same connection carries URBs with 48-byte
// headers: CMD_SUBMIT / RET_SUBMIT, CMD_UNLINK / RET_UNLINK.

export const USBIP_VERSION = 0x0111;
export const USBIP_PORT = 3240;

export const OP_REQ_DEVLIST = 0x8005;
export const OP_REP_DEVLIST = 0x0005;
export const OP_REQ_IMPORT = 0x8003;
export const OP_REP_IMPORT = 0x0003;

export const USBIP_CMD_SUBMIT = 0x1;
export const USBIP_CMD_UNLINK = 0x2;
export const USBIP_RET_SUBMIT = 0x3;
export const USBIP_RET_UNLINK = 0x4;

export const USBIP_DIR_OUT = 0;
export const USBIP_DIR_IN = 1;

/** Op reply status (usbip_common.h). */
export const ST_OK = 0;
export const ST_NA = 1;

/** URB transfer_flags bit for IN transfers (include/linux/usb.h URB_DIR_IN), as Linux vhci sends it. */
export const URB_DIR_IN = 0x200;

/** URB status values are negative errno numbers (Linux). */
export const ENOENT = 2; // no such endpoint
export const EPIPE = 32; // endpoint stalled
export const EPROTO = 71; // protocol error (bit stuffing, no response, …)
export const EOVERFLOW = 75; // babble: the device sent more than asked
export const ECONNRESET = 104; // URB unlinked

/** usb_device_speed (include/uapi/linux/usb/ch9.h). */
export const USB_SPEED = { unknown: 0, low: 1, full: 2, high: 3, wireless: 4, super: 5, superPlus: 6 } as const;

/** number_of_packets for a transfer that is not isochronous. Linux's stub sends 0, the document says 0xffffffff. */
export const NOT_ISO = 0xffffffff;

/** No transfer may announce more than this: a bigger length is a corrupt stream, not a transfer. */
export const MAX_TRANSFER_LENGTH = 16 * 1024 * 1024;
/** No devlist is longer than this: 4096 devices × 312+ bytes is already 1.3 MB. */
export const MAX_DEVLIST_DEVICES = 4096;

export const OP_HEADER_LENGTH = 8;
export const USB_DEVICE_RECORD_LENGTH = 312;
export const URB_HEADER_LENGTH = 48;
const PATH_LENGTH = 256;
const BUSID_LENGTH = 32;

export interface UsbipInterfaceRecord {
  bInterfaceClass: number;
  bInterfaceSubClass: number;
  bInterfaceProtocol: number;
}

/** struct usbip_usb_device (312 bytes), with the interface records the devlist appends. */
export interface UsbipDeviceRecord {
  path: string;
  busid: string;
  busnum: number;
  devnum: number;
  speed: number;
  idVendor: number;
  idProduct: number;
  bcdDevice: number;
  bDeviceClass: number;
  bDeviceSubClass: number;
  bDeviceProtocol: number;
  bConfigurationValue: number;
  bNumConfigurations: number;
  bNumInterfaces: number;
  /** Only in OP_REP_DEVLIST (bNumInterfaces records); OP_REP_IMPORT has none. */
  interfaces: UsbipInterfaceRecord[];
}

/** The common header of the four URB messages (usbip_header_basic) without its command. */
interface UrbBasic {
  seqnum: number;
  /** (busnum << 16) | devnum from the client; 0 from the server. */
  devid: number;
  /** USBIP_DIR_OUT 0, USBIP_DIR_IN 1; 0 from the server. */
  direction: number;
  /** Endpoint number 0..15; 0 from the server and in UNLINK. */
  ep: number;
}

export type UsbipMessage =
  | { kind: 'OP_REQ_DEVLIST' }
  | { kind: 'OP_REP_DEVLIST'; status: number; devices: UsbipDeviceRecord[] }
  | { kind: 'OP_REQ_IMPORT'; busid: string }
  | { kind: 'OP_REP_IMPORT'; status: number; device: UsbipDeviceRecord | null }
  | (UrbBasic & {
      kind: 'CMD_SUBMIT';
      transferFlags: number;
      transferBufferLength: number;
      startFrame: number;
      numberOfPackets: number;
      interval: number;
      /** 8 bytes, zero unless ep 0. */
      setup: Uint8Array;
      /** transfer_buffer: the OUT data (transferBufferLength bytes), empty for IN. */
      data: Uint8Array;
    })
  | (UrbBasic & {
      kind: 'RET_SUBMIT';
      /** 0 or a negative errno: -EPIPE stall, -ECONNRESET unlinked, … */
      status: number;
      actualLength: number;
      startFrame: number;
      numberOfPackets: number;
      errorCount: number;
      /** The IN data (actualLength bytes), empty for OUT. */
      data: Uint8Array;
    })
  | (UrbBasic & { kind: 'CMD_UNLINK'; unlinkSeqnum: number })
  | (UrbBasic & { kind: 'RET_UNLINK'; status: number });

export type UsbipMessageKind = UsbipMessage['kind'];

const OP_NAMES: Record<number, UsbipMessageKind> = {
  [OP_REQ_DEVLIST]: 'OP_REQ_DEVLIST',
  [OP_REP_DEVLIST]: 'OP_REP_DEVLIST',
  [OP_REQ_IMPORT]: 'OP_REQ_IMPORT',
  [OP_REP_IMPORT]: 'OP_REP_IMPORT',
};
const URB_NAMES: Record<number, UsbipMessageKind> = {
  [USBIP_CMD_SUBMIT]: 'CMD_SUBMIT',
  [USBIP_CMD_UNLINK]: 'CMD_UNLINK',
  [USBIP_RET_SUBMIT]: 'RET_SUBMIT',
  [USBIP_RET_UNLINK]: 'RET_UNLINK',
};

const hex = (n: number, digits: number) => `0x${n.toString(16).padStart(digits, '0')}`;

// ---------------------------------------------------------------------------------------------- encoding

function writeString(b: Uint8Array, at: number, size: number, text: string, field: string): void {
  if (text.length >= size || !/^[\x20-\x7e]*$/.test(text)) throw new Error(`USB/IP: ${field} "${text}" must be printable ASCII shorter than ${size} bytes`);
  for (let i = 0; i < text.length; i++) b[at + i] = text.charCodeAt(i);
}

function writeDevice(b: Uint8Array, at: number, d: UsbipDeviceRecord): void {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  writeString(b, at, PATH_LENGTH, d.path, 'path');
  writeString(b, at + 0x100, BUSID_LENGTH, d.busid, 'busid');
  v.setUint32(at + 0x120, d.busnum);
  v.setUint32(at + 0x124, d.devnum);
  v.setUint32(at + 0x128, d.speed);
  v.setUint16(at + 0x12c, d.idVendor);
  v.setUint16(at + 0x12e, d.idProduct);
  v.setUint16(at + 0x130, d.bcdDevice);
  b[at + 0x132] = d.bDeviceClass;
  b[at + 0x133] = d.bDeviceSubClass;
  b[at + 0x134] = d.bDeviceProtocol;
  b[at + 0x135] = d.bConfigurationValue;
  b[at + 0x136] = d.bNumConfigurations;
  b[at + 0x137] = d.bNumInterfaces;
}

function opHeader(b: Uint8Array, code: number, status: number): DataView {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint16(0, USBIP_VERSION);
  v.setUint16(2, code);
  v.setUint32(4, status);
  return v;
}

function urbHeader(b: Uint8Array, command: number, m: UrbBasic): DataView {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setUint32(0, command);
  v.setUint32(4, m.seqnum >>> 0);
  v.setUint32(8, m.devid >>> 0);
  v.setUint32(12, m.direction);
  v.setUint32(16, m.ep);
  return v;
}

/** The bytes of one message. Throws on a field that does not fit (a busid of 32 characters, …). */
export function encodeUsbip(m: UsbipMessage): Uint8Array {
  switch (m.kind) {
    case 'OP_REQ_DEVLIST': {
      const b = new Uint8Array(OP_HEADER_LENGTH);
      opHeader(b, OP_REQ_DEVLIST, 0);
      return b;
    }
    case 'OP_REP_DEVLIST': {
      const size = m.devices.reduce((n, d) => n + USB_DEVICE_RECORD_LENGTH + 4 * d.interfaces.length, OP_HEADER_LENGTH + 4);
      const b = new Uint8Array(size);
      const v = opHeader(b, OP_REP_DEVLIST, m.status);
      v.setUint32(8, m.devices.length);
      let at = 12;
      for (const d of m.devices) {
        if (d.interfaces.length !== d.bNumInterfaces) throw new Error(`USB/IP: device ${d.busid} has bNumInterfaces ${d.bNumInterfaces} but ${d.interfaces.length} interface records`);
        writeDevice(b, at, d);
        at += USB_DEVICE_RECORD_LENGTH;
        for (const i of d.interfaces) {
          b.set([i.bInterfaceClass, i.bInterfaceSubClass, i.bInterfaceProtocol, 0], at);
          at += 4;
        }
      }
      return b;
    }
    case 'OP_REQ_IMPORT': {
      const b = new Uint8Array(OP_HEADER_LENGTH + BUSID_LENGTH);
      opHeader(b, OP_REQ_IMPORT, 0);
      writeString(b, 8, BUSID_LENGTH, m.busid, 'busid');
      return b;
    }
    case 'OP_REP_IMPORT': {
      if ((m.status === ST_OK) !== (m.device !== null)) throw new Error('USB/IP: OP_REP_IMPORT carries the device exactly when its status is 0');
      const b = new Uint8Array(OP_HEADER_LENGTH + (m.device ? USB_DEVICE_RECORD_LENGTH : 0));
      opHeader(b, OP_REP_IMPORT, m.status);
      if (m.device) writeDevice(b, 8, m.device);
      return b;
    }
    case 'CMD_SUBMIT': {
      const out = m.direction === USBIP_DIR_OUT;
      if (out && m.data.length !== m.transferBufferLength) throw new Error(`USB/IP: CMD_SUBMIT OUT with ${m.data.length} data bytes but transfer_buffer_length ${m.transferBufferLength}`);
      if (m.setup.length !== 8) throw new Error(`USB/IP: the SETUP packet has 8 bytes, not ${m.setup.length}`);
      const b = new Uint8Array(URB_HEADER_LENGTH + (out ? m.data.length : 0));
      const v = urbHeader(b, USBIP_CMD_SUBMIT, m);
      v.setUint32(0x14, m.transferFlags);
      v.setUint32(0x18, m.transferBufferLength);
      v.setUint32(0x1c, m.startFrame);
      v.setUint32(0x20, m.numberOfPackets >>> 0);
      v.setUint32(0x24, m.interval);
      b.set(m.setup, 0x28);
      if (out) b.set(m.data, URB_HEADER_LENGTH);
      return b;
    }
    case 'RET_SUBMIT': {
      const b = new Uint8Array(URB_HEADER_LENGTH + m.data.length);
      const v = urbHeader(b, USBIP_RET_SUBMIT, m);
      v.setInt32(0x14, m.status);
      v.setUint32(0x18, m.actualLength);
      v.setUint32(0x1c, m.startFrame);
      v.setUint32(0x20, m.numberOfPackets >>> 0);
      v.setUint32(0x24, m.errorCount);
      b.set(m.data, URB_HEADER_LENGTH);
      return b;
    }
    case 'CMD_UNLINK': {
      const b = new Uint8Array(URB_HEADER_LENGTH);
      urbHeader(b, USBIP_CMD_UNLINK, m).setUint32(0x14, m.unlinkSeqnum >>> 0);
      return b;
    }
    case 'RET_UNLINK': {
      const b = new Uint8Array(URB_HEADER_LENGTH);
      urbHeader(b, USBIP_RET_UNLINK, m).setInt32(0x14, m.status);
      return b;
    }
  }
}

/** The 8 SETUP bytes of a control transfer (USB 2.0 Table 9-2, little-endian words). */
export function setupBytes(s: { bmRequestType: number; bRequest: number; wValue: number; wIndex: number; wLength: number }): Uint8Array {
  return Uint8Array.of(s.bmRequestType, s.bRequest, s.wValue & 0xff, s.wValue >> 8, s.wIndex & 0xff, s.wIndex >> 8, s.wLength & 0xff, s.wLength >> 8);
}

export function parseSetup(b: Uint8Array): { bmRequestType: number; bRequest: number; wValue: number; wIndex: number; wLength: number } {
  return { bmRequestType: b[0]!, bRequest: b[1]!, wValue: b[2]! | (b[3]! << 8), wIndex: b[4]! | (b[5]! << 8), wLength: b[6]! | (b[7]! << 8) };
}

// ---------------------------------------------------------------------------------------------- decoding

function readString(b: Uint8Array, at: number, size: number): string {
  let end = at;
  while (end < at + size && b[end] !== 0) end++;
  return String.fromCharCode(...b.subarray(at, end));
}

function readDevice(b: Uint8Array, at: number): UsbipDeviceRecord {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return {
    path: readString(b, at, PATH_LENGTH),
    busid: readString(b, at + 0x100, BUSID_LENGTH),
    busnum: v.getUint32(at + 0x120),
    devnum: v.getUint32(at + 0x124),
    speed: v.getUint32(at + 0x128),
    idVendor: v.getUint16(at + 0x12c),
    idProduct: v.getUint16(at + 0x12e),
    bcdDevice: v.getUint16(at + 0x130),
    bDeviceClass: b[at + 0x132]!,
    bDeviceSubClass: b[at + 0x133]!,
    bDeviceProtocol: b[at + 0x134]!,
    bConfigurationValue: b[at + 0x135]!,
    bNumConfigurations: b[at + 0x136]!,
    bNumInterfaces: b[at + 0x137]!,
    interfaces: [],
  };
}

/** Which side of the connection decodes: the server reads requests and commands, the client replies. */
export type UsbipRole = 'server' | 'client';

export interface UsbipDecoderOptions {
  /**
   * Client side: the direction of the CMD_SUBMIT a RET_SUBMIT answers (the server sends direction 0 in the
   * reply, and only an IN reply carries data). Undefined for a seqnum the client never sent.
   */
  directionOf?: (seqnum: number) => 'in' | 'out' | undefined;
}

/**
 * Decodes a USB/IP byte stream that arrives in arbitrary chunks. `push` returns the messages completed by
 * the chunk and throws on malformed input (the connection is then unusable: close it). After OP_REQ_IMPORT
 * (server) or a successful OP_REP_IMPORT (client) it reads URB messages.
 */
export class UsbipDecoder {
  /** Received bytes not yet decoded, as they came (joined only as far as a message needs: no quadratic copying). */
  private chunks: Uint8Array[] = [];
  private total = 0;
  private phase: 'op' | 'urb' = 'op';
  private failed: Error | null = null;

  constructor(
    readonly role: UsbipRole,
    private readonly options: UsbipDecoderOptions = {},
  ) {}

  /** Whether the op exchange is over and URBs follow. */
  get importing(): boolean {
    return this.phase === 'urb';
  }

  /** Bytes received but not yet a whole message. */
  get buffered(): number {
    return this.total;
  }

  /** The first `n` buffered bytes (n ≤ total) contiguous, possibly followed by more. */
  private head(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const first = this.chunks[0];
    if (first && first.length >= n) return first;
    let count = 0;
    let size = 0;
    while (size < n) size += this.chunks[count++]!.length;
    const joined = new Uint8Array(size);
    let at = 0;
    for (const c of this.chunks.splice(0, count, joined)) {
      joined.set(c, at);
      at += c.length;
    }
    return joined;
  }

  private consume(n: number): void {
    this.total -= n;
    while (n > 0) {
      const first = this.chunks[0]!;
      if (first.length <= n) {
        n -= first.length;
        this.chunks.shift();
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }

  push(chunk: Uint8Array): UsbipMessage[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      // A plain view, also of a Node Buffer, whose slice() would share memory instead of copying.
      this.chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.total += chunk.length;
    }
    const messages: UsbipMessage[] = [];
    try {
      for (;;) {
        const next = this.phase === 'op' ? this.decodeOp() : this.decodeUrb();
        if (!next) break;
        this.consume(next.length);
        messages.push(next.message);
      }
    } catch (error) {
      this.failed = error as Error;
      throw error;
    }
    return messages;
  }

  /** The stream ended: throws if it ended inside a message (a truncated stream). */
  end(): void {
    if (this.failed) throw this.failed;
    if (this.total > 0) {
      throw new Error(`USB/IP: the stream ended inside a message (${this.total} bytes left over: ${this.describeHead()})`);
    }
  }

  private describeHead(): string {
    const b = this.head(this.total);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    if (this.phase === 'op' && b.length >= 4) return OP_NAMES[v.getUint16(2)] ?? `op code ${hex(v.getUint16(2), 4)}`;
    if (this.phase === 'urb' && b.length >= 4) return URB_NAMES[v.getUint32(0)] ?? `command ${hex(v.getUint32(0), 8)}`;
    return 'a header';
  }

  private decodeOp(): { message: UsbipMessage; length: number } | null {
    // Op messages are small (a devlist is ~316 bytes a device): decode from everything buffered.
    const b = this.head(this.total);
    if (b.length < OP_HEADER_LENGTH) return null;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const version = v.getUint16(0);
    const code = v.getUint16(2);
    const status = v.getUint32(4);
    const expected = this.role === 'server' ? [OP_REQ_DEVLIST, OP_REQ_IMPORT] : [OP_REP_DEVLIST, OP_REP_IMPORT];
    if (!expected.includes(code)) {
      throw new Error(`USB/IP: unexpected op code ${hex(code, 4)} (a ${this.role} expects ${expected.map((c) => `${OP_NAMES[c]} ${hex(c, 4)}`).join(' or ')})`);
    }
    if (version !== USBIP_VERSION) throw new Error(`USB/IP: protocol version ${hex(version, 4)} in ${OP_NAMES[code]}, this side speaks ${hex(USBIP_VERSION, 4)}`);
    switch (code) {
      case OP_REQ_DEVLIST:
        return { message: { kind: 'OP_REQ_DEVLIST' }, length: OP_HEADER_LENGTH };
      case OP_REQ_IMPORT: {
        if (b.length < OP_HEADER_LENGTH + BUSID_LENGTH) return null;
        this.phase = 'urb';
        return { message: { kind: 'OP_REQ_IMPORT', busid: readString(b, 8, BUSID_LENGTH) }, length: OP_HEADER_LENGTH + BUSID_LENGTH };
      }
      case OP_REP_IMPORT: {
        if (status !== ST_OK) return { message: { kind: 'OP_REP_IMPORT', status, device: null }, length: OP_HEADER_LENGTH };
        if (b.length < OP_HEADER_LENGTH + USB_DEVICE_RECORD_LENGTH) return null;
        this.phase = 'urb';
        return { message: { kind: 'OP_REP_IMPORT', status, device: readDevice(b, 8) }, length: OP_HEADER_LENGTH + USB_DEVICE_RECORD_LENGTH };
      }
      default: {
        // OP_REP_DEVLIST: the count, then per device its record and bNumInterfaces 4-byte records.
        if (b.length < 12) return null;
        const count = v.getUint32(8);
        if (count > MAX_DEVLIST_DEVICES) throw new Error(`USB/IP: OP_REP_DEVLIST announces ${count} devices (more than ${MAX_DEVLIST_DEVICES}: a corrupt reply)`);
        const devices: UsbipDeviceRecord[] = [];
        let at = 12;
        for (let i = 0; i < count; i++) {
          if (b.length < at + USB_DEVICE_RECORD_LENGTH) return null;
          const device = readDevice(b, at);
          at += USB_DEVICE_RECORD_LENGTH;
          if (b.length < at + 4 * device.bNumInterfaces) return null;
          for (let k = 0; k < device.bNumInterfaces; k++, at += 4) {
            device.interfaces.push({ bInterfaceClass: b[at]!, bInterfaceSubClass: b[at + 1]!, bInterfaceProtocol: b[at + 2]! });
          }
          devices.push(device);
        }
        return { message: { kind: 'OP_REP_DEVLIST', status, devices }, length: at };
      }
    }
  }

  private decodeUrb(): { message: UsbipMessage; length: number } | null {
    if (this.total === 0) return null;
    const b = this.head(Math.min(this.total, URB_HEADER_LENGTH));
    if (b.length < URB_HEADER_LENGTH) {
      // Check the command early so that garbage fails at once, not after 48 bytes.
      if (b.length >= 4) this.commandOf(new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0));
      return null;
    }
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const command = this.commandOf(v.getUint32(0));
    const basic: UrbBasic = { seqnum: v.getUint32(4), devid: v.getUint32(8), direction: v.getUint32(12), ep: v.getUint32(16) };
    const checkIso = (numberOfPackets: number, name: string) => {
      if (numberOfPackets !== 0 && numberOfPackets !== NOT_ISO) {
        throw new Error(`USB/IP: ${name} seqnum ${basic.seqnum} is isochronous (number_of_packets ${numberOfPackets}), which is not supported`);
      }
    };
    switch (command) {
      case USBIP_CMD_SUBMIT: {
        if (basic.direction > 1) throw new Error(`USB/IP: CMD_SUBMIT seqnum ${basic.seqnum} has direction ${basic.direction} (0 out, 1 in)`);
        if (basic.ep > 15) throw new Error(`USB/IP: CMD_SUBMIT seqnum ${basic.seqnum} has endpoint ${basic.ep} (0..15)`);
        const transferBufferLength = v.getUint32(0x18);
        if (transferBufferLength > MAX_TRANSFER_LENGTH) {
          throw new Error(`USB/IP: CMD_SUBMIT seqnum ${basic.seqnum} asks for ${transferBufferLength} bytes (more than ${MAX_TRANSFER_LENGTH}: a corrupt stream)`);
        }
        const numberOfPackets = v.getUint32(0x20);
        checkIso(numberOfPackets, 'CMD_SUBMIT');
        const dataLength = basic.direction === USBIP_DIR_OUT ? transferBufferLength : 0;
        if (this.total < URB_HEADER_LENGTH + dataLength) return null;
        const full = dataLength > 0 ? this.head(URB_HEADER_LENGTH + dataLength) : b;
        return {
          message: {
            kind: 'CMD_SUBMIT',
            ...basic,
            transferFlags: v.getUint32(0x14),
            transferBufferLength,
            startFrame: v.getUint32(0x1c),
            numberOfPackets,
            interval: v.getUint32(0x24),
            setup: b.slice(0x28, 0x30),
            data: full.slice(URB_HEADER_LENGTH, URB_HEADER_LENGTH + dataLength),
          },
          length: URB_HEADER_LENGTH + dataLength,
        };
      }
      case USBIP_RET_SUBMIT: {
        const status = v.getInt32(0x14);
        const actualLength = v.getUint32(0x18);
        if (actualLength > MAX_TRANSFER_LENGTH) throw new Error(`USB/IP: RET_SUBMIT seqnum ${basic.seqnum} carries ${actualLength} bytes (more than ${MAX_TRANSFER_LENGTH}: a corrupt stream)`);
        const numberOfPackets = v.getUint32(0x20);
        checkIso(numberOfPackets, 'RET_SUBMIT');
        const direction = this.options.directionOf?.(basic.seqnum);
        if (direction === undefined) throw new Error(`USB/IP: RET_SUBMIT for seqnum ${basic.seqnum}, which was never submitted`);
        const dataLength = direction === 'in' ? actualLength : 0;
        if (this.total < URB_HEADER_LENGTH + dataLength) return null;
        const full = dataLength > 0 ? this.head(URB_HEADER_LENGTH + dataLength) : b;
        return {
          message: {
            kind: 'RET_SUBMIT',
            ...basic,
            status,
            actualLength,
            startFrame: v.getUint32(0x1c),
            numberOfPackets,
            errorCount: v.getUint32(0x24),
            data: full.slice(URB_HEADER_LENGTH, URB_HEADER_LENGTH + dataLength),
          },
          length: URB_HEADER_LENGTH + dataLength,
        };
      }
      case USBIP_CMD_UNLINK:
        return { message: { kind: 'CMD_UNLINK', ...basic, unlinkSeqnum: v.getUint32(0x14) }, length: URB_HEADER_LENGTH };
      default:
        return { message: { kind: 'RET_UNLINK', ...basic, status: v.getInt32(0x14) }, length: URB_HEADER_LENGTH };
    }
  }

  private commandOf(command: number): number {
    const expected = this.role === 'server' ? [USBIP_CMD_SUBMIT, USBIP_CMD_UNLINK] : [USBIP_RET_SUBMIT, USBIP_RET_UNLINK];
    if (!expected.includes(command)) {
      throw new Error(`USB/IP: unexpected command ${hex(command, 8)} (a ${this.role} expects ${expected.map((c) => `${URB_NAMES[c]} ${c}`).join(' or ')})`);
    }
    return command;
  }
}

/** Decodes a complete byte string (tests, captures); throws if it is malformed or ends inside a message. */
export function decodeUsbip(bytes: Uint8Array, role: UsbipRole, options?: UsbipDecoderOptions): UsbipMessage[] {
  const decoder = new UsbipDecoder(role, options);
  const messages = decoder.push(bytes);
  decoder.end();
  return messages;
}
