// USB over the network on loopback: a toy echo device (bulk OUT 1, bulk IN 2, vendor requests) served by
// UsbipServer and used through importUsbipDevice as a W3C USBDevice: descriptors read from the device,
// round trips, stall and clearHalt, the unlink of a cancelled transfer, unplug (NetworkError), replug and
// re-import, the devlist; the server's URB handling byte by byte with a raw client; and the local USB host
// on this machine.
import { existsSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openUsbDevice } from '../../drivers/transports/usb/open';
import { UsbHost } from '../../drivers/transports/usb/usb-host';
import type { UsbFunction, UsbReply, UsbSetup } from '../../drivers/transports/usb/usb-function';
import { importUsbipDevice, listUsbipDevices } from '../../drivers/transports/usb/usbip-client';
import { encodeUsbip, UsbipDecoder, type UsbipMessage } from '../../drivers/transports/usb/usbip-protocol';
import { UsbipServer } from '../../drivers/transports/usb/usbip-server';

/** An echo device: what comes in on bulk OUT 1 goes back on bulk IN 2. Vendor IN 1 reads the byte count, vendor OUT 2 halts IN 2. */
function echoFunction() {
  const queue: Uint8Array[] = [];
  const waiting = new Set<() => void>();
  const log = { cleared: [] as string[], resets: 0, aborted: 0, controls: [] as UsbSetup[], halted: { in: false, out: false }, echoed: 0, pendingIn: 0 };
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
          interfaceSubclass: 0x01,
          interfaceProtocol: 0x02,
          endpoints: [
            { number: 1, direction: 'out', type: 'bulk', packetSize: 512 },
            { number: 2, direction: 'in', type: 'bulk', packetSize: 512 },
          ],
        },
      ],
    },
    async control(setup: UsbSetup, data: Uint8Array | null): Promise<UsbReply> {
      log.controls.push(setup);
      if (setup.bmRequestType === 0xc0 && setup.bRequest === 1) return { status: 'ok', data: Uint8Array.of(log.echoed & 0xff, (log.echoed >> 8) & 0xff, (log.echoed >> 16) & 0xff, 0) };
      if (setup.bmRequestType === 0x40 && setup.bRequest === 2 && data) {
        log.halted.in = data[0] === 1;
        return { status: 'ok', data: new Uint8Array(0) };
      }
      return { status: 'stall' };
    },
    async transferOut(endpoint, data) {
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
      if (log.halted.in) return { status: 'stall' };
      log.pendingIn++;
      try {
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
      } finally {
        log.pendingIn--;
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

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function serve(functions: UsbFunction[]) {
  const server = new UsbipServer(functions);
  const port = await server.listen(0, '127.0.0.1');
  cleanup.push(() => server.close());
  return { server, port };
}

async function imported(port: number, busid = '1-1') {
  const device = await importUsbipDevice('127.0.0.1', port, busid, { timeoutMs: 2000 });
  cleanup.push(() => device.close().catch(() => {}));
  return device;
}

async function until(what: string, probe: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const text = (r: USBInTransferResult) => new TextDecoder().decode(r.data);
const bytes = (s: string) => new TextEncoder().encode(s);
const errorOf = async (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as Error);

describe('USB/IP: UsbipServer and importUsbipDevice on loopback', () => {
  it('lists the exported devices', async () => {
    const { port } = await serve([echoFunction().fn, echoFunction().fn]);
    const list = await listUsbipDevices('127.0.0.1', port);
    expect(list.map((d) => d.busid)).toEqual(['1-1', '1-2']);
    expect(list[0]).toMatchObject({ busnum: 1, speed: 3, idVendor: 0x1234, idProduct: 0xabcd, bcdDevice: 0x0123, bConfigurationValue: 1, bNumInterfaces: 1 });
    expect(list[0]!.interfaces).toEqual([{ bInterfaceClass: 0xff, bInterfaceSubClass: 0x01, bInterfaceProtocol: 0x02 }]);
  });

  it('imports a device with the descriptors it reads from the device, and echoes', async () => {
    const { fn, log } = echoFunction();
    const { port } = await serve([fn]);
    const device = await imported(port);
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
    const alt = device.configuration!.interfaces[0]!.alternate;
    expect([alt.interfaceClass, alt.interfaceSubclass, alt.interfaceProtocol]).toEqual([0xff, 0x01, 0x02]);
    expect(alt.endpoints.map((e) => [e.endpointNumber, e.direction, e.type, e.packetSize])).toEqual([
      [1, 'out', 'bulk', 512],
      [2, 'in', 'bulk', 512],
    ]);
    expect(log.controls).toHaveLength(0); // descriptors are standard requests, answered by the server

    expect((await errorOf(device.transferIn(2, 64)))?.name).toBe('InvalidStateError');
    await device.open();
    await device.claimInterface(0);
    const out = await device.transferOut(1, bytes('hello, NA64'));
    expect(out).toEqual({ status: 'ok', bytesWritten: 11 });
    const back = await device.transferIn(2, 512);
    expect(back.status).toBe('ok');
    expect(text(back)).toBe('hello, NA64');

    const big = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) & 0xff);
    await device.transferOut(1, big);
    const bigBack = await device.transferIn(2, 300_000);
    expect(bigBack.data!.byteLength).toBe(big.length);
    expect(Buffer.from(bigBack.data!.buffer, bigBack.data!.byteOffset, bigBack.data!.byteLength).equals(big)).toBe(true);

    const counter = await device.controlTransferIn({ requestType: 'vendor', recipient: 'device', request: 1, value: 0, index: 0 }, 4);
    expect(counter.status).toBe('ok');
    expect(counter.data!.getUint32(0, true)).toBe(200_011);
    expect(log.controls.at(-1)).toEqual({ bmRequestType: 0xc0, bRequest: 1, wValue: 0, wIndex: 0, wLength: 4 });
    // several transfers in flight at once come back to the right callers
    const [a, b] = [device.transferIn(2, 1), device.transferIn(2, 1)];
    await device.transferOut(1, bytes('xy'));
    expect([text(await a), text(await b)].sort()).toEqual(['x', 'y']);
  });

  it('stalls (-EPIPE) and clears the halt with CLEAR_FEATURE', async () => {
    const { fn, log } = echoFunction();
    const { port } = await serve([fn]);
    const device = await imported(port);
    await device.open();
    await device.claimInterface(0);
    expect(await device.transferOut(1, bytes('HALT'))).toEqual({ status: 'stall', bytesWritten: 0 });
    await device.clearHalt('out', 1);
    expect(log.cleared).toEqual(['out(1)']);
    await device.controlTransferOut({ requestType: 'vendor', recipient: 'device', request: 2, value: 0, index: 0 }, Uint8Array.of(1));
    expect((await device.transferIn(2, 64)).status).toBe('stall');
    await device.clearHalt('in', 2);
    expect(log.cleared).toEqual(['out(1)', 'in(2)']);
    expect((await device.controlTransferIn({ requestType: 'class', recipient: 'interface', request: 7, value: 0, index: 0 }, 24)).status).toBe('stall');
    await device.transferOut(1, bytes('ok'));
    expect(text(await device.transferIn(2, 64))).toBe('ok');
    await device.reset();
    expect(log.resets).toBe(1);
  });

  it('unlinks a pending transfer when it is cancelled, and the connection goes on', async () => {
    const { fn, log } = echoFunction();
    const { port } = await serve([fn]);
    const device = await imported(port);
    await device.open();
    await device.claimInterface(0);
    const pending = errorOf(device.transferIn(2, 64));
    await until('the URB to reach the device', () => log.pendingIn === 1);
    await device.releaseInterface(0);
    expect((await pending)?.name).toBe('AbortError');
    await until('the unlink to reach the device', () => log.aborted === 1);
    await device.claimInterface(0);
    await device.transferOut(1, bytes('after'));
    expect(text(await device.transferIn(2, 64))).toBe('after');
  });

  it('unplugged: the connection drops, transfers fail with NetworkError; replugged: imported again', async () => {
    const { fn, log } = echoFunction();
    const { server, port } = await serve([fn]);
    const device = await imported(port);
    await device.open();
    await device.claimInterface(0);
    const pending = errorOf(device.transferIn(2, 64));
    await until('the URB to reach the device', () => log.pendingIn === 1);
    server.unplug('1-1');
    const e = await pending;
    expect(e?.name).toBe('NetworkError');
    expect(e?.message).toMatch(/device was disconnected \(usbip 127\.0\.0\.1:\d+ bus 1-1: connection closed by the server\)/);
    expect(log.aborted).toBe(1);
    expect((await errorOf(device.transferOut(1, bytes('x'))))?.name).toBe('NetworkError');
    expect(device.opened).toBe(false);
    expect(await listUsbipDevices('127.0.0.1', port)).toEqual([]);
    await expect(importUsbipDevice('127.0.0.1', port, '1-1')).rejects.toThrow(/bus 1-1 is not exported \(exported: none\)/);

    server.plug('1-1');
    expect((await listUsbipDevices('127.0.0.1', port)).map((d) => d.busid)).toEqual(['1-1']);
    const again = await imported(port);
    await again.open();
    await again.claimInterface(0);
    await again.transferOut(1, bytes('back'));
    expect(text(await again.transferIn(2, 64))).toBe('back');
  });

  it('names the exported bus ids when the one asked for is not, and refuses a second importer', async () => {
    const { port } = await serve([echoFunction().fn]);
    await expect(importUsbipDevice('127.0.0.1', port, '3-2.1')).rejects.toThrow(/bus 3-2\.1 is not exported \(exported: 1-1 \(1234:abcd\)\)/);
    const first = await imported(port);
    await expect(importUsbipDevice('127.0.0.1', port, '1-1')).rejects.toThrow(/bus 1-1 is exported but refused the import \(status 1/);
    // close() gives the device back to the server; open() imports it again
    await first.open();
    await first.close();
    const second = await imported(port);
    await second.open();
    await second.close();
    await first.open();
    await first.claimInterface(0);
    await first.transferOut(1, bytes('first again'));
    expect(text(await first.transferIn(2, 64))).toBe('first again');
  });

  it('reports an unreachable server', async () => {
    const { server, port } = await serve([echoFunction().fn]);
    await server.close();
    await expect(listUsbipDevices('127.0.0.1', port, { timeoutMs: 1000 })).rejects.toThrow(/usbip 127\.0\.0\.1:\d+: cannot connect: .*ECONNREFUSED/);
    await expect(openUsbDevice({ kind: 'usbip', host: '127.0.0.1', port, busid: '1-1' })).rejects.toThrow(/cannot connect/);
  });
});

/** A bare USB/IP client that speaks bytes, to check the server's answers on the wire. */
async function rawImport(port: number, busid: string) {
  const socket: Socket = createConnection({ port, host: '127.0.0.1' });
  await new Promise((r) => socket.once('connect', r));
  const directions = new Map<number, 'in' | 'out'>();
  const decoder = new UsbipDecoder('client', { directionOf: (s) => directions.get(s) });
  const received: UsbipMessage[] = [];
  socket.on('data', (chunk: Buffer) => received.push(...decoder.push(chunk)));
  cleanup.push(async () => void socket.destroy());
  socket.write(encodeUsbip({ kind: 'OP_REQ_IMPORT', busid }));
  await until('OP_REP_IMPORT', () => received.length === 1);
  const submit = (seqnum: number, direction: 'in' | 'out', ep: number, data: Uint8Array, length = data.length) => {
    directions.set(seqnum, direction);
    socket.write(
      encodeUsbip({ kind: 'CMD_SUBMIT', seqnum, devid: 0x10002, direction: direction === 'in' ? 1 : 0, ep, transferFlags: direction === 'in' ? 0x200 : 0, transferBufferLength: length, startFrame: 0, numberOfPackets: 0xffffffff, interval: 0, setup: new Uint8Array(8), data: direction === 'out' ? data : new Uint8Array(0) }),
    );
  };
  const unlink = (seqnum: number, target: number) => socket.write(encodeUsbip({ kind: 'CMD_UNLINK', seqnum, devid: 0x10002, direction: 0, ep: 0, unlinkSeqnum: target }));
  return { received, submit, unlink };
}

describe('USB/IP server on the wire', () => {
  it('answers CMD_UNLINK with -ECONNRESET for a pending URB (and no RET_SUBMIT), 0 for a finished one', async () => {
    const { fn, log } = echoFunction();
    const { port } = await serve([fn]);
    const raw = await rawImport(port, '1-1');
    expect(raw.received[0]).toMatchObject({ kind: 'OP_REP_IMPORT', status: 0, device: { busid: '1-1', idVendor: 0x1234 } });

    raw.submit(1, 'out', 1, bytes('abc'));
    await until('RET_SUBMIT 1', () => raw.received.length === 2);
    expect(raw.received[1]).toMatchObject({ kind: 'RET_SUBMIT', seqnum: 1, status: 0, actualLength: 3 });
    raw.unlink(2, 1);
    await until('RET_UNLINK 2', () => raw.received.length === 3);
    expect(raw.received[2]).toMatchObject({ kind: 'RET_UNLINK', seqnum: 2, status: 0 });

    raw.submit(3, 'in', 2, new Uint8Array(0), 64); // gets "abc"
    raw.submit(4, 'in', 2, new Uint8Array(0), 64); // waits
    await until('RET_SUBMIT 3', () => raw.received.length === 4);
    expect(raw.received[3]).toMatchObject({ kind: 'RET_SUBMIT', seqnum: 3, status: 0, actualLength: 3, data: bytes('abc') });
    await until('URB 4 at the device', () => log.pendingIn === 1);
    raw.unlink(5, 4);
    await until('RET_UNLINK 5', () => raw.received.length === 5);
    expect(raw.received[4]).toMatchObject({ kind: 'RET_UNLINK', seqnum: 5, status: -104 });
    expect(log.aborted).toBe(1);

    raw.submit(6, 'out', 1, bytes('HALT'));
    raw.submit(7, 'in', 5, new Uint8Array(0), 8); // no such endpoint
    await until('RET_SUBMIT 6 and 7', () => raw.received.length === 7);
    expect(raw.received.slice(5)).toMatchObject([
      { kind: 'RET_SUBMIT', seqnum: 6, status: -32, actualLength: 0 },
      { kind: 'RET_SUBMIT', seqnum: 7, status: -2 },
    ]);
    expect(raw.received.some((m) => m.kind === 'RET_SUBMIT' && m.seqnum === 4)).toBe(false);
  });

  it('refuses the import of an unknown bus id with status 1', async () => {
    const { port } = await serve([echoFunction().fn]);
    const socket = createConnection({ port, host: '127.0.0.1' });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.write(encodeUsbip({ kind: 'OP_REQ_IMPORT', busid: '9-9' }));
    await new Promise((r) => socket.once('close', r));
    expect(Buffer.concat(chunks).toString('hex')).toBe('0111000300000001');
  });
});

describe('local USB host', () => {
  it('lists this machine’s USB devices, or says in one line why there are none, without throwing', async () => {
    const host = new UsbHost();
    const list = await host.list();
    if (existsSync('/sys/bus/usb')) {
      expect(list.available).toBe(true);
      expect(list.reason).toBeNull();
    } else {
      expect(list).toEqual({ available: false, reason: expect.stringMatching(/^[^\n]+$/), devices: [] });
      expect(list.reason).toBe('no USB bus on this machine (/sys/bus/usb absent)');
      expect(await host.find({ vendorId: 0x04b4, productId: 0x1175 })).toBeNull();
      await expect(openUsbDevice({ kind: 'usb', vendorId: 0x04b4, productId: 0x1175, serial: 'X' }, host)).rejects.toThrow(
        'usb 04b4:1175 serial X: no USB bus on this machine (/sys/bus/usb absent)',
      );
    }
    const stop = host.onChange(() => {});
    stop();
  });
});
