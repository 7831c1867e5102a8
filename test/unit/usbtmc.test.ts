// USBTMC / USB488 framing byte for byte (protocols.md §5), the host (UsbtmcInstrument) against the device
// side (usbtmcFunction) through an emulated W3C USBDevice, with every transfer recorded: multi-packet answers,
// chunked writes, the Rigol and Advantest quirks, abort on timeout, clear, stall, short packet, status byte.
import { describe, expect, it } from 'vitest';
import { emulateUsbDevice } from '../../drivers/transports/usb/emulated-device';
import type { UsbFunction, UsbSetup } from '../../drivers/transports/usb/usb-function';
import { usbtmcFunction, type UsbtmcDeviceFaults, type UsbtmcDeviceParts } from '../../drivers/transports/usbtmc/device';
import { isDeviceGone, UsbtmcError, UsbtmcInstrument, type UsbtmcOptions } from '../../drivers/transports/usbtmc/host';
import {
  devDepMsgIn,
  devDepMsgOut,
  encodeCapabilities,
  hexBytes,
  nextBTag,
  nextStatusBTag,
  parseBulkHeader,
  parseCapabilities,
  requestDevDepMsgIn,
  usb488Trigger,
} from '../../drivers/transports/usbtmc/protocol';
import { blockAnswerLength, NO_QUIRKS, quirksFor } from '../../drivers/transports/usbtmc/quirks';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

/** An echo instrument: answers "<message>" for "ECHO? <message>", a block of n bytes for "BLOCK? n", nothing else. */
function echoInstrument() {
  const messages: string[] = [];
  const queue: Uint8Array[] = [];
  let triggers = 0;
  let clears = 0;
  return {
    messages,
    get triggers() {
      return triggers;
    },
    get clears() {
      return clears;
    },
    instrument: {
      message(bytes: Uint8Array) {
        const m = dec(bytes);
        messages.push(m);
        const echo = /^ECHO\? (.*)$/s.exec(m);
        if (echo) queue.push(enc(echo[1]!));
        const block = /^BLOCK\? (\d+)\n$/.exec(m);
        if (block) {
          const n = Number(block[1]);
          const head = `#9${String(n).padStart(9, '0')}`;
          const out = new Uint8Array(head.length + n + 1);
          out.set(enc(head));
          for (let i = 0; i < n; i++) out[head.length + i] = i & 0xff;
          out[out.length - 1] = 0x0a;
          queue.push(out);
        }
      },
      response: () => queue.shift() ?? null,
      statusByte: () => 0x04 | (queue.length ? 0x10 : 0),
      trigger: () => void triggers++,
      clear: () => {
        clears++;
        queue.length = 0;
      },
    },
  };
}

/** Every transfer between host and function, as the wire carries it. */
function recorded(fn: UsbFunction) {
  const log = { out: [] as Uint8Array[], in: [] as Uint8Array[], control: [] as UsbSetup[], clearHalt: [] as string[] };
  const proxy: UsbFunction = {
    descriptor: fn.descriptor,
    control: (s, d) => {
      log.control.push(s);
      return fn.control(s, d);
    },
    transferOut: (e, d) => {
      log.out.push(d.slice());
      return fn.transferOut(e, d);
    },
    transferIn: async (e, l, signal) => {
      const r = await fn.transferIn(e, l, signal);
      if (r.status === 'ok') log.in.push(r.data.slice());
      return r;
    },
    clearHalt: (direction, e) => {
      log.clearHalt.push(`${direction}(${e})`);
      fn.clearHalt(direction, e);
    },
    reset: () => fn.reset(),
  };
  return { proxy, log };
}

const PARTS: UsbtmcDeviceParts = {
  vendorId: 0x0957,
  productId: 0x1755,
  deviceVersion: { major: 1, minor: 0, subminor: 0 },
  manufacturerName: 'Test',
  productName: 'USBTMC test instrument',
  serialNumber: 'T1',
  speed: 'full',
};

async function rig(o: { parts?: Partial<UsbtmcDeviceParts>; host?: UsbtmcOptions; faults?: UsbtmcDeviceFaults } = {}) {
  const echo = echoInstrument();
  const faults: UsbtmcDeviceFaults = o.faults ?? {};
  const fn = usbtmcFunction({ ...PARTS, ...o.parts }, echo.instrument, () => faults);
  const { proxy, log } = recorded(fn);
  const device = emulateUsbDevice(proxy);
  const inst = new UsbtmcInstrument(device, { pollMs: 1, ...o.host });
  await inst.open(500);
  return { echo, fn, log, device, inst, faults };
}

describe('USBTMC framing (protocols.md §5)', () => {
  it('DEV_DEP_MSG_OUT of *IDN?\\n with bTag 1 is the example of §5', () => {
    expect(hexBytes(devDepMsgOut(1, enc('*IDN?\n'), true))).toBe('01 01 FE 00 06 00 00 00 01 00 00 00 2A 49 44 4E 3F 0A 00 00');
    // Not the last chunk: EOM clear; a 4-byte payload needs no padding.
    expect(hexBytes(devDepMsgOut(7, enc('ABCD'), false))).toBe('01 07 F8 00 04 00 00 00 00 00 00 00 41 42 43 44');
  });

  it('REQUEST_DEV_DEP_MSG_IN, DEV_DEP_MSG_IN and USB488 TRIGGER', () => {
    expect(hexBytes(requestDevDepMsgIn(2, 0x100000))).toBe('02 02 FD 00 00 00 10 00 00 00 00 00');
    expect(hexBytes(requestDevDepMsgIn(5, 64, 0x0a))).toBe('02 05 FA 00 40 00 00 00 02 0A 00 00');
    expect(hexBytes(devDepMsgIn(2, enc('1\n'), true))).toBe('02 02 FD 00 02 00 00 00 01 00 00 00 31 0A 00 00');
    expect(hexBytes(usb488Trigger(3))).toBe('80 03 FC 00 00 00 00 00 00 00 00 00');
  });

  it('bTag runs 1..255 and wraps 255 → 1, never 0; the status bTag runs 2..127', () => {
    expect(nextBTag(0)).toBe(1);
    expect(nextBTag(254)).toBe(255);
    expect(nextBTag(255)).toBe(1);
    let tag = 0;
    const seen = new Set<number>();
    for (let i = 0; i < 600; i++) seen.add((tag = nextBTag(tag)));
    expect(seen.has(0)).toBe(false);
    expect(seen.size).toBe(255);
    expect(nextStatusBTag(1)).toBe(2);
    expect(nextStatusBTag(126)).toBe(127);
    expect(nextStatusBTag(127)).toBe(2);
    expect(() => devDepMsgOut(0, enc('x'), true)).toThrow(/1\.\.255/);
  });

  it('reads headers strictly', () => {
    expect(parseBulkHeader(devDepMsgIn(9, enc('abc'), false))).toEqual({ msgId: 2, bTag: 9, transferSize: 3, attributes: 0, termChar: 0 });
    const bad = devDepMsgIn(9, enc('abc'), true);
    bad[2] = 0x00;
    expect(() => parseBulkHeader(bad)).toThrow(/bTagInverse 0x00 is not the inverse of bTag 9/);
    expect(() => parseBulkHeader(new Uint8Array(5))).toThrow(/12 bytes, got 5/);
    expect(() => parseBulkHeader(Uint8Array.from([2, 0, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/bTag 0/);
  });

  it('decodes GET_CAPABILITIES: bcdUSBTMC little-endian (T1), USB488 bytes 14 and 15', () => {
    const reply = Uint8Array.from([0x01, 0, 0x10, 0x02, 0b101, 0b1, 0, 0, 0, 0, 0, 0, 0x00, 0x01, 0b100, 0b1101, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseCapabilities(reply)).toEqual({
      bcdUSBTMC: 0x0210,
      indicatorPulse: true,
      talkOnly: false,
      listenOnly: true,
      termChar: true,
      bcdUSB488: 0x0100,
      usb4882: true,
      remoteLocal: false,
      trigger: false,
      scpi: true,
      sr1: true,
      rl1: false,
      dt1: true,
    });
    expect(encodeCapabilities(parseCapabilities(reply))).toEqual(reply);
    const failed = reply.slice();
    failed[0] = 0x80;
    expect(() => parseCapabilities(failed)).toThrow(/FAILED \(0x80\)/);
    expect(() => parseCapabilities(reply.subarray(0, 4))).toThrow(/4 bytes, expected 24/);
  });
});

describe('UsbtmcInstrument ↔ usbtmcFunction', () => {
  it('opens the USB488 interface, clears it, reads its capabilities, and sends *IDN? as the §5 bytes', async () => {
    const { inst, log, echo } = await rig();
    expect(inst.isUsb488).toBe(true);
    expect(inst.capabilitiesAtOpen()).toMatchObject({ bcdUSBTMC: 0x0100, bcdUSB488: 0x0100, usb4882: true, trigger: true, scpi: true });
    // open(): INITIATE_CLEAR, CHECK_CLEAR_STATUS (PENDING, then SUCCESS), CLEAR_FEATURE(HALT) on Bulk-OUT, GET_CAPABILITIES.
    const classRequests = log.control.filter((s) => s.bmRequestType === 0xa1).map((s) => [s.bRequest, s.wLength]);
    expect(classRequests).toEqual([[5, 1], [6, 2], [6, 2], [7, 0x18]]);
    expect(log.clearHalt).toEqual(['out(1)']);
    expect(echo.clears).toBe(1);
    await inst.write('*IDN?');
    expect(hexBytes(log.out[0]!)).toBe('01 01 FE 00 06 00 00 00 01 00 00 00 2A 49 44 4E 3F 0A 00 00');
    expect(echo.messages).toEqual(['*IDN?\n']);
  });

  it('queries: REQUEST_DEV_DEP_MSG_IN with the next bTag, a DEV_DEP_MSG_IN answer with EOM', async () => {
    const { inst, log } = await rig();
    expect(await inst.query('ECHO? hello\n')).toBe('hello');
    expect(hexBytes(log.out[1]!)).toBe('02 02 FD 00 00 00 10 00 00 00 00 00');
    expect(hexBytes(log.in[0]!)).toBe('02 02 FD 00 06 00 00 00 01 00 00 00 68 65 6C 6C 6F 0A 00 00');
    expect(inst.lastBTag).toBe(2);
  });

  it('bTags wrap 255 → 1 on the wire, never 0', async () => {
    const { inst, log } = await rig();
    for (let i = 0; i < 130; i++) expect(await inst.query(`ECHO? ${i}\n`)).toBe(String(i));
    const tags = log.out.map((o) => o[1]!);
    expect(tags.slice(252, 258)).toEqual([253, 254, 255, 1, 2, 3]);
    expect(tags).not.toContain(0);
    for (const o of log.out) expect(o[2]).toBe(~o[1]! & 0xff);
  });

  it('an answer spans many USB packets, and a long one comes in several DEV_DEP_MSG_IN with EOM on the last', async () => {
    const text = 'x'.repeat(997) + '\n';
    const perPacket = await rig({ host: { inChunkSize: 64 } });
    expect(await perPacket.inst.query(`ECHO? ${text}`)).toBe('x'.repeat(997));
    // One request, the 12-byte header and 998 payload bytes + 2 padding in 64-byte transfers.
    expect(perPacket.log.out.filter((o) => o[0] === 2)).toHaveLength(1);
    expect(perPacket.log.in.map((b) => b.length)).toEqual([...Array<number>(15).fill(64), 52]);

    const split = await rig({ host: { maxReadSize: 300 } });
    const got = await split.inst.read(100).catch((e: unknown) => e);
    expect(got).toBeInstanceOf(UsbtmcError); // nothing was asked yet: the read times out and is aborted
    await split.inst.write(`ECHO? ${text}`);
    expect(dec(await split.inst.read())).toBe(text);
    const answers = split.log.in.filter((b) => b.length >= 12 && b[0] === 2).map((b) => parseBulkHeader(b));
    expect(answers.map((h) => [h.transferSize, h.attributes & 1])).toEqual([
      [300, 0],
      [300, 0],
      [300, 0],
      [98, 1],
    ]);
  });

  it('splits a long message into DEV_DEP_MSG_OUT chunks of maxTransferSize, EOM only on the last', async () => {
    const { inst, log, echo } = await rig({ host: { maxTransferSize: 10 } });
    await inst.write('ECHO? 0123456789abcdefghi');
    const chunks = log.out.map((o) => parseBulkHeader(o));
    expect(chunks.map((h) => [h.msgId, h.transferSize, h.attributes])).toEqual([
      [1, 10, 0],
      [1, 10, 0],
      [1, 6, 1],
    ]);
    expect(echo.messages).toEqual(['ECHO? 0123456789abcdefghi\n']);
    expect(await inst.read()).toEqual(enc('0123456789abcdefghi\n'));
  });

  it('USB488 TRIGGER goes on Bulk-OUT; READ_STATUS_BYTE comes on Interrupt-IN, or in the reply without one', async () => {
    const { inst, log, echo } = await rig();
    await inst.trigger();
    expect(hexBytes(log.out[0]!)).toBe('80 01 FE 00 00 00 00 00 00 00 00 00');
    expect(echo.triggers).toBe(1);
    expect(await inst.readStatusByte()).toBe(0x04);
    await inst.write('ECHO? waiting\n');
    // An answer not yet read: MAV (0x10) on top of the instrument's own bits.
    expect(await inst.readStatusByte()).toBe(0x14);
    const rsb = log.control.filter((s) => s.bRequest === 128).map((s) => s.wValue);
    expect(rsb).toEqual([2, 3]);

    const plain = await rig({ parts: { endpoints: { bulkOut: 1, bulkIn: 2, interruptIn: null } } });
    expect(await plain.inst.readStatusByte()).toBe(0x04);
  });

  it('applies the Rigol DS1000Z quirks: one request, the header in the first packet only, the block length from the block', async () => {
    expect(quirksFor(0x1ab1, 0x04ce)).toMatchObject({ headerOnlyInFirstPacket: true, blockLengthFromBlock: true });
    expect(quirksFor(0x1ab1, 0x0588)).toMatchObject({ headerOnlyInFirstPacket: true, blockLengthFromBlock: false });
    expect(quirksFor(0x1334, 0x1234)).toMatchObject({ neverEom: true, maxTransferSize: 63 });
    expect(quirksFor(0x0957, 0x1755)).toBe(NO_QUIRKS);
    expect(blockAnswerLength(enc('#9000001200abc'))).toBe(1211);
    expect(blockAnswerLength(enc('#15abcde'))).toBe(8);
    expect(blockAnswerLength(enc('1.0\n'))).toBeNull();
    expect(blockAnswerLength(enc('#9000'))).toBeNull();

    const rigol = { vendorId: 0x1ab1, productId: 0x04ce, dialect: 'rigol' as const };
    const { inst, log } = await rig({ parts: rigol, host: { inChunkSize: 64 } });
    expect(inst.quirks.name).toBe('Rigol DS1000Z');
    const block = await inst.queryBytes('BLOCK? 1200\n');
    expect(block.length).toBe(1211);
    expect(dec(block.subarray(0, 11))).toBe('#9000001200');
    expect(block[11 + 1199]).toBe(1199 & 0xff);
    // The device said TransferSize 500 with EOM; the host asked once and read the raw packets after it.
    expect(parseBulkHeader(log.in[0]!)).toMatchObject({ transferSize: 500, attributes: 1 });
    expect(log.out.filter((o) => o[0] === 2)).toHaveLength(1);
    expect(log.in[1]!.subarray(0, 4)).toEqual(Uint8Array.from([41, 42, 43, 44]));
    // Short answers are honest.
    expect(await inst.query('ECHO? 1.0\n')).toBe('1.0');

    // Without the quirks the same device's answer stops at the 500 bytes its header claims.
    const naive = await rig({ parts: rigol, host: { quirks: NO_QUIRKS } });
    expect((await naive.inst.queryBytes('BLOCK? 1200\n')).length).toBe(500);
  });

  it('takes one DEV_DEP_MSG_IN as the whole answer from an instrument that never sets EOM (Advantest)', async () => {
    const { inst, log } = await rig({ host: { quirks: quirksFor(0x1334, 0x0001) } });
    // 63-byte transfers both ways (T1: max_transfer_size 63).
    await inst.write(`ECHO? ${'y'.repeat(100)}`);
    expect(log.out.map((o) => parseBulkHeader(o).transferSize)).toEqual([63, 44]);
    const first = await inst.read();
    expect(first.length).toBe(63);
    expect(log.out.filter((o) => o[0] === 2)).toHaveLength(1);
  });

  it('aborts a request that is never answered (INITIATE_ABORT_BULK_IN, CHECK_ABORT_BULK_IN_STATUS) and says so', async () => {
    const { inst, log, faults } = await rig();
    faults.timeout = true;
    await inst.write('ECHO? lost\n');
    const error = await inst.read(80).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsbtmcError);
    expect((error as UsbtmcError).kind).toBe('timeout');
    expect((error as Error).message).toBe('usbtmc: no reply to REQUEST_DEV_DEP_MSG_IN within 80 ms (bTag 2); aborted');
    const abort = log.control.filter((s) => s.bmRequestType === 0xa2).map((s) => [s.bRequest, s.wValue, s.wIndex]);
    expect(abort).toEqual([
      [3, 2, 0x82],
      [4, 0, 0x82],
    ]);
    // The aborted transfer ended with a (zero-length) short packet; the next exchange is clean.
    faults.timeout = false;
    expect(await inst.query('ECHO? back\n')).toBe('back');
  });

  it('answers an abort that comes before the host waits: PENDING with data queued until the short packet is read', async () => {
    const echo = echoInstrument();
    const fn = usbtmcFunction(PARTS, echo.instrument, () => ({ timeout: true }));
    await fn.transferOut(1, devDepMsgOut(1, enc('ECHO? x\n'), true));
    await fn.transferOut(1, requestDevDepMsgIn(2, 100));
    const setup = (bRequest: number, wValue: number, wLength: number) => ({ bmRequestType: 0xa2, bRequest, wValue, wIndex: 0x82, wLength });
    expect(await fn.control(setup(3, 9, 2), null)).toEqual({ status: 'ok', data: Uint8Array.from([0x81, 9]) }); // wrong bTag
    expect(await fn.control(setup(3, 2, 2), null)).toEqual({ status: 'ok', data: Uint8Array.from([0x01, 2]) });
    expect(((await fn.control(setup(4, 0, 8), null)) as { data: Uint8Array }).data.subarray(0, 2)).toEqual(Uint8Array.from([0x02, 1]));
    expect(await fn.transferIn(2, 64, new AbortController().signal)).toEqual({ status: 'ok', data: new Uint8Array(0) });
    expect(((await fn.control(setup(4, 0, 8), null)) as { data: Uint8Array }).data.subarray(0, 2)).toEqual(Uint8Array.from([0x01, 0]));
    expect(await fn.control(setup(3, 2, 2), null)).toEqual({ status: 'ok', data: Uint8Array.from([0x80, 2]) }); // nothing running now
  });

  it('clears a stalled Bulk-IN and reports the stall', async () => {
    const { inst, log, faults, fn } = await rig();
    faults.stall = true;
    await inst.write('ECHO? s\n');
    const error = (await inst.read(200).catch((e: unknown) => e)) as UsbtmcError;
    expect(error.kind).toBe('stall');
    expect(error.message).toBe('usbtmc: Bulk-IN endpoint 2 stalled answering REQUEST_DEV_DEP_MSG_IN (bTag 2); halt cleared');
    expect(log.clearHalt.at(-1)).toBe('in(2)');
    expect(fn.halted()).toEqual({ in: false, out: false });
    faults.stall = false;
    await inst.clear();
    expect(await inst.query('ECHO? ok\n')).toBe('ok');
  });

  it('says when an answer is cut short by a short packet', async () => {
    const { inst, faults } = await rig({ host: { inChunkSize: 64 } });
    faults.shortPacket = true;
    await inst.write(`ECHO? ${'z'.repeat(200)}\n`);
    const error = (await inst.read(200).catch((e: unknown) => e)) as UsbtmcError;
    expect(error.kind).toBe('short-packet');
    expect(error.message).toBe('usbtmc: short packet: DEV_DEP_MSG_IN (bTag 2) ended after 100 of 201 bytes');
    // Cut where a transfer ends: the device owes a zero-length packet, which ends it the same way.
    await inst.write(`ECHO? ${'z'.repeat(103)}\n`);
    expect(((await inst.read(200).catch((e: unknown) => e)) as Error).message).toMatch(/ended after 52 of 104 bytes/);
    faults.shortPacket = false;
    expect(await inst.query('ECHO? whole\n')).toBe('whole');
  });

  it('clear(): INITIATE_CLEAR, CHECK_CLEAR_STATUS while PENDING, then the Bulk-OUT halt cleared; the queues are emptied', async () => {
    const { inst, log, echo } = await rig();
    await inst.write('ECHO? stale\n');
    log.control.length = 0;
    log.clearHalt.length = 0;
    await inst.clear();
    expect(log.control.map((s) => [s.bmRequestType, s.bRequest])).toEqual([
      [0xa1, 5],
      [0xa1, 6],
      [0xa1, 6],
    ]);
    expect(log.clearHalt).toEqual(['out(1)']);
    expect(echo.clears).toBe(2);
    expect(await inst.query('ECHO? fresh\n')).toBe('fresh');
  });

  it('the device halts Bulk-OUT on a bad header until the host clears it; unknown requests stall', async () => {
    const echo = echoInstrument();
    const fn = usbtmcFunction(PARTS, echo.instrument);
    const bad = devDepMsgOut(3, enc('*IDN?\n'), true);
    bad[2] = 0;
    expect(await fn.transferOut(1, bad)).toBe('stall');
    expect(await fn.transferOut(1, devDepMsgOut(4, enc('ok\n'), true))).toBe('stall');
    fn.clearHalt('out', 1);
    const short = devDepMsgOut(5, enc('abcdefgh'), true).subarray(0, 16);
    expect(await fn.transferOut(1, short)).toBe('stall'); // TransferSize 8, 4 bytes came
    fn.clearHalt('out', 1);
    expect(await fn.transferOut(1, devDepMsgOut(6, enc('fine\n'), true))).toBe('ok');
    expect(echo.messages).toEqual(['fine\n']);
    // A message longer than the instrument's input buffer (MAX_MESSAGE) halts Bulk-OUT instead of filling memory.
    const big = new Uint8Array(600 * 1024).fill(0x41);
    expect(await fn.transferOut(1, devDepMsgOut(7, big, false))).toBe('ok');
    expect(await fn.transferOut(1, devDepMsgOut(8, big, false))).toBe('stall');
    expect(fn.halted().out).toBe(true);
    expect(await fn.control({ bmRequestType: 0xa1, bRequest: 99, wValue: 0, wIndex: 0, wLength: 1 }, null)).toEqual({ status: 'stall' });
    expect(await fn.control({ bmRequestType: 0xa1, bRequest: 7, wValue: 0, wIndex: 5, wLength: 0x18 }, null)).toEqual({ status: 'stall' });
  });

  it('a device unplugged mid-read fails the read as gone; an interface that is not USBTMC is refused at open', async () => {
    const { inst, device } = await rig();
    await inst.write('nothing to answer\n');
    const reading = inst.read(2000).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 20));
    device.unplug();
    const error = await reading;
    expect(isDeviceGone(error)).toBe(true);
    expect((error as Error).message).toMatch(/^usbtmc: the device is gone \(unplugged\) during REQUEST_DEV_DEP_MSG_IN/);

    const vendor: UsbFunction = {
      descriptor: { ...usbtmcFunction(PARTS, echoInstrument().instrument).descriptor, interfaces: [{ number: 0, interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0, endpoints: [] }] },
      control: async () => ({ status: 'stall' }),
      transferOut: async () => 'stall',
      transferIn: async () => ({ status: 'stall' }),
      clearHalt: () => undefined,
      reset: () => undefined,
    };
    await expect(new UsbtmcInstrument(emulateUsbDevice(vendor)).open()).rejects.toThrow(/0957:1755 \(USBTMC test instrument\) has no USBTMC interface/);
  });
});
