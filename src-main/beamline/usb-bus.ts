// The machine's USB bus as the Devices view shows it: what is plugged in, which site entry each device is
// (matched by vendor, product and serial), and, where the machine has no USB at all (a container, CI), one
// line that says so. Hot plug changes are published as they happen.
import type { LoadedSite } from '../devices/site-file';
import type { UsbBus } from '../shared/api/beamline';
import { UsbHost } from '../../drivers/transports/usb/usb-host';

export class UsbBusService {
  private readonly host: UsbHost;
  private readonly stop: () => void;

  constructor(
    private readonly site: () => LoadedSite,
    changed: (bus: UsbBus) => void,
    host?: UsbHost,
  ) {
    this.host = host ?? new UsbHost();
    this.stop = this.host.onChange(() => void this.list().then(changed, () => undefined));
  }

  async list(): Promise<UsbBus> {
    const bus = await this.host.list();
    const entries = this.site().devices.filter((d) => d.transport.kind === 'usb');
    return {
      available: bus.available,
      reason: bus.reason,
      devices: bus.devices.map((d) => {
        const entry = entries.find((e) => e.transport.kind === 'usb' && e.transport.vendorId === d.vendorId && e.transport.productId === d.productId && (!e.transport.serial || e.transport.serial === d.serial));
        return {
          vendorId: d.vendorId,
          productId: d.productId,
          serial: d.serial ?? null,
          manufacturer: d.manufacturer ?? null,
          product: d.product ?? null,
          location: d.location,
          device: entry?.id ?? null,
        };
      }),
    };
  }

  close(): void {
    this.stop();
  }
}
