// A simulated CAEN V977 I/O register with the SPS timing pulses cabled to its inputs (protocols.md §7.4):
// WWE 1 s (simulated) before the spill, WE when it starts, EE when it ends, and the "SPS on" level. The
// pulses come from the simulated beam (drivers/twin/beam.ts); each latches into the single-hit register,
// or the multi-hit register when its input already has a hit nobody read. 'sps-off' silences the pulses
// and drops the level, as a stopped SPS does. The crate (drivers/vme/simulator.ts) reaches it by VME cycles.
import type { TwinBeam } from '../twin/beam';
import { DEFAULT_SPS_CYCLE } from '../twin/sps-cycle';
import type { DataWidth } from '../vme/mvlc-protocol';
import { BERR, inWindow, type CycleAnswer, type VmeSlave } from '../vme/slave';
import { V977, V977_WINDOW } from './registers';

/** Which V977 input each timing signal is cabled to. */
export interface V977Inputs {
  WWE: number;
  WE: number;
  EE: number;
  /** The "SPS on" level, when it is cabled. */
  spsOn?: number;
}

/** WWE comes this long (simulated ms) before WE (protocols.md §7.4: ~1 s). */
export const WWE_LEAD_MS = 1000;
export const V977_SIM_FIRMWARE = 0x0201;

type Pulse = 'WWE' | 'WE' | 'EE';
const ORDER: Pulse[] = ['WWE', 'WE', 'EE'];

export class V977Module implements VmeSlave {
  readonly name: string;
  private singleHit = 0;
  private multiHit = 0;
  private inputSet = 0;
  private inputMask = 0;
  private outputSet = 0;
  private outputMask = 0;
  private interruptMask = 0;
  private control = 0;
  private test = 0;
  /** The next pulse due: of spill `spill`, the `which`-th of WWE, WE, EE. */
  private spill: number;
  private which = 0;
  private last: number;
  private spsOff = false;

  constructor(
    readonly base: number,
    private readonly beam: TwinBeam,
    now: number,
    private readonly inputs: V977Inputs,
    private readonly serial: number,
  ) {
    this.name = `CAEN V977 at 0x${base.toString(16).padStart(8, '0')}`;
    this.last = now;
    this.spill = Math.max(0, beam.now(now).index);
    while (this.pulseAt() <= now) this.step();
  }

  decodes(address: number, space: 'A24' | 'A32'): boolean {
    return inWindow(this.base, V977_WINDOW, address, space);
  }

  private wweLead(): number {
    return (WWE_LEAD_MS * this.beam.now(this.last).spillMs) / DEFAULT_SPS_CYCLE.spillMs;
  }

  private pulseAt(): number {
    const start = this.beam.spillStart(this.spill);
    if (this.which === 0) return start - this.wweLead();
    if (this.which === 1) return start;
    return start + this.beam.now(this.last).spillMs;
  }

  private step(): void {
    if (++this.which === 3) {
      this.which = 0;
      this.spill++;
    }
  }

  private running(now: number): boolean {
    return !this.spsOff && this.beam.now(now).phase !== 'off';
  }

  private latch(input: number): void {
    const bit = 1 << input;
    if (this.singleHit & bit) this.multiHit |= bit;
    else this.singleHit |= bit;
    if (!(this.inputMask & bit)) this.inputSet |= bit;
  }

  advance(now: number): void {
    if (now <= this.last) return;
    const since = this.last;
    this.last = now;
    while (this.pulseAt() <= now) {
      // Pulses before the last look came while the beam's schedule was not known yet: nobody saw them.
      if (this.pulseAt() > since && this.running(now)) this.latch(this.inputs[ORDER[this.which]!]);
      this.step();
    }
  }

  /** The inputs' levels now: only the SPS-on level is long enough to be seen. */
  private levels(): number {
    return this.inputs.spsOn !== undefined && this.running(this.last) ? 1 << this.inputs.spsOn : 0;
  }

  setSpsOff(off: boolean, now: number): void {
    this.advance(now);
    if (this.spsOff && !off && this.inputs.spsOn !== undefined) this.latch(this.inputs.spsOn);
    this.spsOff = off;
  }

  controlRegister(): number {
    return this.control;
  }

  read(address: number, width: DataWidth): CycleAnswer {
    if (width !== 'D16') return BERR;
    switch ((address - this.base) & 0xff) {
      case V977.INPUT_SET:
        return this.inputSet;
      case V977.INPUT_MASK:
        return this.inputMask;
      case V977.INPUT_READ:
        return this.levels();
      case V977.SINGLE_HIT_READ:
        return this.singleHit;
      case V977.MULTI_HIT_READ:
        return this.multiHit;
      case V977.SINGLE_HIT_READ_CLEAR: {
        const v = this.singleHit;
        this.singleHit = 0;
        return v;
      }
      case V977.MULTI_HIT_READ_CLEAR: {
        const v = this.multiHit;
        this.multiHit = 0;
        return v;
      }
      case V977.OUTPUT_SET:
        return this.outputSet;
      case V977.OUTPUT_MASK:
        return this.outputMask;
      case V977.INTERRUPT_MASK:
        return this.interruptMask;
      case V977.TEST_CONTROL:
        return this.test;
      case V977.SERIAL:
        return this.serial & 0xffff;
      case V977.FIRMWARE:
        return V977_SIM_FIRMWARE;
      case V977.CONTROL:
        return this.control;
      default:
        return BERR;
    }
  }

  write(address: number, width: DataWidth, value: number): CycleAnswer {
    if (width !== 'D16') return BERR;
    const v = value & 0xffff;
    switch ((address - this.base) & 0xff) {
      case V977.INPUT_SET:
        this.inputSet = v;
        return 0;
      case V977.INPUT_MASK:
        this.inputMask = v;
        return 0;
      case V977.OUTPUT_SET:
        this.outputSet = v;
        return 0;
      case V977.OUTPUT_MASK:
        this.outputMask = v;
        return 0;
      case V977.INTERRUPT_MASK:
        this.interruptMask = v;
        return 0;
      case V977.CLEAR_OUTPUT:
        this.outputSet = 0;
        return 0;
      case V977.TEST_CONTROL:
        this.test = v & 0x1f;
        return 0;
      case V977.CONTROL:
        this.control = v & 0x7;
        return 0;
      case V977.SOFTWARE_RESET:
        this.singleHit = this.multiHit = this.inputSet = this.inputMask = this.outputSet = this.outputMask = this.interruptMask = this.control = this.test = 0;
        return 0;
      default:
        return BERR;
    }
  }
}
