// One simulated HV channel feeding a PMT divider: what the CAEN and iseg simulators hold behind their
// protocols. The output ramps at the set rates, the current follows the load, a current at the limit for
// the trip time trips the channel, an interlock or kill switches it off, and the voltage really output goes
// to the twin's PmtVoltages so the detector response follows it.
import type { PmtVoltages } from './pmt-voltages';
import type { Random } from './random';

/** PMT divider resistance (named default): 5 MΩ gives 220 µA at 1100 V, the usual 0.1–0.3 mA range. */
export const DIVIDER_MOHM = 5;
/** Readback noise (named defaults): ADC jitter of a few LSB, as N1470 and iseg modules show it. */
export const VMON_NOISE_V = 0.4;
export const IMON_NOISE_UA = 0.05;

export interface SimHvChannelSpec {
  /** Hardware maximum of the channel (module type), V and µA. */
  maxVolts: number;
  maxMicroamps: number;
  /** Twin cell fed by this channel, if any (e.g. "ECAL1-3-3"). */
  cell: string | null;
  /** Initial setpoints; the channel starts as the previous shift left it. */
  vset: number;
  iset: number;
  on: boolean;
  loadMohm?: number;
}

export class SimHvChannel {
  vset: number;
  iset: number;
  rampUp = 50;
  rampDown = 50;
  /** Seconds the current may sit at the limit before the channel trips. */
  tripTime = 1;
  /** Software voltage limit (CAEN MAXV; iseg voltage limit). */
  maxV: number;
  /** KILL: a trip or off switches the output off at once instead of ramping down. */
  killOnOff = false;
  on: boolean;
  vout = 0;
  iout = 0;
  tripped = false;
  interlocked = false;
  /** Extra current drawn by a fault (a breakdown in the divider), µA. */
  extraLoadUa = 0;
  private atLimitFor = 0;
  private frozen: { vmon: number; imon: number } | null = null;
  /** What the readback last reported: a monitor that freezes keeps showing exactly this. */
  private reported: { vmon: number; imon: number } = { vmon: 0, imon: 0 };
  private lastPublished = -1;

  constructor(
    readonly spec: SimHvChannelSpec,
    private readonly pmt: PmtVoltages | null,
  ) {
    this.vset = spec.vset;
    this.iset = spec.iset;
    this.on = spec.on;
    this.maxV = spec.maxVolts;
    // A channel that was on when the simulator started is already at its voltage.
    if (spec.on) this.vout = Math.min(spec.vset, this.maxV);
    this.iout = this.vout / (spec.loadMohm ?? DIVIDER_MOHM);
    this.publish();
  }

  get target(): number {
    return this.on && !this.tripped && !this.interlocked ? Math.min(this.vset, this.maxV) : 0;
  }

  get rampingUp(): boolean {
    return this.vout < this.target - 0.05;
  }

  get rampingDown(): boolean {
    return this.vout > this.target + 0.05;
  }

  get overCurrent(): boolean {
    return this.on && this.iset > 0 && this.demandUa() >= this.iset;
  }

  get atMaxV(): boolean {
    return this.on && this.vset > this.maxV;
  }

  private demandUa(): number {
    // A breakdown draws current only while there is voltage across it.
    return this.vout / (this.spec.loadMohm ?? DIVIDER_MOHM) + (this.vout > 1 ? this.extraLoadUa : 0);
  }

  /** Advance `dt` seconds of simulated time. */
  step(dt: number): void {
    const target = this.target;
    if (this.vout < target) this.vout = Math.min(target, this.vout + this.rampUp * dt);
    else if (this.vout > target) {
      const kill = this.killOnOff && (!this.on || this.tripped || this.interlocked);
      this.vout = kill ? target : Math.max(target, this.vout - this.rampDown * dt);
    }
    const demand = this.demandUa();
    // Constant-current limit: the supply holds the current at ISET and the voltage sags with it.
    this.iout = Math.min(demand, this.iset);
    if (this.on && demand >= this.iset && this.iset > 0) {
      this.atLimitFor += dt;
      if (this.atLimitFor >= this.tripTime) this.trip();
    } else {
      this.atLimitFor = 0;
    }
    this.publish();
  }

  trip(): void {
    this.tripped = true;
    this.on = false;
    this.atLimitFor = 0;
    if (this.killOnOff) this.vout = 0;
  }

  /** Switching on clears a trip (as the N1470 does); the caller enforces device-specific rules first. */
  switchOn(): void {
    this.tripped = false;
    this.on = true;
  }

  switchOff(): void {
    this.on = false;
  }

  /** The readback stops following the output (a frozen ADC or monitor firmware): it keeps its last values. */
  freeze(): void {
    this.frozen ??= { ...this.reported };
  }

  unfreeze(): void {
    this.frozen = null;
  }

  vmon(rng: Random): number {
    if (this.frozen) return this.frozen.vmon;
    this.reported.vmon = this.vout < 0.5 ? 0 : Math.max(0, this.vout + VMON_NOISE_V * rng.gauss());
    return this.reported.vmon;
  }

  imon(rng: Random): number {
    if (this.frozen) return this.frozen.imon;
    this.reported.imon = this.iout < 0.01 ? 0 : Math.max(0, this.iout + IMON_NOISE_UA * rng.gauss());
    return this.reported.imon;
  }

  private publish(): void {
    const cell = this.spec.cell;
    if (!cell || !this.pmt || Math.abs(this.vout - this.lastPublished) < 0.1) return;
    this.lastPublished = this.vout;
    this.pmt.set(cell, this.vout);
  }
}
