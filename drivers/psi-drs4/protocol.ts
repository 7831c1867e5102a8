// The PSI DRS4 Evaluation Board V4 / V5 over USB 2.0 (protocols.md §6.5): the 10-byte register command on
// Bulk-OUT endpoint 4, the answer on Bulk-IN endpoint 8, the address spaces and the 16-bit word swap, the
// registers and bits the driver uses (named as in DRS.h), and the waveform block of the DPRAM (9 DRS
// channels × 1024 16-bit ADC codes + the stop-cell trailer) with its nominal conversion to volts.
//
// Sources (protocols.md §9, D7 and D8):
// - Yonghao-Zeng/drs4 `src/DRS.cpp` (S. Ritt, M. Schneebeli, PSI; $Id: DRS.cpp 22289 2016-04-27$):
//   DRSBoard::Read / Write (TR_USB2 branch: framing, offsets, swap, even-only asserts), ReadSerialNumber,
//   Init (DAC defaults of board types 8/9), SetChannelConfig, SetFrequency / ReadFrequency (60 MHz reference
//   of board types 5, 7, 8, 9), SetInputRange, SetTriggerLevel / SetIndividualTriggerLevel, SetTriggerSource,
//   SetTriggerPolarity, SetTriggerDelayNs, StartDomino / SoftTrigger / Reinit, IsBusy, TransferWaves,
//   DecodeWave, CalibrateWaveform (its uncalibrated DRS4 branch: the nominal conversion used here), GetTemperature.
// - Yonghao-Zeng/drs4 `include/DRS.h` ($Id: DRS.h 21309 2014-04-11$): REG_*, BIT_*, kNumberOfBins, the DAC
//   assignment of "DRS4 EVAL4 (fBoardType 8)", Input2Channel.
// - Yonghao-Zeng/drs4 `src/drs_frontend_class.cxx` (a MIDAS front end on DRS.cpp): the order of the trigger
//   set-up on board types 8/9, transparent mode from firmware 21699.
// - gregorv/drsreset `drs.h` (DRS4_EVAL_VID 0x04b4, DRS4_EVAL_PID 0x1175), `main.cpp` (libusb_reset_device
//   soft-resets a hung board).
//
// Voltage calibration is the NOMINAL one: volts = (code − 32768) / 65536 + range centre, exactly what
// DRS.cpp computes when no EEPROM cell calibration is valid. The per-cell offsets and gains stored in the
// board's EEPROM (ReadCalibration) are not read; a real board therefore shows its few-mV cell pattern.

export class Drs4ProtocolError extends Error {
  override name = 'Drs4ProtocolError';
}

// ── USB identity and endpoints ──────────────────────────────────────────────────────────────────────────

export const DRS4_VENDOR_ID = 0x04b4;
export const DRS4_PRODUCT_ID = 0x1175;
export const DRS4_INTERFACE = 0;
/** Bulk-OUT endpoint of the register commands (musb_write(…, 4, …)). */
export const EP_COMMAND = 4;
/** Bulk-IN endpoint 0x88 of the read data (musb_read(…, 8, …)). */
export const EP_DATA = 8;
/** Bulk-OUT endpoint 1 of the Cy7C68013A itself: one byte, 0 = LED off, 1 = LED on and FPGA reset (InitFPGA). */
export const EP_FX2 = 1;

export const USB2_CMD_READ = 1;
export const USB2_CMD_WRITE = 2;
export const COMMAND_HEADER_BYTES = 10;
/** USB2_BUFFER_SIZE (1 MiB + 10) less the header: the largest read or write DRS.cpp allows. */
export const USB2_MAX_SIZE = 1024 * 1024;

export type AddressSpace = 'ctrl' | 'status' | 'fifo' | 'ram';

/** USB2_CTRL_OFFSET … USB2_RAM_OFFSET: where each space starts on the board's bus. */
export const USB2_OFFSET: Readonly<Record<AddressSpace, number>> = { ctrl: 0x00000, status: 0x10000, fifo: 0x20000, ram: 0x40000 };
/** How far each space reaches (up to the next one; the RAM up to the largest transfer). */
const SPACE_END: Readonly<Record<AddressSpace, number>> = { ctrl: 0x10000, status: 0x20000, fifo: 0x40000, ram: 0x40000 + USB2_MAX_SIZE };

// ── Registers (DRS.h) ───────────────────────────────────────────────────────────────────────────────────
// Control space (T_CTRL, read/write)
export const REG_CTRL = 0x00000;
export const REG_DAC_OFS = 0x00004;
export const REG_CHANNEL_CONFIG = 0x00014;
export const REG_CONFIG = 0x00014;
export const REG_CHANNEL_MODE = 0x00016;
export const REG_TRG_DELAY = 0x00018;
export const REG_FREQ_SET = 0x0001a;
export const REG_TRG_CONFIG = 0x0001c;
export const REG_EEPROM_PAGE_EVAL = 0x0001e;
// Status space (T_STATUS, read-only)
export const REG_MAGIC = 0x00000;
export const REG_BOARD_TYPE = 0x00002;
export const REG_STATUS = 0x00004;
export const REG_STOP_CELL0 = 0x00008;
export const REG_STOP_WSR0 = 0x00010;
export const REG_TEMPERATURE = 0x00020;
export const REG_SERIAL_BOARD = 0x00024;
export const REG_VERSION_FW = 0x00026;

/** What REG_MAGIC holds on every board with current firmware. */
export const MAGIC = 0xc0de;

// REG_CTRL bits. Bits 0–4 are actions ("write a 1 to …"); the others are settings.
export const BIT_START_TRIG = 1 << 0;
export const BIT_REINIT_TRIG = 1 << 1;
export const BIT_SOFT_TRIG = 1 << 2;
export const BIT_EEPROM_WRITE_TRIG = 1 << 3;
export const BIT_EEPROM_READ_TRIG = 1 << 4;
export const CTRL_ACTION_BITS = 0x1f;
export const BIT_ADC_ACTIVE = 1 << 17;
export const BIT_LED = 1 << 18;
export const BIT_TCAL_EN = 1 << 19;
export const BIT_TCAL_SOURCE = 1 << 20;
export const BIT_TRANSP_MODE = 1 << 21;
/** Board types 8/9: the general hardware trigger enable; REG_TRG_CONFIG says which inputs. */
export const BIT_ENABLE_TRIGGER1 = 1 << 22;
/** 1: the readout starts at the domino stop cell, so sample 0 is the oldest (time-ordered waveform). */
export const BIT_READOUT_MODE = 1 << 23;
export const BIT_NEG_TRIGGER = 1 << 24;
export const BIT_ACAL_EN = 1 << 25;
export const BIT_DACTIVE = 1 << 27;
export const BIT_ENABLE_TRIGGER2 = 2 ** 31;

// REG_CONFIG bits (the high byte of the 16-bit register shared with REG_CHANNEL_CONFIG).
export const BIT_CONFIG_DMODE = 1 << 8;
export const BIT_CONFIG_PLLEN = 1 << 9;
export const BIT_CONFIG_WSRLOOP = 1 << 10;

// REG_STATUS bits.
/** One while the domino wave runs or the readout is in progress: cleared when a trigger's data is in RAM. */
export const BIT_RUNNING = 1 << 0;
export const BIT_PLL_LOCKED0 = 1 << 1;
export const BIT_SERIAL_BUSY = 1 << 5;

// REG_TRG_CONFIG bits (board types 8/9): OR of inputs 1–4 in bits 0–3, the external trigger in bit 4, AND in bits 8–12.
export const TRG_CONFIG_OR = (input: number): number => 1 << (input - 1);
export const TRG_CONFIG_EXT = 1 << 4;
export const TRG_CONFIG_AND = (input: number): number => 1 << (input + 7);

// ── Board identity ──────────────────────────────────────────────────────────────────────────────────────

/** fBoardType of the USB evaluation boards this driver speaks to. */
export const BOARD_TYPE_EVAL4 = 8;
export const BOARD_TYPE_EVAL5 = 9;
export const DRS_TYPE_DRS4 = 4;
/** REQUIRED_FIRMWARE_VERSION_DRS4 of DRS.cpp. */
export const REQUIRED_FIRMWARE_DRS4 = 15147;
/** From this firmware on, the stop cell comes in a 4-byte trailer after the waveforms (TransferWaves). */
export const TRAILER_FIRMWARE = 17147;
/** From this firmware on, transparent mode (needed by the analog trigger) is set (drs_frontend_class.cxx). */
export const TRANSPARENT_MODE_FIRMWARE = 21699;

/** REG_BOARD_TYPE: the DRS chip type in the low byte, the board type in the high byte (ReadSerialNumber). */
export function decodeBoardType(word: number): { drsType: number; boardType: number } {
  return { drsType: word & 0xff, boardType: (word >> 8) & 0xff };
}

/** REG_TEMPERATURE in °C (GetTemperature: 12 bits from bit 3, 1/16 °C). */
export function temperatureOf(word: number): number {
  return ((word >> 3) & 0x0fff) * 0.0625;
}

export function boardName(boardType: number): string {
  if (boardType === BOARD_TYPE_EVAL4) return 'DRS4 Evaluation Board V4';
  if (boardType === BOARD_TYPE_EVAL5) return 'DRS4 Evaluation Board V5';
  return `DRS board type ${boardType}`;
}

// ── Command framing ─────────────────────────────────────────────────────────────────────────────────────

/**
 * The 16-bit word swap of DRSBoard::Read/Write: a 16-bit register named at a multiple of 4 is the upper half
 * of its 32-bit word, which the FPGA serves at address + 2 ("first 16 bit sit at upper address"), and the
 * one named at 4n + 2 is the lower half, served at 4n.
 */
export function swappedWordAddress(address: number): number {
  return address % 4 === 0 ? address + 2 : address - 2;
}

function checkAccess(space: AddressSpace, address: number, size: number): void {
  if (!(space in USB2_OFFSET)) throw new Drs4ProtocolError(`unknown address space "${String(space)}" (ctrl, status, fifo or ram)`);
  if (!Number.isInteger(address) || address < 0) throw new Drs4ProtocolError(`address ${address} is not a non-negative whole number`);
  if (address % 2 !== 0) throw new Drs4ProtocolError(`address 0x${address.toString(16)} is odd: the board takes even addresses only`);
  if (!Number.isInteger(size) || size <= 0) throw new Drs4ProtocolError(`size ${size} is not a positive whole number of bytes`);
  if (size % 2 !== 0) throw new Drs4ProtocolError(`size ${size} is odd: the board moves whole 16-bit words only`);
  if (size > USB2_MAX_SIZE) throw new Drs4ProtocolError(`size ${size} is more than the ${USB2_MAX_SIZE} bytes of one transfer`);
  if (USB2_OFFSET[space] + address + size > SPACE_END[space]) {
    throw new Drs4ProtocolError(`${space} 0x${address.toString(16)} + ${size} bytes runs past the end of the ${space} space`);
  }
}

/** The address on the wire: the space's offset, and the word swap for 16-bit register accesses (not RAM). */
export function busAddress(space: AddressSpace, address: number, size: number): number {
  return USB2_OFFSET[space] + (space !== 'ram' && size === 2 ? swappedWordAddress(address) : address);
}

function header(cmd: number, address: number, size: number, total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes[0] = cmd;
  bytes[1] = 0;
  view.setUint32(2, address, true);
  view.setUint32(6, size, true);
  return bytes;
}

/** The 10 bytes that ask for `size` bytes at `address` of `space`; the answer comes on EP 8. */
export function encodeRead(space: AddressSpace, address: number, size: number): Uint8Array {
  checkAccess(space, address, size);
  return header(USB2_CMD_READ, busAddress(space, address, size), size, COMMAND_HEADER_BYTES);
}

/** The 10-byte header followed by the data, one EP 4 transfer. */
export function encodeWrite(space: AddressSpace, address: number, data: Uint8Array): Uint8Array {
  checkAccess(space, address, data.length);
  const bytes = header(USB2_CMD_WRITE, busAddress(space, address, data.length), data.length, COMMAND_HEADER_BYTES + data.length);
  bytes.set(data, COMMAND_HEADER_BYTES);
  return bytes;
}

export interface Drs4Command {
  op: 'read' | 'write';
  /** The bus address as sent (offset and word swap applied). */
  address: number;
  size: number;
  /** The bytes written; null for a read. */
  data: Uint8Array | null;
}

const hexBytes = (b: Uint8Array, n = 12) => [...b.subarray(0, n)].map((x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > n ? ' …' : '');

/** One EP 4 transfer as the board reads it. Throws Drs4ProtocolError naming what is wrong. */
export function decodeCommand(bytes: Uint8Array): Drs4Command {
  if (bytes.length < COMMAND_HEADER_BYTES) throw new Drs4ProtocolError(`a command is ${COMMAND_HEADER_BYTES} bytes at least, got ${bytes.length} (${hexBytes(bytes)})`);
  const cmd = bytes[0]!;
  if (cmd !== USB2_CMD_READ && cmd !== USB2_CMD_WRITE) throw new Drs4ProtocolError(`unknown command ${cmd} (1 = read, 2 = write) in ${hexBytes(bytes)}`);
  if (bytes[1] !== 0) throw new Drs4ProtocolError(`byte 1 of a command is 0, got ${bytes[1]} in ${hexBytes(bytes)}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const address = view.getUint32(2, true);
  const size = view.getUint32(6, true);
  if (address % 2 !== 0) throw new Drs4ProtocolError(`address 0x${address.toString(16)} is odd: the board takes even addresses only`);
  if (size === 0 || size % 2 !== 0) throw new Drs4ProtocolError(`size ${size} is not a positive even number of bytes`);
  if (size > USB2_MAX_SIZE) throw new Drs4ProtocolError(`size ${size} is more than the ${USB2_MAX_SIZE} bytes of one transfer`);
  if (cmd === USB2_CMD_READ) {
    if (bytes.length !== COMMAND_HEADER_BYTES) throw new Drs4ProtocolError(`a read command is ${COMMAND_HEADER_BYTES} bytes, got ${bytes.length}`);
    return { op: 'read', address, size, data: null };
  }
  if (bytes.length !== COMMAND_HEADER_BYTES + size) {
    throw new Drs4ProtocolError(`a write of ${size} bytes is ${COMMAND_HEADER_BYTES + size} bytes long, got ${bytes.length}`);
  }
  return { op: 'write', address, size, data: bytes.slice(COMMAND_HEADER_BYTES) };
}

/** Which space a bus address is in, and the address within it. */
export function spaceOf(bus: number): { space: AddressSpace; address: number } {
  const space: AddressSpace = bus >= USB2_OFFSET.ram ? 'ram' : bus >= USB2_OFFSET.fifo ? 'fifo' : bus >= USB2_OFFSET.status ? 'status' : 'ctrl';
  return { space, address: bus - USB2_OFFSET[space] };
}

// ── Register values (little-endian, as the host's `unsigned short` / `unsigned int` read them) ──────────

export function u16Bytes(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new Drs4ProtocolError(`${value} is not a 16-bit value`);
  return Uint8Array.of(value & 0xff, value >> 8);
}

export function u32Bytes(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Drs4ProtocolError(`${value} is not a 32-bit value`);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, value, true);
  return b;
}

export function readU16(bytes: Uint8Array): number {
  if (bytes.length !== 2) throw new Drs4ProtocolError(`a 16-bit register is 2 bytes, got ${bytes.length}`);
  return bytes[0]! | (bytes[1]! << 8);
}

export function readU32(bytes: Uint8Array): number {
  if (bytes.length !== 4) throw new Drs4ProtocolError(`a 32-bit register is 4 bytes, got ${bytes.length}`);
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
}

// ── DACs (board types 8/9) ──────────────────────────────────────────────────────────────────────────────

/** DAC channels of "DRS4 EVAL4 (fBoardType 8)" (and 9), ConstructBoard. */
export const DAC_ROFS_1 = 0;
export const DAC_TLEVEL4 = 1;
export const DAC_CALN = 2;
export const DAC_CALP = 3;
export const DAC_BIAS = 4;
export const DAC_TLEVEL1 = 5;
export const DAC_TLEVEL2 = 6;
export const DAC_TLEVEL3 = 7;
/** The level DAC of trigger input 1…4. */
export const TRIGGER_LEVEL_DAC = [DAC_TLEVEL1, DAC_TLEVEL2, DAC_TLEVEL3, DAC_TLEVEL4] as const;
/** Init's voltages for board types 8/9: readout offset 1.6 V (range −0.5 … +0.5 V), common mode 0.8 V, bias 0.70 V. */
export const ROFS_V = 1.6;
export const COMMON_MODE_V = 0.8;
export const BIAS_V = 0.7;

/** REG_DAC_OFS + 2·channel (DAC0 … DAC7), each a 16-bit register. */
export const dacRegister = (channel: number): number => REG_DAC_OFS + 2 * channel;

/** SetDAC: 0 … 2.5 V on 16 bits, clamped. */
export function dacCode(volts: number): number {
  if (!Number.isFinite(volts)) throw new Drs4ProtocolError(`DAC voltage ${volts} is not a number`);
  return Math.round((Math.min(2.5, Math.max(0, volts)) / 2.5) * 0xffff);
}

export const dacVolts = (code: number): number => (2.5 * code) / 0xffff;

/** SetIndividualTriggerLevel: the comparator DAC sits at level / 2 + 0.8 V. */
export const triggerLevelDacVolts = (levelV: number): number => levelV / 2 + COMMON_MODE_V;
export const triggerLevelOfDac = (dacV: number): number => (dacV - COMMON_MODE_V) * 2;

/** SetInputRange(centre): ROFS = 1.6 V − 1.125 · centre (the 1.125 corrects for the cells' charge injection). */
export const readoutOffsetVolts = (rangeCenterV: number): number => ROFS_V - 1.125 * rangeCenterV;
export const rangeCenterOfReadoutOffset = (rofsV: number): number => (ROFS_V - rofsV) / 1.125;

// ── Sampling frequency and trigger delay ────────────────────────────────────────────────────────────────

/** fRefClock of board types 5, 7, 8, 9 (MHz). */
export const REF_CLOCK_MHZ = 60;

/** SetFrequency: reference-clock ticks per 1024 cells, rounded, less the 2 the firmware counter adds. */
export function frequencyRegister(ghz: number): number {
  if (!(ghz >= 0.1 && ghz <= 6)) throw new Drs4ProtocolError(`sampling frequency ${ghz} GHz is outside 0.1 … 6 GHz`);
  return Math.round((1.024 / ghz) * REF_CLOCK_MHZ) - 2;
}

/** ReadFrequency: the frequency REG_FREQ_SET gives, GHz (0 when it is off). */
export function frequencyOfRegister(register: number): number {
  const ticks = register + 2;
  return ticks > 2 ? (1.024 / ticks) * REF_CLOCK_MHZ : 0;
}

/** Trigger delay per tick on board types 7/8/9 (Spartan 3 LUTs): octal from firmware 17147, quad before. */
export const LUT_DELAY_S3_8 = 6.2;
export const LUT_DELAY_S3_4 = 2.1;

const lutDelay = (firmware: number) => (firmware >= TRAILER_FIRMWARE ? LUT_DELAY_S3_8 : LUT_DELAY_S3_4);

/** SetTriggerDelayNs: the ticks for a delay, 0 … 255. */
export function triggerDelayTicks(delayNs: number, firmware: number): number {
  return Math.max(0, Math.min(255, Math.round(delayNs / lutDelay(firmware))));
}

/** SetTriggerDelayPercent: the delay from trigger to domino stop, ticks plus the fixed 23.5 ns + 28.2 ns·GHz⁻¹ measured by PSI. */
export function triggerDelayNs(ticks: number, firmware: number, ghz: number): number {
  return ticks * lutDelay(firmware) + 23.5 + 28.2 / ghz;
}

/**
 * Where the trigger sits in a waveform read from the stop cell: the domino wave stops `triggerDelayNs` after
 * the trigger, and the last of the 1024 samples is the stop.
 */
export function triggerSampleOf(ticks: number, firmware: number, ghz: number): number {
  return Math.max(0, Math.min(BINS - 1, BINS - Math.round(triggerDelayNs(ticks, firmware, ghz) * ghz)));
}

/** REG_CHANNEL_CONFIG / REG_CONFIG for 8 channels of 1024 cells (SetChannelConfig(0, 8, 8)), with the domino mode. */
export function channelConfigWord(dominoMode: 0 | 1, wsrLoop: 0 | 1 = 1): number {
  return 0xff | (dominoMode << 8) | BIT_CONFIG_PLLEN | (wsrLoop << 10) | (0xf8 << 8);
}

/** REG_CHANNEL_MODE's low byte: first channel 0 in bits 7–4, last channel 8 in bits 3–0. */
export const CHANNEL_MODE_ALL = (0 << 4) | 8;

// ── Waveforms ───────────────────────────────────────────────────────────────────────────────────────────

/** kNumberOfBins: cells per DRS4 channel. */
export const BINS = 1024;
/** The USB2 evaluation board always transfers DRS channels 0 … 8 (8 inputs' cells and the clock channel). */
export const EVAL_DRS_CHANNELS = 9;
export const INPUTS = 4;

/** Input2Channel: board input 1 … 4 is wired to DRS channels 2(k−1) and 2(k−1)+1; the first is read. */
export function drsChannelOfInput(input: number): number {
  if (!Number.isInteger(input) || input < 1 || input > INPUTS) throw new Drs4ProtocolError(`input ${input} does not exist (1 … ${INPUTS})`);
  return 2 * (input - 1);
}

/** TransferWaves on a USB2 evaluation board: 9 × 1024 16-bit codes, plus the 4-byte trailer from firmware 17147. */
export function waveformBytes(firmware: number): number {
  return EVAL_DRS_CHANNELS * 2 * BINS + (firmware >= TRAILER_FIRMWARE ? 4 : 0);
}

export interface RawWaveforms {
  /** Per DRS channel 0 … 8, 1024 ADC codes in readout order. */
  codes: Uint16Array[];
  /** Stop cell and write-shift-register bit from the trailer; null on firmware without it (read REG_STOP_CELL0). */
  stopCell: number | null;
  stopWsr: number | null;
}

/** DecodeWave for board types 8/9 over USB2: channel c at byte 2048·c, little-endian 16-bit codes; the trailer after. */
export function decodeWaveforms(bytes: Uint8Array, firmware: number): RawWaveforms {
  const expected = waveformBytes(firmware);
  if (bytes.length !== expected) throw new Drs4ProtocolError(`a waveform block of firmware ${firmware} is ${expected} bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const codes = Array.from({ length: EVAL_DRS_CHANNELS }, (_, c) => {
    const w = new Uint16Array(BINS);
    for (let i = 0; i < BINS; i++) w[i] = view.getUint16(2 * (c * BINS + i), true);
    return w;
  });
  if (firmware < TRAILER_FIRMWARE) return { codes, stopCell: null, stopWsr: null };
  const trailer = EVAL_DRS_CHANNELS * 2 * BINS;
  const stopCell = view.getUint16(trailer, true);
  if (stopCell >= BINS) throw new Drs4ProtocolError(`stop cell ${stopCell} in the trailer is not a cell (0 … ${BINS - 1})`);
  return { codes, stopCell, stopWsr: bytes[trailer + 2]! };
}

/** The block a board lays out in its DPRAM for `decodeWaveforms` (the simulator's side). */
export function encodeWaveforms(codes: readonly Uint16Array[], stopCell: number, stopWsr: number, firmware: number): Uint8Array {
  if (codes.length !== EVAL_DRS_CHANNELS || codes.some((c) => c.length !== BINS)) {
    throw new Drs4ProtocolError(`a waveform block is ${EVAL_DRS_CHANNELS} channels of ${BINS} codes`);
  }
  const bytes = new Uint8Array(waveformBytes(firmware));
  const view = new DataView(bytes.buffer);
  codes.forEach((w, c) => w.forEach((code, i) => view.setUint16(2 * (c * BINS + i), code, true)));
  if (firmware >= TRAILER_FIRMWARE) {
    view.setUint16(EVAL_DRS_CHANNELS * 2 * BINS, stopCell, true);
    bytes[EVAL_DRS_CHANNELS * 2 * BINS + 2] = stopWsr;
  }
  return bytes;
}

/** The nominal conversion of CalibrateWaveform without cell calibration: a 1 V span on 16 bits around the range centre. */
export const codeToVolts = (code: number, rangeCenterV: number): number => (code - 32768) / 65536 + rangeCenterV;

/** The ADC's view of a voltage: clipped to the 16-bit range (the input range's edges). */
export function voltsToCode(volts: number, rangeCenterV: number): number {
  const code = Math.round((volts - rangeCenterV) * 65536 + 32768);
  return code < 0 ? 0 : code > 0xffff ? 0xffff : code;
}

export function codesToVolts(codes: Uint16Array, rangeCenterV: number): Float32Array {
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = codeToVolts(codes[i]!, rangeCenterV);
  return out;
}
