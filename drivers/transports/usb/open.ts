// A driver's USB address (TransportSpec usb / usbip) to the W3C USBDevice it talks to: a device plugged into
// this machine, found by its ids and serial, or one imported over USB/IP. Either way not yet opened.
import { describeTransport, type TransportSpec } from '../../sdk/index';
import { UsbHost } from './usb-host';
import { importUsbipDevice } from './usbip-client';

let sharedHost: UsbHost | null = null;

/** The process's one UsbHost, for callers that do not bring their own. */
export function defaultUsbHost(): UsbHost {
  sharedHost ??= new UsbHost();
  return sharedHost;
}

/**
 * Finds the device. Throws a readable error when it is not there: "usb 04b4:1175 serial X is not plugged in
 * (3 USB devices seen)", the reason there is no USB on this machine, or the USB/IP refusal.
 */
export async function openUsbDevice(spec: Extract<TransportSpec, { kind: 'usb' | 'usbip' }>, host: UsbHost = defaultUsbHost()): Promise<USBDevice> {
  if (spec.kind === 'usbip') return importUsbipDevice(spec.host, spec.port, spec.busid);
  const device = await host.find({ vendorId: spec.vendorId, productId: spec.productId, serial: spec.serial });
  if (device) return device;
  const unavailable = await host.unavailableReason();
  if (unavailable) throw new Error(`${describeTransport(spec)}: ${unavailable}`);
  const seen = await host.count();
  throw new Error(`${describeTransport(spec)} is not plugged in (${seen} USB device${seen === 1 ? '' : 's'} seen)`);
}

/**
 * Hot plug: `plugged` is called when a device with the address's vendor and product id is plugged into this
 * machine, so a driver waiting in its backoff connects at once. Returns the function that stops watching
 * (nothing to watch for a USB/IP address: its server is reached over the network).
 */
export function watchUsbPlug(spec: TransportSpec, plugged: () => void, host: UsbHost = defaultUsbHost()): () => void {
  if (spec.kind !== 'usb') return () => undefined;
  return host.onChange((e) => {
    if (e.kind === 'attach' && e.vendorId === spec.vendorId && e.productId === spec.productId) plugged();
  });
}
