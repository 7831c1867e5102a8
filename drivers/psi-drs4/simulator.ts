// A simulated PSI DRS4 Evaluation Board V5 as a USB function, byte for byte on the board's side of
// protocol.ts: the FX2's endpoints (commands on EP 4, data on EP 8, the FPGA-reset byte on EP 1), the
// FPGA's control / status register file and DPRAM, and the domino state machine — StartDomino arms, a
// hardware trigger (or SoftTrigger) stops the wave and lays the 9 channels and the stop-cell trailer out in
// the DPRAM as TransferWaves reads them, REG_STATUS's BIT_RUNNING falls, Reinit goes back to idle.
//
// Hardware triggers come only while the twin beam is in spill, at that spill's trigger rate, and fire only
// when the trigger input's pulse crosses the comparator level (REG_TRG_CONFIG inputs, the level DACs,
// BIT_NEG_TRIGGER), so a threshold above the pulses gives no trigger at all. The inputs carry the analog
// signals of drivers/twin/analog-signals.ts; what was generated for the last trigger is kept as truth.
//
// What is not known from the sources and is chosen here (⚠): the FX2's string descriptors, what an odd or
// malformed command does (ignored and counted: the host then times out on EP 8), the power-on contents of
// the control registers (zero), FIFO-space reads (they return the DPRAM), and the temperature (35 °C).
// The EEPROM (ReadEEPROM / WriteEEPROM) is not simulated: the driver uses the nominal calibration.
import { setTimeout as delay } from 'node:timers/promises';
import type { ActiveFault, FaultSpec } from '../sdk/index';
import type { ControlledSimulator } from '../sdk/sim-control';
import type { UsbDeviceDescriptor, UsbFunction, UsbReply, UsbSetup } from '../transports/usb/usb-function';
import { UsbipServer } from '../transports/usb/usbip-server';
import { ANALOG, analogEvent, type AnalogInput } from '../twin/analog-signals';
import type { TwinBeam } from '../twin/beam';
import { Random } from '../twin/random';
import {
  BINS,
  BIT_ENABLE_TRIGGER1,
  BIT_NEG_TRIGGER,
  BIT_PLL_LOCKED0,
  BIT_READOUT_MODE,
  BIT_REINIT_TRIG,
  BIT_RUNNING,
  BIT_SOFT_TRIG,
  BIT_START_TRIG,
  BOARD_TYPE_EVAL5,
  DAC_ROFS_1,
  dacRegister,
  dacVolts,
  decodeCommand,
  DRS_TYPE_DRS4,
  DRS4_PRODUCT_ID,
  DRS4_VENDOR_ID,
  encodeWaveforms,
  EP_COMMAND,
  EP_DATA,
  EP_FX2,
  EVAL_DRS_CHANNELS,
  frequencyOfRegister,
  INPUTS,
  MAGIC,
  rangeCenterOfReadoutOffset,
  REG_BOARD_TYPE,
  REG_CTRL,
  REG_FREQ_SET,
  REG_MAGIC,
  REG_SERIAL_BOARD,
  REG_STATUS,
  REG_STOP_CELL0,
  REG_STOP_WSR0,
  REG_TEMPERATURE,
  REG_TRG_CONFIG,
  REG_TRG_DELAY,
  REG_VERSION_FW,
  spaceOf,
  swappedWordAddress,
  TRG_CONFIG_AND,
  TRG_CONFIG_EXT,
  TRG_CONFIG_OR,
  TRIGGER_LEVEL_DAC,
  triggerLevelOfDac,
  triggerSampleOf,
  voltsToCode,
  type AddressSpace,
} from './protocol';

/**
 * A firmware revision above every threshold DRS.cpp and the MIDAS front end test (17147 trailer, 21305
 * 2048-bin mode, 21699 transparent mode); not a published release number.
 */
export const SIMULATED_FIRMWARE = 30000;
export const SIMULATED_TEMPERATURE_C = 35;
/** What the four inputs are wired to unless told otherwise: two beam counters, the SRD and the ECAL sum. */
export const DEFAULT_WIRING: readonly AnalogInput[] = ['S1', 'S2', 'SRD', 'ECAL'];
/** Beam energy of the ECAL sum pulse of an electron when not told (the H4 electron beam of the setups). */
export const DEFAULT_ENERGY_GEV = 100;
/** Register file sizes (the FPGA decodes more; what lies beyond reads as zero). */
const REGISTER_BYTES = 0x100;
const DPRAM_BYTES = 0x10000;
/** Trigger candidates examined per status read at most (a level no pulse reaches must not spin). */
const CANDIDATES_PER_POLL = 64;
/** How far ahead (spill cycles) the next trigger is looked for. */
const CYCLES_AHEAD = 3;

export const DRS4_FAULTS: readonly FaultSpec[] = [
  { id: 'unplug', description: 'the board drops off the bus at the next waveform readout (gone mid-readout); it comes back when cleared', perChannel: false },
  { id: 'stall', description: 'Bulk-IN endpoint 8 halts on every waveform read; the host must clear the halt (CLEAR_FEATURE)', perChannel: false },
  { id: 'short-packet', description: 'every waveform read is cut short: only the first half of the bytes comes back', perChannel: false },
  { id: 'timeout', description: 'endpoint 8 sends nothing at all: every read times out (a hung FX2 FIFO)', perChannel: false },
];

export interface Drs4SimulatorOptions {
  seed: number;
  twin: TwinBeam;
  simulatorId?: string;
  now?: () => number;
  serial?: number;
  firmware?: number;
  wiring?: readonly AnalogInput[];
  energyGeV?: number;
}

/** What the generator made for one trigger, before the ADC: the truth a test compares the driver's volts with. */
export interface Drs4TruthEvent {
  /** Wall-clock ms of the trigger, and the spill it came in (null for a soft trigger). */
  at: number;
  spill: number | null;
  soft: boolean;
  particle: 'electron' | 'hadron' | 'muon' | null;
  /** Inputs 1 … 4 in order: what they are wired to, the generated volts, the pulse peaks. */
  inputs: readonly AnalogInput[];
  volts: Float32Array[];
  amplitudes: number[];
  samplePeriodNs: number;
  triggerSample: number;
  rangeCenterV: number;
  stopCell: number;
}

/** The cable between the board and the host: the layer that serves the function pulls and plugs it. */
export interface UsbCable {
  unplug(): void;
  plug(): void;
}

type DominoState = 'idle' | 'armed' | 'ready';

interface Waiter {
  length: number;
  resolve: (reply: UsbReply) => void;
}

export class Drs4Simulator implements ControlledSimulator {
  readonly simulatorId: string;
  readonly simulatorDescription: string;
  readonly usb: UsbFunction;
  readonly serial: number;
  readonly firmware: number;
  private readonly twin: TwinBeam;
  private readonly now: () => number;
  private readonly rng: Random;
  private readonly wiring: readonly AnalogInput[];
  private readonly energyGeV: number;
  private readonly ctrl = new Uint8Array(REGISTER_BYTES);
  private readonly status = new Uint8Array(REGISTER_BYTES);
  private readonly dpram = new Uint8Array(DPRAM_BYTES);
  private state: DominoState = 'idle';
  /** Where the search for the next hardware trigger goes on from, and the candidate found. */
  private searchFrom = 0;
  private candidate: { at: number; spill: number } | null = null;
  private truth: Drs4TruthEvent | null = null;
  private triggers = 0;
  private readonly faultsOn = new Map<string, ActiveFault>();
  private cable: UsbCable | null = null;
  private pulled = false;
  /** EP 8: answers not yet taken, the host's waiting reads, and the halt. */
  private readonly pendingIn: Uint8Array[] = [];
  private readonly waiters = new Set<Waiter>();
  private halted = false;
  private readonly refused: string[] = [];

  constructor(o: Drs4SimulatorOptions) {
    this.twin = o.twin;
    this.now = o.now ?? Date.now;
    this.rng = new Random((o.seed ^ 0xd254) >>> 0);
    this.serial = o.serial ?? 2000 + (o.seed % 1000);
    this.firmware = o.firmware ?? SIMULATED_FIRMWARE;
    this.wiring = o.wiring ?? DEFAULT_WIRING;
    if (this.wiring.length !== INPUTS) throw new RangeError(`the board has ${INPUTS} inputs; wiring names ${this.wiring.length}`);
    this.energyGeV = o.energyGeV ?? DEFAULT_ENERGY_GEV;
    this.simulatorId = o.simulatorId ?? 'drs4-0';
    this.simulatorDescription = `PSI DRS4 Evaluation Board V5, serial ${this.serial}, firmware ${this.firmware}: inputs ${this.wiring.join(', ')}`;
    this.powerOn();
    this.usb = this.usbFunction();
  }

  // ── Simulator ────────────────────────────────────────────────────────────────────────────────────────

  faults(): readonly FaultSpec[] {
    return DRS4_FAULTS;
  }

  inject(fault: string, channel: number | null): void {
    if (!DRS4_FAULTS.some((f) => f.id === fault)) throw new RangeError(`unknown fault "${fault}"; the DRS4 board knows ${DRS4_FAULTS.map((f) => f.id).join(', ')}`);
    if (channel !== null) throw new RangeError(`fault "${fault}" applies to the whole board, not to a channel`);
    this.faultsOn.set(fault, { fault, channel: null, since: this.now() });
  }

  clear(): void {
    this.faultsOn.clear();
    this.halted = false;
    if (this.pulled) {
      this.pulled = false;
      this.cable?.plug();
    }
  }

  active(): readonly ActiveFault[] {
    return [...this.faultsOn.values()];
  }

  /** The serving layer hands its cable over, so the 'unplug' fault can pull it. */
  attachCable(cable: UsbCable): void {
    this.cable = cable;
  }

  /** What was generated for the last trigger (hardware or soft), null before the first. */
  lastEvent(): Drs4TruthEvent | null {
    return this.truth;
  }

  /** Beam triggers digitized since power-on (soft triggers not counted). */
  beamTriggerCount(): number {
    return this.triggers;
  }

  /** Commands the board ignored because they were malformed, with why. */
  refusedCommands(): readonly string[] {
    return this.refused;
  }

  // ── Register file ───────────────────────────────────────────────────────────────────────────────────

  private powerOn(): void {
    this.ctrl.fill(0);
    this.status.fill(0);
    this.setStatus16(REG_MAGIC, MAGIC);
    this.setStatus16(REG_BOARD_TYPE, DRS_TYPE_DRS4 | (BOARD_TYPE_EVAL5 << 8));
    this.setStatus16(REG_VERSION_FW, this.firmware);
    this.setStatus16(REG_SERIAL_BOARD, this.serial);
    this.setStatus16(REG_TEMPERATURE, Math.round(SIMULATED_TEMPERATURE_C / 0.0625) << 3);
    this.state = 'idle';
    this.candidate = null;
  }

  /** A 16-bit register as DRS.h names it sits at the swapped address of the 32-bit word (protocol.ts). */
  private setStatus16(register: number, value: number): void {
    const at = swappedWordAddress(register);
    this.status[at] = value & 0xff;
    this.status[at + 1] = (value >> 8) & 0xff;
  }

  private ctrl16(register: number): number {
    const at = swappedWordAddress(register);
    return this.ctrl[at]! | (this.ctrl[at + 1]! << 8);
  }

  private ctrl32(): number {
    return new DataView(this.ctrl.buffer).getUint32(REG_CTRL, true);
  }

  private memory(space: AddressSpace): Uint8Array {
    if (space === 'ctrl') return this.ctrl;
    if (space === 'status') return this.status;
    return this.dpram;
  }

  private readBytes(space: AddressSpace, address: number, size: number): Uint8Array {
    const out = new Uint8Array(size);
    const mem = this.memory(space);
    if (address < mem.length) out.set(mem.subarray(address, Math.min(mem.length, address + size)));
    return out;
  }

  private writeBytes(space: AddressSpace, address: number, data: Uint8Array): void {
    // The status registers are read-only, and a write to the FIFO space has nowhere to go.
    if (space === 'status' || space === 'fifo') return;
    const mem = this.memory(space);
    if (address < mem.length) mem.set(data.subarray(0, mem.length - address), address);
    if (space === 'ctrl' && address <= REG_CTRL + 3 && address + data.length > REG_CTRL) this.control(this.ctrl32());
  }

  /** The action bits of REG_CTRL, acted on when written as 1 (Reinit before StartDomino before SoftTrigger). */
  private control(bits: number): void {
    if (bits & BIT_REINIT_TRIG) {
      this.state = 'idle';
      this.candidate = null;
    }
    if (bits & BIT_START_TRIG) {
      this.state = 'armed';
      this.searchFrom = this.now();
      this.candidate = null;
    }
    if (bits & BIT_SOFT_TRIG && this.state === 'armed') this.digitize(this.now(), null);
  }

  private samplingGHz(): number {
    return frequencyOfRegister(this.ctrl16(REG_FREQ_SET));
  }

  /** Bring the board up to `now`: a trigger that came while armed is digitized; REG_STATUS follows. */
  private refresh(): void {
    const now = this.now();
    const ghz = this.samplingGHz();
    if (this.state === 'armed' && ghz > 0 && this.ctrl32() & BIT_ENABLE_TRIGGER1) {
      for (let n = 0; n < CANDIDATES_PER_POLL && this.state === 'armed'; n++) {
        this.candidate ??= this.nextTrigger(this.searchFrom, now);
        if (!this.candidate || this.candidate.at > now) break;
        const { at, spill } = this.candidate;
        this.candidate = null;
        this.searchFrom = at;
        this.digitize(at, spill);
      }
    }
    const running = this.state === 'armed' ? BIT_RUNNING : 0;
    const locked = ghz >= 0.1 && ghz <= 6 ? BIT_PLL_LOCKED0 : 0;
    new DataView(this.status.buffer).setUint32(REG_STATUS, running | locked, true);
  }

  /**
   * The next beam trigger after `from`: exponential waiting times at the spill's trigger rate, only inside
   * spills. With the SPS off there is none, and the search starts again from now when it is back.
   */
  private nextTrigger(from: number, now: number): { at: number; spill: number } | null {
    let t = from;
    for (let hop = 0; hop < 2 * CYCLES_AHEAD; hop++) {
      const beam = this.twin.now(t);
      if (beam.phase === 'off') {
        this.searchFrom = now;
        return null;
      }
      if (beam.phase === 'interspill') {
        t = this.twin.spillStart(beam.index + 1);
        continue;
      }
      const end = beam.phaseEndsAt ?? t;
      const triggers = this.twin.truth(beam.index).triggers;
      if (triggers > 0) {
        const at = t + this.rng.exponential(beam.spillMs / triggers);
        if (at < end) return { at, spill: beam.index };
      }
      t = end;
    }
    return null;
  }

  private levelOf(input: number): number {
    return triggerLevelOfDac(dacVolts(this.ctrl16(dacRegister(TRIGGER_LEVEL_DAC[input - 1]!))));
  }

  /** Does input `input`'s waveform cross its comparator level on the configured edge? */
  private crosses(samples: Float32Array, input: number, negative: boolean): boolean {
    const level = this.levelOf(input);
    for (let i = 1; i < samples.length; i++) {
      if (negative ? samples[i - 1]! > level && samples[i]! <= level : samples[i - 1]! < level && samples[i]! >= level) return true;
    }
    return false;
  }

  private fires(config: number, volts: Float32Array[], negative: boolean): boolean {
    const inputs = [1, 2, 3, 4];
    // The external LEMO trigger carries the experiment's NIM trigger: it fires with every beam trigger.
    if (config & TRG_CONFIG_EXT) return true;
    if (inputs.some((k) => config & TRG_CONFIG_OR(k) && this.crosses(volts[k - 1]!, k, negative))) return true;
    const and = inputs.filter((k) => config & TRG_CONFIG_AND(k));
    return and.length > 0 && and.every((k) => this.crosses(volts[k - 1]!, k, negative));
  }

  /**
   * One trigger at `at` (spill null: a soft trigger, no pulse): generate the inputs, check the comparator,
   * and on a trigger write the DPRAM and the stop-cell registers and end the busy state.
   */
  private digitize(at: number, spill: number | null): void {
    const ghz = this.samplingGHz();
    if (!(ghz > 0)) return;
    const samplePeriodNs = 1 / ghz;
    const triggerSample = triggerSampleOf(this.ctrl16(REG_TRG_DELAY) & 0xff, this.firmware, ghz);
    const ctrl = this.ctrl32();
    let volts: Float32Array[];
    let amplitudes: number[];
    let particle: Drs4TruthEvent['particle'] = null;
    if (spill === null) {
      volts = this.wiring.map(() => Float32Array.from({ length: BINS }, () => ANALOG.noiseV * this.rng.gauss()));
      amplitudes = this.wiring.map(() => 0);
    } else {
      const event = analogEvent(this.rng, { inputs: this.wiring, samples: BINS, samplePeriodNs, triggerSample, composition: this.twin.composition(), energyGeV: this.energyGeV });
      if (!this.fires(this.ctrl16(REG_TRG_CONFIG), event.waveforms, (ctrl & BIT_NEG_TRIGGER) !== 0)) return;
      ({ waveforms: volts, amplitudes, particle } = event);
    }
    const rangeCenterV = rangeCenterOfReadoutOffset(dacVolts(this.ctrl16(dacRegister(DAC_ROFS_1))));
    const stopCell = Math.floor(this.rng.uniform() * BINS);
    // Readout from the stop cell gives time order; from the first bin the cells come in chip order.
    const fromStop = (ctrl & BIT_READOUT_MODE) !== 0;
    const codes = Array.from({ length: EVAL_DRS_CHANNELS }, (_, c) => {
      const out = new Uint16Array(BINS);
      // DRS channels 2k and 2k+1 both see input k+1; channel 8 is the clock channel, quiet with TCAL off.
      const source = c < 2 * INPUTS ? volts[c >> 1]! : null;
      for (let i = 0; i < BINS; i++) out[fromStop ? i : (i + stopCell) % BINS] = voltsToCode(source ? source[i]! : 0, rangeCenterV);
      return out;
    });
    this.dpram.set(encodeWaveforms(codes, stopCell, 0, this.firmware), 0);
    this.setStatus16(REG_STOP_CELL0, stopCell);
    this.setStatus16(REG_STOP_WSR0, 0);
    this.truth = { at, spill, soft: spill === null, particle, inputs: this.wiring, volts, amplitudes, samplePeriodNs, triggerSample, rangeCenterV, stopCell };
    if (spill !== null) this.triggers++;
    this.state = 'ready';
  }

  // ── The FX2: endpoints ──────────────────────────────────────────────────────────────────────────────

  private usbFunction(): UsbFunction {
    const descriptor: UsbDeviceDescriptor = {
      vendorId: DRS4_VENDOR_ID,
      productId: DRS4_PRODUCT_ID,
      deviceVersion: { major: 0, minor: 0, subminor: 0 },
      deviceClass: 0xff,
      deviceSubclass: 0xff,
      deviceProtocol: 0xff,
      manufacturerName: 'PSI',
      productName: 'DRS4 Evaluation Board',
      serialNumber: String(this.serial),
      speed: 'high',
      interfaces: [
        {
          number: 0,
          interfaceClass: 0xff,
          interfaceSubclass: 0,
          interfaceProtocol: 0,
          endpoints: [
            { number: EP_FX2, direction: 'out', type: 'bulk', packetSize: 512 },
            { number: EP_COMMAND, direction: 'out', type: 'bulk', packetSize: 512 },
            { number: EP_DATA, direction: 'in', type: 'bulk', packetSize: 512 },
          ],
        },
      ],
    };
    return {
      descriptor,
      // The board answers no class or vendor request.
      control: async (_setup: UsbSetup): Promise<UsbReply> => ({ status: 'stall' }),
      transferOut: async (endpoint, data) => this.transferOut(endpoint, data),
      transferIn: (endpoint, length, signal) => this.transferIn(endpoint, length, signal),
      clearHalt: (direction, endpoint) => {
        if (direction === 'in' && endpoint === EP_DATA) this.halted = false;
      },
      reset: () => {
        // A USB reset restarts the FX2 (its FIFOs), not the FPGA: the registers and the domino state stay.
        this.pendingIn.length = 0;
        this.halted = false;
      },
    };
  }

  private on(fault: string): boolean {
    return this.faultsOn.has(fault);
  }

  private transferOut(endpoint: number, data: Uint8Array): 'ok' | 'stall' {
    if (endpoint === EP_FX2) {
      // InitFPGA: 0 = LED off, 1 = LED on and the FPGA restarts (registers to their power-on state).
      if (data[0] === 1) this.powerOn();
      return 'ok';
    }
    if (endpoint !== EP_COMMAND) return 'stall';
    let command;
    try {
      command = decodeCommand(data);
    } catch (error) {
      this.refused.push((error as Error).message);
      if (this.refused.length > 100) this.refused.shift();
      return 'ok';
    }
    this.refresh();
    const { space, address } = spaceOf(command.address);
    if (command.op === 'write') {
      this.writeBytes(space, address, command.data!);
      this.refresh();
      return 'ok';
    }
    const answer = this.readBytes(space, address, command.size);
    this.answer(answer, space === 'ram' || space === 'fifo');
    return 'ok';
  }

  /** Queue a read's answer on EP 8, as the faults let it through. */
  private answer(bytes: Uint8Array, waveformRead: boolean): void {
    // A hung FIFO sends nothing; a halted endpoint takes nothing until the host clears the halt.
    if (this.on('timeout') || this.halted) return;
    if (waveformRead && this.on('unplug') && !this.pulled && this.cable) {
      this.pulled = true;
      const cable = this.cable;
      // The command went out; the cable goes while the host waits for the data.
      void delay(1).then(() => {
        if (this.pulled) cable.unplug();
      });
      return;
    }
    if (waveformRead && this.on('stall')) {
      this.halted = true;
      this.serveWaiters();
      return;
    }
    if (waveformRead && this.on('short-packet')) bytes = bytes.subarray(0, Math.max(2, Math.floor(bytes.length / 2 / 512) * 512));
    this.pendingIn.push(bytes);
    this.serveWaiters();
  }

  private serveWaiters(): void {
    for (const w of [...this.waiters]) {
      const reply = this.takeIn(w.length);
      if (!reply) return;
      this.waiters.delete(w);
      w.resolve(reply);
    }
  }

  private takeIn(length: number): UsbReply | null {
    if (this.halted) return { status: 'stall' };
    const head = this.pendingIn[0];
    if (!head) return null;
    if (head.length > length) {
      this.pendingIn[0] = head.subarray(length);
      return { status: 'ok', data: head.slice(0, length) };
    }
    this.pendingIn.shift();
    return { status: 'ok', data: head };
  }

  private transferIn(endpoint: number, length: number, signal: AbortSignal): Promise<UsbReply> {
    if (endpoint !== EP_DATA) return Promise.resolve({ status: 'stall' });
    const now = this.takeIn(length);
    if (now) return Promise.resolve(now);
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<UsbReply>((resolve, reject) => {
      const waiter: Waiter = {
        length,
        resolve: (reply) => {
          signal.removeEventListener('abort', onAbort);
          resolve(reply);
        },
      };
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }
}

export interface Drs4SimulatorServer {
  port: number;
  busid: string;
  simulator: Drs4Simulator;
  close(): Promise<void>;
}

/**
 * The simulated board exported over USB/IP on `host:port` (0 picks a free port), bus id "1-1" unless told:
 * what the app imports exactly like a board on a Linux host running usbipd. The 'unplug' fault pulls it
 * from the server's device list and drops the importing connection.
 */
export async function startDrs4Simulator(
  opts: { port: number; host: string; seed: number; twin: TwinBeam; busid?: string } & Omit<Drs4SimulatorOptions, 'seed' | 'twin'>,
): Promise<Drs4SimulatorServer> {
  const { port: wanted, host, busid = '1-1', ...options } = opts;
  const simulator = new Drs4Simulator(options);
  const server = new UsbipServer({ [busid]: simulator.usb });
  simulator.attachCable({ unplug: () => server.unplug(busid), plug: () => server.plug(busid) });
  const port = await server.listen(wanted, host);
  return { port, busid, simulator, close: () => server.close() };
}
