// A USB/IP client in user space: imports a device exported by a Linux `usbipd` or by our UsbipServer and
// gives it to a driver as a W3C USBDevice whose transfers are URBs on the TCP connection (what Linux's
// vhci-hcd does in the kernel; protocol: usbip-protocol.ts, Linux Documentation/usb/usbip_protocol.rst).
// The descriptors are read from the device with GET_DESCRIPTOR, so nothing here assumes our own server.
// close() ends the connection (the server frees the device for other clients) and open() imports it again;
// a connection that drops (device unplugged, server gone) fails every pending and later transfer with
// NetworkError, as a real unplug does.
import { createConnection, type Socket } from 'node:net';
import {
  configurationTotalLength,
  DESCRIPTOR_CONFIGURATION,
  DESCRIPTOR_DEVICE,
  DESCRIPTOR_STRING,
  hex4,
  parseConfigurationDescriptor,
  parseDeviceDescriptor,
  parseLanguageIds,
  parseStringDescriptor,
  type UsbConfigurationLayout,
  type UsbDeviceLayout,
} from './descriptors';
import { GET_DESCRIPTOR } from './standard-requests';
import type { UsbSetup } from './usb-function';
import {
  ECONNRESET,
  encodeUsbip,
  ENOENT,
  EOVERFLOW,
  EPIPE,
  NOT_ISO,
  setupBytes,
  ST_OK,
  URB_DIR_IN,
  USB_SPEED,
  UsbipDecoder,
  USBIP_DIR_IN,
  USBIP_DIR_OUT,
  type UsbipDeviceRecord,
  type UsbipMessage,
} from './usbip-protocol';
import { usbError, WebUsbDevice, type PipeReply, type UsbPipe } from './webusb-device';

export interface UsbipClientOptions {
  /** Limit for connecting, for the op exchange and for each descriptor read of the import (default 3000 ms). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 3000;

type RetSubmit = Extract<UsbipMessage, { kind: 'RET_SUBMIT' }>;

interface Submission {
  direction: 'in' | 'out';
  resolve: (ret: RetSubmit) => void;
  reject: (error: Error) => void;
  /** Unlinked by the client: its RET_SUBMIT, if one still comes, is dropped. */
  unlinked: boolean;
}

/** One TCP connection to a USB/IP server: the op exchange, then URBs. */
class UsbipConnection {
  private readonly decoder: UsbipDecoder;
  private opWaiter: { resolve: (m: UsbipMessage) => void; reject: (e: Error) => void } | null = null;
  private readonly submissions = new Map<number, Submission>();
  /** seqnum of a CMD_UNLINK → seqnum of the URB it unlinks */
  private readonly unlinks = new Map<number, number>();
  private seqnum = 0;
  private closedBy: string | null = null;
  private voluntary = false;
  /** Called once when the connection ends without end() (server gone, device unplugged, protocol error). */
  onDrop: (reason: string) => void = () => {};
  devid = 0;

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
  ) {
    this.decoder = new UsbipDecoder('client', { directionOf: (seqnum) => this.submissions.get(seqnum)?.direction });
    socket.on('data', (chunk: Buffer) => {
      let messages: UsbipMessage[];
      try {
        messages = this.decoder.push(chunk);
      } catch (error) {
        this.finish(`protocol error: ${(error as Error).message}`);
        return;
      }
      for (const m of messages) this.receive(m);
    });
    socket.on('error', (error) => this.finish(error.message));
    socket.on('close', () => this.finish('connection closed by the server'));
  }

  static connect(host: string, port: number, timeoutMs: number): Promise<UsbipConnection> {
    const address = `usbip ${host}:${port}`;
    return new Promise((resolve, reject) => {
      const socket = createConnection({ host, port });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${address}: no connection within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve(new UsbipConnection(socket, address));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`${address}: cannot connect: ${error.message}`));
      });
    });
  }

  get closed(): boolean {
    return this.closedBy !== null;
  }

  /** Sends an op request and waits for its reply. */
  request(m: UsbipMessage, timeoutMs: number): Promise<UsbipMessage> {
    if (this.closedBy) return Promise.reject(new Error(`${this.address}: ${this.closedBy}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.opWaiter = null;
        reject(new Error(`${this.address}: no answer to ${m.kind} within ${timeoutMs} ms`));
        this.end();
      }, timeoutMs);
      this.opWaiter = {
        resolve: (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.socket.write(encodeUsbip(m));
    });
  }

  /**
   * Submits one URB. An abort of `signal` sends CMD_UNLINK and rejects at once with the abort reason (the
   * server answers RET_UNLINK and, if it was still pending, sends no RET_SUBMIT).
   */
  submit(urb: { ep: number; direction: 'in' | 'out'; length: number; data: Uint8Array; setup: Uint8Array; interval: number }, signal: AbortSignal): Promise<RetSubmit> {
    if (this.closedBy) return Promise.reject(usbError('NetworkError', `${this.address}: ${this.closedBy}`));
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const seqnum = this.nextSeqnum();
    return new Promise<RetSubmit>((resolve, reject) => {
      const submission: Submission = { direction: urb.direction, resolve, reject, unlinked: false };
      this.submissions.set(seqnum, submission);
      const onAbort = () => {
        if (this.submissions.get(seqnum) !== submission || submission.unlinked) return;
        submission.unlinked = true;
        reject(signal.reason as Error);
        if (this.closedBy) return;
        const unlinkSeqnum = this.nextSeqnum();
        this.unlinks.set(unlinkSeqnum, seqnum);
        this.socket.write(encodeUsbip({ kind: 'CMD_UNLINK', seqnum: unlinkSeqnum, devid: this.devid, direction: USBIP_DIR_OUT, ep: 0, unlinkSeqnum: seqnum }));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      submission.resolve = (ret) => {
        signal.removeEventListener('abort', onAbort);
        resolve(ret);
      };
      this.socket.write(
        encodeUsbip({
          kind: 'CMD_SUBMIT',
          seqnum,
          devid: this.devid,
          direction: urb.direction === 'in' ? USBIP_DIR_IN : USBIP_DIR_OUT,
          ep: urb.ep,
          transferFlags: urb.direction === 'in' ? URB_DIR_IN : 0,
          transferBufferLength: urb.length,
          startFrame: 0,
          numberOfPackets: NOT_ISO,
          interval: urb.interval,
          setup: urb.setup,
          data: urb.direction === 'out' ? urb.data : new Uint8Array(0),
        }),
      );
    });
  }

  /** Ends the connection on purpose: no onDrop. */
  end(): void {
    this.voluntary = true;
    this.socket.destroy();
    this.finish('connection closed by the client');
  }

  private nextSeqnum(): number {
    this.seqnum = (this.seqnum + 1) >>> 0 || 1;
    return this.seqnum;
  }

  private receive(m: UsbipMessage): void {
    switch (m.kind) {
      case 'OP_REP_DEVLIST':
      case 'OP_REP_IMPORT': {
        const waiter = this.opWaiter;
        this.opWaiter = null;
        waiter?.resolve(m);
        return;
      }
      case 'RET_SUBMIT': {
        const submission = this.submissions.get(m.seqnum);
        this.submissions.delete(m.seqnum);
        if (submission && !submission.unlinked) submission.resolve(m);
        return;
      }
      case 'RET_UNLINK': {
        const unlinked = this.unlinks.get(m.seqnum);
        this.unlinks.delete(m.seqnum);
        // -ECONNRESET: it was still pending and no RET_SUBMIT will come; 0: its RET_SUBMIT came already.
        if (unlinked !== undefined) this.submissions.delete(unlinked);
        return;
      }
      default:
        this.finish(`protocol error: a server does not send ${m.kind}`);
    }
  }

  private finish(reason: string): void {
    if (this.closedBy) return;
    this.closedBy = reason;
    this.socket.destroy();
    const error = usbError('NetworkError', `${this.address}: ${reason}`);
    this.opWaiter?.reject(new Error(`${this.address}: ${reason} before the reply`));
    this.opWaiter = null;
    for (const s of this.submissions.values()) if (!s.unlinked) s.reject(error);
    this.submissions.clear();
    this.unlinks.clear();
    if (!this.voluntary) this.onDrop(reason);
  }
}

/** A line per device for messages: `1-1 (1234:abcd)`. */
const describeRecord = (d: UsbipDeviceRecord) => `${d.busid} (${hex4(d.idVendor)}:${hex4(d.idProduct)})`;

/** The devices a USB/IP server exports (OP_REQ_DEVLIST). Devices imported by a client are not listed by Linux. */
export async function listUsbipDevices(host: string, port: number, options: UsbipClientOptions = {}): Promise<UsbipDeviceRecord[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const connection = await UsbipConnection.connect(host, port, timeoutMs);
  try {
    const reply = await connection.request({ kind: 'OP_REQ_DEVLIST' }, timeoutMs);
    if (reply.kind !== 'OP_REP_DEVLIST') throw new Error(`${connection.address}: answered OP_REQ_DEVLIST with ${reply.kind}`);
    if (reply.status !== ST_OK) throw new Error(`${connection.address}: refused the device list (status ${reply.status})`);
    return reply.devices;
  } finally {
    connection.end();
  }
}

/** Moves the transfers of a WebUsbDevice as URBs on a connection, and imports again after a close(). */
class UsbipPipe implements UsbPipe {
  /** Set once the device exists: how a dropped connection reaches it. */
  onDrop: (reason: string) => void = () => {};
  layout: UsbDeviceLayout | null = null;

  constructor(
    private connection: UsbipConnection,
    private record: UsbipDeviceRecord,
    private readonly host: string,
    private readonly port: number,
    private readonly busid: string,
    private readonly timeoutMs: number,
  ) {
    this.watch(connection);
  }

  private watch(connection: UsbipConnection): void {
    connection.devid = ((this.record.busnum & 0xffff) << 16) | (this.record.devnum & 0xffff);
    connection.onDrop = (reason) => this.onDrop(reason);
  }

  async open(): Promise<void> {
    if (!this.connection.closed) return;
    const { connection, record } = await importOver(this.host, this.port, this.busid, this.timeoutMs);
    if (record.idVendor !== this.record.idVendor || record.idProduct !== this.record.idProduct) {
      connection.end();
      throw usbError('NotFoundError', `${connection.address} bus ${this.busid}: now exports ${hex4(record.idVendor)}:${hex4(record.idProduct)}, not ${hex4(this.record.idVendor)}:${hex4(this.record.idProduct)}`);
    }
    this.connection = connection;
    this.record = record;
    this.watch(connection);
  }

  async close(): Promise<void> {
    this.connection.end();
  }

  private interval(ep: number, direction: 'in' | 'out'): number {
    // Linux refuses an interrupt URB without an interval; it is in frames (full speed) or microframes (high speed).
    for (const c of this.layout?.configurations ?? []) {
      for (const i of c.interfaces) {
        for (const a of i.alternates) {
          const e = a.endpoints.find((x) => x.endpointNumber === ep && x.direction === direction);
          if (e?.type === 'interrupt') {
            const b = Math.max(1, e.interval ?? 1);
            return this.record.speed >= USB_SPEED.high ? 1 << (Math.min(b, 16) - 1) : b;
          }
        }
      }
    }
    return 0;
  }

  async control(setup: UsbSetup, data: Uint8Array | null, signal: AbortSignal): Promise<PipeReply> {
    const direction = setup.bmRequestType & 0x80 ? 'in' : 'out';
    const ret = await this.connection.submit({ ep: 0, direction, length: direction === 'in' ? setup.wLength : (data?.length ?? 0), data: data ?? new Uint8Array(0), setup: setupBytes(setup), interval: 0 }, signal);
    return reply(ret, `control request ${setup.bRequest}`);
  }

  async transferIn(endpoint: number, length: number, signal: AbortSignal): Promise<PipeReply> {
    const ret = await this.connection.submit({ ep: endpoint, direction: 'in', length, data: new Uint8Array(0), setup: new Uint8Array(8), interval: this.interval(endpoint, 'in') }, signal);
    return reply(ret, `transfer on in(${endpoint})`);
  }

  async transferOut(endpoint: number, data: Uint8Array, signal: AbortSignal): Promise<'ok' | 'stall'> {
    const ret = await this.connection.submit({ ep: endpoint, direction: 'out', length: data.length, data, setup: new Uint8Array(8), interval: this.interval(endpoint, 'out') }, signal);
    const r = reply(ret, `transfer on out(${endpoint})`);
    return r.status === 'stall' ? 'stall' : 'ok';
  }

  async reset(): Promise<void> {
    // SET_FEATURE(PORT_RESET) to the port: Linux's stub (drivers/usb/usbip/stub_rx.c) resets the device on it.
    const ret = await this.connection.submit(
      { ep: 0, direction: 'out', length: 0, data: new Uint8Array(0), setup: setupBytes({ bmRequestType: 0x23, bRequest: 3, wValue: 4, wIndex: 0, wLength: 0 }), interval: 0 },
      new AbortController().signal,
    );
    if (ret.status !== 0) throw new Error(`device reset failed (URB status ${ret.status})`);
  }
}

/** A RET_SUBMIT as a pipe reply: -EPIPE is a stall, other errors are transfer errors. */
function reply(ret: RetSubmit, what: string): PipeReply {
  if (ret.status === 0) return { status: 'ok', data: ret.data };
  if (ret.status === -EPIPE) return { status: 'stall' };
  if (ret.status === -EOVERFLOW) return { status: 'babble', data: ret.data };
  const name = ret.status === -ENOENT ? ' (no such endpoint)' : ret.status === -ECONNRESET ? ' (unlinked)' : '';
  throw new Error(`${what}: URB status ${ret.status}${name}`);
}

/** Connects and imports `busid`; on a refusal, says which bus ids the server does export. */
async function importOver(host: string, port: number, busid: string, timeoutMs: number): Promise<{ connection: UsbipConnection; record: UsbipDeviceRecord }> {
  const connection = await UsbipConnection.connect(host, port, timeoutMs);
  let answer: UsbipMessage;
  try {
    answer = await connection.request({ kind: 'OP_REQ_IMPORT', busid }, timeoutMs);
  } catch (error) {
    connection.end();
    throw error;
  }
  if (answer.kind === 'OP_REP_IMPORT' && answer.status === ST_OK && answer.device) {
    if (answer.device.busid !== busid) {
      connection.end();
      throw new Error(`${connection.address}: asked for bus ${busid}, the server imported ${answer.device.busid}`);
    }
    return { connection, record: answer.device };
  }
  connection.end();
  const status = answer.kind === 'OP_REP_IMPORT' ? answer.status : -1;
  let exported: UsbipDeviceRecord[] | null = null;
  try {
    exported = await listUsbipDevices(host, port, { timeoutMs });
  } catch {
    // the refusal is the news; the list only helps to explain it
  }
  if (exported === null) throw new Error(`${connection.address}: refused to export bus ${busid} (status ${status})`);
  if (exported.some((d) => d.busid === busid)) throw new Error(`${connection.address}: bus ${busid} is exported but refused the import (status ${status}: busy?)`);
  throw new Error(`${connection.address}: bus ${busid} is not exported (exported: ${exported.map(describeRecord).join(', ') || 'none'})`);
}

/** A GET_DESCRIPTOR through the pipe, before the device exists. */
async function getDescriptor(pipe: UsbipPipe, type: number, index: number, langId: number, length: number, timeoutMs: number, address: string): Promise<Uint8Array | null> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`${address}: no answer to GET_DESCRIPTOR within ${timeoutMs} ms`)), timeoutMs);
  try {
    const r = await pipe.control({ bmRequestType: 0x80, bRequest: GET_DESCRIPTOR, wValue: (type << 8) | index, wIndex: langId, wLength: length }, null, controller.signal);
    return r.status === 'stall' ? null : r.data;
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the descriptors of the imported device (device, every configuration, the strings) into a layout. */
async function readLayout(pipe: UsbipPipe, record: UsbipDeviceRecord, timeoutMs: number, address: string): Promise<UsbDeviceLayout> {
  const get = (type: number, index: number, langId: number, length: number) => getDescriptor(pipe, type, index, langId, length, timeoutMs, address);
  const deviceBytes = await get(DESCRIPTOR_DEVICE, 0, 0, 18);
  if (!deviceBytes) throw new Error(`${address}: the device stalled GET_DESCRIPTOR(DEVICE)`);
  const device = parseDeviceDescriptor(deviceBytes);
  const parsed = [];
  for (let i = 0; i < device.numConfigurations; i++) {
    const head = await get(DESCRIPTOR_CONFIGURATION, i, 0, 9);
    if (!head) throw new Error(`${address}: the device stalled GET_DESCRIPTOR(CONFIGURATION ${i})`);
    const full = await get(DESCRIPTOR_CONFIGURATION, i, 0, configurationTotalLength(head));
    if (!full) throw new Error(`${address}: the device stalled GET_DESCRIPTOR(CONFIGURATION ${i})`);
    parsed.push(parseConfigurationDescriptor(full));
  }
  const languages = (await get(DESCRIPTOR_STRING, 0, 0, 255).catch(() => null)) ?? null;
  const langId = languages ? (parseLanguageIds(languages)[0] ?? 0x0409) : null;
  const text = async (index: number): Promise<string | null> => {
    if (index === 0 || langId === null) return null;
    const b = await get(DESCRIPTOR_STRING, index, langId, 255);
    return b ? parseStringDescriptor(b) : null;
  };
  const configurations: UsbConfigurationLayout[] = [];
  for (const c of parsed) {
    const layout = c.layout;
    layout.configurationName = await text(c.configurationNameIndex);
    for (const itf of layout.interfaces) {
      for (const alt of itf.alternates) alt.interfaceName = await text(c.interfaceNameIndexes.get(`${itf.interfaceNumber}/${alt.alternateSetting}`) ?? 0);
    }
    configurations.push(layout);
  }
  if (device.vendorId !== record.idVendor || device.productId !== record.idProduct) {
    throw new Error(`${address}: the device descriptor says ${hex4(device.vendorId)}:${hex4(device.productId)}, the import reply ${hex4(record.idVendor)}:${hex4(record.idProduct)}`);
  }
  return {
    usbVersion: device.usbVersion,
    deviceClass: device.deviceClass,
    deviceSubclass: device.deviceSubclass,
    deviceProtocol: device.deviceProtocol,
    vendorId: device.vendorId,
    productId: device.productId,
    deviceVersion: device.deviceVersion,
    manufacturerName: await text(device.manufacturerIndex),
    productName: await text(device.productIndex),
    serialNumber: await text(device.serialNumberIndex),
    configurations,
  };
}

/**
 * Imports the device exported as `busid` by the USB/IP server at host:port and returns it as a USBDevice
 * (not yet opened). Throws a readable error when the server is unreachable, or the bus id is not exported
 * (listing those that are), or the device does not answer its descriptors.
 */
export async function importUsbipDevice(host: string, port: number, busid: string, options: UsbipClientOptions = {}): Promise<USBDevice> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { connection, record } = await importOver(host, port, busid, timeoutMs);
  const pipe = new UsbipPipe(connection, record, host, port, busid, timeoutMs);
  const label = `usbip ${host}:${port} bus ${busid}`;
  let layout: UsbDeviceLayout;
  try {
    layout = await readLayout(pipe, record, timeoutMs, label);
  } catch (error) {
    connection.end();
    throw error;
  }
  pipe.layout = layout;
  const device = new WebUsbDevice(layout, pipe, label, record.bConfigurationValue);
  pipe.onDrop = (reason) => device.disconnected(reason);
  if (connection.closed) device.disconnected('connection closed by the server');
  return device;
}
