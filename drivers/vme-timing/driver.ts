// The SPS timing pulses (protocols.md §7.4: WWE ≈ 1 s before the spill, WE at its start, EE at its end, and
// an "SPS on" level where the site has one) cabled to the inputs of a CAEN V977 I/O register behind the
// MVLC VME bridge. Every pollMs the driver reads and clears the single-hit and multi-hit registers (the
// pulses latched since the last poll, nscldaq CCAENV977::singleHitReadAndClear) and reads the input levels,
// in one stack. It learns the spill length (WE → EE), the cycle (WE → WE) and the WWE lead from the pulses
// themselves, and says the SPS is off when the level drops or when no WWE has come for 3 cycles.
import { z } from 'zod';
import type { BeamTiming, DeviceEntry, DeviceIdentity, DriverContext, DriverPlugin, SpsTiming, TimingEvent, TimingSignal } from '../sdk/index';
import type { VmeBridge, VmeCycle } from '../vme/bridge';
import { addressModifiers, fitsAddressing, hex32, vmeBase, VmeAddressing } from '../vme/options';
import { messageOf, VmeDevice } from '../vme/vme-device';
import { V977, V977_CONTROL, V977_WINDOW, v977Firmware } from './registers';

const Input = z.number().int().min(0).max(15);

export const VmeTimingOptions = z
  .strictObject({
    base: vmeBase('V977', V977_WINDOW),
    inputs: z
      .strictObject({ WWE: Input, WE: Input, EE: Input, spsOn: Input.optional() })
      .refine((i) => new Set([i.WWE, i.WE, i.EE, ...(i.spsOn === undefined ? [] : [i.spsOn])]).size === (i.spsOn === undefined ? 3 : 4), {
        message: 'each timing signal needs an input of its own',
      }),
    pollMs: z.number().int().min(1).max(1000).default(10),
    addressing: VmeAddressing,
  })
  .superRefine(fitsAddressing);
export type VmeTimingOptions = z.infer<typeof VmeTimingOptions>;

/** Until the pulses have shown them: the North-Area spill and a typical cycle (protocols.md §7.4, sps-cycle.ts). */
export const DEFAULT_SPILL_MS = 4800;
export const DEFAULT_CYCLE_MS = 16_800;
/** WWE comes about 1 s before WE (protocols.md §7.4). */
export const DEFAULT_WWE_LEAD_MS = 1000;
/** WE-to-WE intervals the cycle length is the median of. */
const CYCLE_INTERVALS = 5;
/** No WWE for this many cycles: the SPS is off. */
export const SILENT_CYCLES = 3;

type Pulse = 'WWE' | 'WE' | 'EE';
const PULSES: Pulse[] = ['WWE', 'WE', 'EE'];

class VmeTiming extends VmeDevice implements SpsTiming {
  readonly kind = 'timing' as const;
  readonly source: string;
  private readonly options: VmeTimingOptions;
  private readonly am: number;
  private listener: ((event: TimingEvent) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private everConnected = false;
  // What the pulses have told so far.
  private sequence = 0;
  private last: Pulse | null = null;
  private lastWwe: number | null = null;
  private lastWe: number | null = null;
  private lastEe: number | null = null;
  private spillMs: number | null = null;
  private cycleMs: number | null = null;
  private wweLeadMs: number | null = null;
  private phase: 'spill' | 'interspill' = 'interspill';
  private phaseStartedAt: number;
  private levelOn: boolean | null = null;
  private pulsesMissing = false;
  /** The last WE-to-WE intervals (ms): the cycle is their median. */
  private readonly weIntervals: number[] = [];
  private offSince: number | null = null;
  /** An SPS-off came between the last two WEs: their interval is no cycle. */
  private offSinceLastWe = false;
  /** Since when a WWE is awaited: the last WWE, the start of watching, or the SPS coming back on. */
  private wweAwaitedSince: number;

  constructor(entry: DeviceEntry<VmeTimingOptions>, context: DriverContext) {
    super(entry.id, entry.transport, context);
    this.options = entry.options;
    this.am = addressModifiers(entry.options.addressing).single;
    this.source = `V977 input register at ${hex32(entry.options.base)} via MVLC ${this.address.replace(/^udp /, '')}`;
    this.phaseStartedAt = context.now();
    this.wweAwaitedSince = context.now();
  }

  protected problem(message: string): Error {
    return new Error(message);
  }

  private d16(offset: number): VmeCycle {
    return { op: 'read', address: (this.options.base + offset) >>> 0, am: this.am, width: 'D16' };
  }

  protected async configure(bridge: VmeBridge): Promise<DeviceIdentity> {
    const controller = await bridge.identity();
    const [serial, firmware] = (await bridge.cycles([this.d16(V977.SERIAL), this.d16(V977.FIRMWARE)])) as number[];
    // I/O-register mode with the GATE input masked: no gate is cabled, every pulse latches.
    const control = V977_CONTROL.GATE_MASK;
    const cycles: VmeCycle[] = [{ op: 'write', address: (this.options.base + V977.CONTROL) >>> 0, am: this.am, width: 'D16', value: control }, this.d16(V977.CONTROL)];
    // Pulses latched before the first look are from before anyone listened; after a reconnect they are news.
    if (!this.everConnected) cycles.push(this.d16(V977.SINGLE_HIT_READ_CLEAR), this.d16(V977.MULTI_HIT_READ_CLEAR));
    const [, readBack] = (await bridge.cycles(cycles)) as number[];
    if ((readBack! & 0x7) !== control) throw new Error(`the V977 control register reads ${readBack} after writing ${control}: is it a V977?`);
    this.everConnected = true;
    const fw = v977Firmware(firmware!);
    return {
      model: 'V977',
      serial: String(serial),
      firmware: fw,
      detail: `CAEN V977 serial ${serial}, firmware ${fw}, at ${hex32(this.options.base)} ${this.options.addressing}; inputs WWE ${this.options.inputs.WWE}, WE ${this.options.inputs.WE}, EE ${this.options.inputs.EE}${this.options.inputs.spsOn === undefined ? '' : `, SPS on ${this.options.inputs.spsOn}`}; via ${controller.text} at ${bridge.address}`,
    };
  }

  async start(listener: (event: TimingEvent) => void): Promise<void> {
    if (this.closed) throw new Error(`${this.id} is closed`);
    this.listener = listener;
    if (this.started) return;
    this.started = true;
    this.wweAwaitedSince = this.context.now();
    await this.tick(false);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.tick(true), this.options.pollMs);
  }

  private async tick(again: boolean): Promise<void> {
    try {
      if (this.bridge || this.life.mayConnect()) await this.poll();
    } catch (error) {
      // The lifecycle carries the reason; one line in the log, not one per poll.
      if (this.life.state() !== 'offline') this.context.log.warn('timing poll failed', { device: this.id, error: messageOf(error) });
    }
    if (again) this.schedule();
  }

  private bit(input: number | undefined, word: number): boolean {
    return input !== undefined && ((word >>> input) & 1) === 1;
  }

  private async poll(): Promise<void> {
    const [single, multi, levels] = (await this.use((b) => b.cycles([this.d16(V977.SINGLE_HIT_READ_CLEAR), this.d16(V977.MULTI_HIT_READ_CLEAR), this.d16(V977.INPUT_READ)]))) as number[];
    const at = this.context.now();
    const inputs = this.options.inputs;
    const seen = PULSES.filter((p) => this.bit(inputs[p], single!) || this.bit(inputs[p], multi!));
    const repeated = PULSES.filter((p) => this.bit(inputs[p], multi!));
    if (repeated.length) this.context.log.warn('a timing pulse came more than once between two polls; some were not seen', { device: this.id, signals: repeated });
    const level = inputs.spsOn === undefined ? null : this.bit(inputs.spsOn, levels!);
    if (level === true) this.setLevel(true, at);
    for (const p of this.inCycleOrder(seen)) this.pulse(p, at);
    if (level === false) this.setLevel(false, at);
    const cycle = this.cycleMs ?? DEFAULT_CYCLE_MS;
    if (!this.pulsesMissing && at - this.wweAwaitedSince > SILENT_CYCLES * cycle) {
      this.pulsesMissing = true;
      this.update(at);
    }
  }

  /** Pulses of one poll in the order they came: the cycle WWE → WE → EE, from after the last one seen. */
  private inCycleOrder(seen: Pulse[]): Pulse[] {
    const from = this.last ? (PULSES.indexOf(this.last) + 1) % 3 : 0;
    return [0, 1, 2].map((k) => PULSES[(from + k) % 3]!).filter((p) => seen.includes(p));
  }

  private emit(signal: TimingSignal, at: number, sequence = this.sequence): void {
    this.listener?.({ signal, at, sequence });
  }

  private off(): boolean {
    return this.levelOn === false || this.pulsesMissing;
  }

  /** SPS-OFF / SPS-ON when the level or the pulses change whether the SPS is on. */
  private update(at: number): void {
    const off = this.off();
    if (off && this.offSince === null) {
      this.offSince = at;
      this.offSinceLastWe = true;
      this.emit('SPS-OFF', at);
    } else if (!off && this.offSince !== null) {
      this.offSince = null;
      this.wweAwaitedSince = at;
      this.phase = 'interspill';
      this.phaseStartedAt = at;
      this.emit('SPS-ON', at);
    }
  }

  private setLevel(on: boolean, at: number): void {
    if (this.levelOn === on) return;
    this.levelOn = on;
    this.update(at);
  }

  private pulse(p: Pulse, at: number): void {
    if (this.pulsesMissing) {
      this.pulsesMissing = false;
      this.update(at);
    }
    this.last = p;
    if (p === 'WWE') {
      this.lastWwe = at;
      this.wweAwaitedSince = at;
      this.emit('WWE', at, this.sequence + 1);
      return;
    }
    if (p === 'WE') {
      this.sequence++;
      if (this.lastWe !== null && !this.offSinceLastWe) {
        // The cycle from the median of the last WE-to-WE intervals, not the last one alone: a poll that came
        // late makes one interval long and the next short, and a short cycle would make 3 cycles without a
        // WWE pass too soon (a loaded machine's timing then flapped SPS-OFF / SPS-ON between spills).
        this.weIntervals.push(at - this.lastWe);
        if (this.weIntervals.length > CYCLE_INTERVALS) this.weIntervals.shift();
        const sorted = [...this.weIntervals].sort((a, b) => a - b);
        this.cycleMs = sorted[Math.floor(sorted.length / 2)]!;
      }
      if (this.lastWwe !== null && at - this.lastWwe < (this.cycleMs ?? DEFAULT_CYCLE_MS)) this.wweLeadMs = at - this.lastWwe;
      this.lastWe = at;
      this.offSinceLastWe = false;
      this.phase = 'spill';
      this.phaseStartedAt = at;
      this.emit('WE', at);
      return;
    }
    if (this.phase === 'spill' && this.lastWe !== null) this.spillMs = at - this.lastWe;
    this.lastEe = at;
    this.phase = 'interspill';
    this.phaseStartedAt = at;
    this.emit('EE', at);
  }

  beam(): BeamTiming {
    const spillMs = this.spillMs ?? DEFAULT_SPILL_MS;
    const cycleMs = this.cycleMs ?? DEFAULT_CYCLE_MS;
    if (this.offSince !== null) return { phase: 'off', phaseStartedAt: this.offSince, phaseEndsAt: null, spillMs, cycleMs };
    if (this.phase === 'spill') return { phase: 'spill', phaseStartedAt: this.phaseStartedAt, phaseEndsAt: this.phaseStartedAt + spillMs, spillMs, cycleMs };
    let endsAt: number | null = null;
    if (this.lastWwe !== null && this.lastWwe > (this.lastEe ?? -Infinity) && this.lastWwe >= this.phaseStartedAt) endsAt = this.lastWwe + (this.wweLeadMs ?? DEFAULT_WWE_LEAD_MS);
    else if (this.lastWe !== null && this.lastWe + cycleMs > this.phaseStartedAt) endsAt = this.lastWe + cycleMs;
    return { phase: 'interspill', phaseStartedAt: this.phaseStartedAt, phaseEndsAt: endsAt, spillMs, cycleMs };
  }

  override async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await super.close();
  }
}

export const vmeTimingPlugin: DriverPlugin<VmeTimingOptions, SpsTiming> = {
  manifest: {
    id: 'vme-timing',
    kind: 'timing',
    version: '1.0.0',
    description: 'SPS timing pulses (WWE, WE, EE, SPS on) on a CAEN V977 I/O register behind a mesytec MVLC (Ethernet)',
    transports: ['udp'],
    sharedAddress: true,
    defaultPort: 0x8000,
    options: VmeTimingOptions,
    capabilities: ['timing'],
  },
  create: (entry, context) => new VmeTiming(entry, context),
};
