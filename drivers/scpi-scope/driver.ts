// A SCPI oscilloscope (Rigol DS1000Z command set, protocol.ts) over USBTMC as a waveform digitizer, on a
// local USB port or imported over USB/IP. On connect it opens the instrument (../transports/usbtmc/host.ts,
// which applies the Rigol quirks by vendor / product id), reads *IDN?, sets up the inputs, the edge trigger
// and the waveform readout, and checks SYSTem:ERRor? that the scope took all of it; the scales the scope
// actually set (it rounds to its 1-2-5 steps) are read back for the channel ranges. Each acquisition arms a
// single sweep, polls :TRIGger:STATus? until the scope triggered or the wait is over (null: no beam), and
// reads each configured input's preamble and BYTE data, converted to volts with the preamble's scaling.
import { z } from 'zod';
import {
  describeTransport,
  DigitizerError,
  type DeviceEntry,
  type DeviceIdentity,
  type DigitizerChannel,
  type DriverContext,
  type DriverPlugin,
  type DriverState,
  type TransportSpec,
  type Waveform,
  type WaveformDigitizer,
  type WaveformEvent,
} from '../sdk/index';
import { DeviceLifecycle } from '../sdk/lifecycle';
import { openUsbDevice, watchUsbPlug } from '../transports/usb/open';
import { isDeviceGone, UsbtmcInstrument, type UsbtmcOptions } from '../transports/usbtmc/host';
import {
  byteRange,
  codesToVolts,
  parseAnswerNumber,
  parseDefiniteBlock,
  parseIdn,
  parsePreamble,
  parseSystemError,
  parseTriggerStatus,
  printable,
  SCPI,
  ScopeProtocolError,
  triggerPointOf,
} from './protocol';

// ── Options ────────────────────────────────────────────────────────────────────────────────────────────

const Input = z.number().int().min(1).max(4);

/** The options of a SCPI oscilloscope in a site file. */
export const ScpiScopeOptions = z.strictObject({
  /** The inputs read out, what each is wired to, and its vertical setting (the scope rounds to its 1-2-5 steps). */
  channels: z
    .array(
      z.strictObject({
        input: Input,
        name: z.string().min(1).max(64),
        scaleV: z.number().min(1e-3).max(10).optional(),
        offsetV: z.number().min(-100).max(100).optional(),
      }),
    )
    .min(1)
    .max(4)
    .refine((cs) => new Set(cs.map((c) => c.input)).size === cs.length, 'each input may be listed once'),
  /** The edge trigger: input, level in volts at the input, edge (negative for PMT pulses). */
  trigger: z.strictObject({ source: Input, levelV: z.number().min(-100).max(100), slope: z.enum(['negative', 'positive']) }),
  /** Points read per input: a window of the 1200 on screen with the trigger a quarter in. */
  points: z.number().int().min(1).max(1200).optional(),
  /** Horizontal scale, s/div (12 divisions on screen); the scope's own setting when absent. */
  timebaseS: z.number().min(5e-9).max(50).optional(),
  /** Longest wait for one USB transfer before it is aborted. */
  timeoutMs: z.number().int().min(50).max(30_000).default(2000),
});
export type ScpiScopeOptions = z.infer<typeof ScpiScopeOptions>;

// ── Named defaults ────────────────────────────────────────────────────────────────────────────────────

/** The vertical setting of an input the site leaves open: 0.2 V/div centred on 0 (codes cover ±1 V). */
export const DEFAULT_SCALE_V = 0.2;
export const DEFAULT_OFFSET_V = 0;
/** The screen of a DS1000Z in NORMal mode: 1200 points. */
export const SCREEN_POINTS = 1200;
/** Pause between two :TRIGger:STATus? polls (each is a USB round trip; the scope updates it continuously). */
export const STATUS_POLL_MS = 5;
/** SYSTem:ERRor? reads after the setup before the queue is declared endless (it holds 20 on a DS1000Z). */
const ERROR_READS = 25;

export type UsbTransport = Extract<TransportSpec, { kind: 'usb' | 'usbip' }>;
/** Finds and returns the scope's USBDevice (not yet opened): openUsbDevice by default, an emulation in tests. */
export type UsbOpener = (transport: UsbTransport) => Promise<USBDevice>;

export interface ScpiScopeDependencies {
  open?: UsbOpener;
  /** Options of the USBTMC layer (transfer sizes), for tests. */
  usbtmc?: UsbtmcOptions;
}

/** A driver context that may bring its own USB opener (tests, an in-process simulation). */
export type ScpiScopeContext = DriverContext & { openUsb?: UsbOpener };

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ScpiScope implements WaveformDigitizer {
  readonly kind = 'digitizer' as const;
  readonly model = 'SCPI oscilloscope over USBTMC';
  readonly address: string;
  private readonly life: DeviceLifecycle;
  private readonly stopWatching: () => void;
  private readonly options: ScpiScopeOptions;
  private readonly transport: UsbTransport;
  private readonly open: UsbOpener;
  private readonly usbtmc: UsbtmcOptions;
  private layout: DigitizerChannel[];
  private instrument: UsbtmcInstrument | null = null;
  /** One conversation with the scope at a time: USBTMC is a strict request / answer protocol. */
  private queue: Promise<unknown> = Promise.resolve();
  /** After a failed exchange the instrument is cleared (INITIATE_CLEAR) before the next one. */
  private needsClear = false;
  private seenAt: number | null = null;
  private identified: DeviceIdentity | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    transport: TransportSpec,
    options: ScpiScopeOptions,
    private readonly context: ScpiScopeContext,
    deps: ScpiScopeDependencies = {},
  ) {
    if (transport.kind !== 'usb' && transport.kind !== 'usbip') throw new Error(`${id}: a USBTMC oscilloscope is reached over usb or usbip, not ${transport.kind}`);
    this.transport = transport;
    this.options = ScpiScopeOptions.parse(options);
    this.address = describeTransport(transport);
    this.open = deps.open ?? context.openUsb ?? ((t) => openUsbDevice(t));
    this.usbtmc = deps.usbtmc ?? {};
    this.life = new DeviceLifecycle(context.now);
    // Plugged in while waiting in the backoff: connect now (an injected opener is a test's device: no bus to watch).
    this.stopWatching = deps.open || context.openUsb ? () => undefined : watchUsbPlug(transport, () => this.life.retryNow());
    this.layout = this.options.channels.map((c) => ({
      index: c.input - 1,
      name: c.name,
      rangeV: byteRange(c.scaleV ?? DEFAULT_SCALE_V, c.offsetV ?? DEFAULT_OFFSET_V),
    }));
  }

  channels(): readonly DigitizerChannel[] {
    return this.layout;
  }

  state(): DriverState {
    return this.life.state();
  }

  stateReason(): string {
    return this.life.why();
  }

  onState(listener: (state: DriverState, reason: string) => void): () => void {
    return this.life.onState(listener);
  }

  lastSeenAt(): number | null {
    return this.seenAt;
  }

  identity(): DeviceIdentity | null {
    return this.identified;
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async identify(timeoutMs: number): Promise<DeviceIdentity> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DigitizerError(`${this.id}: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.serial(() => this.connected()), late]);
    } finally {
      clearTimeout(timer);
    }
    return this.identified!;
  }

  reconnect(): void {
    this.life.retryNow();
    if (!this.instrument) return;
    this.life.connecting('reconnecting on request');
    void this.serial(() => this.drop());
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    await this.serial(() => this.drop());
    this.life.closed();
  }

  private async drop(): Promise<void> {
    const instrument = this.instrument;
    this.instrument = null;
    this.needsClear = false;
    await instrument?.close();
  }

  /** The open instrument, connecting first when needed (not while the backoff runs). */
  private async connected(): Promise<UsbtmcInstrument> {
    if (this.instrument) return this.instrument;
    if (this.closed) throw new DigitizerError(`${this.id} is closed`);
    if (!this.life.mayConnect()) throw new DigitizerError(`${this.id} is offline (${this.life.why()})`);
    this.life.connecting('connecting');
    let instrument: UsbtmcInstrument | null = null;
    try {
      const device = await this.open(this.transport);
      instrument = new UsbtmcInstrument(device, this.usbtmc);
      await instrument.open(this.options.timeoutMs);
      const idn = await instrument.query(SCPI.identify, this.options.timeoutMs);
      const who = parseIdn(idn);
      await this.configure(instrument);
      this.instrument = instrument;
      this.needsClear = false;
      this.identified = {
        model: `${who.manufacturer} ${who.model}`,
        serial: who.serial,
        firmware: who.firmware,
        detail: `*IDN? ${printable(idn)}${instrument.quirks.name ? ` (USBTMC quirks of the ${instrument.quirks.name} applied)` : ''}`,
      };
      this.seenAt = this.context.now();
      this.life.succeeded(`connected: ${who.model} ${who.serial}`);
      return instrument;
    } catch (error) {
      await instrument?.close();
      this.life.lost(`${this.address}: ${messageOf(error)}`);
      throw new DigitizerError(`${this.id} cannot be reached: ${messageOf(error)}`);
    }
  }

  /** Every setting the acquisition relies on, then the error queue read until it says "No error". */
  private async configure(inst: UsbtmcInstrument): Promise<void> {
    const t = this.options.timeoutMs;
    const o = this.options;
    const send = (command: string) => inst.write(command, t);
    await send(SCPI.clearStatus);
    await send(SCPI.waveformFormat);
    await send(SCPI.waveformMode);
    // Fewer points than the screen: a window with the trigger (the screen's centre) a quarter in, so the
    // pulses and the baseline before them are both read.
    const points = o.points ?? SCREEN_POINTS;
    const start = Math.min(SCREEN_POINTS - points, Math.max(0, SCREEN_POINTS / 2 - Math.floor(points / 4))) + 1;
    await send(SCPI.waveformStart(start));
    await send(SCPI.waveformStop(start + points - 1));
    if (o.timebaseS !== undefined) await send(SCPI.timebaseScale(o.timebaseS));
    for (const c of o.channels) {
      await send(SCPI.channelDisplay(c.input, true));
      // A coax cable from the counter's PMT, not a 10× probe: the scope must not multiply by ten.
      await send(SCPI.channelProbe(c.input, 1));
      await send(SCPI.channelScale(c.input, c.scaleV ?? DEFAULT_SCALE_V));
      await send(SCPI.channelOffset(c.input, c.offsetV ?? DEFAULT_OFFSET_V));
    }
    await send(SCPI.triggerMode);
    await send(SCPI.triggerSource(o.trigger.source));
    await send(SCPI.triggerLevel(o.trigger.levelV));
    await send(SCPI.triggerSlope(o.trigger.slope));
    const refused: string[] = [];
    for (let i = 0; ; i++) {
      if (i >= ERROR_READS) throw new ScopeProtocolError(`the error queue did not empty after ${ERROR_READS} reads`);
      const e = parseSystemError(await inst.query(SCPI.systemError, t));
      if (e.code === 0) break;
      refused.push(`${e.code} "${e.message}"`);
    }
    if (refused.length) throw new ScopeProtocolError(`the scope refused its setup: ${refused.join(', ')}`);
    this.layout = [];
    for (const c of o.channels) {
      const scale = parseAnswerNumber(await inst.query(SCPI.channelScaleQuery(c.input), t), `:CHANnel${c.input}:SCALe?`);
      const offset = parseAnswerNumber(await inst.query(SCPI.channelOffsetQuery(c.input), t), `:CHANnel${c.input}:OFFSet?`);
      this.layout.push({ index: c.input - 1, name: c.name, rangeV: byteRange(scale, offset) });
    }
  }

  acquire(timeoutMs: number): Promise<WaveformEvent | null> {
    return this.serial(async () => {
      const inst = await this.connected();
      try {
        const event = await this.acquireOnce(inst, timeoutMs);
        this.seenAt = this.context.now();
        this.life.succeeded(event ? 'acquiring' : 'no trigger (no beam?)');
        return event;
      } catch (error) {
        throw await this.failure(error);
      }
    });
  }

  private async acquireOnce(inst: UsbtmcInstrument, timeoutMs: number): Promise<WaveformEvent | null> {
    const t = this.options.timeoutMs;
    if (this.needsClear) {
      await inst.clear(t);
      this.needsClear = false;
    }
    await inst.write(SCPI.single, t);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = parseTriggerStatus(await inst.query(SCPI.triggerStatus, t));
      // TD: triggered, the sweep completes; STOP: the single sweep is over. Either way the waveform is there.
      if (status === 'TD' || status === 'STOP') break;
      if (Date.now() >= deadline) {
        await inst.write(SCPI.stop, t);
        return null;
      }
      await sleep(STATUS_POLL_MS);
    }
    const waveforms: Waveform[] = [];
    let samplePeriodNs = 0;
    let triggerSample = 0;
    for (const c of this.options.channels) {
      await inst.write(SCPI.waveformSource(c.input), t);
      const preamble = parsePreamble(await inst.query(SCPI.preamble, t));
      if (preamble.format !== 'BYTE') throw new ScopeProtocolError(`CH${c.input} is read as ${preamble.format}, the driver asked for BYTE`);
      const codes = parseDefiniteBlock(await inst.queryBytes(SCPI.data, t, preamble.points + 64));
      if (codes.length !== preamble.points) throw new ScopeProtocolError(`CH${c.input} sent ${codes.length} points, its preamble says ${preamble.points}`);
      if (waveforms.length && Math.abs(preamble.xIncrement * 1e9 - samplePeriodNs) > 1e-6 * samplePeriodNs) {
        throw new ScopeProtocolError(`CH${c.input} has a sample period of ${preamble.xIncrement * 1e9} ns, CH${this.options.channels[0]!.input} ${samplePeriodNs} ns`);
      }
      samplePeriodNs = preamble.xIncrement * 1e9;
      triggerSample = triggerPointOf(preamble);
      waveforms.push({ channel: c.input - 1, samples: codesToVolts(codes, preamble) });
    }
    return { at: this.context.now(), samplePeriodNs, triggerSample, waveforms };
  }

  /** A failed exchange: unplugged → offline at once; otherwise degraded, cleared before the next, dropped after repeated failures. */
  private async failure(error: unknown): Promise<DigitizerError> {
    const message = messageOf(error);
    const gone = isDeviceGone(error);
    let drop = gone;
    if (gone) this.life.lost(`${this.address}: ${message}`);
    else {
      this.needsClear = true;
      drop = this.life.failed(message);
    }
    if (drop) await this.drop();
    return new DigitizerError(`${this.id}: ${message}`);
  }
}

export function createScpiScope(entry: DeviceEntry<ScpiScopeOptions>, context: ScpiScopeContext, deps: ScpiScopeDependencies = {}): ScpiScope {
  return new ScpiScope(entry.id, entry.transport, entry.options, context, deps);
}

export const scpiScopePlugin: DriverPlugin<ScpiScopeOptions, ScpiScope> = {
  manifest: {
    id: 'scpi-scope',
    kind: 'digitizer',
    version: '0.1.0',
    description: 'SCPI oscilloscope over USBTMC (Rigol DS1000Z command set; Keysight-compatible): up to 4 inputs × 1200 points, edge trigger, over USB or USB/IP',
    transports: ['usb', 'usbip'],
    options: ScpiScopeOptions,
    capabilities: ['digitizer'],
  },
  create: (entry, context) => createScpiScope(entry, context),
};
