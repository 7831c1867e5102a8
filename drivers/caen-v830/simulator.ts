// A simulated CAEN V830 in a simulated VME crate: the registers of protocols.md §7.2 (./registers.ts), 32
// counters that count the simulated beam (drivers/twin/beam.ts) during WE..EE only, linearly through the
// spill, the software trigger latching an event into the multi-event buffer, and the faults a shifter
// must recognise: counters about to wrap, a channel that stopped counting, beam counters that count more
// than the beam. The crate (drivers/vme/simulator.ts) reaches it through VME cycles.
import type { TwinBeam } from '../twin/beam';
import type { SpillScalers } from '../twin/twin';
import type { DataWidth } from '../vme/mvlc-protocol';
import { BERR, inWindow, type CycleAnswer, type VmeSlave } from '../vme/slave';
import {
  ACQ,
  CAEN_OUI,
  CONTROL,
  STATUS,
  V830,
  V830_BOARD,
  V830_CHANNELS,
  V830_ROM,
  V830_WINDOW,
  encodeData26,
  encodeMebHeader,
  enabledChannels,
} from './registers';

/** The signals a V830 counts on a beam line. */
export const V830_SIGNALS = ['S1', 'S2', 'Sc', 'veto', 'trigger-ungated', 'trigger'] as const;
export type V830Signal = (typeof V830_SIGNALS)[number];
/** Which input each signal is cabled to. */
export type V830Wiring = Record<V830Signal, number>;

/** The simulated crate's cabling (a site file maps channels to roles the same way). */
export const V830_SIM_WIRING: V830Wiring = { S1: 0, S2: 1, Sc: 2, veto: 3, 'trigger-ungated': 4, trigger: 5 };

/**
 * S1, the first beam counter, sees every particle the generator puts on target. S2, further downstream,
 * misses 2 % (scattered out of its acceptance on the way), so the two counters never agree exactly and
 * a shifter learns that they should not. Sc is the coincidence the generator's "particles on target" is
 * defined as (SpillScalers.particles). The veto counts the 2 % of the beam that passes outside the target
 * hole. The trigger counters count the triggers fired (ungated) and those the DAQ accepted (gated by its
 * dead time), straight from the generator.
 */
export const S2_SHARE = 0.98;
export const VETO_SHARE = 0.02;
/** The 'miscount' fault: the beam counters count 5 % more than the beam (a noisy discriminator threshold). */
export const MISCOUNT_FACTOR = 1.05;
const BEAM_COUNTERS = new Set<V830Signal>(['S1', 'S2', 'Sc']);

export function spillCounts(t: SpillScalers): Record<V830Signal, number> {
  return {
    S1: t.particles,
    S2: Math.round(S2_SHARE * t.particles),
    Sc: t.particles,
    veto: Math.round(VETO_SHARE * t.particles),
    'trigger-ungated': t.triggers,
    trigger: t.accepted,
  };
}

/** The module's identity in the simulation. */
export const V830_SIM_FIRMWARE = 0x0106;
/** Events the simulated MEB holds; a trigger beyond is lost, as the full module is busy. */
export const MEB_EVENTS = 1024;
/** Spills counted at once when nobody asked the module for a long time (beyond, the spills are skipped). */
const MAX_CATCH_UP = 1000;
const TWO_32 = 2 ** 32;

const zero = (): Record<V830Signal, number> => ({ S1: 0, S2: 0, Sc: 0, veto: 0, 'trigger-ungated': 0, trigger: 0 });

export class V830Module implements VmeSlave {
  readonly name: string;
  private readonly counters = new Array<number>(V830_CHANNELS).fill(0);
  /** Fractions of a count not yet counted (the miscount factor makes them). */
  private readonly fraction = new Array<number>(V830_CHANNELS).fill(0);
  private enable = 0xffffffff;
  private control = 0;
  private dwell = 0;
  private almostFull = 64;
  private triggers = 0;
  private meb: number[][] = [];
  /** The spill being counted, what of it is counted, and whether the SPS cut it off. */
  private spill = -1;
  private counted = zero();
  private cut = false;
  private wasOff = false;
  /** Whether the beam has been known since this simulator started (until then a follower's beam reads 'off'). */
  private beamKnown = false;
  private last: number;
  private readonly stuck = new Set<number>();
  private miscount = false;

  constructor(
    readonly base: number,
    private readonly beam: TwinBeam,
    now: number,
    private readonly serial: number,
    private readonly geo = 0,
    private readonly wiring: V830Wiring = V830_SIM_WIRING,
  ) {
    this.name = `CAEN V830 at 0x${base.toString(16).padStart(8, '0')}`;
    this.last = now;
    this.counting(now);
  }

  /**
   * Start counting once the beam is known (a follower's beam reads 'off' until its first poll): from this
   * moment on, as a module switched on now would, never what passed before. The counters service does not
   * cross-check the spills of its first cycle, which such a start leaves partial.
   */
  private counting(now: number): void {
    this.beamKnown = this.beam.now(now).phase !== 'off';
    if (this.beamKnown) this.resync(now);
    else {
      this.spill = -1;
      this.cut = false;
      this.counted = zero();
    }
  }

  decodes(address: number, space: 'A24' | 'A32'): boolean {
    return inWindow(this.base, V830_WINDOW, address, space);
  }

  /** Start counting from `now` without counting what passed (start-up, the SPS back on). */
  private resync(now: number): void {
    const b = this.beam.now(now);
    this.spill = b.index;
    this.cut = false;
    this.counted = b.index < 0 ? zero() : this.target(b.index, b.phase === 'spill' ? (now - b.phaseStartedAt) / b.spillMs : 1);
  }

  private target(index: number, fraction: number): Record<V830Signal, number> {
    const totals = spillCounts(this.beam.truth(index));
    const f = Math.min(1, Math.max(0, fraction));
    const out = zero();
    for (const s of V830_SIGNALS) out[s] = Math.floor(totals[s] * f);
    return out;
  }

  private add(signal: V830Signal, counts: number): void {
    const ch = this.wiring[signal];
    if (counts <= 0 || this.stuck.has(ch)) return;
    const exact = counts * (this.miscount && BEAM_COUNTERS.has(signal) ? MISCOUNT_FACTOR : 1) + this.fraction[ch]!;
    const whole = Math.floor(exact);
    this.fraction[ch] = exact - whole;
    this.counters[ch] = (this.counters[ch]! + whole) % TWO_32;
  }

  private addAll(from: Record<V830Signal, number>, to: Record<V830Signal, number>): void {
    for (const s of V830_SIGNALS) this.add(s, to[s] - from[s]);
  }

  advance(now: number): void {
    if (now <= this.last) return;
    this.last = now;
    const b = this.beam.now(now);
    if (!this.beamKnown) {
      if (b.phase !== 'off') this.counting(now);
      return;
    }
    if (b.phase === 'off') {
      this.cut = true;
      this.wasOff = true;
      return;
    }
    if (this.wasOff) {
      this.wasOff = false;
      this.resync(now);
      return;
    }
    if (b.index > this.spill) {
      if (this.spill >= 0 && !this.cut) this.addAll(this.counted, this.target(this.spill, 1));
      for (let j = Math.max(this.spill + 1, b.index - MAX_CATCH_UP); j < b.index; j++) this.addAll(zero(), this.target(j, 1));
      this.spill = b.index;
      this.counted = zero();
      this.cut = false;
    }
    if (this.spill < 0 || this.cut) return;
    const want = this.target(this.spill, b.phase === 'spill' ? (now - b.phaseStartedAt) / b.spillMs : 1);
    this.addAll(this.counted, want);
    this.counted = want;
  }

  // ── Faults ──

  /** Every cabled counter just short of wrapping: half of what it will count before the end of the next spill. */
  overflow(now: number): void {
    this.advance(now);
    const b = this.beam.now(now);
    const index = b.phase === 'spill' ? b.index : b.index + 1;
    const coming = this.target(index, 1);
    const done = b.phase === 'spill' && index === this.spill ? this.counted : zero();
    for (const s of V830_SIGNALS) {
      const k = Math.max(1, Math.floor((coming[s] - done[s]) / 2));
      this.counters[this.wiring[s]] = TWO_32 - k;
    }
  }

  setStuck(channel: number, stuck: boolean): void {
    if (stuck) this.stuck.add(channel);
    else this.stuck.delete(channel);
  }

  setMiscount(on: boolean): void {
    this.miscount = on;
  }

  clearFaults(): void {
    this.stuck.clear();
    this.miscount = false;
  }

  /** The counter as the module holds it (32 bits), for tests. */
  counter(channel: number): number {
    return this.counters[channel]!;
  }

  controlRegister(): number {
    return this.control;
  }

  // ── VME cycles ──

  private trigger(): void {
    if ((this.control & CONTROL.ACQ_MASK) !== ACQ.random) return;
    if (this.meb.length >= MEB_EVENTS) return;
    const channels = enabledChannels(this.enable);
    const event: number[] = [];
    if (this.control & CONTROL.HEADER_ENABLE) event.push(encodeMebHeader({ geo: this.geo, words: channels.length, triggerSource: 0, eventNumber: this.triggers }));
    for (const ch of channels) event.push(this.control & CONTROL.FORMAT_26 ? encodeData26(ch, this.counters[ch]!) : this.counters[ch]!);
    this.meb.push(event);
    this.triggers = (this.triggers + 1) % TWO_32;
    if (this.control & CONTROL.AUTO_RESET) this.clearCounters();
  }

  private clearCounters(): void {
    this.counters.fill(0);
    this.fraction.fill(0);
  }

  private status(): number {
    return (this.meb.length ? STATUS.DATA_READY : 0) | (this.meb.length >= this.almostFull ? STATUS.ALMOST_FULL : 0) | (this.meb.length >= MEB_EVENTS ? STATUS.FULL : 0);
  }

  private rom(offset: number): number | null {
    const byte: Record<number, number> = {
      [V830_ROM.OUI_MSB]: (CAEN_OUI >> 16) & 0xff,
      [V830_ROM.OUI]: (CAEN_OUI >> 8) & 0xff,
      [V830_ROM.OUI_LSB]: CAEN_OUI & 0xff,
      [V830_ROM.VERSION]: 0x00,
      [V830_ROM.BOARD_H]: (V830_BOARD >> 16) & 0xff,
      [V830_ROM.BOARD_M]: (V830_BOARD >> 8) & 0xff,
      [V830_ROM.BOARD_L]: V830_BOARD & 0xff,
      [V830_ROM.REVISION]: 0x01,
      [V830_ROM.SERIAL_H]: (this.serial >> 8) & 0xff,
      [V830_ROM.SERIAL_L]: this.serial & 0xff,
    };
    return byte[offset] ?? null;
  }

  read(address: number, width: DataWidth): CycleAnswer {
    const offset = (address - this.base) & 0xffff;
    if (offset <= V830.MEB_END) {
      if (width !== 'D32') return BERR;
      const event = this.meb[0];
      if (!event) return BERR;
      const word = event.shift()!;
      if (event.length === 0) this.meb.shift();
      return word;
    }
    if (offset >= V830.COUNTERS && offset < V830.COUNTERS + 4 * V830_CHANNELS) return width === 'D32' && offset % 4 === 0 ? this.counters[(offset - V830.COUNTERS) / 4]! : BERR;
    const d32: Record<number, () => number> = {
      [V830.CHANNEL_ENABLE]: () => this.enable,
      [V830.DWELL_TIME]: () => this.dwell,
      [V830.TRIGGER_COUNTER]: () => this.triggers,
    };
    if (d32[offset]) return width === 'D32' ? d32[offset]!() >>> 0 : BERR;
    if (width !== 'D16') return BERR;
    switch (offset) {
      case V830.CONTROL:
      case V830.BIT_SET:
      case V830.BIT_CLEAR:
        return this.control;
      case V830.STATUS:
        return this.status();
      case V830.GEO:
        return this.geo;
      case V830.ALMOST_FULL:
        return this.almostFull;
      case V830.FIRMWARE:
        return V830_SIM_FIRMWARE;
      case V830.MEB_EVENT_COUNT:
        return this.meb.length;
    }
    return this.rom(offset) ?? BERR;
  }

  write(address: number, width: DataWidth, value: number): CycleAnswer {
    const offset = (address - this.base) & 0xffff;
    if (offset === V830.CHANNEL_ENABLE || offset === V830.DWELL_TIME) {
      if (width !== 'D32') return BERR;
      if (offset === V830.CHANNEL_ENABLE) this.enable = value >>> 0;
      else this.dwell = value >>> 0;
      return 0;
    }
    if (width !== 'D16') return BERR;
    switch (offset) {
      case V830.CONTROL:
        this.control = value & 0xff;
        return 0;
      case V830.BIT_SET:
        this.control = (this.control | value) & 0xff;
        return 0;
      case V830.BIT_CLEAR:
        this.control = this.control & ~value & 0xff;
        return 0;
      case V830.ALMOST_FULL:
        this.almostFull = value & 0xffff;
        return 0;
      case V830.SOFTWARE_RESET:
        this.control = 0;
        this.enable = 0xffffffff;
        this.meb = [];
        this.triggers = 0;
        this.clearCounters();
        return 0;
      case V830.SOFTWARE_CLEAR:
        this.meb = [];
        this.clearCounters();
        return 0;
      case V830.SOFTWARE_TRIGGER:
        this.trigger();
        return 0;
    }
    return BERR;
  }
}
