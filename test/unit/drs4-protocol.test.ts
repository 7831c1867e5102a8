// The PSI DRS4 evaluation board's USB2 protocol (protocols.md §6.5; DRS.cpp / DRS.h in Yonghao-Zeng/drs4):
// the 10-byte commands on EP 4 as literal bytes, the 16-bit word swap, the register values, the waveform
// block and its nominal conversion to volts, malformed commands refused with a reason, and the simulated
// board's side of the same bytes (it answers register reads, ignores what it cannot parse).
import { describe, expect, it } from 'vitest';
import {
  BIT_READOUT_MODE,
  BIT_SOFT_TRIG,
  BIT_START_TRIG,
  codeToVolts,
  codesToVolts,
  dacCode,
  dacRegister,
  DAC_ROFS_1,
  DAC_TLEVEL1,
  decodeBoardType,
  decodeCommand,
  decodeWaveforms,
  drsChannelOfInput,
  encodeRead,
  encodeWaveforms,
  encodeWrite,
  frequencyOfRegister,
  frequencyRegister,
  readoutOffsetVolts,
  readU16,
  readU32,
  REG_BOARD_TYPE,
  REG_CHANNEL_CONFIG,
  REG_CHANNEL_MODE,
  REG_CTRL,
  REG_FREQ_SET,
  REG_MAGIC,
  REG_STATUS,
  REG_VERSION_FW,
  spaceOf,
  swappedWordAddress,
  temperatureOf,
  triggerDelayTicks,
  triggerLevelDacVolts,
  triggerSampleOf,
  u16Bytes,
  u32Bytes,
  voltsToCode,
  waveformBytes,
} from '../../drivers/psi-drs4/protocol';
import { Drs4Simulator } from '../../drivers/psi-drs4/simulator';
import { localTwinBeam } from '../../drivers/twin/beam';
import { loadSetup } from '../../setups/load';

const hex = (s: string) => Uint8Array.from(s.split(' ').map((b) => parseInt(b, 16)));
const bytesOf = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('DRS4 USB2 command framing (DRSBoard::Read / Write, TR_USB2)', () => {
  it('reads a 16-bit control register at its word-swapped address', () => {
    // REG_FREQ_SET is named 0x1A; as the lower half of the word at 0x18 it is served at 0x18.
    expect(bytesOf(encodeRead('ctrl', REG_FREQ_SET, 2))).toBe('01 00 18 00 00 00 02 00 00 00');
    // REG_MAGIC (status 0x00) is the upper half of its word: bus address 0x10000 + 2.
    expect(bytesOf(encodeRead('status', REG_MAGIC, 2))).toBe('01 00 02 00 01 00 02 00 00 00');
    expect(bytesOf(encodeRead('status', REG_BOARD_TYPE, 2))).toBe('01 00 00 00 01 00 02 00 00 00');
    expect(bytesOf(encodeRead('status', REG_VERSION_FW, 2))).toBe('01 00 24 00 01 00 02 00 00 00');
  });

  it('does not swap 32-bit registers or RAM', () => {
    expect(bytesOf(encodeRead('status', REG_STATUS, 4))).toBe('01 00 04 00 01 00 04 00 00 00');
    // TransferWaves on firmware ≥ 17147: 9 × 2048 bytes + the 4-byte trailer from RAM offset 0.
    expect(bytesOf(encodeRead('ram', 0, waveformBytes(30000)))).toBe('01 00 00 00 04 00 04 48 00 00');
    expect(bytesOf(encodeRead('ram', 2, 2))).toBe('01 00 02 00 04 00 02 00 00 00');
    expect(bytesOf(encodeRead('fifo', 0, 4))).toBe('01 00 00 00 02 00 04 00 00 00');
  });

  it('writes the header followed by the data in one transfer', () => {
    // StartDomino with readout from the stop cell: REG_CTRL = 0x00800001, little-endian.
    expect(bytesOf(encodeWrite('ctrl', REG_CTRL, u32Bytes(BIT_START_TRIG | BIT_READOUT_MODE)))).toBe('02 00 00 00 00 00 04 00 00 00 01 00 80 00');
    // SetDAC(ROFS_1, 1.6 V): DAC0 is named 0x04, served at 0x06; 1.6 / 2.5 · 0xFFFF = 41942 = 0xA3D6.
    expect(dacCode(1.6)).toBe(0xa3d6);
    expect(bytesOf(encodeWrite('ctrl', dacRegister(DAC_ROFS_1), u16Bytes(dacCode(readoutOffsetVolts(0)))))).toBe('02 00 06 00 00 00 02 00 00 00 d6 a3');
    // Trigger level −50 mV on input 1: DAC5 (0x0E → 0x0C) at −0.05 / 2 + 0.8 = 0.775 V = 20316 = 0x4F5C.
    expect(bytesOf(encodeWrite('ctrl', dacRegister(DAC_TLEVEL1), u16Bytes(dacCode(triggerLevelDacVolts(-0.05)))))).toBe('02 00 0c 00 00 00 02 00 00 00 5c 4f');
    // SetChannelConfig(0, 8, 8): 0xFFFF into REG_CHANNEL_CONFIG (0x14 → 0x16), 0x0008 into REG_CHANNEL_MODE (0x16 → 0x14).
    expect(bytesOf(encodeWrite('ctrl', REG_CHANNEL_CONFIG, u16Bytes(0xffff)))).toBe('02 00 16 00 00 00 02 00 00 00 ff ff');
    expect(bytesOf(encodeWrite('ctrl', REG_CHANNEL_MODE, u16Bytes(0x0008)))).toBe('02 00 14 00 00 00 02 00 00 00 08 00');
  });

  it('swaps 16-bit addresses within their 32-bit word', () => {
    expect([0x00, 0x02, 0x14, 0x16, 0x24, 0x26].map(swappedWordAddress)).toEqual([0x02, 0x00, 0x16, 0x14, 0x26, 0x24]);
  });

  it('decodes what it encodes, and finds the space of a bus address', () => {
    expect(decodeCommand(hex('01 00 02 00 01 00 02 00 00 00'))).toEqual({ op: 'read', address: 0x10002, size: 2, data: null });
    const write = decodeCommand(hex('02 00 06 00 00 00 02 00 00 00 d6 a3'));
    expect(write).toMatchObject({ op: 'write', address: 6, size: 2 });
    expect([...write.data!]).toEqual([0xd6, 0xa3]);
    expect(spaceOf(0x10002)).toEqual({ space: 'status', address: 2 });
    expect(spaceOf(0x40000 + 0x4800)).toEqual({ space: 'ram', address: 0x4800 });
    expect(spaceOf(0x20004)).toEqual({ space: 'fifo', address: 4 });
    expect(spaceOf(0x1c)).toEqual({ space: 'ctrl', address: 0x1c });
  });

  it('refuses malformed commands with a reason', () => {
    expect(() => decodeCommand(hex('01 00 00'))).toThrow(/10 bytes at least, got 3/);
    expect(() => decodeCommand(hex('05 00 00 00 00 00 02 00 00 00'))).toThrow(/unknown command 5 \(1 = read, 2 = write\)/);
    expect(() => decodeCommand(hex('01 07 00 00 00 00 02 00 00 00'))).toThrow(/byte 1 of a command is 0, got 7/);
    expect(() => decodeCommand(hex('01 00 03 00 00 00 02 00 00 00'))).toThrow(/address 0x3 is odd/);
    expect(() => decodeCommand(hex('01 00 00 00 00 00 03 00 00 00'))).toThrow(/size 3 is not a positive even/);
    expect(() => decodeCommand(hex('01 00 00 00 00 00 00 00 00 00'))).toThrow(/size 0 is not a positive even/);
    expect(() => decodeCommand(hex('01 00 00 00 04 00 00 00 20 00'))).toThrow(/more than the 1048576 bytes/);
    expect(() => decodeCommand(hex('01 00 00 00 00 00 02 00 00 00 ff ff'))).toThrow(/a read command is 10 bytes, got 12/);
    expect(() => decodeCommand(hex('02 00 00 00 00 00 04 00 00 00 01 00'))).toThrow(/a write of 4 bytes is 14 bytes long, got 12/);
  });

  it('refuses to encode what the board cannot take', () => {
    expect(() => encodeRead('ctrl', 3, 2)).toThrow(/address 0x3 is odd: the board takes even addresses only/);
    expect(() => encodeRead('ctrl', 0, 3)).toThrow(/size 3 is odd/);
    expect(() => encodeRead('ctrl', 0, 0)).toThrow(/size 0 is not a positive/);
    expect(() => encodeRead('ctrl', 0xfffe, 4)).toThrow(/runs past the end of the ctrl space/);
    expect(() => encodeWrite('status', 1, Uint8Array.of(1))).toThrow(/odd/);
    expect(() => encodeRead('dpram' as never, 0, 2)).toThrow(/unknown address space "dpram"/);
    expect(() => u16Bytes(0x10000)).toThrow(/not a 16-bit value/);
    expect(() => readU16(Uint8Array.of(1))).toThrow(/2 bytes, got 1/);
    expect(() => readU32(Uint8Array.of(1, 2))).toThrow(/4 bytes, got 2/);
  });
});

describe('DRS4 register values', () => {
  it('reads little-endian registers as the host does', () => {
    expect(readU16(hex('de c0'))).toBe(0xc0de);
    expect(decodeBoardType(readU16(hex('04 09')))).toEqual({ drsType: 4, boardType: 9 });
    expect(readU32(hex('02 00 00 00'))).toBe(2);
    expect(temperatureOf(0x1180)).toBe(35);
  });

  it('sets the sampling frequency in 60 MHz reference ticks (5 GHz → 5.12 GHz)', () => {
    expect(frequencyRegister(5)).toBe(10);
    expect(frequencyOfRegister(10)).toBeCloseTo(5.12, 12);
    expect(frequencyRegister(0.7)).toBe(86);
    expect(frequencyOfRegister(86)).toBeCloseTo(0.69818, 5);
    expect(() => frequencyRegister(7)).toThrow(/outside 0.1 … 6 GHz/);
  });

  it('places the trigger from the delay register', () => {
    // 20 ticks × 6.2 ns + 23.5 ns + 28.2 ns / 5.12 GHz = 153.0 ns = 783 samples before the stop: sample 241.
    expect(triggerSampleOf(20, 30000, 5.12)).toBe(241);
    expect(triggerDelayTicks(124, 30000)).toBe(20);
    expect(triggerDelayTicks(5000, 30000)).toBe(255);
    expect(triggerDelayTicks(124, 16000)).toBe(59); // quad LUTs of 2.1 ns before firmware 17147
  });
});

describe('DRS4 waveform block (TransferWaves / DecodeWave, board types 8/9)', () => {
  function block(firmware: number): Uint8Array {
    const b = new Uint8Array(waveformBytes(firmware));
    b.set(hex('00 80 ff ff 00 00'), 0); // DRS channel 0 = input 1: 32768, 65535, 0
    b.set(hex('34 12'), 2 * 1024 * 2); // DRS channel 2 = input 2, sample 0: 0x1234
    if (firmware >= 17147) b.set(hex('34 02 01 00'), 9 * 2048); // trailer: stop cell 0x234, WSR 1
    return b;
  }

  it('decodes 9 channels of 1024 codes and the stop-cell trailer', () => {
    const raw = decodeWaveforms(block(30000), 30000);
    expect(raw.codes).toHaveLength(9);
    expect([...raw.codes[drsChannelOfInput(1)]!.subarray(0, 3)]).toEqual([32768, 65535, 0]);
    expect(raw.codes[drsChannelOfInput(2)]![0]).toBe(0x1234);
    expect(raw.stopCell).toBe(0x234);
    expect(raw.stopWsr).toBe(1);
    const old = decodeWaveforms(block(16000), 16000);
    expect(old.stopCell).toBeNull();
    expect(old.codes[0]![1]).toBe(65535);
  });

  it('converts codes to volts with the nominal calibration: a 1 V span around the range centre', () => {
    const volts = codesToVolts(Uint16Array.of(32768, 65535, 0, 13107), 0);
    expect(volts[0]).toBe(0);
    expect(volts[1]).toBeCloseTo(0.5 - 1 / 65536, 6);
    expect(volts[2]).toBe(-0.5);
    expect(volts[3]).toBeCloseTo(-0.3, 4);
    expect(codeToVolts(32768, 0.5)).toBe(0.5);
    expect(voltsToCode(-0.3, 0)).toBe(13107);
    expect(voltsToCode(-0.8, 0)).toBe(0); // saturated at the range's edge
    expect(voltsToCode(2, 0.5)).toBe(0xffff);
  });

  it('round-trips the simulator side of the block', () => {
    const codes = Array.from({ length: 9 }, (_, c) => Uint16Array.from({ length: 1024 }, (_, i) => (c * 1024 + i) & 0xffff));
    const raw = decodeWaveforms(encodeWaveforms(codes, 1000, 0, 30000), 30000);
    expect(raw.codes).toEqual(codes);
    expect(raw.stopCell).toBe(1000);
  });

  it('refuses a block of the wrong length, a stop cell that is not a cell, an input that does not exist', () => {
    expect(() => decodeWaveforms(new Uint8Array(18432), 30000)).toThrow(/18436 bytes, got 18432/);
    const bad = block(30000);
    bad.set(hex('00 04'), 9 * 2048);
    expect(() => decodeWaveforms(bad, 30000)).toThrow(/stop cell 1024 in the trailer is not a cell/);
    expect(() => drsChannelOfInput(5)).toThrow(/input 5 does not exist/);
    expect(() => encodeWaveforms([new Uint16Array(1024)], 0, 0, 30000)).toThrow(/9 channels of 1024 codes/);
  });
});

describe('the simulated board speaks the same bytes', () => {
  const twin = localTwinBeam({ setup: loadSetup('invisible-e'), seed: 3, timeScale: 1, firstSpillAt: Date.now() + 3_600_000 });

  async function ask(sim: Drs4Simulator, command: string, length: number, waitMs = 50): Promise<string | null> {
    expect(await sim.usb.transferOut(4, hex(command))).toBe('ok');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timed out', 'AbortError')), waitMs);
    try {
      const reply = await sim.usb.transferIn(8, length, controller.signal);
      return reply.status === 'ok' ? bytesOf(reply.data) : 'stall';
    } catch {
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  it('answers REG_MAGIC, the board type and the firmware on EP 8', async () => {
    const sim = new Drs4Simulator({ seed: 3, twin, serial: 2941 });
    expect(await ask(sim, '01 00 02 00 01 00 02 00 00 00', 2)).toBe('de c0');
    expect(await ask(sim, '01 00 00 00 01 00 02 00 00 00', 2)).toBe('04 09');
    expect(await ask(sim, '01 00 24 00 01 00 02 00 00 00', 2)).toBe('30 75'); // 30000
    expect(await ask(sim, '01 00 26 00 01 00 02 00 00 00', 2)).toBe('7d 0b'); // serial 2941
  });

  it('keeps what is written to the control registers, and runs the domino wave on StartDomino', async () => {
    const sim = new Drs4Simulator({ seed: 3, twin });
    expect(await sim.usb.transferOut(4, hex('02 00 18 00 00 00 02 00 00 00 0a 00'))).toBe('ok'); // REG_FREQ_SET = 10
    expect(await ask(sim, '01 00 18 00 00 00 02 00 00 00', 2)).toBe('0a 00');
    expect(await ask(sim, '01 00 04 00 01 00 04 00 00 00', 4)).toBe('02 00 00 00'); // PLL locked, not running
    expect(await sim.usb.transferOut(4, hex('02 00 00 00 00 00 04 00 00 00 01 00 80 00'))).toBe('ok'); // StartDomino
    expect(await ask(sim, '01 00 04 00 01 00 04 00 00 00', 4)).toBe('03 00 00 00'); // running (no beam: stays so)
    expect(await sim.usb.transferOut(4, hex('02 00 00 00 00 00 04 00 00 00 04 00 80 00'))).toBe('ok'); // SoftTrigger
    expect(await ask(sim, '01 00 04 00 01 00 04 00 00 00', 4)).toBe('02 00 00 00');
    expect(sim.lastEvent()).toMatchObject({ soft: true, spill: null });
  });

  it('lays a trigger out in the DPRAM as TransferWaves reads it, rotated when not read from the stop cell', async () => {
    for (const fromStop of [true, false]) {
      const sim = new Drs4Simulator({ seed: 3, twin });
      const write = async (space: 'ctrl', register: number, data: Uint8Array) => expect(await sim.usb.transferOut(4, encodeWrite(space, register, data))).toBe('ok');
      await write('ctrl', REG_FREQ_SET, u16Bytes(frequencyRegister(5)));
      await write('ctrl', dacRegister(DAC_ROFS_1), u16Bytes(dacCode(readoutOffsetVolts(0))));
      const mode = fromStop ? BIT_READOUT_MODE : 0;
      await write('ctrl', REG_CTRL, u32Bytes(mode | BIT_START_TRIG));
      await write('ctrl', REG_CTRL, u32Bytes(mode | BIT_SOFT_TRIG));
      const block = await ask(sim, bytesOf(encodeRead('ram', 0, waveformBytes(30000))), waveformBytes(30000));
      const raw = decodeWaveforms(hex(block!), 30000);
      const truth = sim.lastEvent()!;
      expect(raw.stopCell).toBe(truth.stopCell);
      for (const input of [1, 2, 3, 4]) {
        const expected = Uint16Array.from(truth.volts[input - 1]!, (v) => voltsToCode(v, truth.rangeCenterV));
        const c = drsChannelOfInput(input);
        const read = fromStop ? raw.codes[c]! : Uint16Array.from({ length: 1024 }, (_, i) => raw.codes[c]![(i + raw.stopCell!) % 1024]!);
        expect(read).toEqual(expected);
        expect(raw.codes[c + 1]).toEqual(raw.codes[c]); // both DRS channels of an input see it
      }
      expect(new Set(raw.codes[8])).toEqual(new Set([voltsToCode(0, truth.rangeCenterV)])); // the clock channel, TCAL off
    }
  });

  it('ignores malformed commands (no answer on EP 8) and says why', async () => {
    const sim = new Drs4Simulator({ seed: 3, twin });
    expect(await ask(sim, '01 00 03 00 01 00 02 00 00 00', 2)).toBeNull();
    expect(await ask(sim, '07 00 00 00 01 00 02 00 00 00', 2)).toBeNull();
    expect(sim.refusedCommands()).toEqual([expect.stringMatching(/address 0x10003 is odd/), expect.stringMatching(/unknown command 7/)]);
    // The next good command is answered as usual.
    expect(await ask(sim, '01 00 02 00 01 00 02 00 00 00', 2)).toBe('de c0');
  });

  it('refuses unknown faults and per-channel use', () => {
    const sim = new Drs4Simulator({ seed: 3, twin });
    expect(() => sim.inject('melt', null)).toThrow(/unknown fault "melt"; the DRS4 board knows unplug, stall, short-packet, timeout/);
    expect(() => sim.inject('stall', 2)).toThrow(/whole board, not to a channel/);
    sim.inject('stall', null);
    expect(sim.active().map((f) => f.fault)).toEqual(['stall']);
    sim.clear();
    expect(sim.active()).toEqual([]);
  });
});
