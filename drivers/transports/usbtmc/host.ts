// The host side of USBTMC / USB488 over a W3C `USBDevice` (node-usb's WebUSB device, our USB/IP client, or
// an emulated device): find the interface, write messages in DEV_DEP_MSG_OUT transfers, read answers with
// REQUEST_DEV_DEP_MSG_IN until EOM, and recover the way the specification says when the instrument does not
// answer (abort the transfer), stalls an endpoint (clear the halt) or has to be resynchronised (INITIATE_CLEAR).
// Every failure is a UsbtmcError whose message names the step, the bTag and what was done about it.
// Framing: protocols.md §5 and ./protocol.ts; sequences after python-ivi/python-usbtmc `usbtmc/usbtmc.py`
// (T1) and ananswer/webusbtmc `webusbtmc/webusbtmc.js` (T2).
import {
  ATTR_EOM,
  CAPABILITIES_LENGTH,
  HEADER_SIZE,
  MSG,
  REQUEST,
  STATUS,
  USB488_PROTOCOL,
  USBTMC_CLASS,
  USBTMC_SUBCLASS,
  devDepMsgOut,
  nextBTag,
  nextStatusBTag,
  parseBulkHeader,
  parseCapabilities,
  requestDevDepMsgIn,
  statusName,
  usb488Trigger,
  type UsbtmcCapabilities,
} from './protocol';
import { ADVANTEST_VENDOR_ID, blockAnswerLength, quirksFor, type UsbtmcQuirks } from './quirks';

/** What went wrong, for a driver deciding between "degraded" and "gone". */
export type UsbtmcFailure = 'gone' | 'timeout' | 'stall' | 'short-packet' | 'protocol' | 'refused' | 'not-usbtmc' | 'io';

export class UsbtmcError extends Error {
  override name = 'UsbtmcError';
  constructor(
    message: string,
    readonly kind: UsbtmcFailure,
  ) {
    super(message);
  }
}

export interface UsbtmcOptions {
  /** Payload bytes per DEV_DEP_MSG_OUT transfer (T1: 1 MiB). A longer message goes in several, EOM on the last. */
  maxTransferSize?: number;
  /** TransferSize asked for in one REQUEST_DEV_DEP_MSG_IN; a longer answer comes in several, EOM on the last. */
  maxReadSize?: number;
  /** Bytes asked for per Bulk-IN transfer (default: a whole answer at once; T2 asks one packet at a time). */
  inChunkSize?: number;
  /** The quirks to apply, instead of those of the device's vendor and product id (quirks.ts). */
  quirks?: UsbtmcQuirks;
  /** Wait between CHECK_*_STATUS polls while the device says PENDING (T1 sleeps 100 ms; a fast device needs less). */
  pollMs?: number;
}

const MiB = 1024 * 1024;
/** The longest answer `read` accepts unless told otherwise: a scope's deepest memory read in one go. */
export const DEFAULT_MAX_ANSWER = 64 * MiB;
/** Polls of CHECK_ABORT_*_STATUS before the abort is declared stuck (T2 polls 16 times). */
const ABORT_POLLS = 16;

const TIMED_OUT = Symbol('timed out');

/** `p`, or TIMED_OUT after `ms`; the timer never outlives the race. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Did the USB stack say the device is gone (W3C NetworkError, libusb NO_DEVICE)? */
export function isDeviceGone(error: unknown): boolean {
  if (error instanceof UsbtmcError) return error.kind === 'gone';
  if (!(error instanceof Error)) return false;
  return error.name === 'NetworkError' || /NO_DEVICE|device (was )?disconnected|device has been lost/i.test(error.message);
}

function bytesOf(view: DataView | undefined): Uint8Array {
  return view ? new Uint8Array(view.buffer, view.byteOffset, view.byteLength) : new Uint8Array(0);
}

const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;

interface Endpoint {
  number: number;
  packetSize: number;
}

/** One bulk-IN transfer the host is waiting for, and whether it has ended. */
interface PendingIn {
  result: Promise<USBInTransferResult>;
  settled: boolean;
}

export class UsbtmcInstrument {
  readonly quirks: UsbtmcQuirks;
  private interfaceNumber = -1;
  private usb488 = false;
  private bulkIn: Endpoint | null = null;
  private bulkOut: Endpoint | null = null;
  private interruptIn: Endpoint | null = null;
  private caps: UsbtmcCapabilities | null = null;
  private bTag = 0;
  private statusBTag = 1;
  /** A Bulk-IN transfer left running by a failed abort: nothing else can be read until it ends. */
  private stale: PendingIn | null = null;
  private readonly maxTransferSize: number;
  private readonly maxReadSize: number;
  private readonly inChunkSize: number | null;
  private readonly pollMs: number;

  constructor(
    readonly device: USBDevice,
    options: UsbtmcOptions = {},
  ) {
    this.quirks = options.quirks ?? quirksFor(device.vendorId, device.productId);
    this.maxTransferSize = this.quirks.maxTransferSize ?? options.maxTransferSize ?? MiB;
    this.maxReadSize = this.quirks.maxTransferSize ?? options.maxReadSize ?? MiB;
    this.inChunkSize = options.inChunkSize ?? null;
    this.pollMs = options.pollMs ?? 10;
    for (const [name, v] of [['maxTransferSize', this.maxTransferSize], ['maxReadSize', this.maxReadSize], ['inChunkSize', this.inChunkSize ?? 1]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`usbtmc: ${name} must be a whole number of bytes ≥ 1, not ${v}`);
    }
  }

  /** The last bTag used on Bulk-OUT (0 before the first transfer). */
  get lastBTag(): number {
    return this.bTag;
  }

  /** Whether the interface is USB488 (bInterfaceProtocol 1): READ_STATUS_BYTE and TRIGGER. */
  get isUsb488(): boolean {
    return this.usb488;
  }

  private tag(): number {
    this.bTag = nextBTag(this.bTag);
    return this.bTag;
  }

  /** Runs a USB call, turning the stack's rejection into a UsbtmcError that names the step. */
  private async usb<T>(step: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof UsbtmcError) throw error;
      if (isDeviceGone(error)) throw new UsbtmcError(`usbtmc: the device is gone (unplugged) during ${step}: ${messageOf(error)}`, 'gone');
      throw new UsbtmcError(`usbtmc: ${step} failed: ${messageOf(error)}`, 'io');
    }
  }

  /**
   * Open the device, select the configuration that has the USBTMC interface (class 0xFE / 0x03), claim it,
   * find its endpoints, clear the instrument (T1 does on open, so a session starts without what a previous
   * one left behind) and read its capabilities.
   */
  async open(timeoutMs = 2000): Promise<void> {
    const d = this.device;
    if (!d.opened) await this.usb('open', () => d.open());
    let found: { configuration: USBConfiguration; itf: USBInterface; alt: USBAlternateInterface } | null = null;
    for (const configuration of d.configurations) {
      for (const itf of configuration.interfaces) {
        for (const alt of itf.alternates) {
          const usbtmc = alt.interfaceClass === USBTMC_CLASS && alt.interfaceSubclass === USBTMC_SUBCLASS;
          // Advantest instruments do not say they are USBTMC (T1 takes their first interface).
          if (!found && (usbtmc || d.vendorId === ADVANTEST_VENDOR_ID)) found = { configuration, itf, alt };
        }
      }
    }
    const name = `${hex4(d.vendorId)}:${hex4(d.productId)}${d.productName ? ` (${d.productName})` : ''}`;
    if (!found) throw new UsbtmcError(`usbtmc: device ${name} has no USBTMC interface (class 0xFE, subclass 0x03)`, 'not-usbtmc');
    const { configuration, itf, alt } = found;
    if (d.configuration?.configurationValue !== configuration.configurationValue) {
      await this.usb('selectConfiguration', () => d.selectConfiguration(configuration.configurationValue));
    }
    await this.usb(`claimInterface(${itf.interfaceNumber})`, () => d.claimInterface(itf.interfaceNumber));
    if (alt.alternateSetting !== 0) await this.usb('selectAlternateInterface', () => d.selectAlternateInterface(itf.interfaceNumber, alt.alternateSetting));
    this.interfaceNumber = itf.interfaceNumber;
    this.usb488 = alt.interfaceProtocol === USB488_PROTOCOL;
    const ep = (type: USBEndpointType, direction: USBDirection) => {
      const e = alt.endpoints.find((x) => x.type === type && x.direction === direction);
      return e ? { number: e.endpointNumber, packetSize: e.packetSize || 64 } : null;
    };
    this.bulkIn = ep('bulk', 'in');
    this.bulkOut = ep('bulk', 'out');
    this.interruptIn = ep('interrupt', 'in');
    if (!this.bulkIn || !this.bulkOut) {
      throw new UsbtmcError(`usbtmc: interface ${itf.interfaceNumber} of ${name} lacks a ${this.bulkIn ? 'Bulk-OUT' : 'Bulk-IN'} endpoint`, 'not-usbtmc');
    }
    this.stale = null;
    await this.clear(timeoutMs);
    this.caps = await this.capabilities(timeoutMs);
  }

  /** Release the interface and close the device; errors are ignored (it may be gone already). */
  async close(): Promise<void> {
    const d = this.device;
    if (this.interfaceNumber >= 0) await d.releaseInterface(this.interfaceNumber).catch(() => undefined);
    this.interfaceNumber = -1;
    if (d.opened) await d.close().catch(() => undefined);
  }

  private endpoints(): { bulkIn: Endpoint; bulkOut: Endpoint } {
    if (!this.bulkIn || !this.bulkOut) throw new UsbtmcError('usbtmc: the instrument is not open', 'protocol');
    return { bulkIn: this.bulkIn, bulkOut: this.bulkOut };
  }

  // ── Control requests ───────────────────────────────────────────────────────────────────────────────────

  private requestName(request: number): string {
    return Object.entries(REQUEST).find(([, v]) => v === request)?.[0] ?? `request ${request}`;
  }

  private async controlIn(recipient: 'interface' | 'endpoint', request: number, value: number, index: number, length: number, timeoutMs: number): Promise<Uint8Array> {
    const name = this.requestName(request);
    const call = this.usb(name, () => this.device.controlTransferIn({ requestType: 'class', recipient, request, value, index }, length));
    call.catch(() => undefined);
    const r = await within(call, timeoutMs);
    if (r === TIMED_OUT) throw new UsbtmcError(`usbtmc: no answer to ${name} within ${timeoutMs} ms`, 'timeout');
    if (r.status === 'stall') throw new UsbtmcError(`usbtmc: the device refused ${name} (STALL)`, 'refused');
    if (r.status !== 'ok') throw new UsbtmcError(`usbtmc: ${name} ended with ${r.status}`, 'io');
    const data = bytesOf(r.data);
    if (data.length < 1) throw new UsbtmcError(`usbtmc: ${name} answered no bytes`, 'protocol');
    return data;
  }

  /** GET_CAPABILITIES (0x18 bytes), decoded; the USB488 part is zero on a plain USBTMC interface. */
  async capabilities(timeoutMs = 2000): Promise<UsbtmcCapabilities> {
    const b = await this.controlIn('interface', REQUEST.GET_CAPABILITIES, 0, this.interfaceNumber, CAPABILITIES_LENGTH, timeoutMs);
    let caps: UsbtmcCapabilities;
    try {
      caps = parseCapabilities(b);
    } catch (error) {
      throw new UsbtmcError(`usbtmc: ${messageOf(error)}`, 'protocol');
    }
    if (!this.usb488) caps = { ...caps, bcdUSB488: 0, usb4882: false, remoteLocal: false, trigger: false, scpi: false, sr1: false, rl1: false, dt1: false };
    return caps;
  }

  /**
   * INITIATE_CLEAR, CHECK_CLEAR_STATUS while PENDING (reading the Bulk-IN FIFO when it says bytes are
   * queued), then CLEAR_FEATURE(ENDPOINT_HALT) on Bulk-OUT (USBTMC §4.2.1.6–7; T1 `clear`).
   */
  async clear(timeoutMs = 2000): Promise<void> {
    const { bulkIn, bulkOut } = this.endpoints();
    const start = await this.controlIn('interface', REQUEST.INITIATE_CLEAR, 0, this.interfaceNumber, 1, timeoutMs);
    if (start[0] !== STATUS.SUCCESS) throw new UsbtmcError(`usbtmc: INITIATE_CLEAR answered ${statusName(start[0]!)}`, 'refused');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const check = await this.controlIn('interface', REQUEST.CHECK_CLEAR_STATUS, 0, this.interfaceNumber, 2, timeoutMs);
      if (check[0] === STATUS.SUCCESS) break;
      if (check[0] !== STATUS.PENDING) throw new UsbtmcError(`usbtmc: CHECK_CLEAR_STATUS answered ${statusName(check[0]!)}`, 'refused');
      if (Date.now() > deadline) throw new UsbtmcError(`usbtmc: the clear was still PENDING after ${timeoutMs} ms`, 'timeout');
      // bmClear.D0: bytes are still queued on Bulk-IN; read them so the clear can finish.
      if ((check[1] ?? 0) & 1) await this.drainIn(bulkIn, timeoutMs);
      else await sleep(this.pollMs);
    }
    await this.usb('clearHalt(out)', () => this.device.clearHalt('out', bulkOut.number));
    // A transfer a failed abort left running was ended by the clear (the device sends a short packet).
    if (this.stale && !this.stale.settled) await within(this.stale.result, timeoutMs).catch(() => undefined);
    if (this.stale?.settled) this.stale = null;
  }

  /** One Bulk-IN transfer of a packet, to empty what the device still has queued after an abort or a clear. */
  private async drainIn(bulkIn: Endpoint, timeoutMs: number): Promise<void> {
    const call = this.usb('Bulk-IN drain', () => this.device.transferIn(bulkIn.number, bulkIn.packetSize));
    call.catch(() => undefined);
    await within(call, timeoutMs);
  }

  /**
   * USB488 READ_STATUS_BYTE (bTag 2..127): the status byte comes in the control reply, or on the
   * Interrupt-IN endpoint as [0x80 | bTag, STB] when the interface has one. A plain USBTMC interface is asked *STB?.
   */
  async readStatusByte(timeoutMs = 2000): Promise<number> {
    if (!this.usb488) {
      const stb = Number(await this.query('*STB?', timeoutMs));
      if (!Number.isInteger(stb) || stb < 0 || stb > 255) throw new UsbtmcError(`usbtmc: *STB? answered ${stb}, not a status byte`, 'protocol');
      return stb;
    }
    const tag = (this.statusBTag = nextStatusBTag(this.statusBTag));
    const r = await this.controlIn('interface', REQUEST.READ_STATUS_BYTE, tag, this.interfaceNumber, 3, timeoutMs);
    if (r[0] !== STATUS.SUCCESS) throw new UsbtmcError(`usbtmc: READ_STATUS_BYTE answered ${statusName(r[0]!)}`, 'refused');
    if (r[1] !== tag) throw new UsbtmcError(`usbtmc: READ_STATUS_BYTE answered bTag ${r[1]}, asked with ${tag}`, 'protocol');
    const interrupt = this.interruptIn;
    if (!interrupt) {
      if (r.length < 3) throw new UsbtmcError(`usbtmc: READ_STATUS_BYTE answered ${r.length} bytes, expected 3`, 'protocol');
      return r[2]!;
    }
    const call = this.usb('Interrupt-IN', () => this.device.transferIn(interrupt.number, interrupt.packetSize));
    call.catch(() => undefined);
    const n = await within(call, timeoutMs);
    if (n === TIMED_OUT) throw new UsbtmcError(`usbtmc: no status byte on Interrupt-IN within ${timeoutMs} ms (bTag ${tag})`, 'timeout');
    const b = bytesOf(n.data);
    if (n.status !== 'ok' || b.length < 2) throw new UsbtmcError(`usbtmc: Interrupt-IN answered ${n.status} with ${b.length} bytes for READ_STATUS_BYTE`, 'protocol');
    if (b[0] !== (0x80 | tag)) throw new UsbtmcError(`usbtmc: Interrupt-IN notification 0x${b[0]!.toString(16)} is not for READ_STATUS_BYTE bTag ${tag}`, 'protocol');
    return b[1]!;
  }

  // ── Bulk transfers ─────────────────────────────────────────────────────────────────────────────────────

  /** One Bulk-OUT transfer; a timeout aborts it (INITIATE_ABORT_BULK_OUT), a STALL clears the halt. */
  private async out(frame: Uint8Array, step: string, bTag: number, timeoutMs: number): Promise<void> {
    const { bulkOut } = this.endpoints();
    const call = this.usb(step, () => this.device.transferOut(bulkOut.number, frame));
    call.catch(() => undefined);
    const r = await within(call, timeoutMs);
    if (r === TIMED_OUT) {
      const what = await this.abortBulkOut(bTag, timeoutMs).then(
        () => 'aborted',
        (e: unknown) => `the abort failed too: ${messageOf(e)}`,
      );
      throw new UsbtmcError(`usbtmc: ${step} (bTag ${bTag}) not taken within ${timeoutMs} ms; ${what}`, 'timeout');
    }
    if (r.status === 'stall') {
      await this.usb('clearHalt(out)', () => this.device.clearHalt('out', bulkOut.number));
      throw new UsbtmcError(`usbtmc: Bulk-OUT endpoint ${bulkOut.number} stalled on ${step} (bTag ${bTag}); halt cleared`, 'stall');
    }
    if (r.status !== 'ok') throw new UsbtmcError(`usbtmc: ${step} (bTag ${bTag}) ended with ${r.status}`, 'io');
  }

  /** One Bulk-IN transfer of at most `length` bytes; a timeout aborts it (INITIATE_ABORT_BULK_IN), a STALL clears the halt. */
  private async in(length: number, step: string, bTag: number, timeoutMs: number): Promise<{ bytes: Uint8Array; short: boolean }> {
    const { bulkIn } = this.endpoints();
    if (this.stale && !this.stale.settled) {
      throw new UsbtmcError('usbtmc: an earlier Bulk-IN transfer is still outstanding (its abort did not end it); the instrument must be cleared', 'protocol');
    }
    const pending: PendingIn = { result: this.usb(step, () => this.device.transferIn(bulkIn.number, length)), settled: false };
    pending.result.then(
      () => (pending.settled = true),
      () => (pending.settled = true),
    );
    const r = await within(pending.result, timeoutMs);
    if (r === TIMED_OUT) {
      const what = await this.abortBulkIn(bTag, pending, timeoutMs).then(
        () => 'aborted',
        (e: unknown) => `the abort failed too: ${messageOf(e)}`,
      );
      if (!pending.settled) this.stale = pending;
      throw new UsbtmcError(`usbtmc: no reply to ${step} within ${timeoutMs} ms (bTag ${bTag}); ${what}`, 'timeout');
    }
    if (r.status === 'stall') {
      await this.usb('clearHalt(in)', () => this.device.clearHalt('in', bulkIn.number));
      throw new UsbtmcError(`usbtmc: Bulk-IN endpoint ${bulkIn.number} stalled answering ${step} (bTag ${bTag}); halt cleared`, 'stall');
    }
    if (r.status !== 'ok') throw new UsbtmcError(`usbtmc: Bulk-IN answering ${step} (bTag ${bTag}) ended with ${r.status}`, 'io');
    const bytes = bytesOf(r.data);
    return { bytes, short: bytes.length < length };
  }

  /**
   * INITIATE_ABORT_BULK_IN for `bTag`: on SUCCESS the device ends the running transfer with a short packet,
   * then CHECK_ABORT_BULK_IN_STATUS is polled while PENDING, reading what is still queued (bmAbortBulkIn.D0).
   * FAILED / TRANSFER_NOT_IN_PROGRESS: the device had nothing running under that bTag (USBTMC §4.2.1.4–5; T1, T2).
   */
  private async abortBulkIn(bTag: number, pending: PendingIn, timeoutMs: number): Promise<void> {
    const { bulkIn } = this.endpoints();
    const address = 0x80 | bulkIn.number;
    const start = await this.controlIn('endpoint', REQUEST.INITIATE_ABORT_BULK_IN, bTag, address, 2, timeoutMs);
    if (start[0] !== STATUS.SUCCESS) throw new Error(`INITIATE_ABORT_BULK_IN answered ${statusName(start[0]!)}`);
    if ((await within(pending.result.catch(() => null), timeoutMs)) === TIMED_OUT) {
      throw new Error('the device did not end the aborted transfer with a short packet');
    }
    for (let i = 0; i < ABORT_POLLS; i++) {
      const check = await this.controlIn('endpoint', REQUEST.CHECK_ABORT_BULK_IN_STATUS, 0, address, 8, timeoutMs);
      if (check[0] !== STATUS.PENDING) {
        if (check[0] !== STATUS.SUCCESS) throw new Error(`CHECK_ABORT_BULK_IN_STATUS answered ${statusName(check[0]!)}`);
        return;
      }
      if ((check[1] ?? 0) & 1) await this.drainIn(bulkIn, timeoutMs);
      else await sleep(this.pollMs);
    }
    throw new Error(`CHECK_ABORT_BULK_IN_STATUS still PENDING after ${ABORT_POLLS} polls`);
  }

  /** INITIATE_ABORT_BULK_OUT, CHECK_ABORT_BULK_OUT_STATUS while PENDING, then clear the Bulk-OUT halt. */
  private async abortBulkOut(bTag: number, timeoutMs: number): Promise<void> {
    const { bulkOut } = this.endpoints();
    const start = await this.controlIn('endpoint', REQUEST.INITIATE_ABORT_BULK_OUT, bTag, bulkOut.number, 2, timeoutMs);
    if (start[0] !== STATUS.SUCCESS) throw new Error(`INITIATE_ABORT_BULK_OUT answered ${statusName(start[0]!)}`);
    for (let i = 0; i < ABORT_POLLS; i++) {
      const check = await this.controlIn('endpoint', REQUEST.CHECK_ABORT_BULK_OUT_STATUS, 0, bulkOut.number, 8, timeoutMs);
      if (check[0] !== STATUS.PENDING) {
        if (check[0] !== STATUS.SUCCESS) throw new Error(`CHECK_ABORT_BULK_OUT_STATUS answered ${statusName(check[0]!)}`);
        await this.usb('clearHalt(out)', () => this.device.clearHalt('out', bulkOut.number));
        return;
      }
      await sleep(this.pollMs);
    }
    throw new Error(`CHECK_ABORT_BULK_OUT_STATUS still PENDING after ${ABORT_POLLS} polls`);
  }

  // ── Messages ───────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Send one message: a string gets its "\n" terminator if it has none; bytes go as they are. It is split
   * into DEV_DEP_MSG_OUT transfers of at most maxTransferSize payload bytes, EOM on the last only.
   */
  async write(message: string | Uint8Array, timeoutMs = 2000): Promise<void> {
    const bytes = typeof message === 'string' ? new TextEncoder().encode(message.endsWith('\n') ? message : `${message}\n`) : message;
    if (bytes.length === 0) throw new RangeError('usbtmc: an empty message cannot be sent');
    for (let offset = 0; offset < bytes.length; offset += this.maxTransferSize) {
      const chunk = bytes.subarray(offset, offset + this.maxTransferSize);
      const eom = offset + chunk.length >= bytes.length;
      const bTag = this.tag();
      await this.out(devDepMsgOut(bTag, chunk, eom), 'DEV_DEP_MSG_OUT', bTag, timeoutMs);
    }
  }

  /**
   * Read one answer: REQUEST_DEV_DEP_MSG_IN, then DEV_DEP_MSG_IN transfers until EOM, each spanning as many
   * Bulk-IN packets as its TransferSize needs. A transfer that ends (short packet) before TransferSize bytes
   * are in is an error, and so is an answer longer than `maxBytes`.
   */
  async read(timeoutMs = 2000, maxBytes = DEFAULT_MAX_ANSWER): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const room = maxBytes - total;
      if (room <= 0) throw new UsbtmcError(`usbtmc: the answer is longer than the ${maxBytes} bytes allowed`, 'protocol');
      const ask = Math.min(this.maxReadSize, room);
      const bTag = this.tag();
      await this.out(requestDevDepMsgIn(bTag, ask), 'REQUEST_DEV_DEP_MSG_IN', bTag, timeoutMs);
      const { payload, eom } = await this.receive(bTag, ask, timeoutMs);
      parts.push(payload);
      total += payload.length;
      // A Rigol answers a request once, whole (a second request would restart it); an Advantest never says EOM.
      if (eom || this.quirks.neverEom || this.quirks.headerOnlyInFirstPacket) break;
    }
    if (total > maxBytes) throw new UsbtmcError(`usbtmc: the answer is longer than the ${maxBytes} bytes allowed`, 'protocol');
    if (parts.length === 1) return parts[0]!;
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  }

  /** One DEV_DEP_MSG_IN: its header, then Bulk-IN transfers until TransferSize bytes are in. */
  private async receive(bTag: number, ask: number, timeoutMs: number): Promise<{ payload: Uint8Array; eom: boolean }> {
    const { bulkIn } = this.endpoints();
    const step = 'REQUEST_DEV_DEP_MSG_IN';
    const chunk = (wanted: number) => roundUp(Math.min(wanted, this.inChunkSize ?? wanted), bulkIn.packetSize);
    // Header, payload and up to 3 bytes of alignment padding (T1 reads read_len + 12 + 3).
    const firstLength = chunk(HEADER_SIZE + ask + 3);
    const first = await this.in(firstLength, step, bTag, timeoutMs);
    if (first.bytes.length < HEADER_SIZE) {
      throw new UsbtmcError(`usbtmc: DEV_DEP_MSG_IN (bTag ${bTag}) of ${first.bytes.length} bytes is shorter than its ${HEADER_SIZE}-byte header`, 'short-packet');
    }
    let h;
    try {
      h = parseBulkHeader(first.bytes);
    } catch (error) {
      throw new UsbtmcError(`usbtmc: bad DEV_DEP_MSG_IN header (bTag ${bTag}): ${messageOf(error)}`, 'protocol');
    }
    if (h.msgId !== MSG.DEV_DEP_MSG_IN) throw new UsbtmcError(`usbtmc: Bulk-IN MsgID ${h.msgId} where DEV_DEP_MSG_IN (2) was expected (bTag ${bTag})`, 'protocol');
    if (h.bTag !== bTag) throw new UsbtmcError(`usbtmc: DEV_DEP_MSG_IN carries bTag ${h.bTag}, the request was bTag ${bTag}`, 'protocol');
    const body = first.bytes.subarray(HEADER_SIZE);
    let size = h.transferSize;
    if (this.quirks.blockLengthFromBlock) size = blockAnswerLength(body) ?? size;
    if (size > ask && !this.quirks.headerOnlyInFirstPacket) {
      throw new UsbtmcError(`usbtmc: DEV_DEP_MSG_IN (bTag ${bTag}) claims ${size} bytes, ${ask} were asked for`, 'protocol');
    }
    const payload = new Uint8Array(size);
    let have = Math.min(body.length, size);
    payload.set(body.subarray(0, have));
    let short = first.short;
    while (have < size) {
      if (short) {
        throw new UsbtmcError(`usbtmc: short packet: DEV_DEP_MSG_IN (bTag ${bTag}) ended after ${have} of ${size} bytes`, 'short-packet');
      }
      const wanted = chunk(size - have + 3);
      const more = await this.in(wanted, step, bTag, timeoutMs);
      const take = Math.min(more.bytes.length, size - have);
      payload.set(more.bytes.subarray(0, take), have);
      have += take;
      short = more.short;
    }
    return { payload, eom: (h.attributes & ATTR_EOM) !== 0 };
  }

  /** Write `command` and read its answer as text, without the trailing "\n" / "\r\n". */
  async query(command: string, timeoutMs = 2000): Promise<string> {
    await this.write(command, timeoutMs);
    return new TextDecoder().decode(await this.read(timeoutMs)).replace(/\r?\n$/, '');
  }

  /** Write `command` and read its answer as bytes (binary blocks). */
  async queryBytes(command: string, timeoutMs = 2000, maxBytes = DEFAULT_MAX_ANSWER): Promise<Uint8Array> {
    await this.write(command, timeoutMs);
    return this.read(timeoutMs, maxBytes);
  }

  /** USB488 TRIGGER on Bulk-OUT when the interface accepts it (GET_CAPABILITIES), else the *TRG command (T1). */
  async trigger(timeoutMs = 2000): Promise<void> {
    if (this.caps?.trigger) {
      const bTag = this.tag();
      await this.out(usb488Trigger(bTag), 'TRIGGER', bTag, timeoutMs);
    } else {
      await this.write('*TRG', timeoutMs);
    }
  }

  /** The capabilities read at open (null before). */
  capabilitiesAtOpen(): UsbtmcCapabilities | null {
    return this.caps;
  }
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
