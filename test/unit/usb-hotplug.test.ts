// Hot plug: a driver waiting in its backoff connects at once when its device is plugged in; the Devices
// view's USB line names the site entry a plugged device is, and follows attach and detach.
import { describe, expect, it } from 'vitest';
import { TransportSpec } from '../../drivers/sdk/index';
import { watchUsbPlug } from '../../drivers/transports/usb/open';
import type { UsbHost, UsbHostList, UsbHotplugEvent } from '../../drivers/transports/usb/usb-host';
import { UsbBusService } from '../../src-main/beamline/usb-bus';
import type { LoadedSite } from '../../src-main/devices/site-file';
import type { UsbBus } from '../../src-main/shared/api/beamline';

class FakeHost {
  readonly listeners = new Set<(e: UsbHotplugEvent) => void>();
  bus: UsbHostList = { available: true, reason: null, devices: [] };
  onChange(l: (e: UsbHotplugEvent) => void) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  async list() {
    return this.bus;
  }
  emit(e: UsbHotplugEvent) {
    for (const l of this.listeners) l(e);
  }
}

const drs4 = TransportSpec.parse({ kind: 'usb', vendorId: 0x04b4, productId: 0x1175, serial: '2817' });

describe('USB hot plug', () => {
  it('wakes the driver when a device with its ids is plugged in, and only then', () => {
    const host = new FakeHost();
    let woken = 0;
    const stop = watchUsbPlug(drs4, () => woken++, host as unknown as UsbHost);
    host.emit({ kind: 'attach', vendorId: 0x1ab1, productId: 0x04ce, location: '1-2' });
    host.emit({ kind: 'detach', vendorId: 0x04b4, productId: 0x1175, location: '1-3' });
    expect(woken).toBe(0);
    host.emit({ kind: 'attach', vendorId: 0x04b4, productId: 0x1175, location: '1-3' });
    expect(woken).toBe(1);
    stop();
    host.emit({ kind: 'attach', vendorId: 0x04b4, productId: 0x1175, location: '1-3' });
    expect(woken).toBe(1);
    expect(host.listeners.size).toBe(0);
    // A USB/IP address is reached over the network: nothing on this machine's bus to watch.
    watchUsbPlug(TransportSpec.parse({ kind: 'usbip', host: '127.0.0.1', port: 3240, busid: '1-1' }), () => woken++, host as unknown as UsbHost);
    expect(host.listeners.size).toBe(0);
  });

  it('lists the bus with the site entry each device is, and publishes every change', async () => {
    const host = new FakeHost();
    const site = { devices: [{ id: 'drs4', transport: drs4 }] } as unknown as LoadedSite;
    const published: UsbBus[] = [];
    const bus = new UsbBusService(() => site, (b) => published.push(b), host as unknown as UsbHost);
    host.bus = {
      available: true,
      reason: null,
      devices: [
        { vendorId: 0x04b4, productId: 0x1175, serial: '2817', manufacturer: 'PSI', product: 'DRS4 Evaluation Board', location: '1-3' },
        { vendorId: 0x04b4, productId: 0x1175, serial: '9999', manufacturer: 'PSI', product: 'DRS4 Evaluation Board', location: '1-4' },
      ],
    };
    expect((await bus.list()).devices.map((d) => d.device)).toEqual(['drs4', null]);
    host.emit({ kind: 'detach', vendorId: 0x04b4, productId: 0x1175, location: '1-4' });
    await new Promise((r) => setTimeout(r, 10));
    expect(published).toHaveLength(1);
    host.bus = { available: false, reason: 'no USB bus on this machine (/sys/bus/usb absent)', devices: [] };
    expect(await bus.list()).toEqual({ available: false, reason: 'no USB bus on this machine (/sys/bus/usb absent)', devices: [] });
    bus.close();
    expect(host.listeners.size).toBe(0);
  });
});
