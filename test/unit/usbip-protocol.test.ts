// The USB/IP codec (drivers/transports/usb/usbip-protocol.ts) against bytes written out by hand from the
// Linux kernel's Documentation/usb/usbip_protocol.rst, including the HID capture at the end of that
// document; decoding in arbitrary chunks; and malformed streams.
import { describe, expect, it } from 'vitest';
import {
  decodeUsbip,
  encodeUsbip,
  setupBytes,
  UsbipDecoder,
  type UsbipDeviceRecord,
  type UsbipMessage,
} from '../../drivers/transports/usb/usbip-protocol';

/** Bytes from hex with any spaces. */
const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g) ?? [], (b) => parseInt(b, 16));
const zeros = (n: number) => '00'.repeat(n);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const echoRecord: UsbipDeviceRecord = {
  path: '/sys/devices/platform/na64-usbip/usb1/1-1',
  busid: '1-1',
  busnum: 1,
  devnum: 2,
  speed: 3,
  idVendor: 0x1234,
  idProduct: 0xabcd,
  bcdDevice: 0x0123,
  bDeviceClass: 0,
  bDeviceSubClass: 0,
  bDeviceProtocol: 0,
  bConfigurationValue: 1,
  bNumConfigurations: 1,
  bNumInterfaces: 1,
  interfaces: [{ bInterfaceClass: 0xff, bInterfaceSubClass: 0, bInterfaceProtocol: 0 }],
};

/** The 312-byte usbip_usb_device record of echoRecord, field by field. */
const echoRecordHex =
  ascii('/sys/devices/platform/na64-usbip/usb1/1-1') + zeros(256 - 41) + // path[256]
  ascii('1-1') + zeros(29) + // busid[32]
  '00000001' + // busnum
  '00000002' + // devnum
  '00000003' + // speed: USB_SPEED_HIGH
  '1234' + 'abcd' + '0123' + // idVendor, idProduct, bcdDevice
  '00 00 00' + // bDeviceClass, SubClass, Protocol
  '01 01 01'; // bConfigurationValue, bNumConfigurations, bNumInterfaces

describe('USB/IP op messages', () => {
  it('OP_REQ_DEVLIST and OP_REQ_IMPORT for bus 1-1', () => {
    expect(toHex(encodeUsbip({ kind: 'OP_REQ_DEVLIST' }))).toBe('0111800500000000');
    const importRequest = hex('0111 8003 00000000' + '312d31' + zeros(29));
    expect(encodeUsbip({ kind: 'OP_REQ_IMPORT', busid: '1-1' })).toEqual(importRequest);
    expect(decodeUsbip(importRequest, 'server')).toEqual([{ kind: 'OP_REQ_IMPORT', busid: '1-1' }]);
    expect(decodeUsbip(hex('0111800500000000'), 'server')).toEqual([{ kind: 'OP_REQ_DEVLIST' }]);
  });

  it('OP_REP_DEVLIST: the count, the 312-byte record, 4 bytes per interface', () => {
    const bytes = hex('0111 0005 00000000 00000001' + echoRecordHex + 'ff 00 00 00');
    expect(bytes.length).toBe(12 + 312 + 4);
    expect(encodeUsbip({ kind: 'OP_REP_DEVLIST', status: 0, devices: [echoRecord] })).toEqual(bytes);
    expect(decodeUsbip(bytes, 'client')).toEqual([{ kind: 'OP_REP_DEVLIST', status: 0, devices: [echoRecord] }]);
    expect(decodeUsbip(hex('0111 0005 00000000 00000000'), 'client')).toEqual([{ kind: 'OP_REP_DEVLIST', status: 0, devices: [] }]);
  });

  it('OP_REP_IMPORT: the record without interfaces when accepted, the status alone when refused', () => {
    const accepted = hex('0111 0003 00000000' + echoRecordHex);
    const device = { ...echoRecord, interfaces: [] };
    expect(encodeUsbip({ kind: 'OP_REP_IMPORT', status: 0, device })).toEqual(accepted);
    expect(decodeUsbip(accepted, 'client')).toEqual([{ kind: 'OP_REP_IMPORT', status: 0, device }]);
    const refused = hex('0111 0003 00000001');
    expect(encodeUsbip({ kind: 'OP_REP_IMPORT', status: 1, device: null })).toEqual(refused);
    expect(decodeUsbip(refused, 'client')).toEqual([{ kind: 'OP_REP_IMPORT', status: 1, device: null }]);
  });

  it('refuses fields that do not fit', () => {
    expect(() => encodeUsbip({ kind: 'OP_REQ_IMPORT', busid: '1-'.repeat(16) })).toThrow(/busid .* shorter than 32 bytes/);
    expect(() => encodeUsbip({ kind: 'OP_REP_DEVLIST', status: 0, devices: [{ ...echoRecord, interfaces: [] }] })).toThrow(/bNumInterfaces 1 but 0 interface records/);
  });
});

describe('USB/IP URB messages', () => {
  /** A server decoder past the import, as after OP_REQ_IMPORT. */
  const serverAfterImport = () => {
    const d = new UsbipDecoder('server');
    d.push(hex('0111 8003 00000000' + '312d31' + zeros(29)));
    return d;
  };

  it('CMD_SUBMIT of a bulk IN of 64 bytes on endpoint 2', () => {
    const bytes = hex(
      '00000001 00000001 00010002 00000001 00000002' + // command, seqnum, devid (bus 1 dev 2), direction IN, ep 2
        '00000200 00000040 00000000 ffffffff 00000000' + // URB_DIR_IN, 64 bytes, start_frame, not ISO, interval
        '0000000000000000', // setup
    );
    const m: UsbipMessage = {
      kind: 'CMD_SUBMIT',
      seqnum: 1,
      devid: 0x00010002,
      direction: 1,
      ep: 2,
      transferFlags: 0x200,
      transferBufferLength: 64,
      startFrame: 0,
      numberOfPackets: 0xffffffff,
      interval: 0,
      setup: new Uint8Array(8),
      data: new Uint8Array(0),
    };
    expect(encodeUsbip(m)).toEqual(bytes);
    expect(serverAfterImport().push(bytes)).toEqual([m]);
  });

  it('CMD_SUBMIT of a control GET_DESCRIPTOR(DEVICE): the SETUP bytes are little-endian inside', () => {
    const setup = setupBytes({ bmRequestType: 0x80, bRequest: 6, wValue: 0x0100, wIndex: 0, wLength: 18 });
    expect(toHex(setup)).toBe('8006000100001200');
    const bytes = encodeUsbip({ kind: 'CMD_SUBMIT', seqnum: 7, devid: 0x00010002, direction: 1, ep: 0, transferFlags: 0x200, transferBufferLength: 18, startFrame: 0, numberOfPackets: 0xffffffff, interval: 0, setup, data: new Uint8Array(0) });
    expect(toHex(bytes)).toBe('00000001000000070001000200000001000000000000020000000012' + '00000000ffffffff00000000' + '8006000100001200');
  });

  it('RET_SUBMIT with IN data, and a stall (-EPIPE)', () => {
    const ok = hex('00000003 00000001 00000000 00000000 00000000' + '00000000 00000003 00000000 ffffffff 00000000' + zeros(8) + '616263');
    const m: UsbipMessage = { kind: 'RET_SUBMIT', seqnum: 1, devid: 0, direction: 0, ep: 0, status: 0, actualLength: 3, startFrame: 0, numberOfPackets: 0xffffffff, errorCount: 0, data: hex('616263') };
    expect(encodeUsbip(m)).toEqual(ok);
    const stall = hex('00000003 00000002 00000000 00000000 00000000' + 'ffffffe0 00000000 00000000 ffffffff 00000000' + zeros(8));
    expect(encodeUsbip({ ...m, seqnum: 2, status: -32, actualLength: 0, data: new Uint8Array(0) })).toEqual(stall);
    const client = new UsbipDecoder('client', { directionOf: (s) => (s <= 2 ? 'in' : undefined) });
    client.push(hex('0111 0003 00000000' + echoRecordHex));
    expect(client.importing).toBe(true);
    const [a, b] = client.push(new Uint8Array([...ok, ...stall]));
    expect(a).toEqual(m);
    expect(b).toMatchObject({ kind: 'RET_SUBMIT', seqnum: 2, status: -32, actualLength: 0 });
  });

  it('CMD_UNLINK and RET_UNLINK (-ECONNRESET)', () => {
    const unlink = hex('00000002 00000005 00010002 00000000 00000000 00000003' + zeros(24));
    expect(encodeUsbip({ kind: 'CMD_UNLINK', seqnum: 5, devid: 0x00010002, direction: 0, ep: 0, unlinkSeqnum: 3 })).toEqual(unlink);
    expect(serverAfterImport().push(unlink)).toEqual([{ kind: 'CMD_UNLINK', seqnum: 5, devid: 0x00010002, direction: 0, ep: 0, unlinkSeqnum: 3 }]);
    const ret = hex('00000004 00000005 00000000 00000000 00000000 ffffff98' + zeros(24));
    expect(encodeUsbip({ kind: 'RET_UNLINK', seqnum: 5, devid: 0, direction: 0, ep: 0, status: -104 })).toEqual(ret);
  });

  it('reads the HID capture of the kernel document (number_of_packets 0, as Linux sends it)', () => {
    const cmdIntrIn = hex('00000001 00000d05 0001000f 00000001 00000001 00000200 00000040 ffffffff 00000000 00000004 00000000 00000000');
    const cmdIntrOut = hex(
      '00000001 00000d06 0001000f 00000000 00000001 00000000 00000040 ffffffff 00000000 00000004 00000000 00000000' +
        'ffffffff860008a784ce5ae212376300000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000',
    );
    const [inCmd, outCmd] = serverAfterImport().push(new Uint8Array([...cmdIntrIn, ...cmdIntrOut]));
    expect(inCmd).toMatchObject({ kind: 'CMD_SUBMIT', seqnum: 0xd05, devid: 0x1000f, direction: 1, ep: 1, transferFlags: 0x200, transferBufferLength: 64, startFrame: 0xffffffff, numberOfPackets: 0, interval: 4 });
    expect(outCmd).toMatchObject({ kind: 'CMD_SUBMIT', seqnum: 0xd06, direction: 0, ep: 1, transferBufferLength: 64 });
    expect(outCmd?.kind === 'CMD_SUBMIT' && toHex(outCmd.data.subarray(0, 15))).toBe('ffffffff860008a784ce5ae2123763');

    const retIntrOut = hex('00000003 00000d06 00000000 00000000 00000000 00000000 00000040 ffffffff 00000000 00000000 00000000 00000000');
    const retIntrIn = hex(
      '00000003 00000d05 00000000 00000000 00000000 00000000 00000040 ffffffff 00000000 00000000 00000000 00000000' +
        'ffffffff860011a784ce5ae2123763612891b1020100000400000000000000000000000000000000000000000000000000000000000000000000000000000000',
    );
    const client = new UsbipDecoder('client', { directionOf: (s) => (s === 0xd05 ? 'in' : s === 0xd06 ? 'out' : undefined) });
    client.push(hex('0111 0003 00000000' + echoRecordHex));
    const [out, in_] = client.push(new Uint8Array([...retIntrOut, ...retIntrIn]));
    expect(out).toMatchObject({ kind: 'RET_SUBMIT', seqnum: 0xd06, status: 0, actualLength: 64, data: new Uint8Array(0) });
    expect(in_).toMatchObject({ kind: 'RET_SUBMIT', seqnum: 0xd05, status: 0, actualLength: 64 });
    expect(in_?.kind === 'RET_SUBMIT' && in_.data.length).toBe(64);
  });
});

describe('USB/IP stream decoding', () => {
  const stream = () =>
    new Uint8Array([
      ...hex('0111 8003 00000000' + '312d31' + zeros(29)),
      ...encodeUsbip({ kind: 'CMD_SUBMIT', seqnum: 1, devid: 0x10002, direction: 0, ep: 1, transferFlags: 0, transferBufferLength: 5, startFrame: 0, numberOfPackets: 0xffffffff, interval: 0, setup: new Uint8Array(8), data: hex('68656c6c6f') }),
      ...encodeUsbip({ kind: 'CMD_SUBMIT', seqnum: 2, devid: 0x10002, direction: 1, ep: 2, transferFlags: 0x200, transferBufferLength: 64, startFrame: 0, numberOfPackets: 0xffffffff, interval: 0, setup: new Uint8Array(8), data: new Uint8Array(0) }),
      ...encodeUsbip({ kind: 'CMD_UNLINK', seqnum: 3, devid: 0x10002, direction: 0, ep: 0, unlinkSeqnum: 2 }),
    ]);

  it('gives the same messages whatever the chunks', () => {
    const whole = decodeUsbip(stream(), 'server');
    expect(whole.map((m) => m.kind)).toEqual(['OP_REQ_IMPORT', 'CMD_SUBMIT', 'CMD_SUBMIT', 'CMD_UNLINK']);
    for (const size of [1, 2, 3, 7, 47, 48, 49, 100]) {
      const decoder = new UsbipDecoder('server');
      const got: UsbipMessage[] = [];
      const bytes = stream();
      for (let i = 0; i < bytes.length; i += size) got.push(...decoder.push(bytes.subarray(i, i + size)));
      decoder.end();
      expect(got).toEqual(whole);
    }
  });

  it('rejects a bad op code, a bad version and a bad URB command, naming them', () => {
    expect(() => decodeUsbip(hex('0111800700000000'), 'server')).toThrow(/unexpected op code 0x8007 \(a server expects OP_REQ_DEVLIST 0x8005 or OP_REQ_IMPORT 0x8003\)/);
    expect(() => decodeUsbip(hex('0106800500000000'), 'server')).toThrow(/protocol version 0x0106 in OP_REQ_DEVLIST, this side speaks 0x0111/);
    expect(() => decodeUsbip(hex('0111000500000000 00000000'), 'server')).toThrow(/unexpected op code 0x0005/);
    const decoder = new UsbipDecoder('server');
    decoder.push(hex('0111 8003 00000000' + '312d31' + zeros(29)));
    expect(() => decoder.push(hex('00000009 0000'))).toThrow(/unexpected command 0x00000009 \(a server expects CMD_SUBMIT 1 or CMD_UNLINK 2\)/);
    // a failed decoder stays failed: the connection is unusable
    expect(() => decoder.push(new Uint8Array(0))).toThrow(/0x00000009/);
  });

  it('rejects absurd lengths instead of waiting for 4 GB', () => {
    const submit = hex('00000001 00000001 00010002 00000000 00000001' + '00000000 01000001 00000000 ffffffff 00000000' + zeros(8));
    const decoder = new UsbipDecoder('server');
    decoder.push(hex('0111 8003 00000000' + '312d31' + zeros(29)));
    expect(() => decoder.push(submit)).toThrow(/asks for 16777217 bytes \(more than 16777216/);
    expect(() => decodeUsbip(hex('0111 0005 00000000 00100000'), 'client')).toThrow(/announces 1048576 devices/);
  });

  it('rejects truncated streams, isochronous URBs and replies to nothing', () => {
    expect(() => decodeUsbip(hex('0111 8003 00000000 312d31'), 'server')).toThrow(/stream ended inside a message \(11 bytes left over: OP_REQ_IMPORT\)/);
    const truncated = new UsbipDecoder('server');
    truncated.push(hex('0111 8003 00000000' + '312d31' + zeros(29)));
    truncated.push(hex('00000001 00000001 00010002 00000000 00000001 00000000 00000005'));
    expect(() => truncated.end()).toThrow(/ended inside a message \(28 bytes left over: CMD_SUBMIT\)/);
    const iso = new UsbipDecoder('server');
    iso.push(hex('0111 8003 00000000' + '312d31' + zeros(29)));
    expect(() => iso.push(hex('00000001 00000001 00010002 00000001 00000003' + '00000200 00000040 00000000 00000008 00000001' + zeros(8)))).toThrow(/isochronous \(number_of_packets 8\)/);
    const client = new UsbipDecoder('client', { directionOf: () => undefined });
    client.push(hex('0111 0003 00000000' + echoRecordHex));
    expect(() => client.push(hex('00000003 0000002a 00000000 00000000 00000000' + zeros(28)))).toThrow(/RET_SUBMIT for seqnum 42, which was never submitted/);
  });
});
