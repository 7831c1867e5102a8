// The device side of a USB device, as an emulator implements it: its descriptors, and what it answers on
// the control endpoint and on its bulk / interrupt endpoints. One UsbFunction can be served two ways with
// the same bytes: in-process as a W3C `USBDevice` (emulated-device.ts, unit tests), or over the network
// with the USB/IP protocol (usbip-server.ts), which is how a device simulator in its own process looks to
// the app exactly like a USB device exported by a Linux `usbipd`.
//
// Endpoint numbers are the W3C ones: 1..15, without the direction bit (the DRS4's Bulk-IN 0x88 is `in(8)`).

export interface UsbEndpointDescriptor {
  /** 1..15 */
  number: number;
  direction: 'in' | 'out';
  type: 'bulk' | 'interrupt';
  /** 64 at full speed, 512 for bulk at high speed. */
  packetSize: number;
}

export interface UsbInterfaceDescriptor {
  number: number;
  /** bInterfaceClass / SubClass / Protocol: USBTMC is 0xFE / 0x03 / 0x00 or 0x01 (USB488); vendor-specific is 0xFF. */
  interfaceClass: number;
  interfaceSubclass: number;
  interfaceProtocol: number;
  endpoints: UsbEndpointDescriptor[];
}

export interface UsbDeviceDescriptor {
  vendorId: number;
  productId: number;
  /** bcdDevice split into its parts, as W3C USBDevice gives it. */
  deviceVersion: { major: number; minor: number; subminor: number };
  deviceClass: number;
  deviceSubclass: number;
  deviceProtocol: number;
  manufacturerName: string;
  productName: string;
  serialNumber: string;
  speed: 'full' | 'high';
  /** One configuration (value 1) with these interfaces. */
  interfaces: UsbInterfaceDescriptor[];
}

/** The 8-byte SETUP packet of a control transfer, decoded. */
export interface UsbSetup {
  bmRequestType: number;
  bRequest: number;
  wValue: number;
  wIndex: number;
  wLength: number;
}

/** What the device does with a transfer: data (IN) or acceptance (OUT), or a STALL handshake. */
export type UsbReply = { status: 'ok'; data: Uint8Array } | { status: 'stall' };

export interface UsbFunction {
  readonly descriptor: UsbDeviceDescriptor;
  /**
   * A class or vendor control request (standard requests — descriptors, SET_CONFIGURATION, CLEAR_FEATURE —
   * are answered by the layer that serves the function). `data` is what the host sent (OUT), null for IN;
   * an IN reply longer than wLength is cut to it.
   */
  control(setup: UsbSetup, data: Uint8Array | null): Promise<UsbReply>;
  /** The host sent `data` on OUT endpoint `endpoint`. */
  transferOut(endpoint: number, data: Uint8Array): Promise<'ok' | 'stall'>;
  /**
   * The host asks for at most `length` bytes on IN endpoint `endpoint`. Resolves when the device has
   * something to send (a reply shorter than asked ends the transfer: a short packet). May never resolve (a
   * device that does not answer): the host times out and `signal` aborts the request.
   */
  transferIn(endpoint: number, length: number, signal: AbortSignal): Promise<UsbReply>;
  /** The host cleared a halted endpoint (CLEAR_FEATURE ENDPOINT_HALT). */
  clearHalt(direction: 'in' | 'out', endpoint: number): void;
  /** The host reset the device (USBDevice.reset / libusb_reset_device). */
  reset(): void;
}
