// A UsbFunction as an in-process W3C USBDevice (drivers/transports/usb/emulated-device.ts): the metadata a
// driver matches on, the open / claim rules of the WebUSB spec, standard requests answered from the
// descriptor, stall and clearHalt, the abort of pending transfers, and unplug / plug.
import { describe, expect, it } from 'vitest';
import {
  configurationDescriptorBytes,
  configurationTotalLength,
  deviceDescriptorBytes,
  layoutOfFunction,
  parseConfigurationDescriptor,
  parseDeviceDescriptor,
  parseStringDescriptor,
  stringDescriptorBytes,
} from '../../drivers/transports/usb/descriptors';
import { emulateUsbDevice } from '../../drivers/transports/usb/emulated-device';
import type { UsbFunction, UsbReply, UsbSetup } from '../../drivers/transports/usb/usb-function';

/** An echo device: what comes in on bulk OUT 1 goes back on bulk IN 2; vendor request 1 reads the byte count. */
function echoFunction() {
  const queue: Uint8Array[] = [];
  const waiting = new Set<() => void>();
  const log = { cleared: [] as string[], resets: 0, aborted: 0, controls: [] as UsbSetup[], halted: { in: false, out: false }, echoed: 0 };
  const fn: UsbFunction = {
    descriptor: {
      vendorId: 0x1234,
      productId: 0xabcd,
      deviceVersion: { major: 1, minor: 2, subminor: 3 },
      deviceClass: 0,
      deviceSubclass: 0,
      deviceProtocol: 0,
      manufacturerName: 'NA64',
      productName: 'Echo',
      serialNumber: 'E-0001',
      speed: 'high',
      interfaces: [
        {
          number: 0,
          interfaceClass: 0xff,
          interfaceSubclass: 0,
          interfaceProtocol: 0,
          endpoints: [
            { number: 1, direction: 'out', type: 'bulk', packetSize: 512 },
            { number: 2, direction: 'in', type: 'bulk', packetSize: 512 },
          ],
        },
      ],
    },
    async control(setup: UsbSetup, data: Uint8Array | null): Promise<UsbReply> {
      log.controls.push(setup);
      if (setup.bmRequestType === 0xc0 && setup.bRequest === 1) return { status: 'ok', data: Uint8Array.of(log.echoed & 0xff, log.echoed >> 8, 0, 0, 0xee, 0xee) };
      if (setup.bmRequestType === 0x40 && setup.bRequest === 2 && data) {
        log.halted.in = data[0] === 1;
        return { status: 'ok', data: new Uint8Array(0) };
      }
      return { status: 'stall' };
    },
    async transferOut(endpoint, data) {
      if (endpoint !== 1) throw new Error(`no OUT endpoint ${endpoint}`);
      if (log.halted.out) return 'stall';
      if (new TextDecoder().decode(data) === 'HALT') {
        log.halted.out = true;
        return 'stall';
      }
      queue.push(data);
      log.echoed += data.length;
      for (const wake of waiting) wake();
      return 'ok';
    },
    async transferIn(endpoint, length, signal) {
      if (endpoint !== 2) throw new Error(`no IN endpoint ${endpoint}`);
      if (log.halted.in) return { status: 'stall' };
      while (queue.length === 0) {
        await new Promise<void>((resolve, reject) => {
          const wake = () => {
            waiting.delete(wake);
            resolve();
          };
          waiting.add(wake);
          signal.addEventListener('abort', () => {
            waiting.delete(wake);
            log.aborted++;
            reject(signal.reason);
          });
        });
      }
      const data = queue.shift()!;
      if (data.length > length) queue.unshift(data.subarray(length));
      return { status: 'ok', data: data.subarray(0, length) };
    },
    clearHalt(direction, endpoint) {
      log.cleared.push(`${direction}(${endpoint})`);
      log.halted[direction] = false;
    },
    reset() {
      log.resets++;
      queue.length = 0;
    },
  };
  return { fn, log };
}

const text = (r: USBInTransferResult) => new TextDecoder().decode(r.data);
const errorOf = async (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);

async function openEcho() {
  const { fn, log } = echoFunction();
  const device = emulateUsbDevice(fn);
  await device.open();
  await device.claimInterface(0);
  return { device, log };
}

describe('emulated USB device', () => {
  it('shows the descriptor as W3C USBDevice metadata', () => {
    const device = emulateUsbDevice(echoFunction().fn);
    expect(device).toMatchObject({
      vendorId: 0x1234,
      productId: 0xabcd,
      deviceVersionMajor: 1,
      deviceVersionMinor: 2,
      deviceVersionSubminor: 3,
      usbVersionMajor: 2,
      manufacturerName: 'NA64',
      productName: 'Echo',
      serialNumber: 'E-0001',
      opened: false,
    });
    expect(device.configurations).toHaveLength(1);
    expect(device.configuration?.configurationValue).toBe(1);
    const itf = device.configuration!.interfaces[0]!;
    expect(itf.interfaceNumber).toBe(0);
    expect(itf.claimed).toBe(false);
    expect(itf.alternate.interfaceClass).toBe(0xff);
    expect(itf.alternates).toHaveLength(1);
    expect(itf.alternate.endpoints.map((e) => [e.endpointNumber, e.direction, e.type, e.packetSize])).toEqual([
      [1, 'out', 'bulk', 512],
      [2, 'in', 'bulk', 512],
    ]);
  });

  it('refuses a malformed descriptor with a readable error', () => {
    const { fn } = echoFunction();
    const bad = { ...fn, descriptor: { ...fn.descriptor, interfaces: [{ ...fn.descriptor.interfaces[0]!, endpoints: [{ number: 0x82, direction: 'in' as const, type: 'bulk' as const, packetSize: 64 }] }] } };
    expect(() => emulateUsbDevice(bad)).toThrow(/endpoint in\(130\): the number must be 1\.\.15/);
  });

  it('needs open() and claimInterface() before transfers (InvalidStateError)', async () => {
    const device = emulateUsbDevice(echoFunction().fn);
    let e = await errorOf(device.transferOut(1, new Uint8Array(1)));
    expect(e?.name).toBe('InvalidStateError');
    expect(e?.message).toMatch(/opened first/);
    expect((await errorOf(device.claimInterface(0)))?.name).toBe('InvalidStateError');
    await device.open();
    expect(device.opened).toBe(true);
    e = await errorOf(device.transferIn(2, 64));
    expect(e?.name).toBe('InvalidStateError');
    expect(e?.message).toMatch(/interface 0, which must be claimed first/);
    e = await errorOf(device.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 7, value: 0, index: 0 }, 24));
    expect(e?.name).toBe('InvalidStateError');
    expect((await errorOf(device.claimInterface(3)))?.name).toBe('NotFoundError');
    await device.claimInterface(0);
    expect(device.configuration!.interfaces[0]!.claimed).toBe(true);
    expect((await device.transferOut(1, new TextEncoder().encode('hello'))).bytesWritten).toBe(5);
    expect(text(await device.transferIn(2, 64))).toBe('hello');
  });

  it('names an unknown endpoint', async () => {
    const { device } = await openEcho();
    let e = await errorOf(device.transferIn(1, 64));
    expect(e?.name).toBe('NotFoundError');
    expect(e?.message).toMatch(/no endpoint in\(1\) \(its endpoints: out\(1\), in\(2\)\)/);
    e = await errorOf(device.transferIn(0x82, 64));
    expect(e?.message).toMatch(/in\(130\).*without the direction bit/);
    expect((await errorOf(device.clearHalt('out', 2)))?.name).toBe('NotFoundError');
  });

  it('echoes, reads a vendor request cut to its length, and reports babble', async () => {
    const { device } = await openEcho();
    await device.transferOut(1, new TextEncoder().encode('abcdef'));
    const counter = await device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request: 1, value: 0, index: 0 }, 4);
    expect(counter.status).toBe('ok');
    expect([...new Uint8Array(counter.data!.buffer, counter.data!.byteOffset, counter.data!.byteLength)]).toEqual([6, 0, 0, 0]);
    expect(text(await device.transferIn(2, 4))).toBe('abcd');
    expect(text(await device.transferIn(2, 4))).toBe('ef');
    expect((await device.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 7, value: 0, index: 0 }, 24)).status).toBe('stall');
  });

  it('answers standard GET_DESCRIPTOR from the descriptor', async () => {
    const { device, log } = await openEcho();
    const r = await device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0100, index: 0 }, 18);
    expect([...new Uint8Array(r.data!.buffer, r.data!.byteOffset, 18)]).toEqual([18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x34, 0x12, 0xcd, 0xab, 0x23, 0x01, 1, 2, 3, 1]);
    const serial = await device.controlTransferIn({ requestType: 'standard', recipient: 'device', request: 6, value: 0x0303, index: 0x0409 }, 255);
    expect([...new Uint8Array(serial.data!.buffer, serial.data!.byteOffset, serial.data!.byteLength)]).toEqual([14, 3, 69, 0, 45, 0, 48, 0, 48, 0, 48, 0, 49, 0]);
    expect(log.controls).toHaveLength(0); // standard requests never reach the function
  });

  it('builds configuration descriptor bytes that parse back to the same layout', () => {
    const d = echoFunction().fn.descriptor;
    const config = configurationDescriptorBytes(d);
    expect(Buffer.from(config).toString('hex')).toBe(
      '09022000010100803209040000' + '02ff000000' + '0705010200020007058202000200',
    );
    expect(configurationTotalLength(config)).toBe(32);
    const parsed = parseConfigurationDescriptor(config);
    const expected = layoutOfFunction(d).configurations[0]!;
    expect(parsed.layout).toEqual({ ...expected, interfaces: expected.interfaces.map((i) => ({ ...i, alternates: i.alternates.map((a) => ({ ...a, endpoints: a.endpoints.map((e) => ({ ...e, interval: 0 })) })) })) });
    expect(parseDeviceDescriptor(deviceDescriptorBytes(d))).toMatchObject({ vendorId: 0x1234, productId: 0xabcd, deviceVersion: { major: 1, minor: 2, subminor: 3 }, serialNumberIndex: 3, numConfigurations: 1 });
    expect(parseStringDescriptor(stringDescriptorBytes(d, 2)!)).toBe('Echo');
    expect(stringDescriptorBytes(d, 9)).toBeNull();
    expect(() => parseConfigurationDescriptor(Uint8Array.of(9, 2, 20, 0, 1, 1, 0, 0x80, 50, 9, 4))).toThrow(/descriptor at byte 9 has a bad length 9/);
  });

  it('stalls, and clearHalt sends CLEAR_FEATURE(ENDPOINT_HALT) to the function', async () => {
    const { device, log } = await openEcho();
    expect((await device.transferOut(1, new TextEncoder().encode('HALT'))).status).toBe('stall');
    expect((await device.transferOut(1, new TextEncoder().encode('x'))).status).toBe('stall');
    await device.clearHalt('out', 1);
    expect(log.cleared).toEqual(['out(1)']);
    expect((await device.transferOut(1, new TextEncoder().encode('x'))).status).toBe('ok');
    await device.controlTransferOut({ requestType: 'vendor', recipient: 'device', request: 2, value: 0, index: 0 }, Uint8Array.of(1));
    const stalled = await device.transferIn(2, 64);
    expect(stalled.status).toBe('stall');
    await device.clearHalt('in', 2);
    expect(log.cleared).toEqual(['out(1)', 'in(2)']);
    expect(text(await device.transferIn(2, 64))).toBe('x');
  });

  it('aborts a pending transferIn on close, releaseInterface and reset (AbortError)', async () => {
    const { device, log } = await openEcho();
    let pending = errorOf(device.transferIn(2, 64));
    await device.releaseInterface(0);
    expect((await pending)?.name).toBe('AbortError');
    expect(log.aborted).toBe(1);
    await device.claimInterface(0);
    pending = errorOf(device.transferIn(2, 64));
    await device.reset();
    expect((await pending)?.name).toBe('AbortError');
    expect(log.resets).toBe(1);
    pending = errorOf(device.transferIn(2, 64));
    await device.close();
    expect((await pending)?.name).toBe('AbortError');
    expect(log.aborted).toBe(3);
    expect(device.opened).toBe(false);
    expect(device.configuration!.interfaces[0]!.claimed).toBe(false);
  });

  it('unplugged: pending and new transfers reject with NetworkError, the function sees the abort; plug brings it back', async () => {
    const { device, log } = await openEcho();
    const pending = errorOf(device.transferIn(2, 64));
    device.unplug();
    const e = await pending;
    expect(e).toBeInstanceOf(Error);
    expect(e?.name).toBe('NetworkError');
    expect(e?.message).toMatch(/device was disconnected/);
    expect(log.aborted).toBe(1);
    expect(device.plugged).toBe(false);
    expect(device.opened).toBe(false);
    expect((await errorOf(device.transferOut(1, new Uint8Array(1))))?.name).toBe('NetworkError');
    expect((await errorOf(device.open()))?.name).toBe('NetworkError');
    device.plug();
    expect((await errorOf(device.transferOut(1, new Uint8Array(1))))?.name).toBe('InvalidStateError');
    await device.open();
    await device.claimInterface(0);
    await device.transferOut(1, new TextEncoder().encode('back'));
    expect(text(await device.transferIn(2, 64))).toBe('back');
  });

  it('has one configuration and one alternate setting, and no isochronous transfers', async () => {
    const { device } = await openEcho();
    await device.selectConfiguration(1);
    expect((await errorOf(device.selectConfiguration(2)))?.name).toBe('NotFoundError');
    await device.selectAlternateInterface(0, 0);
    expect((await errorOf(device.selectAlternateInterface(0, 1)))?.name).toBe('NotFoundError');
    expect((await errorOf(device.isochronousTransferIn(2, [64])))?.name).toBe('NotSupportedError');
    expect((await errorOf(device.isochronousTransferOut(1, new Uint8Array(1), [1])))?.name).toBe('NotSupportedError');
    await device.forget();
    expect((await errorOf(device.open()))?.name).toBe('NotFoundError');
  });
});
