// A UsbFunction as a W3C USBDevice in the same process: what a driver gets in unit tests and in-process
// simulations, with the same rules and errors as a real device through the `usb` package's WebUSB
// (protocols.md §8.2: write drivers against USBDevice, the simulator is a fake USBDevice). Standard control
// requests are answered from the descriptor (standard-requests.ts), everything else goes to the function.
// unplug() / plug() play the cable: unplugged, every pending and new transfer fails with NetworkError.
import { checkFunctionDescriptor, hex4, layoutOfFunction } from './descriptors';
import { ControlEndpoint } from './standard-requests';
import type { UsbDeviceDescriptor, UsbFunction, UsbReply, UsbSetup } from './usb-function';
import { WebUsbDevice, type UsbPipe } from './webusb-device';

export interface EmulatedUsbDevice extends USBDevice {
  /** Pulls the cable: pending transfers reject with NetworkError, the function's pending transferIn calls are aborted. */
  unplug(): void;
  /** Plugs the cable back: the device is there again, closed and configured, as after enumeration. */
  plug(): void;
  readonly plugged: boolean;
}

class FunctionPipe implements UsbPipe {
  readonly endpoint0: ControlEndpoint;

  constructor(private readonly fn: UsbFunction) {
    this.endpoint0 = new ControlEndpoint(fn);
  }

  async open(): Promise<void> {}
  async close(): Promise<void> {}

  control(setup: UsbSetup, data: Uint8Array | null): Promise<UsbReply> {
    return this.endpoint0.answer(setup, data);
  }

  transferIn(endpoint: number, length: number, signal: AbortSignal): Promise<UsbReply> {
    return this.fn.transferIn(endpoint, length, signal);
  }

  transferOut(endpoint: number, data: Uint8Array): Promise<'ok' | 'stall'> {
    return this.fn.transferOut(endpoint, data);
  }

  async reset(): Promise<void> {
    this.fn.reset();
  }
}

class EmulatedDevice extends WebUsbDevice implements EmulatedUsbDevice {
  constructor(
    private readonly functionPipe: FunctionPipe,
    d: UsbDeviceDescriptor,
  ) {
    super(layoutOfFunction(d), functionPipe, `emulated usb ${hex4(d.vendorId)}:${hex4(d.productId)}${d.serialNumber ? ` serial ${d.serialNumber}` : ''}`, 1);
  }

  get plugged(): boolean {
    return this.connected;
  }

  unplug(): void {
    this.disconnected('unplugged');
  }

  plug(): void {
    if (this.connected) return;
    this.functionPipe.endpoint0.configuration = 1;
    this.reconnected(1);
  }
}

/** The USBDevice a driver opens, backed by `fn`. Throws a readable error if fn's descriptor is malformed. */
export function emulateUsbDevice(fn: UsbFunction): EmulatedUsbDevice {
  checkFunctionDescriptor(fn.descriptor);
  return new EmulatedDevice(new FunctionPipe(fn), fn.descriptor);
}
