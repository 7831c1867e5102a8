// The mesytec MVLC command protocol (drivers/vme/mvlc-protocol.ts) against literal words and bytes taken
// from github:mesytec/mesytec-mvlc: the builders' own tests (src/mesytec-mvlc/mvlc_command_builders.test.cc,
// SuperReadLocal / SuperWriteLocal with 0x1337 and 42), make_stack_buffer and make_stack_upload_commands
// (mvlc_command_builders.cc), the exec sequence of CmdApi::stackTransactionImpl (mvlc.cc), the ETH header
// layout (mvlc_constants.h eth::header0/header1) and a real ReadLocal answer quoted in
// extras/dev-tools/mvlc_eth_low_level_tests.cc ("0xf1000005, 0x01010001, 0x01026008, 0x00005008, …").
import { describe, expect, it } from 'vitest';
import {
  AM,
  MVLC_COMMAND_PORT,
  MVLC_DATA_PORT,
  MvlcProtocolError,
  bytesToWords,
  decodeEthHeader,
  decodeFrameHeader,
  ethHeaderWords,
  execImmediateStack,
  frameHeader,
  packetLoss,
  parsePacket,
  parseStack,
  parseSuperBuffer,
  readStackAnswer,
  readSuperAnswer,
  stackBuffer,
  stackUploadParts,
  superBuffer,
  wordsToBytes,
  type StackCommand,
  type SuperCommand,
} from '../../drivers/vme/mvlc-protocol';

const bytes = (hex: string) => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

describe('super command buffers (make_command_buffer)', () => {
  it('ReadLocal 0x1337 is F1000000 01021337 F2000000, little-endian on the wire', () => {
    const words = superBuffer([{ kind: 'read-local', address: 0x1337 }]);
    expect(words).toEqual([0xf1000000, 0x01021337, 0xf2000000]);
    expect(wordsToBytes(words)).toEqual(bytes('000000f1 37130201 000000f2'));
  });

  it('WriteLocal 0x1337 = 42 takes the value as a word of its own', () => {
    expect(superBuffer([{ kind: 'write-local', address: 0x1337, value: 42 }])).toEqual([0xf1000000, 0x02041337, 42, 0xf2000000]);
  });

  it('a register read as CmdApi::readRegister sends it: reference word first', () => {
    const request: SuperCommand[] = [
      { kind: 'reference', value: 1 },
      { kind: 'read-local', address: 0x600e },
    ];
    expect(wordsToBytes(superBuffer(request))).toEqual(bytes('000000f1 01000101 0e600201 000000f2'));
  });

  it('reads the MVLC answer quoted in mvlc_eth_low_level_tests.cc: two hardware-id reads give 0x5008 each', () => {
    const request: SuperCommand[] = [
      { kind: 'reference', value: 1 },
      { kind: 'read-local', address: 0x6008 },
      { kind: 'read-local', address: 0x6008 },
    ];
    expect(readSuperAnswer(request, [0xf1000005, 0x01010001, 0x01026008, 0x00005008, 0x01026008, 0x00005008])).toEqual([0x5008, 0x5008]);
  });

  it('refuses an answer whose mirror differs, or that is cut short, or is not a super frame', () => {
    const request: SuperCommand[] = [
      { kind: 'reference', value: 7 },
      { kind: 'read-local', address: 0x600e },
    ];
    expect(() => readSuperAnswer(request, [0xf1000003, 0x01010008, 0x0102600e, 0x39])).toThrow(/mirror differs.*word 1/);
    expect(() => readSuperAnswer(request, [0xf1000002, 0x01010007, 0x0102600e])).toThrow(/cut short/);
    expect(() => readSuperAnswer(request, [0xf3000001, 0x01010007])).toThrow(/super frame/);
  });

  it('parses what the MVLC is sent, and refuses a buffer without CmdBufferStart/End', () => {
    const request: SuperCommand[] = [
      { kind: 'reference', value: 0xbeef },
      { kind: 'write-local', address: 0x1200, value: 4 },
      { kind: 'read-local', address: 0x1404 },
    ];
    expect(parseSuperBuffer(superBuffer(request))).toEqual(request);
    expect(() => parseSuperBuffer([0x01010001])).toThrow(MvlcProtocolError);
    expect(() => parseSuperBuffer([0xf1000000, 0x02041200, 0xf2000000])).toThrow(/no value word/);
    expect(() => parseSuperBuffer([0xf1000000, 0x07770000, 0xf2000000])).toThrow(/unknown super command 0x07770000/);
  });
});

describe('stacks (make_stack_buffer, make_stack_upload_commands, stackTransactionImpl)', () => {
  it('encodes VME read, write, block read and marker as the library does', () => {
    expect(stackBuffer([{ kind: 'vme-read', address: 0x1337, am: AM.A32, width: 'D32' }])).toEqual([0x12090002, 0x1337]);
    expect(stackBuffer([{ kind: 'vme-read', address: 0x00101132, am: AM.A24, width: 'D16' }])).toEqual([0x12390001, 0x00101132]);
    expect(stackBuffer([{ kind: 'vme-write', address: 0x1339, am: AM.A32, width: 'D32', value: 43 }])).toEqual([0x23090002, 0x1339, 43]);
    expect(stackBuffer([{ kind: 'vme-block-read', address: 0x1338, am: AM.A32_BLT, transfers: 42, fifo: true }])).toEqual([0x120b002a, 0x1338]);
    expect(stackBuffer([{ kind: 'vme-block-read', address: 0x1338, am: AM.A24_BLT, transfers: 42, fifo: false }])).toEqual([0x323b002a, 0x1338]);
    expect(stackBuffer([{ kind: 'marker', value: 0x87654321 }])).toEqual([0xc2000000, 0x87654321]);
  });

  it('refuses a single read with a block AM, a block read with a data AM and impossible transfer counts', () => {
    expect(() => stackBuffer([{ kind: 'vme-read', address: 0, am: AM.A32_BLT, width: 'D32' }])).toThrow(/block mode/);
    expect(() => stackBuffer([{ kind: 'vme-block-read', address: 0, am: AM.A32, transfers: 4, fifo: true }])).toThrow(/not a block mode/);
    expect(() => stackBuffer([{ kind: 'vme-block-read', address: 0, am: AM.A32_BLT, transfers: 0, fifo: true }])).toThrow(/1–65535/);
  });

  it('uploads CmdApi::vmeRead’s stack (marker, read) to the immediate stack at 0x2004, StackStart to the command pipe', () => {
    const stack: StackCommand[] = [
      { kind: 'marker', value: 1 },
      { kind: 'vme-read', address: 0x00101132, am: AM.A32, width: 'D16' },
    ];
    const parts = stackUploadParts(stackBuffer(stack));
    expect(parts).toHaveLength(1);
    const words = superBuffer([{ kind: 'reference', value: 2 }, ...parts[0]!]);
    expect(words).toEqual([
      0xf1000000, 0x01010002, 0x02042004, 0xf3000000, 0x02042008, 0xc2000000, 0x0204200c, 0x00000001, 0x02042010, 0x12090001, 0x02042014, 0x00101132, 0x02042018,
      0xf4000000, 0xf2000000,
    ]);
  });

  it('splits a long stack into parts of 181 words (EthPartMaxSize), StackStart first and StackEnd last', () => {
    const parts = stackUploadParts(Array.from({ length: 200 }, (_, i) => i));
    expect(parts.map((p) => p.length)).toEqual([182, 20]);
    expect(parts[0]![0]).toEqual({ kind: 'write-local', address: 0x2004, value: 0xf3000000 });
    expect(parts[1]!.at(-1)).toEqual({ kind: 'write-local', address: 0x2004 + 201 * 4, value: 0xf4000000 });
  });

  it('runs the immediate stack as stackTransactionImpl does', () => {
    expect(superBuffer([{ kind: 'reference', value: 3 }, ...execImmediateStack()])).toEqual([
      0xf1000000, 0x01010003, 0x02041400, 0, 0x02041404, 0, 0x02041200, 4, 0x02041100, 0x100, 0xf2000000,
    ]);
  });

  it('parses uploaded stack memory back into commands', () => {
    const stack: StackCommand[] = [
      { kind: 'marker', value: 9 },
      { kind: 'vme-write', address: 0x00101124, am: AM.A32, width: 'D16', value: 1 },
      { kind: 'vme-read', address: 0x00101134, am: AM.A32, width: 'D16' },
      { kind: 'vme-block-read', address: 0x00100000, am: AM.A32_BLT, transfers: 6, fifo: true },
    ];
    expect(parseStack([0xf3000000, ...stackBuffer(stack), 0xf4000000])).toEqual({ pipe: 0, commands: stack });
    expect(() => parseStack([0x12090002, 0])).toThrow(/StackStart/);
    expect(() => parseStack([0xf3000000, 0x12090002])).toThrow(/cut short/);
    expect(() => parseStack([0xf3000000, 0x12090002, 0x1000])).toThrow(/no StackEnd/);
  });
});

describe('frames and ETH packets', () => {
  it('frame headers: TTTT TTTT CEEE SSSS IIIL LLLL LLLL LLLL', () => {
    expect(frameHeader({ type: 0xf3, flags: 1, stack: 0, controllerId: 0, length: 1 })).toBe(0xf3100001);
    expect(frameHeader({ type: 0xf5, flags: 8, stack: 2, controllerId: 5, length: 0x1fff })).toBe(0xf582bfff);
    expect(decodeFrameHeader(0xf1000005)).toEqual({ type: 0xf1, flags: 0, stack: 0, controllerId: 0, length: 5 });
    expect(() => frameHeader({ type: 0xf3, flags: 0, stack: 0, controllerId: 0, length: 0x2000 })).toThrow(/at most 8191/);
  });

  it('ETH header0 (channel, packet number, controller, words) and header1 (timestamp, next header pointer)', () => {
    const h = { channel: 1, packetNumber: 5, controllerId: 0, dataWords: 3, timestamp: 0x12345, nextHeaderPointer: 0 };
    expect(ethHeaderWords(h)).toEqual([0x10050003, 0x12345000]);
    expect(decodeEthHeader(0x2fff3fff, 0xffffffff)).toEqual({ channel: 2, packetNumber: 0xfff, controllerId: 1, dataWords: 0x1fff, timestamp: 0xfffff, nextHeaderPointer: 0xfff });
  });

  it('takes a datagram apart and checks it as read_packet does', () => {
    const datagram = wordsToBytes([0x10050003, 0x00000000, 0xf3000002, 0x00000001, 0x00000106, 0xdeadbeef]);
    expect(parsePacket(datagram)).toEqual({
      header: { channel: 1, packetNumber: 5, controllerId: 0, dataWords: 3, timestamp: 0, nextHeaderPointer: 0 },
      // The word past the announced count is Ethernet padding.
      payload: [0xf3000002, 1, 0x106],
    });
    expect(() => parsePacket(bytes('0000'))).toThrow(/shorter than the two ETH header words/);
    expect(() => parsePacket(bytes('03000510 00000000 02'))).toThrow(/not whole 32-bit words/);
    expect(() => parsePacket(wordsToBytes([0x10050004, 0, 0xf3000002]))).toThrow(/announces 4 data words, the datagram holds 1/);
    expect(() => parsePacket(wordsToBytes([0x30000000, 0]))).toThrow(/packet channel 3/);
  });

  it('counts lost packets across the 12-bit wrap', () => {
    expect(packetLoss(0xfff, 0)).toBe(0);
    expect(packetLoss(0xffe, 1)).toBe(2);
    expect(packetLoss(10, 11)).toBe(0);
  });

  it('bytes ⇄ words are little-endian', () => {
    expect(bytesToWords(bytes('78563412 000000f1'))).toEqual([0x12345678, 0xf1000000]);
  });

  it('uses the library’s ports', () => {
    expect([MVLC_COMMAND_PORT, MVLC_DATA_PORT]).toEqual([32768, 32769]);
  });
});

describe('stack answers', () => {
  const commands: StackCommand[] = [
    { kind: 'marker', value: 7 },
    { kind: 'vme-write', address: 0x00101124, am: AM.A32, width: 'D16', value: 1 },
    { kind: 'vme-read', address: 0x00101134, am: AM.A32, width: 'D16' },
    { kind: 'vme-block-read', address: 0x00100000, am: AM.A32_BLT, transfers: 3, fifo: true },
  ];

  it('splits the data by command: marker, nothing for a write, D16 masked, the 0xF5 block', () => {
    expect(readStackAnswer(commands, [7, 0xabcd0001, 0xf5000003, 10, 20, 30])).toEqual([
      { kind: 'value', value: 7 },
      { kind: 'none' },
      { kind: 'value', value: 1 },
      { kind: 'block', words: [10, 20, 30] },
    ]);
  });

  it('joins Continue-chained block frames and accepts a block cut short by BERR', () => {
    expect(readStackAnswer(commands, [7, 1, 0xf5800001, 10, 0xf5000001, 20])[3]).toEqual({ kind: 'block', words: [10, 20] });
    expect(readStackAnswer(commands, [7, 1, 0xf5000000])[3]).toEqual({ kind: 'block', words: [] });
  });

  it('refuses answers cut short or with a block that is no 0xF5 frame', () => {
    expect(() => readStackAnswer(commands, [7])).toThrow(/cut short at the read of 0x00101134/);
    expect(() => readStackAnswer(commands, [7, 1, 10, 20])).toThrow(/0xF5 frame, not 0x0/);
    expect(() => readStackAnswer(commands, [7, 1, 0xf5000004, 10])).toThrow(/announces 4 words, 1 came/);
  });
});
