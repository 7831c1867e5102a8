// The mesytec MVLC VME controller's command protocol over Ethernet (UDP): the smallest faithful subset for
// single VME cycles (A24/A32, D16/D32) and block reads, word for word as the open-source driver library puts
// it on the wire. Source: github:mesytec/mesytec-mvlc (BSL-1.0):
//   src/mesytec-mvlc/mvlc_constants.h           super and stack command codes, frame headers and flags, the
//                                               ETH header0/header1 words, ports 0x8000/0x8001, registers
//   src/mesytec-mvlc/mvlc_command_builders.cc   make_command_buffer, make_stack_buffer, make_stack_upload_commands
//   src/mesytec-mvlc/mvlc.cc                    CmdApi::vmeRead / vmeWrite / vmeBlockRead (a WriteMarker with
//                                               the stack reference first), stackTransactionImpl, uploadStack
//                                               (EthPartMaxSize 181), readRegister, cmd_pipe_reader
//   src/mesytec-mvlc/mvlc_impl_eth.cc           Impl::connect (firmware and DAQ-mode reads), read_packet
//   src/mesytec-mvlc/mvlc_eth_interface.h       PayloadHeaderInfo
//   src/mesytec-mvlc/vme_constants.h            the VME address modifiers
//   extras/dev-tools/mvlc_eth_low_level_tests.cc  a literal ReadLocal exchange (0xf1000005, 0x01010001, …)
//
// The exchange: every request is a super command buffer (CmdBufferStart … CmdBufferEnd) in one datagram to
// the command port; the MVLC mirrors it in a 0xF1 frame (ReadLocal followed by the value read). A VME
// cycle is a "stack": uploaded into stack memory with WriteLocal commands, then started as the immediate
// stack (stack 0) by writing its trigger register; its output comes back in a 0xF3 frame whose first data
// word is the marker the library puts first (the stack reference). Every datagram from the MVLC starts with
// two ETH header words (packet channel, packet number, word count; timestamp, next header pointer).
// All words are 32-bit little-endian.

/** Controller ports: commands and their answers; the readout data stream (unused here). */
export const MVLC_COMMAND_PORT = 0x8000;
export const MVLC_DATA_PORT = 0x8001;

/** Super commands: the 16 high bits of a command word (mvlc_constants.h SuperCommandType). */
export const SUPER = {
  CmdBufferStart: 0xf100,
  CmdBufferEnd: 0xf200,
  ReferenceWord: 0x0101,
  ReadLocal: 0x0102,
  WriteLocal: 0x0204,
} as const;

/** Stack commands: the 8 high bits of a stack word (mvlc_constants.h StackCommandType). */
export const STACK = {
  StackStart: 0xf3,
  StackEnd: 0xf4,
  /** FIFO read (no address increment, always so since FW0036): single cycles and block reads of a FIFO. */
  VMERead: 0x12,
  /** Block read from memory, the address incremented (FW0036). */
  VMEReadMem: 0x32,
  VMEWrite: 0x23,
  WriteMarker: 0xc2,
} as const;

/** Frame types: the 8 high bits of a frame header. */
export const FRAME = {
  SuperFrame: 0xf1,
  SuperContinuation: 0xf2,
  StackFrame: 0xf3,
  BlockRead: 0xf5,
  StackError: 0xf7,
  StackContinuation: 0xf9,
} as const;

/** Frame flags (header bits 23:20): the stack's outcome. */
export const FRAME_FLAG = { Timeout: 1, BusError: 2, SyntaxError: 4, Continue: 8 } as const;

/** VME data widths as the stack encodes them (VMEDataWidth). */
export const DATA_WIDTH = { D16: 0x1, D32: 0x2 } as const;
export type DataWidth = keyof typeof DATA_WIDTH;

/** VME address modifiers (vme_constants.h vme_amods): user data and block modes. */
export const AM = {
  A24: 0x39,
  A24_BLT: 0x3b,
  A32: 0x09,
  A32_BLT: 0x0b,
  A32_MBLT: 0x08,
} as const;
export type AddressModifier = number;

const BLOCK_AMS = new Set<number>([0x0b, 0x08, 0x0f, 0x0c, 0x3b, 0x3f, 0x20]);
const A24_AMS = new Set<number>([0x39, 0x3a, 0x3b, 0x3d, 0x3e, 0x3f]);
const A32_AMS = new Set<number>([0x09, 0x0a, 0x0b, 0x08, 0x0d, 0x0e, 0x0f, 0x0c]);

export function isBlockAm(am: number): boolean {
  return BLOCK_AMS.has(am & 0x3f);
}

/** The address space an address modifier selects, or null for one this subset does not speak (A16, CR/CSR, 2eSST). */
export function addressSpace(am: number): 'A24' | 'A32' | null {
  if (A24_AMS.has(am & 0x3f)) return 'A24';
  if (A32_AMS.has(am & 0x3f)) return 'A32';
  return null;
}

/** MVLC-internal registers (mvlc_constants.h namespaces stacks and registers). */
export const MVLC_REG = {
  Stack0Trigger: 0x1100,
  Stack0Offset: 0x1200,
  StackMemoryBegin: 0x2000,
  /** 2048 words of stack memory. */
  StackMemoryEnd: 0x2000 + 2048 * 4,
  daqMode: 0x1300,
  controllerId: 0x1304,
  /** Since FW0039: the outcome (frame header) and the reference word of the last immediate stack. */
  stackExecStatus0: 0x1400,
  stackExecStatus1: 0x1404,
  hardwareId: 0x6008,
  firmwareRevision: 0x600e,
} as const;

/** The immediate stack starts one word into stack memory, so an offset of 0 never points at a valid stack. */
export const IMMEDIATE_STACK_OFFSET_BYTES = 4;
/** Trigger register bit that runs the stack now. */
export const IMMEDIATE_BIT = 1 << 8;
/** Stack output pipe: the command pipe (answers come back to the command port). */
export const COMMAND_PIPE = 0;
/** Stack words per upload transaction over Ethernet (CmdApi::uploadStack EthPartMaxSize). */
export const ETH_UPLOAD_PART_WORDS = 181;
/** The MVLC's hardware id register reads this (mvlc_eth_low_level_tests.cc: 0x00005008). */
export const MVLC_HARDWARE_ID = 0x5008;

/** ETH packet channels (eth::PacketChannel): super answers, immediate-stack output, readout data. */
export const PACKET_CHANNEL = { Command: 0, Stack: 1, Data: 2 } as const;
/** header1 next-header pointer when the packet holds no frame header (continuation data only). */
export const NO_HEADER_POINTER = 0xfff;
/** Largest frame length the 13-bit length field holds. */
export const MAX_FRAME_WORDS = 0x1fff;

export type SuperCommand =
  | { kind: 'reference'; value: number }
  | { kind: 'read-local'; address: number }
  | { kind: 'write-local'; address: number; value: number };

export type StackCommand =
  | { kind: 'marker'; value: number }
  | { kind: 'vme-read'; address: number; am: AddressModifier; width: DataWidth }
  | { kind: 'vme-block-read'; address: number; am: AddressModifier; transfers: number; fifo: boolean }
  | { kind: 'vme-write'; address: number; am: AddressModifier; width: DataWidth; value: number };

export class MvlcProtocolError extends Error {
  override name = 'MvlcProtocolError';
}

const u32 = (n: number) => n >>> 0;
const hex = (n: number, digits = 8) => `0x${u32(n).toString(16).padStart(digits, '0')}`;

// ── Requests ──────────────────────────────────────────────────────────────────────────────────────────

/** make_command_buffer: CmdBufferStart, the commands, CmdBufferEnd. */
export function superBuffer(commands: readonly SuperCommand[]): number[] {
  const words = [u32(SUPER.CmdBufferStart << 16)];
  for (const c of commands) {
    switch (c.kind) {
      case 'reference':
        words.push(u32((SUPER.ReferenceWord << 16) | (c.value & 0xffff)));
        break;
      case 'read-local':
        words.push(u32((SUPER.ReadLocal << 16) | (c.address & 0xffff)));
        break;
      case 'write-local':
        words.push(u32((SUPER.WriteLocal << 16) | (c.address & 0xffff)), u32(c.value));
        break;
    }
  }
  words.push(u32(SUPER.CmdBufferEnd << 16));
  return words;
}

/** make_stack_buffer: the stack's words, without StackStart / StackEnd. */
export function stackBuffer(commands: readonly StackCommand[]): number[] {
  const words: number[] = [];
  for (const c of commands) {
    switch (c.kind) {
      case 'marker':
        words.push(u32(STACK.WriteMarker << 24), u32(c.value));
        break;
      case 'vme-read':
        if (isBlockAm(c.am)) throw new RangeError(`AM ${hex(c.am, 2)} is a block mode; a single read needs a data AM`);
        words.push(u32((STACK.VMERead << 24) | ((c.am & 0xff) << 16) | DATA_WIDTH[c.width]), u32(c.address));
        break;
      case 'vme-block-read':
        if (!isBlockAm(c.am)) throw new RangeError(`AM ${hex(c.am, 2)} is not a block mode`);
        if (!Number.isInteger(c.transfers) || c.transfers < 1 || c.transfers > 0xffff) throw new RangeError(`a block read moves 1–65535 words, not ${c.transfers}`);
        words.push(u32(((c.fifo ? STACK.VMERead : STACK.VMEReadMem) << 24) | ((c.am & 0xff) << 16) | c.transfers), u32(c.address));
        break;
      case 'vme-write':
        words.push(u32((STACK.VMEWrite << 24) | ((c.am & 0xff) << 16) | DATA_WIDTH[c.width]), u32(c.address), u32(c.value));
        break;
    }
  }
  return words;
}

/**
 * CmdApi::uploadStack: WriteLocal of StackStart (with the output pipe), the stack words and StackEnd into
 * stack memory from `offsetBytes`, split into parts of at most ETH_UPLOAD_PART_WORDS stack words; each
 * part is one super transaction of its own (the caller puts a reference word first).
 */
export function stackUploadParts(stackWords: readonly number[], offsetBytes = IMMEDIATE_STACK_OFFSET_BYTES, pipe = COMMAND_PIPE): SuperCommand[][] {
  let address = MVLC_REG.StackMemoryBegin + offsetBytes;
  if (address + (stackWords.length + 2) * 4 > MVLC_REG.StackMemoryEnd) throw new RangeError(`a stack of ${stackWords.length} words does not fit the MVLC's stack memory`);
  const parts: SuperCommand[][] = [];
  for (let i = 0; i < stackWords.length || parts.length === 0; i += ETH_UPLOAD_PART_WORDS) {
    const part: SuperCommand[] = [];
    if (i === 0) {
      part.push({ kind: 'write-local', address, value: u32((STACK.StackStart << 24) | (pipe << 16)) });
      address += 4;
    }
    for (const w of stackWords.slice(i, i + ETH_UPLOAD_PART_WORDS)) {
      part.push({ kind: 'write-local', address, value: w });
      address += 4;
    }
    if (i + ETH_UPLOAD_PART_WORDS >= stackWords.length) {
      part.push({ kind: 'write-local', address, value: u32(STACK.StackEnd << 24) });
      address += 4;
    }
    parts.push(part);
  }
  return parts;
}

/** stackTransactionImpl: clear the exec status registers, point stack 0 at the immediate stack, run it. */
export function execImmediateStack(): SuperCommand[] {
  return [
    { kind: 'write-local', address: MVLC_REG.stackExecStatus0, value: 0 },
    { kind: 'write-local', address: MVLC_REG.stackExecStatus1, value: 0 },
    { kind: 'write-local', address: MVLC_REG.Stack0Offset, value: IMMEDIATE_STACK_OFFSET_BYTES },
    { kind: 'write-local', address: MVLC_REG.Stack0Trigger, value: IMMEDIATE_BIT },
  ];
}

// ── Frames ────────────────────────────────────────────────────────────────────────────────────────────

export interface FrameHeader {
  type: number;
  flags: number;
  stack: number;
  controllerId: number;
  /** Words that follow the header. */
  length: number;
}

/** TTTT TTTT CEEE SSSS IIIL LLLL LLLL LLLL (frame_headers). */
export function frameHeader(h: FrameHeader): number {
  if (h.length > MAX_FRAME_WORDS) throw new RangeError(`a frame holds at most ${MAX_FRAME_WORDS} words, not ${h.length}`);
  return u32((h.type << 24) | ((h.flags & 0xf) << 20) | ((h.stack & 0xf) << 16) | ((h.controllerId & 0x7) << 13) | (h.length & 0x1fff));
}

export function decodeFrameHeader(word: number): FrameHeader {
  return { type: word >>> 24, flags: (word >>> 20) & 0xf, stack: (word >>> 16) & 0xf, controllerId: (word >>> 13) & 0x7, length: word & 0x1fff };
}

const KNOWN_FRAMES = new Set<number>(Object.values(FRAME));
export function isKnownFrame(word: number): boolean {
  return KNOWN_FRAMES.has(word >>> 24);
}

// ── ETH packets ───────────────────────────────────────────────────────────────────────────────────────

export interface EthHeader {
  /** 2 bits: PACKET_CHANNEL. */
  channel: number;
  /** 12 bits, counted per channel. */
  packetNumber: number;
  controllerId: number;
  /** Data words after the two header words. */
  dataWords: number;
  /** 20 bits, 1 ms steps. */
  timestamp: number;
  /** Index (from the first data word) of the first frame header in the packet, or NO_HEADER_POINTER. */
  nextHeaderPointer: number;
}

export function ethHeaderWords(h: EthHeader): [number, number] {
  return [
    u32(((h.channel & 0x3) << 28) | ((h.packetNumber & 0xfff) << 16) | ((h.controllerId & 0x7) << 13) | (h.dataWords & 0x1fff)),
    u32(((h.timestamp & 0xfffff) << 12) | (h.nextHeaderPointer & 0xfff)),
  ];
}

export function decodeEthHeader(header0: number, header1: number): EthHeader {
  return {
    channel: (header0 >>> 28) & 0x3,
    packetNumber: (header0 >>> 16) & 0xfff,
    controllerId: (header0 >>> 13) & 0x7,
    dataWords: header0 & 0x1fff,
    timestamp: (header1 >>> 12) & 0xfffff,
    nextHeaderPointer: header1 & 0xfff,
  };
}

/** Packets lost between two packet numbers of one channel (eth::calc_packet_loss; 12-bit wrap). */
export function packetLoss(last: number, current: number): number {
  return (current - last - 1 + 0x1000) % 0x1000;
}

// ── Bytes ─────────────────────────────────────────────────────────────────────────────────────────────

export function wordsToBytes(words: readonly number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32LE(u32(w), i * 4));
  return b;
}

/** A datagram's 32-bit words; trailing bytes that make no whole word are an error (read_packet's leftover bytes). */
export function bytesToWords(bytes: Uint8Array): number[] {
  if (bytes.length % 4 !== 0) throw new MvlcProtocolError(`a datagram of ${bytes.length} bytes is not whole 32-bit words`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4, true));
}

/** One datagram from the MVLC: its ETH header and its payload words, checked as read_packet checks them. */
export function parsePacket(bytes: Uint8Array): { header: EthHeader; payload: number[] } {
  if (bytes.length < 8) throw new MvlcProtocolError(`a datagram of ${bytes.length} bytes is shorter than the two ETH header words`);
  const words = bytesToWords(bytes);
  const header = decodeEthHeader(words[0]!, words[1]!);
  const available = words.length - 2;
  if (header.dataWords > available) throw new MvlcProtocolError(`the ETH header announces ${header.dataWords} data words, the datagram holds ${available}`);
  if (header.channel > PACKET_CHANNEL.Data) throw new MvlcProtocolError(`packet channel ${header.channel} does not exist`);
  // Words past the announced count are Ethernet padding (the Windows workaround in read_packet).
  return { header, payload: words.slice(2, 2 + header.dataWords) };
}

// ── The simulator's side: parsing requests ───────────────────────────────────────────────────────────

/** A request datagram's super commands, checked for CmdBufferStart/End; what the MVLC's parser accepts. */
export function parseSuperBuffer(words: readonly number[]): SuperCommand[] {
  if (words.length < 2 || words[0] !== u32(SUPER.CmdBufferStart << 16) || words.at(-1) !== u32(SUPER.CmdBufferEnd << 16)) {
    throw new MvlcProtocolError('a command buffer starts with CmdBufferStart (0xF1000000) and ends with CmdBufferEnd (0xF2000000)');
  }
  const commands: SuperCommand[] = [];
  for (let i = 1; i < words.length - 1; i++) {
    const w = words[i]!;
    const type = w >>> 16;
    const arg = w & 0xffff;
    if (type === SUPER.ReferenceWord) commands.push({ kind: 'reference', value: arg });
    else if (type === SUPER.ReadLocal) commands.push({ kind: 'read-local', address: arg });
    else if (type === SUPER.WriteLocal) {
      if (i + 1 >= words.length - 1) throw new MvlcProtocolError(`WriteLocal ${hex(arg, 4)} has no value word`);
      commands.push({ kind: 'write-local', address: arg, value: words[++i]! });
    } else throw new MvlcProtocolError(`unknown super command ${hex(w)}`);
  }
  return commands;
}

/** Stack memory from StackStart to StackEnd as commands; the output pipe from StackStart. */
export function parseStack(memory: readonly number[]): { pipe: number; commands: StackCommand[] } {
  if (memory.length === 0 || memory[0]! >>> 24 !== STACK.StackStart) throw new MvlcProtocolError('a stack starts with StackStart (0xF3)');
  const pipe = (memory[0]! >>> 16) & 0xff;
  const commands: StackCommand[] = [];
  for (let i = 1; i < memory.length; i++) {
    const w = memory[i]!;
    const type = w >>> 24;
    const arg0 = (w >>> 16) & 0xff;
    const arg1 = w & 0xffff;
    const next = () => {
      if (i + 1 >= memory.length) throw new MvlcProtocolError(`stack command ${hex(w)} is cut short`);
      return memory[++i]!;
    };
    if (type === STACK.StackEnd) return { pipe, commands };
    if (type === STACK.WriteMarker) commands.push({ kind: 'marker', value: next() });
    else if (type === STACK.VMERead || type === STACK.VMEReadMem) {
      const address = next();
      if (isBlockAm(arg0)) commands.push({ kind: 'vme-block-read', address, am: arg0 & 0x3f, transfers: arg1, fifo: type === STACK.VMERead });
      else {
        const width = (arg1 & 0x3) === DATA_WIDTH.D16 ? 'D16' : (arg1 & 0x3) === DATA_WIDTH.D32 ? 'D32' : null;
        if (!width) throw new MvlcProtocolError(`VME read ${hex(w)} has no valid data width`);
        commands.push({ kind: 'vme-read', address, am: arg0 & 0x3f, width });
      }
    } else if (type === STACK.VMEWrite) {
      const width = (arg1 & 0x3) === DATA_WIDTH.D16 ? 'D16' : (arg1 & 0x3) === DATA_WIDTH.D32 ? 'D32' : null;
      if (!width) throw new MvlcProtocolError(`VME write ${hex(w)} has no valid data width`);
      const address = next();
      commands.push({ kind: 'vme-write', address, am: arg0 & 0x3f, width, value: next() });
    } else throw new MvlcProtocolError(`stack command ${hex(w)} is not in this subset`);
  }
  throw new MvlcProtocolError('the stack has no StackEnd (0xF4)');
}

// ── The client's side: reading answers ───────────────────────────────────────────────────────────────

/**
 * Check a 0xF1 answer against its request and return the values its ReadLocal commands read, in order.
 * The answer mirrors every command word (without CmdBufferStart/End); a ReadLocal is followed by the value.
 */
export function readSuperAnswer(request: readonly SuperCommand[], frame: readonly number[]): number[] {
  const header = decodeFrameHeader(frame[0] ?? 0);
  if (header.type !== FRAME.SuperFrame) throw new MvlcProtocolError(`expected a super frame (0xF1), got ${hex(frame[0] ?? 0)}`);
  const mirror = superBuffer(request).slice(1, -1);
  const values: number[] = [];
  let i = 1;
  let m = 0;
  for (const c of request) {
    const size = c.kind === 'write-local' ? 2 : 1;
    for (let k = 0; k < size; k++, m++, i++) {
      if (frame[i] !== mirror[m]) throw new MvlcProtocolError(`the mirror differs from the request at word ${i}: ${hex(frame[i] ?? 0)} instead of ${hex(mirror[m]!)}`);
    }
    if (c.kind === 'read-local') {
      if (i >= frame.length) throw new MvlcProtocolError(`the answer to ReadLocal ${hex(c.address, 4)} is cut short`);
      values.push(frame[i++]!);
    }
  }
  return values;
}

/** What one stack command produced in a stack answer. */
export type StackResult = { kind: 'none' } | { kind: 'value'; value: number } | { kind: 'block'; words: number[] };

/**
 * Split a stack answer's data (the words after the 0xF3 header and its continuations' headers) into each
 * command's result: a marker's and a read's one word, a block read's 0xF5 frames (Continue-chained).
 */
export function readStackAnswer(commands: readonly StackCommand[], data: readonly number[]): StackResult[] {
  let i = 0;
  const take = (what: string) => {
    if (i >= data.length) throw new MvlcProtocolError(`the stack answer is cut short at ${what}`);
    return data[i++]!;
  };
  return commands.map((c): StackResult => {
    switch (c.kind) {
      case 'marker':
        return { kind: 'value', value: take('the marker') };
      case 'vme-read': {
        const v = take(`the read of ${hex(c.address)}`);
        return { kind: 'value', value: c.width === 'D16' ? v & 0xffff : v >>> 0 };
      }
      case 'vme-write':
        return { kind: 'none' };
      case 'vme-block-read': {
        const words: number[] = [];
        for (;;) {
          const h = decodeFrameHeader(take(`the block read of ${hex(c.address)}`));
          if (h.type !== FRAME.BlockRead) throw new MvlcProtocolError(`a block read's data starts with a 0xF5 frame, not 0x${h.type.toString(16)}`);
          if (i + h.length > data.length) throw new MvlcProtocolError(`the block frame announces ${h.length} words, ${data.length - i} came`);
          words.push(...data.slice(i, i + h.length));
          i += h.length;
          if (!(h.flags & FRAME_FLAG.Continue)) return { kind: 'block', words };
        }
      }
    }
  });
}
