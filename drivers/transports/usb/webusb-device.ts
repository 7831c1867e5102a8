// A W3C WebUSB `USBDevice` (https://wicg.github.io/webusb/, the interface of @types/w3c-web-usb and of the
// `usb` package's WebUSB class) over any way of moving USB transfers: a UsbPipe. The emulated device pipes
// to a UsbFunction in-process, the USB/IP client pipes URBs over TCP. This class keeps the rules of the spec
// that a driver relies on, so that a driver tested against an emulation behaves the same on real hardware:
// transfers need open() and a claimed interface (InvalidStateError), endpoints must exist in the active
// alternate setting (NotFoundError), close / reset / releaseInterface abort pending transfers (AbortError),
// and a device that goes away fails every pending and later transfer with NetworkError, as Chromium and the
// `usb` package do.
import type { UsbAlternateLayout, UsbConfigurationLayout, UsbDeviceLayout, UsbEndpointLayout, UsbInterfaceLayout } from './descriptors';
import { CLEAR_FEATURE, FEATURE_ENDPOINT_HALT, SET_CONFIGURATION, SET_INTERFACE } from './standard-requests';
import type { UsbReply, UsbSetup } from './usb-function';

/** What a pipe answers to an IN transfer: a UsbReply, or babble (the device sent more than asked; data cut). */
export type PipeReply = UsbReply | { status: 'babble'; data: Uint8Array };

/** How a WebUsbDevice moves its transfers. */
export interface UsbPipe {
  /** The device is being opened (the USB/IP client imports the device again after a close). */
  open(): Promise<void>;
  /** The device was closed; pending transfers are aborted already. */
  close(): Promise<void>;
  /** A control transfer on endpoint 0, standard requests included. `data` is null for IN. */
  control(setup: UsbSetup, data: Uint8Array | null, signal: AbortSignal): Promise<PipeReply>;
  transferIn(endpoint: number, length: number, signal: AbortSignal): Promise<PipeReply>;
  transferOut(endpoint: number, data: Uint8Array, signal: AbortSignal): Promise<'ok' | 'stall'>;
  /** A port reset (USB 2.0 §7.1.7.5). */
  reset(): Promise<void>;
}

/** The DOMException a WebUSB implementation rejects with; `name` is what drivers test. */
export const usbError = (name: 'InvalidStateError' | 'NotFoundError' | 'NetworkError' | 'AbortError' | 'NotSupportedError' | 'InvalidAccessError', message: string): DOMException =>
  new DOMException(message, name);

/** True for the error a transfer fails with when the device went away. */
export const isDisconnected = (error: unknown): boolean => error instanceof Error && error.name === 'NetworkError';

/** The spec's BufferSource (a DOM type, absent from the Node typings). */
type UsbBufferSource = ArrayBuffer | ArrayBufferView;

const endpointLabel = (direction: 'in' | 'out', n: number) => `${direction}(${n})`;

function toBytes(data: UsbBufferSource | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  // Copied: the caller may reuse its buffer while the transfer is pending (the spec copies too).
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  throw new TypeError('USB transfer data must be an ArrayBuffer or an ArrayBufferView');
}

const dataView = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

class Endpoint implements USBEndpoint {
  readonly endpointNumber: number;
  readonly direction: USBDirection;
  readonly type: USBEndpointType;
  readonly packetSize: number;
  constructor(e: UsbEndpointLayout) {
    this.endpointNumber = e.endpointNumber;
    this.direction = e.direction;
    this.type = e.type;
    this.packetSize = e.packetSize;
  }
}

class AlternateInterface implements USBAlternateInterface {
  readonly alternateSetting: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly interfaceName: string | null;
  readonly endpoints: USBEndpoint[];
  constructor(a: UsbAlternateLayout) {
    this.alternateSetting = a.alternateSetting;
    this.interfaceClass = a.interfaceClass;
    this.interfaceSubclass = a.interfaceSubclass;
    this.interfaceProtocol = a.interfaceProtocol;
    this.interfaceName = a.interfaceName;
    this.endpoints = a.endpoints.map((e) => new Endpoint(e));
  }
}

class Interface implements USBInterface {
  readonly interfaceNumber: number;
  readonly alternates: USBAlternateInterface[];
  constructor(
    i: UsbInterfaceLayout,
    private readonly device: WebUsbDevice,
  ) {
    this.interfaceNumber = i.interfaceNumber;
    this.alternates = i.alternates.map((a) => new AlternateInterface(a));
  }
  get alternate(): USBAlternateInterface {
    const setting = this.device.alternateSettingOf(this.interfaceNumber);
    return this.alternates.find((a) => a.alternateSetting === setting) ?? this.alternates[0]!;
  }
  get claimed(): boolean {
    return this.device.isClaimed(this.interfaceNumber);
  }
}

class Configuration implements USBConfiguration {
  readonly configurationValue: number;
  readonly configurationName: string | null;
  readonly interfaces: USBInterface[];
  constructor(c: UsbConfigurationLayout, device: WebUsbDevice) {
    this.configurationValue = c.configurationValue;
    this.configurationName = c.configurationName;
    this.interfaces = c.interfaces.map((i) => new Interface(i, device));
  }
}

interface PendingTransfer {
  /** The interface whose endpoint it uses; null for control transfers to the device. */
  interfaceNumber: number | null;
  controller: AbortController;
}

export class WebUsbDevice implements USBDevice {
  readonly usbVersionMajor: number;
  readonly usbVersionMinor: number;
  readonly usbVersionSubminor: number;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  readonly vendorId: number;
  readonly productId: number;
  readonly deviceVersionMajor: number;
  readonly deviceVersionMinor: number;
  readonly deviceVersionSubminor: number;
  readonly manufacturerName: string | null;
  readonly productName: string | null;
  readonly serialNumber: string | null;
  readonly configurations: USBConfiguration[];

  private isOpen = false;
  private configurationValue: number;
  private readonly claimedInterfaces = new Set<number>();
  private readonly alternateSettings = new Map<number, number>();
  private readonly pending = new Set<PendingTransfer>();
  /** Why the device is gone (unplugged, connection lost), or null while it is there. */
  private goneReason: string | null = null;
  private forgotten = false;

  /**
   * @param label how messages name the device, e.g. "usb 04b4:1175" or "usbip 10.0.0.5:3240 bus 1-1"
   * @param configurationValue the configuration the device is in when we get it (the OS configured it)
   */
  constructor(
    layout: UsbDeviceLayout,
    private readonly pipe: UsbPipe,
    readonly label: string,
    configurationValue: number,
  ) {
    this.usbVersionMajor = layout.usbVersion.major;
    this.usbVersionMinor = layout.usbVersion.minor;
    this.usbVersionSubminor = layout.usbVersion.subminor;
    this.deviceClass = layout.deviceClass;
    this.deviceSubclass = layout.deviceSubclass;
    this.deviceProtocol = layout.deviceProtocol;
    this.vendorId = layout.vendorId;
    this.productId = layout.productId;
    this.deviceVersionMajor = layout.deviceVersion.major;
    this.deviceVersionMinor = layout.deviceVersion.minor;
    this.deviceVersionSubminor = layout.deviceVersion.subminor;
    this.manufacturerName = layout.manufacturerName;
    this.productName = layout.productName;
    this.serialNumber = layout.serialNumber;
    this.configurations = layout.configurations.map((c) => new Configuration(c, this));
    this.configurationValue = configurationValue;
  }

  get opened(): boolean {
    return this.isOpen;
  }

  get configuration(): USBConfiguration | null {
    return this.configurations.find((c) => c.configurationValue === this.configurationValue) ?? null;
  }

  /** @internal for USBInterface.alternate */
  alternateSettingOf(interfaceNumber: number): number {
    return this.alternateSettings.get(interfaceNumber) ?? 0;
  }

  /** @internal for USBInterface.claimed */
  isClaimed(interfaceNumber: number): boolean {
    return this.claimedInterfaces.has(interfaceNumber);
  }

  /** Whether the device is there (not unplugged, connection not lost). */
  get connected(): boolean {
    return this.goneReason === null;
  }

  /**
   * The device went away: every pending transfer fails with NetworkError (and its pipe request is aborted),
   * the device is closed, and every later call fails with NetworkError until `reconnected()`.
   */
  disconnected(reason: string): void {
    if (this.goneReason !== null) return;
    this.goneReason = reason;
    this.abortPending(null, this.goneError());
    this.isOpen = false;
    this.claimedInterfaces.clear();
    this.alternateSettings.clear();
  }

  /** The device is back (plugged in again) in its power-on state: closed, configured as the OS does. */
  reconnected(configurationValue: number): void {
    this.goneReason = null;
    this.configurationValue = configurationValue;
  }

  private goneError(): DOMException {
    return usbError('NetworkError', `The device was disconnected (${this.label}: ${this.goneReason ?? 'gone'}).`);
  }

  private checkOpen(): void {
    if (this.goneReason !== null) throw this.goneError();
    if (!this.isOpen) throw usbError('InvalidStateError', `${this.label}: the device must be opened first (open()).`);
  }

  async open(): Promise<void> {
    if (this.forgotten) throw usbError('NotFoundError', `${this.label}: the device was forgotten (forget()).`);
    if (this.goneReason !== null) throw this.goneError();
    if (this.isOpen) return;
    await this.pipe.open();
    if (this.goneReason !== null) throw this.goneError();
    this.isOpen = true;
  }

  async close(): Promise<void> {
    if (!this.isOpen) return;
    this.abortPending(null, usbError('AbortError', `${this.label}: the transfer was cancelled (device closed).`));
    this.isOpen = false;
    this.claimedInterfaces.clear();
    await this.pipe.close();
  }

  async forget(): Promise<void> {
    await this.close();
    this.forgotten = true;
  }

  async selectConfiguration(configurationValue: number): Promise<void> {
    this.checkOpen();
    if (!this.configurations.some((c) => c.configurationValue === configurationValue)) {
      throw usbError('NotFoundError', `${this.label}: there is no configuration ${configurationValue} (it has ${this.configurations.map((c) => c.configurationValue).join(', ')}).`);
    }
    if (this.configurationValue === configurationValue) return;
    this.abortPending(null, usbError('AbortError', `${this.label}: the transfer was cancelled (configuration changed).`));
    this.claimedInterfaces.clear();
    const reply = await this.track(null, (signal) =>
      this.pipe.control({ bmRequestType: 0x00, bRequest: SET_CONFIGURATION, wValue: configurationValue, wIndex: 0, wLength: 0 }, new Uint8Array(0), signal),
    );
    if (reply.status !== 'ok') throw usbError('NetworkError', `${this.label}: unable to set device configuration ${configurationValue} (stalled).`);
    this.configurationValue = configurationValue;
    this.alternateSettings.clear();
  }

  private findInterface(interfaceNumber: number): USBInterface {
    const configuration = this.configuration;
    if (!configuration) throw usbError('InvalidStateError', `${this.label}: the device is not configured (selectConfiguration()).`);
    const itf = configuration.interfaces.find((i) => i.interfaceNumber === interfaceNumber);
    if (!itf) {
      throw usbError('NotFoundError', `${this.label}: there is no interface ${interfaceNumber} (it has ${configuration.interfaces.map((i) => i.interfaceNumber).join(', ')}).`);
    }
    return itf;
  }

  async claimInterface(interfaceNumber: number): Promise<void> {
    this.checkOpen();
    this.findInterface(interfaceNumber);
    this.claimedInterfaces.add(interfaceNumber);
  }

  async releaseInterface(interfaceNumber: number): Promise<void> {
    this.checkOpen();
    this.findInterface(interfaceNumber);
    if (!this.claimedInterfaces.has(interfaceNumber)) return;
    this.abortPending(interfaceNumber, usbError('AbortError', `${this.label}: the transfer was cancelled (interface ${interfaceNumber} released).`));
    this.claimedInterfaces.delete(interfaceNumber);
  }

  async selectAlternateInterface(interfaceNumber: number, alternateSetting: number): Promise<void> {
    this.checkOpen();
    const itf = this.findInterface(interfaceNumber);
    if (!itf.claimed) throw usbError('InvalidStateError', `${this.label}: interface ${interfaceNumber} must be claimed first (claimInterface()).`);
    if (!itf.alternates.some((a) => a.alternateSetting === alternateSetting)) {
      throw usbError('NotFoundError', `${this.label}: interface ${interfaceNumber} has no alternate setting ${alternateSetting}.`);
    }
    this.abortPending(interfaceNumber, usbError('AbortError', `${this.label}: the transfer was cancelled (alternate setting changed).`));
    const reply = await this.track(interfaceNumber, (signal) =>
      this.pipe.control({ bmRequestType: 0x01, bRequest: SET_INTERFACE, wValue: alternateSetting, wIndex: interfaceNumber, wLength: 0 }, new Uint8Array(0), signal),
    );
    if (reply.status !== 'ok') throw usbError('NetworkError', `${this.label}: unable to set alternate setting ${alternateSetting} of interface ${interfaceNumber} (stalled).`);
    this.alternateSettings.set(interfaceNumber, alternateSetting);
  }

  /** The endpoint in the active alternate setting of a claimed interface, as the spec looks it up. */
  private findEndpoint(direction: 'in' | 'out', endpointNumber: number): { endpoint: USBEndpoint; interfaceNumber: number } {
    const configuration = this.configuration;
    if (configuration) {
      for (const itf of configuration.interfaces) {
        const endpoint = itf.alternate.endpoints.find((e) => e.endpointNumber === endpointNumber && e.direction === direction);
        if (endpoint) {
          if (!itf.claimed) {
            throw usbError('InvalidStateError', `${this.label}: endpoint ${endpointLabel(direction, endpointNumber)} belongs to interface ${itf.interfaceNumber}, which must be claimed first (claimInterface()).`);
          }
          return { endpoint, interfaceNumber: itf.interfaceNumber };
        }
      }
    }
    const known = configuration?.interfaces.flatMap((i) => i.alternate.endpoints.map((e) => endpointLabel(e.direction, e.endpointNumber))) ?? [];
    const hint = endpointNumber > 15 ? ' Endpoint numbers are 1..15, without the direction bit 0x80.' : '';
    throw usbError('NotFoundError', `${this.label}: there is no endpoint ${endpointLabel(direction, endpointNumber)} (its endpoints: ${known.join(', ') || 'none'}).${hint}`);
  }

  /** Checks of the spec for a control transfer to an interface or an endpoint: it must be claimed. */
  private controlScope(setup: USBControlTransferParameters): number | null {
    if (setup.recipient === 'interface') {
      const itf = this.findInterface(setup.index & 0xff);
      if (!itf.claimed) throw usbError('InvalidStateError', `${this.label}: interface ${itf.interfaceNumber} must be claimed first (claimInterface()).`);
      return itf.interfaceNumber;
    }
    if (setup.recipient === 'endpoint') {
      return this.findEndpoint(setup.index & 0x80 ? 'in' : 'out', setup.index & 0x0f).interfaceNumber;
    }
    return null;
  }

  private static setupOf(setup: USBControlTransferParameters, direction: 'in' | 'out', length: number): UsbSetup {
    const type = { standard: 0, class: 1, vendor: 2 }[setup.requestType];
    const recipient = { device: 0, interface: 1, endpoint: 2, other: 3 }[setup.recipient];
    if (type === undefined || recipient === undefined) throw new TypeError(`USB control transfer: bad requestType "${setup.requestType}" or recipient "${setup.recipient}"`);
    for (const [name, v, max] of [['request', setup.request, 0xff], ['value', setup.value, 0xffff], ['index', setup.index, 0xffff]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > max) throw new TypeError(`USB control transfer: ${name} ${v} is not 0..${max}`);
    }
    return { bmRequestType: (direction === 'in' ? 0x80 : 0) | (type << 5) | recipient, bRequest: setup.request, wValue: setup.value, wIndex: setup.index, wLength: length };
  }

  async controlTransferIn(setup: USBControlTransferParameters, length: number): Promise<USBInTransferResult> {
    if (!Number.isInteger(length) || length < 0 || length > 0xffff) throw new TypeError(`USB control transfer: length ${length} is not 0..65535`);
    const raw = WebUsbDevice.setupOf(setup, 'in', length);
    this.checkOpen();
    const scope = this.controlScope(setup);
    const reply = await this.track(scope, (signal) => this.pipe.control(raw, null, signal));
    return this.inResult(reply, length);
  }

  async controlTransferOut(setup: USBControlTransferParameters, data?: UsbBufferSource): Promise<USBOutTransferResult> {
    const bytes = toBytes(data);
    if (bytes.length > 0xffff) throw new TypeError(`USB control transfer: ${bytes.length} bytes of data is more than 65535`);
    const raw = WebUsbDevice.setupOf(setup, 'out', bytes.length);
    this.checkOpen();
    const scope = this.controlScope(setup);
    const reply = await this.track(scope, (signal) => this.pipe.control(raw, bytes, signal));
    return reply.status === 'ok' ? { status: 'ok', bytesWritten: bytes.length } : { status: 'stall', bytesWritten: 0 };
  }

  async clearHalt(direction: USBDirection, endpointNumber: number): Promise<void> {
    this.checkOpen();
    const { interfaceNumber } = this.findEndpoint(direction, endpointNumber);
    const address = endpointNumber | (direction === 'in' ? 0x80 : 0);
    const reply = await this.track(interfaceNumber, (signal) =>
      this.pipe.control({ bmRequestType: 0x02, bRequest: CLEAR_FEATURE, wValue: FEATURE_ENDPOINT_HALT, wIndex: address, wLength: 0 }, new Uint8Array(0), signal),
    );
    if (reply.status !== 'ok') throw usbError('NetworkError', `${this.label}: unable to clear the halt of endpoint ${endpointLabel(direction, endpointNumber)} (stalled).`);
  }

  async transferIn(endpointNumber: number, length: number): Promise<USBInTransferResult> {
    if (!Number.isInteger(length) || length < 0) throw new TypeError(`USB transferIn: length ${length} is not a non-negative integer`);
    this.checkOpen();
    const { endpoint, interfaceNumber } = this.findEndpoint('in', endpointNumber);
    if (endpoint.type === 'isochronous') throw usbError('InvalidAccessError', `${this.label}: endpoint in(${endpointNumber}) is isochronous (isochronousTransferIn()).`);
    const reply = await this.track(interfaceNumber, (signal) => this.pipe.transferIn(endpointNumber, length, signal));
    return this.inResult(reply, length);
  }

  async transferOut(endpointNumber: number, data: UsbBufferSource): Promise<USBOutTransferResult> {
    const bytes = toBytes(data);
    this.checkOpen();
    const { endpoint, interfaceNumber } = this.findEndpoint('out', endpointNumber);
    if (endpoint.type === 'isochronous') throw usbError('InvalidAccessError', `${this.label}: endpoint out(${endpointNumber}) is isochronous (isochronousTransferOut()).`);
    const status = await this.track(interfaceNumber, (signal) => this.pipe.transferOut(endpointNumber, bytes, signal));
    return status === 'ok' ? { status: 'ok', bytesWritten: bytes.length } : { status: 'stall', bytesWritten: 0 };
  }

  async isochronousTransferIn(): Promise<USBIsochronousInTransferResult> {
    throw usbError('NotSupportedError', `${this.label}: isochronous transfers are not supported.`);
  }

  async isochronousTransferOut(): Promise<USBIsochronousOutTransferResult> {
    throw usbError('NotSupportedError', `${this.label}: isochronous transfers are not supported.`);
  }

  async reset(): Promise<void> {
    this.checkOpen();
    this.abortPending(null, usbError('AbortError', `${this.label}: the transfer was cancelled (device reset).`));
    await this.pipe.reset();
    if (this.goneReason !== null) throw this.goneError();
    this.alternateSettings.clear();
  }

  /** A device that sends more than asked is babbling (the spec's "babble" status); the data is cut. */
  private inResult(reply: PipeReply, length: number): USBInTransferResult {
    if (reply.status === 'stall') return { status: 'stall', data: new DataView(new ArrayBuffer(0)) };
    if (reply.status === 'babble' || reply.data.length > length) return { status: 'babble', data: dataView(reply.data.subarray(0, length)) };
    return { status: 'ok', data: dataView(reply.data) };
  }

  /**
   * Runs one transfer so that it can be aborted: by close / reset / release (AbortError) or by the device
   * going away (NetworkError). The pipe sees the abort on its signal (the USB/IP client sends CMD_UNLINK).
   */
  private track<T>(interfaceNumber: number | null, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.goneReason !== null) return Promise.reject(this.goneError());
    const entry: PendingTransfer = { interfaceNumber, controller: new AbortController() };
    const { signal } = entry.controller;
    this.pending.add(entry);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      let transfer: Promise<T>;
      try {
        transfer = run(signal);
      } catch (error) {
        transfer = Promise.reject(error);
      }
      transfer
        .then(resolve, (error: unknown) => {
          if (this.goneReason !== null) reject(this.goneError());
          else if (error instanceof Error && (error.name === 'NetworkError' || error.name === 'AbortError')) reject(error);
          else reject(usbError('NetworkError', `${this.label}: a transfer error has occurred (${error instanceof Error ? error.message : String(error)}).`));
        })
        .finally(() => {
          this.pending.delete(entry);
          signal.removeEventListener('abort', onAbort);
        });
    });
  }

  /** Aborts the pending transfers of one interface (or all, with null) with `reason`. */
  private abortPending(interfaceNumber: number | null, reason: DOMException): void {
    for (const entry of [...this.pending]) {
      if (interfaceNumber === null || entry.interfaceNumber === interfaceNumber) {
        this.pending.delete(entry);
        entry.controller.abort(reason);
      }
    }
  }
}
