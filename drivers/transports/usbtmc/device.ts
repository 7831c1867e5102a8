// The device side of USBTMC / USB488, as a UsbFunction (../usb/usb-function.ts): what an instrument's USB
// interface does with the host's Bulk-OUT transfers and class requests, behind which an instrument model
// (a SCPI parser) takes whole messages and hands back answers. The same bytes as host.ts, seen from the other
// end (protocols.md §5; USBTMC 1.0 §3.2–3.3 and §4.2, USB488 1.0 §3.2 and §4.3). It can behave like a Rigol
// DS1000Z (header only in the first packet, TransferSize at most 500, EOM always set: python-ivi/python-usbtmc
// pull request #18), and play the faults a real instrument shows: a stalled Bulk-IN, an answer cut short, an
// answer that never comes.
import type { UsbDeviceDescriptor, UsbFunction, UsbReply, UsbSetup } from '../usb/usb-function';
import {
  CAPABILITIES_LENGTH,
  HEADER_SIZE,
  MSG,
  REQUEST,
  REQUEST_TYPE_ENDPOINT,
  REQUEST_TYPE_INTERFACE,
  STATUS,
  USB488_PROTOCOL,
  USBTMC_CLASS,
  USBTMC_PROTOCOL,
  USBTMC_SUBCLASS,
  devDepMsgIn,
  encodeCapabilities,
  parseBulkHeader,
  type UsbtmcCapabilities,
} from './protocol';

/** The instrument behind the interface. */
export interface UsbtmcDeviceInstrument {
  /** One whole message from the host (its DEV_DEP_MSG_OUT transfers up to EOM, joined). */
  message(bytes: Uint8Array): void;
  /** The next answer in the output queue, or null when there is none (yet). */
  response(): Uint8Array | null;
  /** The IEEE 488.2 status byte (READ_STATUS_BYTE); MAV is added when the interface holds an unread answer. */
  statusByte?(): number;
  /** USB488 TRIGGER: the bus's device trigger (*TRG). */
  trigger?(): void;
  /** INITIATE_CLEAR: the device clear (input and output queues emptied). */
  clear?(): void;
}

/** How the answers go out: by the specification, or as a Rigol DS1000Z sends them. */
export type UsbtmcDialect = 'standard' | 'rigol';

export interface UsbtmcDeviceParts {
  vendorId: number;
  productId: number;
  deviceVersion: UsbDeviceDescriptor['deviceVersion'];
  manufacturerName: string;
  productName: string;
  serialNumber: string;
  speed?: 'full' | 'high';
  /** bInterfaceProtocol 1 (USB488: READ_STATUS_BYTE, TRIGGER) or 0 (plain USBTMC). Default USB488. */
  usb488?: boolean;
  /** Endpoint numbers (1..15); interruptIn null for none. */
  endpoints?: { bulkOut: number; bulkIn: number; interruptIn: number | null };
  capabilities?: Partial<UsbtmcCapabilities>;
  dialect?: UsbtmcDialect;
}

/** The faults the interface can play; read at every transfer, so they can be switched on and off live. */
export interface UsbtmcDeviceFaults {
  /** Bulk-IN answers STALL to the next REQUEST_DEV_DEP_MSG_IN (the answer is lost) until the host clears the halt. */
  stall?: boolean;
  /** Every answer is cut short: its header promises TransferSize bytes, a short packet comes after half of them. */
  shortPacket?: boolean;
  /** REQUEST_DEV_DEP_MSG_IN is never answered (the answer is lost); the host must abort. */
  timeout?: boolean;
}

/** The longest message the interface takes (an instrument's input buffer); a longer one halts Bulk-OUT. */
export const MAX_MESSAGE = 1024 * 1024;
/** The most a Rigol puts in TransferSize, whatever it sends (pull request #18). */
export const RIGOL_MAX_TRANSFER_SIZE = 500;
/** The IEEE 488.2 status byte's Message AVailable bit. */
export const STB_MAV = 0x10;

const DEFAULT_CAPABILITIES: UsbtmcCapabilities = {
  bcdUSBTMC: 0x0100,
  indicatorPulse: false,
  talkOnly: false,
  listenOnly: false,
  termChar: false,
  bcdUSB488: 0x0100,
  usb4882: true,
  remoteLocal: false,
  trigger: true,
  scpi: true,
  sr1: true,
  rl1: false,
  dt1: true,
};

interface InWaiter {
  length: number;
  resolve(reply: UsbReply): void;
  reject(error: unknown): void;
  detach(): void;
}

/** An answer on its way out on Bulk-IN: the DEV_DEP_MSG_IN bytes and how far the host has read them. */
interface Outgoing {
  bTag: number;
  bytes: Uint8Array;
  offset: number;
  /** The answer was cut short and the host must see its end as a short packet (a zero-length one if need be). */
  cut: boolean;
}

const ok = (data: Uint8Array): UsbReply => ({ status: 'ok', data });
const STALL: UsbReply = { status: 'stall' };

function u32(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff];
}

export class UsbtmcDeviceFunction implements UsbFunction {
  readonly descriptor: UsbDeviceDescriptor;
  private readonly caps: UsbtmcCapabilities;
  private readonly ep: { bulkOut: number; bulkIn: number; interruptIn: number | null };
  private readonly packetSize: number;
  private readonly dialect: UsbtmcDialect;
  private readonly usb488: boolean;
  /** Payload of the DEV_DEP_MSG_OUT message being received (before its EOM). */
  private incoming: Uint8Array[] = [];
  private lastOutBTag = 0;
  private received = 0;
  /** A REQUEST_DEV_DEP_MSG_IN not answered yet; `lost` when a fault swallowed it. */
  private request: { bTag: number; maxSize: number; lost: boolean } | null = null;
  private outgoing: Outgoing | null = null;
  /** What is left of an answer longer than the TransferSize the host asked for. */
  private remainder: Uint8Array | null = null;
  private readonly waiters: InWaiter[] = [];
  private readonly interruptQueue: Uint8Array[] = [];
  private readonly interruptWaiters: InWaiter[] = [];
  private haltedIn = false;
  private haltedOut = false;
  /** After INITIATE_ABORT_BULK_IN: whether the short packet that ends the transfer is still owed, bytes sent. */
  private abortIn: { shortPacketOwed: boolean; sent: number } | null = null;
  private sentInTransfer = 0;
  /** CHECK_CLEAR_STATUS answers PENDING this many more times (a real clear takes a moment). */
  private clearPending = 0;

  constructor(
    parts: UsbtmcDeviceParts,
    private readonly instrument: UsbtmcDeviceInstrument,
    private readonly faults: () => UsbtmcDeviceFaults = () => ({}),
  ) {
    const speed = parts.speed ?? 'high';
    this.packetSize = speed === 'high' ? 512 : 64;
    this.ep = parts.endpoints ?? { bulkOut: 1, bulkIn: 2, interruptIn: 3 };
    this.usb488 = parts.usb488 ?? true;
    this.dialect = parts.dialect ?? 'standard';
    this.caps = { ...DEFAULT_CAPABILITIES, ...parts.capabilities };
    const endpoints: UsbDeviceDescriptor['interfaces'][number]['endpoints'] = [
      { number: this.ep.bulkOut, direction: 'out', type: 'bulk', packetSize: this.packetSize },
      { number: this.ep.bulkIn, direction: 'in', type: 'bulk', packetSize: this.packetSize },
    ];
    if (this.ep.interruptIn !== null) endpoints.push({ number: this.ep.interruptIn, direction: 'in', type: 'interrupt', packetSize: 8 });
    this.descriptor = {
      vendorId: parts.vendorId,
      productId: parts.productId,
      deviceVersion: parts.deviceVersion,
      deviceClass: 0,
      deviceSubclass: 0,
      deviceProtocol: 0,
      manufacturerName: parts.manufacturerName,
      productName: parts.productName,
      serialNumber: parts.serialNumber,
      speed,
      interfaces: [
        {
          number: 0,
          interfaceClass: USBTMC_CLASS,
          interfaceSubclass: USBTMC_SUBCLASS,
          interfaceProtocol: this.usb488 ? USB488_PROTOCOL : USBTMC_PROTOCOL,
          endpoints,
        },
      ],
    };
  }

  /** Whether Bulk-IN / Bulk-OUT are halted (for tests and the simulator's description). */
  halted(): { in: boolean; out: boolean } {
    return { in: this.haltedIn, out: this.haltedOut };
  }

  // ── Bulk-OUT ───────────────────────────────────────────────────────────────────────────────────────────

  transferOut(endpoint: number, data: Uint8Array): Promise<'ok' | 'stall'> {
    if (endpoint !== this.ep.bulkOut || this.haltedOut) return Promise.resolve('stall');
    let h;
    try {
      h = parseBulkHeader(data);
    } catch {
      // A header whose bTag and bTagInverse disagree must halt Bulk-OUT (USBTMC §3.2.2.3).
      this.haltedOut = true;
      return Promise.resolve('stall');
    }
    this.lastOutBTag = h.bTag;
    switch (h.msgId) {
      case MSG.DEV_DEP_MSG_OUT: {
        if (data.length < HEADER_SIZE + h.transferSize) {
          this.haltedOut = true;
          return Promise.resolve('stall');
        }
        if (this.received + h.transferSize > MAX_MESSAGE) {
          this.incoming = [];
          this.received = 0;
          this.haltedOut = true;
          return Promise.resolve('stall');
        }
        this.incoming.push(data.slice(HEADER_SIZE, HEADER_SIZE + h.transferSize));
        this.received += h.transferSize;
        if (h.attributes & 1) {
          const message = join(this.incoming);
          this.incoming = [];
          this.received = 0;
          // A new command makes an unread answer void (IEEE 488.2 §6.3.2.3, "query interrupted").
          this.outgoing = null;
          this.remainder = null;
          this.instrument.message(message);
          this.pump();
        }
        return Promise.resolve('ok');
      }
      case MSG.DEV_DEP_MSG_IN: {
        this.requested(h.bTag, h.transferSize);
        return Promise.resolve('ok');
      }
      case MSG.USB488_TRIGGER: {
        if (!this.usb488 || !this.caps.trigger) {
          this.haltedOut = true;
          return Promise.resolve('stall');
        }
        this.instrument.trigger?.();
        return Promise.resolve('ok');
      }
      default:
        // VENDOR_SPECIFIC_OUT / REQUEST_VENDOR_SPECIFIC_IN and unknown ids: not supported, halt (USBTMC §3.2.2.3).
        this.haltedOut = true;
        return Promise.resolve('stall');
    }
  }

  private requested(bTag: number, maxSize: number): void {
    const f = this.faults();
    this.abortIn = null;
    this.sentInTransfer = 0;
    if (this.dialect === 'rigol' && this.outgoing) {
      // A Rigol restarts the answer it is sending when asked again (pull request #18, observation 2).
      this.outgoing.offset = 0;
      this.pump();
      return;
    }
    this.outgoing = null;
    if (f.stall || f.timeout) {
      // The answer is lost inside the instrument: take it out of the queue so the next one is not shifted.
      if (!this.remainder) this.instrument.response();
      this.remainder = null;
      if (f.stall) {
        this.haltedIn = true;
        this.request = null;
        this.pump();
      } else {
        this.request = { bTag, maxSize, lost: true };
      }
      return;
    }
    this.request = { bTag, maxSize: Math.max(1, maxSize), lost: false };
    this.pump();
  }

  /** Starts the answer to the pending request when there is one to give. */
  private start(): void {
    const r = this.request;
    if (!r || r.lost) return;
    const source = this.remainder ?? this.instrument.response();
    if (!source) return;
    this.request = null;
    let bytes: Uint8Array;
    let payloadLength: number;
    if (this.dialect === 'rigol') {
      bytes = devDepMsgIn(r.bTag, source, true, Math.min(source.length, RIGOL_MAX_TRANSFER_SIZE));
      payloadLength = source.length;
      this.remainder = null;
    } else {
      const payload = source.subarray(0, r.maxSize);
      this.remainder = source.length > r.maxSize ? source.subarray(r.maxSize) : null;
      bytes = devDepMsgIn(r.bTag, payload, this.remainder === null);
      payloadLength = payload.length;
    }
    const cut = this.faults().shortPacket === true;
    if (cut) bytes = bytes.slice(0, HEADER_SIZE + Math.floor(payloadLength / 2));
    this.outgoing = { bTag: r.bTag, bytes, offset: 0, cut };
  }

  // ── Bulk-IN and Interrupt-IN ───────────────────────────────────────────────────────────────────────────

  transferIn(endpoint: number, length: number, signal: AbortSignal): Promise<UsbReply> {
    if (endpoint === this.ep.interruptIn) return this.wait(this.interruptWaiters, length, signal, () => this.pumpInterrupt());
    if (endpoint !== this.ep.bulkIn) return Promise.resolve(STALL);
    return this.wait(this.waiters, length, signal, () => this.pump());
  }

  private wait(queue: InWaiter[], length: number, signal: AbortSignal, pump: () => void): Promise<UsbReply> {
    return new Promise<UsbReply>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason ?? new Error('transfer cancelled'));
        return;
      }
      const onAbort = () => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
        reject(signal.reason ?? new Error('transfer cancelled'));
      };
      const waiter: InWaiter = {
        length,
        resolve,
        reject,
        detach: () => signal.removeEventListener('abort', onAbort),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
      pump();
    });
  }

  private answer(queue: InWaiter[], reply: UsbReply): void {
    const w = queue.shift()!;
    w.detach();
    w.resolve(reply);
  }

  private pump(): void {
    while (this.waiters.length) {
      if (this.haltedIn) {
        this.answer(this.waiters, STALL);
        continue;
      }
      if (this.abortIn?.shortPacketOwed) {
        this.abortIn.shortPacketOwed = false;
        this.answer(this.waiters, ok(new Uint8Array(0)));
        continue;
      }
      if (!this.outgoing) this.start();
      const o = this.outgoing;
      if (!o) return;
      const length = this.waiters[0]!.length;
      const n = Math.min(length, o.bytes.length - o.offset);
      const data = o.bytes.slice(o.offset, o.offset + n);
      o.offset += n;
      this.sentInTransfer += n;
      // A cut answer that ends exactly where the host's transfer does still owes it a short (zero-length) packet.
      if (o.offset >= o.bytes.length && !(o.cut && n === length && n > 0)) this.outgoing = null;
      this.answer(this.waiters, ok(data));
    }
  }

  private pumpInterrupt(): void {
    while (this.interruptWaiters.length && this.interruptQueue.length) this.answer(this.interruptWaiters, ok(this.interruptQueue.shift()!));
  }

  // ── Control requests ───────────────────────────────────────────────────────────────────────────────────

  control(setup: UsbSetup, _data: Uint8Array | null): Promise<UsbReply> {
    return Promise.resolve(this.classRequest(setup));
  }

  private classRequest(s: UsbSetup): UsbReply {
    const toInterface = s.bmRequestType === REQUEST_TYPE_INTERFACE && (s.wIndex & 0xff) === 0;
    const toBulkIn = s.bmRequestType === REQUEST_TYPE_ENDPOINT && (s.wIndex & 0xff) === (0x80 | this.ep.bulkIn);
    const toBulkOut = s.bmRequestType === REQUEST_TYPE_ENDPOINT && (s.wIndex & 0xff) === this.ep.bulkOut;
    switch (s.bRequest) {
      case REQUEST.GET_CAPABILITIES: {
        if (!toInterface) return STALL;
        const caps = this.usb488 ? this.caps : { ...this.caps, bcdUSB488: 0, usb4882: false, remoteLocal: false, trigger: false, scpi: false, sr1: false, rl1: false, dt1: false };
        return ok(encodeCapabilities(caps).subarray(0, Math.min(CAPABILITIES_LENGTH, s.wLength)));
      }
      case REQUEST.INITIATE_ABORT_BULK_IN:
        return toBulkIn ? ok(this.initiateAbortIn(s.wValue & 0xff)) : STALL;
      case REQUEST.CHECK_ABORT_BULK_IN_STATUS: {
        if (!toBulkIn) return STALL;
        const pending = this.abortIn?.shortPacketOwed === true;
        return ok(Uint8Array.from([pending ? STATUS.PENDING : STATUS.SUCCESS, pending ? 1 : 0, 0, 0, ...u32(this.abortIn?.sent ?? 0)]));
      }
      case REQUEST.INITIATE_ABORT_BULK_OUT: {
        if (!toBulkOut) return STALL;
        const tag = s.wValue & 0xff;
        if (!this.incoming.length) return ok(Uint8Array.from([STATUS.FAILED, tag]));
        if (tag !== this.lastOutBTag) return ok(Uint8Array.from([STATUS.TRANSFER_NOT_IN_PROGRESS, tag]));
        this.incoming = [];
        return ok(Uint8Array.from([STATUS.SUCCESS, tag]));
      }
      case REQUEST.CHECK_ABORT_BULK_OUT_STATUS:
        return toBulkOut ? ok(Uint8Array.from([STATUS.SUCCESS, 0, 0, 0, ...u32(this.received)])) : STALL;
      case REQUEST.INITIATE_CLEAR:
        if (!toInterface) return STALL;
        this.deviceClear();
        return ok(Uint8Array.from([STATUS.SUCCESS]));
      case REQUEST.CHECK_CLEAR_STATUS: {
        if (!toInterface) return STALL;
        if (this.clearPending > 0) {
          this.clearPending--;
          return ok(Uint8Array.from([STATUS.PENDING, 0]));
        }
        return ok(Uint8Array.from([STATUS.SUCCESS, 0]));
      }
      case REQUEST.INDICATOR_PULSE:
        return toInterface && this.caps.indicatorPulse ? ok(Uint8Array.from([STATUS.SUCCESS])) : STALL;
      case REQUEST.READ_STATUS_BYTE: {
        if (!toInterface || !this.usb488) return STALL;
        const tag = s.wValue & 0xff;
        if (tag < 2 || tag > 127) return ok(Uint8Array.from([STATUS.FAILED, tag, 0]));
        const stb = ((this.instrument.statusByte?.() ?? 0) | (this.outgoing || this.remainder ? STB_MAV : 0)) & 0xff;
        if (this.ep.interruptIn === null) return ok(Uint8Array.from([STATUS.SUCCESS, tag, stb]));
        // With an Interrupt-IN endpoint the byte comes there, as [0x80 | bTag, STB] (USB488 §3.4.2).
        this.interruptQueue.push(Uint8Array.from([0x80 | tag, stb]));
        this.pumpInterrupt();
        return ok(Uint8Array.from([STATUS.SUCCESS, tag, 0]));
      }
      case REQUEST.REN_CONTROL:
      case REQUEST.GO_TO_LOCAL:
      case REQUEST.LOCAL_LOCKOUT:
        return toInterface && this.usb488 && this.caps.remoteLocal ? ok(Uint8Array.from([STATUS.SUCCESS])) : STALL;
      default:
        return STALL;
    }
  }

  /** INITIATE_ABORT_BULK_IN (USBTMC §4.2.1.4): [status, bTag]. */
  private initiateAbortIn(tag: number): Uint8Array {
    const current = this.outgoing?.bTag ?? this.request?.bTag ?? null;
    if (current === null) return Uint8Array.from([STATUS.FAILED, tag]);
    if (current !== tag) return Uint8Array.from([STATUS.TRANSFER_NOT_IN_PROGRESS, tag]);
    this.outgoing = null;
    this.request = null;
    this.remainder = null;
    this.abortIn = { shortPacketOwed: true, sent: this.sentInTransfer };
    // The transfer the host is waiting on ends now, with a short packet.
    this.pump();
    return Uint8Array.from([STATUS.SUCCESS, tag]);
  }

  /** INITIATE_CLEAR: both directions emptied, a waiting Bulk-IN transfer ended with a short packet. */
  private deviceClear(): void {
    this.incoming = [];
    this.received = 0;
    this.outgoing = null;
    this.request = null;
    this.remainder = null;
    this.abortIn = null;
    this.instrument.clear?.();
    while (this.waiters.length) this.answer(this.waiters, this.haltedIn ? STALL : ok(new Uint8Array(0)));
    this.clearPending = 1;
  }

  clearHalt(direction: 'in' | 'out', endpoint: number): void {
    if (direction === 'in' && endpoint === this.ep.bulkIn) this.haltedIn = false;
    if (direction === 'out' && endpoint === this.ep.bulkOut) this.haltedOut = false;
  }

  reset(): void {
    this.deviceClear();
    this.clearPending = 0;
    this.haltedIn = false;
    this.haltedOut = false;
    this.lastOutBTag = 0;
    while (this.interruptWaiters.length) this.answer(this.interruptWaiters, ok(new Uint8Array(0)));
    this.interruptQueue.length = 0;
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A USBTMC (USB488 by default) instrument's USB function: `instrument` behind the framing, `faults` read live. */
export function usbtmcFunction(parts: UsbtmcDeviceParts, instrument: UsbtmcDeviceInstrument, faults?: () => UsbtmcDeviceFaults): UsbtmcDeviceFunction {
  return new UsbtmcDeviceFunction(parts, instrument, faults);
}
