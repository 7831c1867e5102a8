// A simulated VME crate behind a simulated mesytec MVLC on Ethernet: it speaks the MVLC's command protocol
// on UDP (./mvlc-protocol.ts, after github:mesytec/mesytec-mvlc) and runs the stacks it is sent against the
// crate's modules: a CAEN V830 scaler (drivers/caen-v830/simulator.ts) and a CAEN V977 I/O register with
// the SPS timing pulses (drivers/vme-timing/simulator.ts), both following one simulated beam. The bridge's
// own faults: it stops answering altogether ('disconnect'), or for 3 s around the end of the next spill
// ('missing-eob', the end-of-burst read that never comes back).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { V830Module } from '../caen-v830/simulator';
import type { ActiveFault, FaultSpec, Simulator } from '../sdk/index';
import type { TwinBeam } from '../twin/beam';
import { V977Module, type V977Inputs } from '../vme-timing/simulator';
import {
  FRAME,
  FRAME_FLAG,
  MAX_FRAME_WORDS,
  MVLC_HARDWARE_ID,
  MVLC_REG,
  PACKET_CHANNEL,
  STACK,
  SUPER,
  addressSpace,
  bytesToWords,
  ethHeaderWords,
  frameHeader,
  parseStack,
  parseSuperBuffer,
  wordsToBytes,
  IMMEDIATE_BIT,
  type StackCommand,
} from './mvlc-protocol';
import { BERR, type VmeSlave } from './slave';

/** The simulated controller's firmware: FW0039, the first with the stack exec status registers. */
export const MVLC_SIM_FIRMWARE = 0x0039;
/** Payload words per datagram: a 1500-byte Ethernet frame less the IP and UDP headers and the two ETH words. */
export const PACKET_PAYLOAD_WORDS = Math.floor((1500 - 20 - 8) / 4) - 2;
/** 'missing-eob': the bridge is silent from this long before the end of the next spill … */
export const MISSING_EOB_BEFORE_MS = 500;
/** … for this long in all (wall-clock ms: it is the network that is silent, not the beam). */
export const MISSING_EOB_MS = 3000;
/** The MVLC's parse error counter starts here (mvlc_constants.h registers::parse_error_counter). */
const PARSE_ERRORS_START = 0x1000;
const PARSE_ERROR_COUNTER = 0x8000;

export interface VmeCrateModules {
  v830?: { base: number; geo?: number };
  v977?: { base: number; inputs: V977Inputs };
}

export interface VmeCrateOptions {
  port: number;
  host?: string;
  seed: number;
  twin: TwinBeam;
  modules: VmeCrateModules;
  /** Wall clock (tests give their own). */
  now?: () => number;
}

const FAULTS: readonly (FaultSpec & { module: 'v830' | 'v977' | 'bridge' })[] = [
  { id: 'overflow', description: 'the V830 counters start just short of 2^bits, so they wrap during the next spill', perChannel: false, module: 'v830' },
  { id: 'stuck-channel', description: 'one V830 counter stops counting', perChannel: true, module: 'v830' },
  { id: 'missing-eob', description: 'the bridge does not answer for 3 s around the end of the next spill', perChannel: false, module: 'bridge' },
  { id: 'miscount', description: 'the beam counters (S1, S2, Sc) count 5 % more than the beam', perChannel: false, module: 'v830' },
  { id: 'sps-off', description: 'the SPS stops: no WWE/WE/EE pulses, the SPS-on level drops', perChannel: false, module: 'v977' },
  { id: 'disconnect', description: 'the bridge stops answering', perChannel: false, module: 'bridge' },
];

export class VmeCrateSimulator implements Simulator {
  readonly simulatorId = 'vme-crate';
  readonly simulatorDescription: string;
  readonly v830: V830Module | null;
  readonly v977: V977Module | null;
  private readonly slaves: VmeSlave[];
  private readonly registers = new Map<number, number>();
  private readonly packetNumbers = [0, 0, 0];
  private readonly startedAt: number;
  private readonly faultsActive: ActiveFault[] = [];
  private silentFrom = 0;
  private silentUntil = 0;

  constructor(
    private readonly options: VmeCrateOptions,
    private readonly reply: (datagram: Buffer, to: RemoteInfo) => void,
  ) {
    const now = this.now();
    this.startedAt = now;
    const { v830, v977 } = options.modules;
    this.v830 = v830 ? new V830Module(v830.base, options.twin, now, 100 + (options.seed % 900), v830.geo ?? 0) : null;
    this.v977 = v977 ? new V977Module(v977.base, options.twin, now, v977.inputs, 200 + (options.seed % 800)) : null;
    this.slaves = [this.v830, this.v977].filter((m): m is V830Module | V977Module => m !== null);
    this.registers.set(PARSE_ERROR_COUNTER, PARSE_ERRORS_START);
    this.simulatorDescription = `mesytec MVLC (UDP) with ${this.slaves.map((s) => s.name).join(', ') || 'an empty crate'}`;
    this.prefetch();
  }

  /**
   * Make the truth of this spill and the next before the scaler needs it: building the twin takes a few
   * hundred ms and a spill a few ms, time the bridge would otherwise spend silent inside a VME cycle.
   */
  prefetch(): void {
    if (!this.v830) return;
    const b = this.options.twin.now(this.now());
    if (b.phase === 'off') return;
    this.options.twin.truth(Math.max(0, b.index));
    this.options.twin.truth(b.index + 1);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  // ── Faults ──

  faults(): readonly FaultSpec[] {
    return FAULTS.filter((f) => f.module === 'bridge' || (f.module === 'v830' ? this.v830 : this.v977)).map(({ id, description, perChannel }) => ({ id, description, perChannel }));
  }

  active(): readonly ActiveFault[] {
    this.expire();
    return this.faultsActive.map((f) => ({ ...f }));
  }

  inject(fault: string, channel: number | null): void {
    const spec = FAULTS.find((f) => f.id === fault);
    if (!spec) throw new RangeError(`unknown fault "${fault}"; this crate has ${this.faults().map((f) => f.id).join(', ')}`);
    if (spec.module !== 'bridge' && !(spec.module === 'v830' ? this.v830 : this.v977)) throw new RangeError(`"${fault}" needs a ${spec.module.toUpperCase()} in the crate, and there is none`);
    if (spec.perChannel && (channel === null || !Number.isInteger(channel) || channel < 0 || channel > 31)) throw new RangeError(`"${fault}" needs a V830 channel 0–31`);
    if (!spec.perChannel && channel !== null) throw new RangeError(`"${fault}" applies to the whole crate, not to a channel`);
    const now = this.now();
    for (const s of this.slaves) s.advance(now);
    switch (fault) {
      case 'overflow':
        this.v830!.overflow(now);
        break;
      case 'stuck-channel':
        this.v830!.setStuck(channel!, true);
        break;
      case 'miscount':
        this.v830!.setMiscount(true);
        break;
      case 'sps-off':
        this.v977!.setSpsOff(true, now);
        break;
      case 'missing-eob': {
        const b = this.options.twin.now(now);
        const end = b.phase === 'spill' ? b.phaseEndsAt! : this.options.twin.spillStart(b.index + 1) + b.spillMs;
        this.silentFrom = Math.max(now, end - MISSING_EOB_BEFORE_MS);
        this.silentUntil = end - MISSING_EOB_BEFORE_MS + MISSING_EOB_MS;
        break;
      }
    }
    if (!this.faultsActive.some((f) => f.fault === fault && f.channel === channel)) this.faultsActive.push({ fault, channel, since: now });
  }

  clear(): void {
    const now = this.now();
    this.v830?.clearFaults();
    this.v977?.setSpsOff(false, now);
    this.silentFrom = this.silentUntil = 0;
    this.faultsActive.length = 0;
  }

  /** 'missing-eob' is over once its silence has passed. */
  private expire(): void {
    if (this.silentUntil && this.now() >= this.silentUntil) {
      this.silentFrom = this.silentUntil = 0;
      const i = this.faultsActive.findIndex((f) => f.fault === 'missing-eob');
      if (i >= 0) this.faultsActive.splice(i, 1);
    }
  }

  private silent(now: number): boolean {
    this.expire();
    return this.faultsActive.some((f) => f.fault === 'disconnect') || (this.silentUntil > 0 && now >= this.silentFrom && now < this.silentUntil);
  }

  // ── The MVLC ──

  /** One datagram to the command port. Anything the MVLC's parser would not take is counted and dropped. */
  handle(datagram: Buffer, from: RemoteInfo): void {
    const now = this.now();
    if (this.silent(now)) return;
    let commands;
    try {
      commands = parseSuperBuffer(bytesToWords(datagram));
    } catch {
      this.registers.set(PARSE_ERROR_COUNTER, ((this.registers.get(PARSE_ERROR_COUNTER) ?? 0) + 1) & 0xffff);
      return;
    }
    const answer: number[] = [];
    let run = false;
    for (const c of commands) {
      switch (c.kind) {
        case 'reference':
          answer.push(((SUPER.ReferenceWord << 16) | c.value) >>> 0);
          break;
        case 'read-local':
          answer.push(((SUPER.ReadLocal << 16) | c.address) >>> 0, this.readLocal(c.address));
          break;
        case 'write-local':
          answer.push(((SUPER.WriteLocal << 16) | c.address) >>> 0, c.value >>> 0);
          this.registers.set(c.address, c.value >>> 0);
          if (c.address === MVLC_REG.Stack0Trigger && c.value & IMMEDIATE_BIT) run = true;
          break;
      }
    }
    this.send(FRAME.SuperFrame, FRAME.SuperContinuation, answer, 0, PACKET_CHANNEL.Command, from, now);
    if (run) this.runImmediateStack(from, now);
  }

  private readLocal(address: number): number {
    if (address === MVLC_REG.hardwareId) return MVLC_HARDWARE_ID;
    if (address === MVLC_REG.firmwareRevision) return MVLC_SIM_FIRMWARE;
    return this.registers.get(address) ?? 0;
  }

  private runImmediateStack(from: RemoteInfo, now: number): void {
    const memory: number[] = [];
    for (let a = MVLC_REG.StackMemoryBegin + (this.registers.get(MVLC_REG.Stack0Offset) ?? 0); a < MVLC_REG.StackMemoryEnd; a += 4) {
      const w = this.registers.get(a) ?? 0;
      memory.push(w);
      if (w >>> 24 === STACK.StackEnd) break;
    }
    let stack: { pipe: number; commands: StackCommand[] };
    try {
      stack = parseStack(memory);
    } catch {
      this.finish([], FRAME_FLAG.SyntaxError, from, now);
      return;
    }
    const out: number[] = [];
    let flags = 0;
    for (const c of stack.commands) {
      if (c.kind === 'marker') {
        out.push(c.value >>> 0);
        continue;
      }
      const space = addressSpace(c.am);
      const slave = space ? this.slaves.find((s) => s.decodes(c.address, space)) : undefined;
      if (!slave) {
        // Nobody drives DTACK: the bridge's bus timer expires and the stack stops.
        flags |= FRAME_FLAG.Timeout;
        break;
      }
      // Only the module addressed moves on: counting a new spill needs its truth, which takes a while to
      // make, and the timing module's polls must not wait for the scaler's.
      slave.advance(now);
      if (c.kind === 'vme-read' || c.kind === 'vme-write') {
        const answer = c.kind === 'vme-read' ? slave.read(c.address, c.width) : slave.write(c.address, c.width, c.value);
        if (answer === BERR) {
          flags |= FRAME_FLAG.BusError;
          break;
        }
        if (c.kind === 'vme-read') out.push(c.width === 'D16' ? answer & 0xffff : answer >>> 0);
        continue;
      }
      // A block transfer ends at its count or at the module's BERR, the usual end of a BLT.
      const words: number[] = [];
      for (let k = 0; k < c.transfers; k++) {
        const w = slave.read(c.fifo ? c.address : c.address + 4 * k, 'D32');
        if (w === BERR) break;
        words.push(w >>> 0);
      }
      for (let i = 0; i === 0 || i < words.length; i += MAX_FRAME_WORDS) {
        const part = words.slice(i, i + MAX_FRAME_WORDS);
        const more = i + MAX_FRAME_WORDS < words.length;
        out.push(frameHeader({ type: FRAME.BlockRead, flags: more ? FRAME_FLAG.Continue : 0, stack: 0, controllerId: this.controllerId(), length: part.length }), ...part);
      }
    }
    if (stack.pipe === 0) this.finish(out, flags, from, now);
  }

  private finish(out: number[], flags: number, from: RemoteInfo, now: number): void {
    const header = frameHeader({ type: FRAME.StackFrame, flags, stack: 0, controllerId: this.controllerId(), length: Math.min(out.length, PACKET_PAYLOAD_WORDS - 1) });
    this.registers.set(MVLC_REG.stackExecStatus0, header);
    this.registers.set(MVLC_REG.stackExecStatus1, out[0] ?? 0);
    this.send(FRAME.StackFrame, FRAME.StackContinuation, out, flags, PACKET_CHANNEL.Stack, from, now);
  }

  private controllerId(): number {
    return (this.registers.get(MVLC_REG.controllerId) ?? 0) & 0x7;
  }

  /** Frames of at most one datagram each, Continue-chained, every datagram with its two ETH header words. */
  private send(type: number, continuation: number, data: number[], flags: number, channel: number, to: RemoteInfo, now: number): void {
    const per = PACKET_PAYLOAD_WORDS - 1;
    for (let i = 0; i === 0 || i < data.length; i += per) {
      const part = data.slice(i, i + per);
      const more = i + per < data.length;
      const header = frameHeader({ type: i === 0 ? type : continuation, flags: flags | (more ? FRAME_FLAG.Continue : 0), stack: 0, controllerId: this.controllerId(), length: part.length });
      const eth = ethHeaderWords({
        channel,
        packetNumber: this.packetNumbers[channel]!,
        controllerId: this.controllerId(),
        dataWords: part.length + 1,
        timestamp: Math.floor(now - this.startedAt),
        nextHeaderPointer: 0,
      });
      this.packetNumbers[channel] = (this.packetNumbers[channel]! + 1) & 0xfff;
      this.reply(wordsToBytes([...eth, header, ...part]), to);
    }
  }
}

/** How often the crate makes the next spill's truth ahead of time. */
const PREFETCH_MS = 200;

/** The crate on `host:port` (0 picks a free port), answering the MVLC protocol on UDP. */
export async function startVmeCrateSimulator(options: VmeCrateOptions): Promise<{ port: number; simulator: VmeCrateSimulator; close(): Promise<void> }> {
  const socket: Socket = createSocket('udp4');
  const simulator = new VmeCrateSimulator(options, (datagram, to) => socket.send(datagram, to.port, to.address));
  socket.on('message', (datagram, from) => simulator.handle(datagram, from));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host ?? '127.0.0.1', () => {
      socket.off('error', reject);
      resolve();
    });
  });
  const prefetch = setInterval(() => {
    try {
      simulator.prefetch();
    } catch {
      // A beam followed from another process is not known yet: nothing to make.
    }
  }, PREFETCH_MS);
  prefetch.unref();
  return {
    port: socket.address().port,
    simulator,
    close: () => {
      clearInterval(prefetch);
      return new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
