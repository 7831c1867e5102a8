// A USB/IP server (what Linux `usbipd` is) that exports UsbFunctions instead of real devices, so a device
// simulator in its own process looks to the app like a USB device exported over the network. Protocol:
// usbip-protocol.ts (Linux Documentation/usb/usbip_protocol.rst). The device side of each URB is the one a
// Linux stub driver (drivers/usb/usbip/stub_rx.c) gives: standard control requests answered by the device
// (here standard-requests.ts), SET_FEATURE(PORT_RESET) is a device reset, a STALL is status -EPIPE, an
// unlinked URB gets RET_UNLINK -ECONNRESET and no RET_SUBMIT.
import { createServer, type Server, type Socket } from 'node:net';
import { bcdOf, checkFunctionDescriptor } from './descriptors';
import { ControlEndpoint, SET_FEATURE } from './standard-requests';
import type { UsbFunction, UsbReply } from './usb-function';
import {
  ECONNRESET,
  encodeUsbip,
  ENOENT,
  EOVERFLOW,
  EPIPE,
  EPROTO,
  NOT_ISO,
  parseSetup,
  ST_NA,
  ST_OK,
  USB_SPEED,
  UsbipDecoder,
  USBIP_DIR_IN,
  type UsbipDeviceRecord,
  type UsbipMessage,
} from './usbip-protocol';

/** SET_FEATURE(PORT_RESET) to a port (bmRequestType 0x23), which Linux's stub turns into a device reset. */
const PORT_RESET_REQUEST_TYPE = 0x23;
const USB_PORT_FEAT_RESET = 4;

type CmdSubmit = Extract<UsbipMessage, { kind: 'CMD_SUBMIT' }>;

interface ExportedDevice {
  busid: string;
  fn: UsbFunction;
  busnum: number;
  devnum: number;
  plugged: boolean;
  /** The connection that imported it, if any. */
  importer: Importer | null;
}

/** One importing connection: the URBs in flight on it. */
class Importer {
  readonly endpoint0: ControlEndpoint;
  /** seqnum → abort of the URB being served */
  private readonly inFlight = new Map<number, AbortController>();
  private closed = false;

  constructor(
    private readonly device: ExportedDevice,
    private readonly socket: Socket,
  ) {
    this.endpoint0 = new ControlEndpoint(device.fn);
  }

  handle(m: UsbipMessage): void {
    if (m.kind === 'CMD_SUBMIT') {
      const controller = new AbortController();
      this.inFlight.set(m.seqnum, controller);
      void this.serve(m, controller.signal).then(
        (ret) => this.complete(m, controller, ret),
        (error: unknown) => {
          // A function that throws is a simulator bug; the host sees a protocol error, as from a broken device.
          if (!controller.signal.aborted) console.error(`usbip ${this.device.busid}: URB seqnum ${m.seqnum} on ep ${m.ep}: ${(error as Error).message}`);
          this.complete(m, controller, { status: -EPROTO, data: new Uint8Array(0), actualLength: 0 });
        },
      );
    } else if (m.kind === 'CMD_UNLINK') {
      const controller = this.inFlight.get(m.unlinkSeqnum);
      if (controller) {
        this.inFlight.delete(m.unlinkSeqnum);
        controller.abort(new DOMException('URB unlinked', 'AbortError'));
      }
      this.send({ kind: 'RET_UNLINK', seqnum: m.seqnum, devid: 0, direction: 0, ep: 0, status: controller ? -ECONNRESET : 0 });
    }
  }

  private complete(m: CmdSubmit, controller: AbortController, ret: { status: number; data: Uint8Array; actualLength: number }): void {
    if (this.inFlight.get(m.seqnum) !== controller) return; // unlinked: no RET_SUBMIT
    this.inFlight.delete(m.seqnum);
    this.send({
      kind: 'RET_SUBMIT',
      seqnum: m.seqnum,
      devid: 0,
      direction: 0,
      ep: 0,
      status: ret.status,
      actualLength: ret.actualLength,
      startFrame: 0,
      numberOfPackets: NOT_ISO,
      errorCount: 0,
      data: ret.data,
    });
  }

  private async serve(m: CmdSubmit, signal: AbortSignal): Promise<{ status: number; data: Uint8Array; actualLength: number }> {
    const fn = this.device.fn;
    const isIn = m.direction === USBIP_DIR_IN;
    const inReply = (reply: UsbReply) => {
      if (reply.status === 'stall') return { status: -EPIPE, data: new Uint8Array(0), actualLength: 0 };
      // A device that sends more than asked babbles: the host controller reports -EOVERFLOW with the data cut.
      const data = reply.data.subarray(0, m.transferBufferLength);
      return { status: reply.data.length > m.transferBufferLength ? -EOVERFLOW : 0, data, actualLength: data.length };
    };
    if (m.ep === 0) {
      const setup = parseSetup(m.setup);
      if (setup.bmRequestType === PORT_RESET_REQUEST_TYPE && setup.bRequest === SET_FEATURE && setup.wValue === USB_PORT_FEAT_RESET) {
        fn.reset();
        this.endpoint0.configuration = 1;
        return { status: 0, data: new Uint8Array(0), actualLength: 0 };
      }
      const reply = await this.endpoint0.answer(setup, isIn ? null : m.data);
      if (isIn) return inReply(reply);
      return reply.status === 'ok' ? { status: 0, data: new Uint8Array(0), actualLength: m.data.length } : { status: -EPIPE, data: new Uint8Array(0), actualLength: 0 };
    }
    const known = fn.descriptor.interfaces.some((i) => i.endpoints.some((e) => e.number === m.ep && e.direction === (isIn ? 'in' : 'out')));
    if (!known) return { status: -ENOENT, data: new Uint8Array(0), actualLength: 0 };
    if (isIn) return inReply(await fn.transferIn(m.ep, m.transferBufferLength, signal));
    const status = await fn.transferOut(m.ep, m.data);
    return status === 'ok' ? { status: 0, data: new Uint8Array(0), actualLength: m.data.length } : { status: -EPIPE, data: new Uint8Array(0), actualLength: 0 };
  }

  private send(m: UsbipMessage): void {
    if (!this.closed && !this.socket.destroyed) this.socket.write(encodeUsbip(m));
  }

  /** The connection is gone (closed by the client, or the device unplugged): abort what the function still serves. */
  drop(): void {
    if (this.closed) return;
    this.closed = true;
    for (const controller of this.inFlight.values()) controller.abort(new DOMException('USB/IP connection closed', 'AbortError'));
    this.inFlight.clear();
    this.socket.destroy();
    if (this.device.importer === this) this.device.importer = null;
  }
}

export class UsbipServer {
  private readonly devices: ExportedDevice[];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  /**
   * @param functions the devices to export: an array gets bus ids "1-1", "1-2", …; a record names them
   *   (keys like "1-1" or "3-2.1", as Linux sysfs does).
   */
  constructor(functions: UsbFunction[] | Record<string, UsbFunction>) {
    const entries = Array.isArray(functions) ? functions.map((fn, i) => [`1-${i + 1}`, fn] as const) : Object.entries(functions);
    if (entries.length === 0) throw new Error('USB/IP server: no device to export');
    this.devices = entries.map(([busid, fn], i) => {
      if (!/^[0-9]+-[0-9]+(\.[0-9]+)*$/.test(busid)) throw new Error(`USB/IP server: "${busid}" is not a bus id like "1-1" or "3-2.1"`);
      checkFunctionDescriptor(fn.descriptor);
      return { busid, fn, busnum: Number(busid.split('-')[0]), devnum: i + 2, plugged: true, importer: null };
    });
  }

  /** The exported bus ids, plugged or not. */
  get busids(): string[] {
    return this.devices.map((d) => d.busid);
  }

  /** Starts serving; resolves with the port (pass 0 for any free port). */
  listen(port = 0, host = '127.0.0.1'): Promise<number> {
    if (this.server) return Promise.reject(new Error('USB/IP server: already listening'));
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', (error) => {
        this.server = null;
        reject(new Error(`USB/IP server: cannot listen on ${host}:${port}: ${error.message}`));
      });
      server.listen(port, host, () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Stops serving and drops every connection. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const d of this.devices) d.importer?.drop();
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Pulls the device's cable: its importing connection drops, and it leaves the devlist until `plug`. */
  unplug(busid: string): void {
    const device = this.find(busid);
    device.plugged = false;
    device.importer?.drop();
  }

  plug(busid: string): void {
    this.find(busid).plugged = true;
  }

  private find(busid: string): ExportedDevice {
    const device = this.devices.find((d) => d.busid === busid);
    if (!device) throw new Error(`USB/IP server: no device on bus ${busid} (exported: ${this.busids.join(', ')})`);
    return device;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new UsbipDecoder('server');
    let importer: Importer | null = null;
    socket.on('data', (chunk: Buffer) => {
      let messages: UsbipMessage[];
      try {
        messages = decoder.push(chunk);
      } catch (error) {
        console.error(`usbip server: dropping ${socket.remoteAddress}:${socket.remotePort}: ${(error as Error).message}`);
        importer?.drop();
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (importer) importer.handle(m);
        else if (m.kind === 'OP_REQ_DEVLIST') {
          socket.end(encodeUsbip({ kind: 'OP_REP_DEVLIST', status: ST_OK, devices: this.devices.filter((d) => d.plugged).map((d) => this.record(d, true)) }));
        } else if (m.kind === 'OP_REQ_IMPORT') {
          const device = this.devices.find((d) => d.busid === m.busid);
          if (!device || !device.plugged || device.importer) {
            socket.end(encodeUsbip({ kind: 'OP_REP_IMPORT', status: ST_NA, device: null }));
            return;
          }
          importer = new Importer(device, socket);
          device.importer = importer;
          socket.write(encodeUsbip({ kind: 'OP_REP_IMPORT', status: ST_OK, device: this.record(device, false) }));
        }
      }
    });
    socket.on('error', () => {}); // a reset by the peer ends like a close
    socket.on('close', () => {
      this.sockets.delete(socket);
      importer?.drop();
    });
  }

  private record(d: ExportedDevice, withInterfaces: boolean): UsbipDeviceRecord {
    const desc = d.fn.descriptor;
    return {
      path: `/sys/devices/platform/na64-usbip/usb${d.busnum}/${d.busid}`,
      busid: d.busid,
      busnum: d.busnum,
      devnum: d.devnum,
      speed: desc.speed === 'high' ? USB_SPEED.high : USB_SPEED.full,
      idVendor: desc.vendorId,
      idProduct: desc.productId,
      bcdDevice: bcdOf(desc.deviceVersion),
      bDeviceClass: desc.deviceClass,
      bDeviceSubClass: desc.deviceSubclass,
      bDeviceProtocol: desc.deviceProtocol,
      bConfigurationValue: d.importer?.endpoint0.configuration ?? 1,
      bNumConfigurations: 1,
      bNumInterfaces: desc.interfaces.length,
      interfaces: withInterfaces ? desc.interfaces.map((i) => ({ bInterfaceClass: i.interfaceClass, bInterfaceSubClass: i.interfaceSubclass, bInterfaceProtocol: i.interfaceProtocol })) : [],
    };
  }
}
