// The VME bridge client: a mesytec MVLC on Ethernet, shared by every module in its crate. One client per
// bridge address in the process (the MVLC runs one immediate stack at a time, so the modules' cycles must
// queue on one client, not race on two), handed out as handles and closed when the last handle is.
// Transactions follow mesytec-mvlc's CmdApi (src/mesytec-mvlc/mvlc.cc): super transactions are retried
// (they are idempotent); a stack that got no answer is retried only when the MVLC's stack exec status
// registers say it never ran, so a read-and-clear register is never read twice. Wire format: ./mvlc-protocol.ts.
import { describeTransport, type DriverContext, type DriverLogger, type TransportSpec } from '../sdk/index';
import {
  FRAME,
  FRAME_FLAG,
  MVLC_REG,
  NO_HEADER_POINTER,
  PACKET_CHANNEL,
  SUPER,
  decodeFrameHeader,
  execImmediateStack,
  isKnownFrame,
  packetLoss,
  parsePacket,
  readStackAnswer,
  readSuperAnswer,
  stackBuffer,
  stackUploadParts,
  superBuffer,
  wordsToBytes,
  type AddressModifier,
  type DataWidth,
  type StackCommand,
  type SuperCommand,
} from './mvlc-protocol';
import { UdpPeer } from './udp';

/**
 * How long to wait for each answer. The library waits 2 s (CmdApi ResultWaitTimeout); its low-level test
 * says the MVLC answers within 1 s, and on a crate's own network it answers within a millisecond, so
 * 500 ms shows a lost bridge sooner without mistaking a slow answer for a lost one.
 */
export const BRIDGE_ANSWER_MS = 500;
/** Attempts per transaction (mvlc.cc TransactionMaxAttempts). */
export const BRIDGE_ATTEMPTS = 3;

export interface BridgeOptions {
  answerMs?: number;
  attempts?: number;
}

/** The bridge did not answer at all: it is off, unplugged, or not at that address. */
export class VmeTimeoutError extends Error {
  override name = 'VmeTimeoutError';
}

/** The bridge answered, but the VME cycle failed: no module at the address, a bus error, a bad stack. */
export class VmeCycleError extends Error {
  override name = 'VmeCycleError';
  constructor(
    message: string,
    readonly reason: 'no-response' | 'bus-error' | 'syntax' | 'response-lost' | 'in-use',
  ) {
    super(message);
  }
}

export type VmeCycle =
  | { op: 'read'; address: number; am: AddressModifier; width: DataWidth }
  | { op: 'write'; address: number; am: AddressModifier; width: DataWidth; value: number }
  | { op: 'block-read'; address: number; am: AddressModifier; transfers: number; fifo?: boolean };

/** A read's value, a block read's words, null for a write. */
export type VmeCycleResult = number | number[] | null;

export interface BridgeIdentity {
  hardwareId: number;
  firmware: number;
  /** "MVLC hardware 0x5008, firmware FW0039". */
  text: string;
}

export interface VmeBridge {
  /** The bridge as people read it: "MVLC udp 192.0.2.40:32768". */
  readonly address: string;
  /** The one client behind every handle to this address. */
  readonly client: MvlcClient;
  /** Connect if needed (the controller's firmware and DAQ-mode registers) and say what the bridge is. */
  identity(): Promise<BridgeIdentity>;
  read(address: number, am: AddressModifier, width: DataWidth): Promise<number>;
  write(address: number, am: AddressModifier, width: DataWidth, value: number): Promise<void>;
  /** A BLT/MBLT read of up to `transfers` words (FIFO: the address is not incremented). */
  blockRead(address: number, am: AddressModifier, transfers: number, fifo?: boolean): Promise<number[]>;
  /** Several cycles back to back in one stack, as the MVLC runs a readout stack. */
  cycles(cycles: readonly VmeCycle[]): Promise<VmeCycleResult[]>;
  /** Give this handle back; the socket closes with the last one. */
  close(): Promise<void>;
}

const hex = (n: number, digits = 8) => `0x${(n >>> 0).toString(16).padStart(digits, '0')}`;

interface Pending {
  ref: number;
  resolve: (frame: number[]) => void;
}

/** One waiter for one answer, with its own deadline. */
function waitFor(slot: { pending: Pending | null }, ref: number, ms: number): { answer: Promise<number[] | null>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const answer = new Promise<number[] | null>((resolve) => {
    timer = setTimeout(() => {
      if (slot.pending?.ref === ref) slot.pending = null;
      resolve(null);
    }, ms);
    slot.pending = {
      ref,
      resolve: (frame) => {
        clearTimeout(timer);
        slot.pending = null;
        resolve(frame);
      },
    };
  });
  return {
    answer,
    cancel: () => {
      clearTimeout(timer);
      if (slot.pending?.ref === ref) slot.pending = null;
    },
  };
}

export class MvlcClient {
  readonly address: string;
  private readonly peer: UdpPeer;
  private readonly answerMs: number;
  private readonly attempts: number;
  private queue: Promise<unknown> = Promise.resolve();
  /** Payload words of the command socket not yet taken as whole frames (cmd_pipe_reader's buffer). */
  private words: number[] = [];
  private readonly lastPacket = new Map<number, number>();
  private readonly superSlot: { pending: Pending | null } = { pending: null };
  private readonly stackSlot: { pending: Pending | null } = { pending: null };
  private nextSuperRef = 1;
  private nextStackRef = 1;
  private known: BridgeIdentity | null = null;
  private closed = false;

  constructor(
    host: string,
    port: number,
    private readonly log: DriverLogger,
    options: BridgeOptions = {},
  ) {
    this.address = `MVLC udp ${host}:${port}`;
    this.peer = new UdpPeer(host, port);
    this.answerMs = options.answerMs ?? BRIDGE_ANSWER_MS;
    this.attempts = options.attempts ?? BRIDGE_ATTEMPTS;
    this.peer.onDatagram((d) => this.receive(d));
  }

  /** One transaction at a time: the bridge has one immediate stack and one pending answer of each kind. */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private receive(datagram: Buffer): void {
    let packet: ReturnType<typeof parsePacket>;
    try {
      packet = parsePacket(datagram);
    } catch (error) {
      this.log.warn('the VME bridge sent a datagram that is not an MVLC packet', { bridge: this.address, error: (error as Error).message });
      return;
    }
    const { header, payload } = packet;
    if (header.channel === PACKET_CHANNEL.Data) return;
    const last = this.lastPacket.get(header.channel);
    if (last !== undefined && packetLoss(last, header.packetNumber) > 0) {
      // Not fatal: another client of the same MVLC also moves the packet numbers (mvlc_eth_low_level_tests.cc).
      this.log.info('MVLC packet numbers skipped', { bridge: this.address, channel: header.channel, lost: packetLoss(last, header.packetNumber) });
    }
    this.lastPacket.set(header.channel, header.packetNumber);
    // After a loss, resume at the packet's first frame header rather than glue a stranger's words on.
    if (this.words.length === 0 && header.nextHeaderPointer !== NO_HEADER_POINTER && header.nextHeaderPointer > 0) {
      this.words.push(...payload.slice(header.nextHeaderPointer));
    } else if (this.words.length === 0 && header.nextHeaderPointer === NO_HEADER_POINTER) {
      return;
    } else this.words.push(...payload);
    this.takeFrames();
  }

  private takeFrames(): void {
    for (;;) {
      let skipped = 0;
      while (this.words.length && !isKnownFrame(this.words[0]!)) {
        this.words.shift();
        skipped++;
      }
      if (skipped) this.log.warn('skipped words that are no MVLC frame header', { bridge: this.address, skipped });
      if (!this.words.length) return;
      // A frame and its Continue-chained successors (0xF2 after 0xF1, 0xF9 after 0xF3) are one answer.
      let end = 0;
      const data: number[] = [];
      let flags = 0;
      for (;;) {
        if (end >= this.words.length) return;
        const h = decodeFrameHeader(this.words[end]!);
        if (end + 1 + h.length > this.words.length) return;
        data.push(...this.words.slice(end + 1, end + 1 + h.length));
        flags |= h.flags;
        end += 1 + h.length;
        if (!(h.flags & FRAME_FLAG.Continue)) break;
      }
      const first = this.words[0]!;
      this.words = this.words.slice(end);
      this.dispatch(first, data, flags & ~FRAME_FLAG.Continue);
    }
  }

  private dispatch(header: number, data: number[], flags: number): void {
    const type = header >>> 24;
    const frame = [header, ...data];
    if (type === FRAME.SuperFrame) {
      const pending = this.superSlot.pending;
      if (pending && pending.ref === ((data[0] ?? 0) & 0xffff) && (data[0] ?? 0) >>> 16 === SUPER.ReferenceWord) pending.resolve(frame);
      // Otherwise the late answer of an attempt already given up: the library counts it as a mismatch.
    } else if (type === FRAME.StackFrame) {
      const pending = this.stackSlot.pending;
      if (pending && pending.ref === data[0]) pending.resolve([((header & ~(0xf << 20)) | (flags << 20)) >>> 0, ...data]);
    } else if (type === FRAME.StackError) {
      this.log.warn('the MVLC reported a stack error', { bridge: this.address, frame: frame.map((w) => hex(w)) });
    }
  }

  private async send(words: number[]): Promise<void> {
    if (this.closed) throw new Error(`${this.address} is closed`);
    await this.peer.open();
    await this.peer.send(wordsToBytes(words));
  }

  /** A reference word, the commands, the mirror back; retried on silence. Returns what the ReadLocals read. */
  private async superTransaction(commands: readonly SuperCommand[]): Promise<number[]> {
    const ref = this.nextSuperRef++ & 0xffff;
    this.nextSuperRef &= 0xffff;
    const request: SuperCommand[] = [{ kind: 'reference', value: ref }, ...commands];
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      const wait = waitFor(this.superSlot, ref, this.answerMs);
      try {
        await this.send(superBuffer(request));
      } catch (error) {
        wait.cancel();
        throw new VmeTimeoutError(`${this.address}: ${(error as Error).message}`);
      }
      const frame = await wait.answer;
      if (frame) return readSuperAnswer(request, frame);
    }
    this.known = null;
    throw new VmeTimeoutError(`${this.address} did not answer within ${this.answerMs} ms (${this.attempts} attempts)`);
  }

  private async stackTransaction(commands: readonly StackCommand[]): Promise<number[]> {
    const stackRef = this.nextStackRef++ >>> 0;
    const stack: StackCommand[] = [{ kind: 'marker', value: stackRef }, ...commands];
    const parts = stackUploadParts(stackBuffer(stack));
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      for (const part of parts) await this.superTransaction(part);
      const ref = this.nextSuperRef++ & 0xffff;
      this.nextSuperRef &= 0xffff;
      const exec: SuperCommand[] = [{ kind: 'reference', value: ref }, ...execImmediateStack()];
      const mirror = waitFor(this.superSlot, ref, this.answerMs);
      const output = waitFor(this.stackSlot, stackRef, 2 * this.answerMs);
      try {
        await this.send(superBuffer(exec));
      } catch (error) {
        mirror.cancel();
        output.cancel();
        throw new VmeTimeoutError(`${this.address}: ${(error as Error).message}`);
      }
      const mirrored = await mirror.answer;
      if (mirrored) readSuperAnswer(exec, mirrored);
      const frame = mirrored ? await output.answer : (output.cancel(), null);
      if (frame) return this.outcome(frame, commands);
      // Silence: did the stack run (its answer was lost) or did the request never arrive?
      const [status0, status1] = await this.superTransaction([
        { kind: 'read-local', address: MVLC_REG.stackExecStatus0 },
        { kind: 'read-local', address: MVLC_REG.stackExecStatus1 },
      ]);
      if (status1 === stackRef) {
        this.outcome([status0!, stackRef], []);
        throw new VmeCycleError(`${this.address} ran the stack but its answer was lost`, 'response-lost');
      }
      this.log.info('VME stack request lost; sending it again', { bridge: this.address, attempt: attempt + 1 });
    }
    throw new VmeTimeoutError(`${this.address} did not run the stack (${this.attempts} attempts)`);
  }

  /** The stack's flags as errors, then its data after the marker. */
  private outcome(frame: number[], commands: readonly StackCommand[]): number[] {
    const flags = decodeFrameHeader(frame[0]!).flags;
    // The MVLC does not say which cycle of a stack failed, only that one did.
    const first = commands.find((c) => c.kind !== 'marker');
    const at = !first || !('address' in first) ? '' : commands.length === 1 ? ` at ${hex(first.address)} (AM ${hex(first.am, 2)})` : ` in a stack of ${commands.length} cycles from ${hex(first.address)}`;
    if (flags & FRAME_FLAG.Timeout) throw new VmeCycleError(`no VME module answered${at}`, 'no-response');
    if (flags & FRAME_FLAG.BusError) throw new VmeCycleError(`VME bus error${at}`, 'bus-error');
    if (flags & FRAME_FLAG.SyntaxError) throw new VmeCycleError(`${this.address} refused the stack (syntax error)`, 'syntax');
    return frame.slice(2);
  }

  /** Impl::connect's sequence: firmware revision, then the DAQ-mode register (a running DAQ owns the MVLC). */
  identity(): Promise<BridgeIdentity> {
    if (this.known) return Promise.resolve(this.known);
    return this.exclusive(async () => {
      if (this.known) return this.known;
      const [firmware, hardwareId, daqMode] = await this.superTransaction([
        { kind: 'read-local', address: MVLC_REG.firmwareRevision },
        { kind: 'read-local', address: MVLC_REG.hardwareId },
        { kind: 'read-local', address: MVLC_REG.daqMode },
      ]);
      if (daqMode! & 1 && firmware! > 0x34) {
        throw new VmeCycleError(`${this.address} is in use: its DAQ mode is on (a readout owns it)`, 'in-use');
      }
      const fw = `FW${firmware!.toString(16).padStart(4, '0')}`;
      this.known = { hardwareId: hardwareId!, firmware: firmware!, text: `MVLC hardware ${hex(hardwareId!, 4)}, firmware ${fw}` };
      return this.known;
    });
  }

  async cycles(cycles: readonly VmeCycle[]): Promise<VmeCycleResult[]> {
    if (cycles.length === 0) return [];
    const commands = cycles.map((c): StackCommand => {
      if (!Number.isInteger(c.address) || c.address < 0 || c.address > 0xffffffff) throw new RangeError(`VME address ${c.address} is not a 32-bit address`);
      switch (c.op) {
        case 'read':
          return { kind: 'vme-read', address: c.address, am: c.am, width: c.width };
        case 'write':
          return { kind: 'vme-write', address: c.address, am: c.am, width: c.width, value: c.value };
        case 'block-read':
          return { kind: 'vme-block-read', address: c.address, am: c.am, transfers: c.transfers, fifo: c.fifo ?? true };
      }
    });
    await this.identity();
    const data = await this.exclusive(() => this.stackTransaction(commands));
    return readStackAnswer(commands, data).map((r) => (r.kind === 'value' ? r.value : r.kind === 'block' ? r.words : null));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.superSlot.pending = null;
    this.stackSlot.pending = null;
    await this.peer.close();
  }
}

const shared = new Map<string, { client: MvlcClient; users: number }>();

/**
 * The bridge at `spec` (an MVLC's command port over UDP), shared by every module behind it in this
 * process. Each call is one user; the client closes when the last user's handle closes.
 */
export function vmeBridge(spec: TransportSpec, context: DriverContext, options: BridgeOptions = {}): VmeBridge {
  if (spec.kind !== 'udp') throw new RangeError(`the MVLC VME bridge speaks UDP (its command port, 0x8000 = 32768), not ${describeTransport(spec)}`);
  const key = `${spec.host}:${spec.port}`;
  let entry = shared.get(key);
  if (!entry) {
    entry = { client: new MvlcClient(spec.host, spec.port, context.log, options), users: 0 };
    shared.set(key, entry);
  }
  entry.users++;
  const { client } = entry;
  const mine = entry;
  let closed = false;
  const open = () => {
    if (closed) throw new Error(`this handle to ${client.address} is closed`);
  };
  const one = async (c: VmeCycle) => {
    open();
    return (await client.cycles([c]))[0] ?? null;
  };
  return {
    address: client.address,
    client,
    identity: async () => (open(), client.identity()),
    read: async (address, am, width) => (await one({ op: 'read', address, am, width })) as number,
    write: async (address, am, width, value) => void (await one({ op: 'write', address, am, width, value })),
    blockRead: async (address, am, transfers, fifo = true) => (await one({ op: 'block-read', address, am, transfers, fifo })) as number[],
    cycles: async (list) => (open(), client.cycles(list)),
    close: async () => {
      if (closed) return;
      closed = true;
      if (--mine.users === 0) {
        if (shared.get(key) === mine) shared.delete(key);
        await client.close();
      }
    },
  };
}
