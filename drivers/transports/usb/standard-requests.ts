// The part of a USB device that answers standard control requests (USB 2.0 §9.4) on endpoint 0 for a
// UsbFunction: descriptors, configuration and alternate setting, CLEAR_FEATURE(ENDPOINT_HALT). Class and
// vendor requests go to the function. In a real device this is the USB controller firmware; here the
// emulated USBDevice and the USB/IP server share it, so both answer the same bytes.
import { configurationDescriptorBytes, deviceDescriptorBytes, DESCRIPTOR_CONFIGURATION, DESCRIPTOR_DEVICE, DESCRIPTOR_STRING, stringDescriptorBytes } from './descriptors';
import type { UsbFunction, UsbReply, UsbSetup } from './usb-function';

export const GET_STATUS = 0;
export const CLEAR_FEATURE = 1;
export const SET_FEATURE = 3;
export const SET_ADDRESS = 5;
export const GET_DESCRIPTOR = 6;
export const GET_CONFIGURATION = 8;
export const SET_CONFIGURATION = 9;
export const GET_INTERFACE = 10;
export const SET_INTERFACE = 11;
export const FEATURE_ENDPOINT_HALT = 0;

/** bmRequestType bits 6..5 (USB 2.0 Table 9-2). */
export const requestTypeOf = (bmRequestType: number): 'standard' | 'class' | 'vendor' | 'reserved' =>
  (['standard', 'class', 'vendor', 'reserved'] as const)[(bmRequestType >> 5) & 3]!;

const STALL: UsbReply = { status: 'stall' };
const ok = (data: Uint8Array = new Uint8Array(0)): UsbReply => ({ status: 'ok', data });

/** The endpoint-0 side of a UsbFunction, with the little state the standard requests keep. */
export class ControlEndpoint {
  /** bConfigurationValue: 0 unconfigured, 1 the one configuration. A device is configured on enumeration. */
  configuration = 1;

  constructor(private readonly fn: UsbFunction) {}

  async answer(setup: UsbSetup, data: Uint8Array | null): Promise<UsbReply> {
    if (requestTypeOf(setup.bmRequestType) !== 'standard') {
      const reply = await this.fn.control(setup, data);
      return reply.status === 'ok' && reply.data.length > setup.wLength ? ok(reply.data.subarray(0, setup.wLength)) : reply;
    }
    const reply = this.standard(setup);
    return reply.status === 'ok' && reply.data.length > setup.wLength ? ok(reply.data.subarray(0, setup.wLength)) : reply;
  }

  private standard(setup: UsbSetup): UsbReply {
    const d = this.fn.descriptor;
    const recipient = setup.bmRequestType & 0x1f;
    switch (setup.bRequest) {
      case GET_DESCRIPTOR: {
        const type = setup.wValue >> 8;
        const index = setup.wValue & 0xff;
        if (type === DESCRIPTOR_DEVICE) return ok(deviceDescriptorBytes(d));
        if (type === DESCRIPTOR_CONFIGURATION) return index === 0 ? ok(configurationDescriptorBytes(d)) : STALL;
        if (type === DESCRIPTOR_STRING) {
          const bytes = stringDescriptorBytes(d, index);
          return bytes ? ok(bytes) : STALL;
        }
        return STALL; // device qualifier, BOS, …: a full-speed / USB 2.0 device may stall them
      }
      case SET_CONFIGURATION:
        if (setup.wValue > 1) return STALL;
        this.configuration = setup.wValue;
        return ok();
      case GET_CONFIGURATION:
        return ok(Uint8Array.of(this.configuration));
      case SET_INTERFACE:
        // One alternate setting (0) per interface.
        return setup.wValue === 0 && d.interfaces.some((i) => i.number === (setup.wIndex & 0xff)) ? ok() : STALL;
      case GET_INTERFACE:
        return ok(Uint8Array.of(0));
      case GET_STATUS:
        return ok(Uint8Array.of(0, 0));
      case SET_ADDRESS:
      case SET_FEATURE:
        return ok();
      case CLEAR_FEATURE: {
        if (recipient !== 2 || setup.wValue !== FEATURE_ENDPOINT_HALT) return ok();
        const number = setup.wIndex & 0x0f;
        const direction = setup.wIndex & 0x80 ? 'in' : 'out';
        if (number === 0) return ok();
        if (!d.interfaces.some((i) => i.endpoints.some((e) => e.number === number && e.direction === direction))) return STALL;
        this.fn.clearHalt(direction, number);
        return ok();
      }
      default:
        return STALL;
    }
  }
}
