// The USB devices plugged into this machine, through the `usb` package 2.18.0 (libusb; protocols.md §8.1):
// the list the Devices view shows, hot-plug notices, and a device as a W3C USBDevice (the package's WebUSB
// wrapper) for a driver. Many machines that run the app have no USB at all (containers, CI: no
// /sys/bus/usb, libusb lists nothing), and the native module may fail to load on an odd platform; then
// the host says so in one line and never throws, so the rest of the app runs.
import { existsSync } from 'node:fs';
import type * as UsbPackage from 'usb';
import type { Device as LibusbDevice } from 'usb';

type UsbModule = typeof UsbPackage;

export interface UsbDeviceSummary {
  vendorId: number;
  productId: number;
  /** null when the device has none or cannot be opened to read it (permissions). */
  serial: string | null;
  manufacturer: string | null;
  product: string | null;
  /** Where it is plugged, as Linux sysfs names it: "<bus>-<port>[.<port>…]" ("1-4.2"), or "bus 1 address 7". */
  location: string;
}

export interface UsbHostList {
  available: boolean;
  /** Why there is no USB here, in one line; null when available. */
  reason: string | null;
  devices: UsbDeviceSummary[];
}

export interface UsbHotplugEvent {
  kind: 'attach' | 'detach';
  vendorId: number;
  productId: number;
  location: string;
}

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();

function locationOf(d: LibusbDevice): string {
  return d.portNumbers && d.portNumbers.length > 0 ? `${d.busNumber}-${d.portNumbers.join('.')}` : `bus ${d.busNumber} address ${d.deviceAddress}`;
}

export class UsbHost {
  private module: Promise<{ usb: UsbModule } | { reason: string }> | null = null;

  /** Loads the native module once; a failure is remembered as the reason. */
  private load(): Promise<{ usb: UsbModule } | { reason: string }> {
    this.module ??= import('usb').then(
      (usb) => {
        // libusb failed to initialise (no usbfs): the module loads but has no Device class.
        if (!(usb as { Device?: unknown }).Device) return { reason: 'libusb did not initialise on this machine' };
        return { usb };
      },
      (error: unknown) => ({ reason: `the usb native module did not load: ${firstLine(error)}` }),
    );
    return this.module;
  }

  /** The raw libusb devices, or why there are none. */
  private async devices(): Promise<{ usb: UsbModule; devices: LibusbDevice[] } | { reason: string }> {
    const loaded = await this.load();
    if ('reason' in loaded) return loaded;
    let devices: LibusbDevice[];
    try {
      devices = loaded.usb.getDeviceList();
    } catch (error) {
      return { reason: `libusb cannot list devices: ${firstLine(error)}` };
    }
    // libusb lists nothing both on a machine without USB and on one with nothing plugged: sysfs tells them apart.
    if (devices.length === 0 && process.platform === 'linux' && !existsSync('/sys/bus/usb')) {
      return { reason: 'no USB bus on this machine (/sys/bus/usb absent)' };
    }
    return { usb: loaded.usb, devices };
  }

  /** What is plugged in. Never throws. */
  async list(): Promise<UsbHostList> {
    const found = await this.devices();
    if ('reason' in found) return { available: false, reason: found.reason, devices: [] };
    const devices: UsbDeviceSummary[] = [];
    for (const d of found.devices) {
      const summary: UsbDeviceSummary = {
        vendorId: d.deviceDescriptor.idVendor,
        productId: d.deviceDescriptor.idProduct,
        serial: null,
        manufacturer: null,
        product: null,
        location: locationOf(d),
      };
      if (d.deviceDescriptor.bDeviceClass !== 0x09) {
        // Strings need the device opened; hubs and devices we may not open keep null.
        try {
          const web = await found.usb.WebUSBDevice.createInstance(d, false);
          summary.serial = web.serialNumber;
          summary.manufacturer = web.manufacturerName;
          summary.product = web.productName;
        } catch {
          // no permission (udev rule) or busy: the ids and the location are still worth showing
        }
      }
      devices.push(summary);
    }
    return { available: true, reason: null, devices };
  }

  /**
   * Hot plug: `listener` hears every attach and detach. Returns the function that stops listening. The
   * listening does not keep the process alive (unrefHotplugEvents). Where there is no USB, nothing happens.
   */
  onChange(listener: (event: UsbHotplugEvent) => void): () => void {
    let stopped = false;
    let stop = () => {
      stopped = true;
    };
    void this.devices().then((found) => {
      if ('reason' in found || stopped) return;
      const { usb } = found.usb;
      const tell = (kind: 'attach' | 'detach') => (d: LibusbDevice) =>
        listener({ kind, vendorId: d.deviceDescriptor.idVendor, productId: d.deviceDescriptor.idProduct, location: locationOf(d) });
      const onAttach = tell('attach');
      const onDetach = tell('detach');
      usb.on('attach', onAttach);
      usb.on('detach', onDetach);
      usb.unrefHotplugEvents();
      stop = () => {
        usb.off('attach', onAttach);
        usb.off('detach', onDetach);
      };
    });
    return () => stop();
  }

  /**
   * The plugged device with these ids (and serial, when given) as a W3C USBDevice, not yet opened; null
   * when it is not plugged in or there is no USB here. Throws when it is there but cannot be opened to
   * read its serial (permissions), since "not plugged in" would then send people looking for a cable.
   */
  async find(query: { vendorId: number; productId: number; serial?: string }): Promise<USBDevice | null> {
    const found = await this.devices();
    if ('reason' in found) return null;
    const candidates = found.devices.filter((d) => d.deviceDescriptor.idVendor === query.vendorId && d.deviceDescriptor.idProduct === query.productId);
    const failures: string[] = [];
    for (const d of candidates) {
      let web: USBDevice;
      try {
        web = await found.usb.WebUSBDevice.createInstance(d);
      } catch (error) {
        failures.push(`${locationOf(d)}: ${firstLine(error)}`);
        continue;
      }
      if (query.serial === undefined || web.serialNumber === query.serial) return web;
    }
    if (failures.length > 0) {
      const id = `${query.vendorId.toString(16).padStart(4, '0')}:${query.productId.toString(16).padStart(4, '0')}`;
      throw new Error(`usb ${id} is plugged in but cannot be opened (${failures.join('; ')}): check the permissions (a udev rule)`);
    }
    return null;
  }

  /** Why there is no USB here, or null when there is (for messages). */
  async unavailableReason(): Promise<string | null> {
    const found = await this.devices();
    return 'reason' in found ? found.reason : null;
  }

  /** How many devices libusb sees (0 without USB). */
  async count(): Promise<number> {
    const found = await this.devices();
    return 'reason' in found ? 0 : found.devices.length;
  }
}
