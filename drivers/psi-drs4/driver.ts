// The PSI DRS4 Evaluation Board (V4 / V5) as a waveform digitizer, over USB or USB/IP. On connect it reads
// what the board is from its status registers (magic, board type, firmware, serial, temperature) and sets it
// up the way DRS.cpp's Init, SetChannelConfig, SetInputRange, the board-type-8/9 trigger calls and
// SetFrequency(f, wait) do (protocol.ts names the sources). Each acquisition starts the domino wave, polls
// the status register until the board is no longer busy (a trigger's data is in the DPRAM) or the wait is
// over, and reads the 9 DRS channels with their stop-cell trailer in one transfer. Samples are converted
// with the nominal calibration (protocol.ts), so the volts are good to the board's uncalibrated few mV.
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
  type WaveformDigitizer,
  type WaveformEvent,
} from '../sdk/index';
import { DeviceLifecycle } from '../sdk/lifecycle';
import { openUsbDevice, watchUsbPlug } from '../transports/usb/open';
import { Drs4BoardLink, Drs4LinkError, USB_TIMEOUT_MS } from './board-link';
import {
  BIAS_V,
  BIT_DACTIVE,
  BIT_ENABLE_TRIGGER1,
  BIT_NEG_TRIGGER,
  BIT_PLL_LOCKED0,
  BIT_READOUT_MODE,
  BIT_REINIT_TRIG,
  BIT_RUNNING,
  BIT_SOFT_TRIG,
  BIT_START_TRIG,
  BIT_TRANSP_MODE,
  BINS,
  boardName,
  BOARD_TYPE_EVAL4,
  BOARD_TYPE_EVAL5,
  CHANNEL_MODE_ALL,
  channelConfigWord,
  codesToVolts,
  COMMON_MODE_V,
  CTRL_ACTION_BITS,
  DAC_BIAS,
  DAC_CALN,
  DAC_CALP,
  DAC_ROFS_1,
  dacCode,
  dacRegister,
  decodeBoardType,
  decodeWaveforms,
  DRS_TYPE_DRS4,
  DRS4_PRODUCT_ID,
  DRS4_VENDOR_ID,
  drsChannelOfInput,
  frequencyOfRegister,
  frequencyRegister,
  MAGIC,
  readoutOffsetVolts,
  REG_BOARD_TYPE,
  REG_CHANNEL_CONFIG,
  REG_CHANNEL_MODE,
  REG_CTRL,
  REG_FREQ_SET,
  REG_MAGIC,
  REG_SERIAL_BOARD,
  REG_STATUS,
  REG_STOP_CELL0,
  REG_TEMPERATURE,
  REG_TRG_CONFIG,
  REG_TRG_DELAY,
  REG_VERSION_FW,
  REQUIRED_FIRMWARE_DRS4,
  temperatureOf,
  TRAILER_FIRMWARE,
  TRANSPARENT_MODE_FIRMWARE,
  TRG_CONFIG_OR,
  TRIGGER_LEVEL_DAC,
  triggerDelayNs,
  triggerDelayTicks,
  triggerLevelDacVolts,
  triggerSampleOf,
  waveformBytes,
} from './protocol';

// ── Options ────────────────────────────────────────────────────────────────────────────────────────────

const Input = z.number().int().min(1).max(4);

/** The options of a DRS4 evaluation board in a site file. */
export const Drs4Options = z.strictObject({
  /** The inputs read out, and what each is wired to ("S1", "SRD-1", "ECAL-sum"). */
  channels: z
    .array(z.strictObject({ input: Input, name: z.string().min(1).max(64) }))
    .min(1)
    .max(4)
    .refine((cs) => new Set(cs.map((c) => c.input)).size === cs.length, 'each input may be listed once'),
  /** Domino sampling frequency; the board makes the nearest 60 MHz · 1.024 / n (5 → 5.12 GHz). */
  samplingGHz: z.number().min(0.7).max(5).default(5),
  /** The analog trigger on one input: threshold (volts at the input) and edge (negative for PMT pulses). */
  trigger: z.strictObject({ source: Input, levelV: z.number().min(-0.5).max(1), slope: z.enum(['negative', 'positive']) }),
  /** Centre of the 1 V input range: 0 gives −0.5 … +0.5 V, 0.5 gives 0 … 1 V (SetInputRange). */
  rangeCenterV: z.number().min(0).max(0.5).optional(),
});
export type Drs4Options = z.infer<typeof Drs4Options>;

// ── Named defaults ────────────────────────────────────────────────────────────────────────────────────

/**
 * Where the trigger sits in the 1024-sample window: a quarter in, so a baseline is recorded before the pulse
 * and a calorimeter's tail after it. The trigger delay register is set to the nearest tick of this.
 */
export const TRIGGER_POSITION = 0.25;
/** Pause between two busy polls of REG_STATUS (DRS.cpp spins; over USB/IP a millisecond is kinder). */
export const BUSY_POLL_MS = 1;
/** Status reads while waiting for the PLL to lock after a frequency change (SetFrequency tries 1000). */
const PLL_LOCK_READS = 100;

export type UsbTransport = Extract<TransportSpec, { kind: 'usb' | 'usbip' }>;
/** Finds and returns the board's USBDevice (not yet opened): openUsbDevice by default, an emulation in tests. */
export type UsbOpener = (transport: UsbTransport) => Promise<USBDevice>;

export interface Drs4Dependencies {
  open?: UsbOpener;
  /** Per-transfer timeout (DRS.cpp's USB_TIMEOUT, 1 s); tests shorten it. */
  usbTimeoutMs?: number;
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What the driver read and set at connect, used for every acquisition until the next connect. */
interface BoardSetup {
  firmware: number;
  ctrlBits: number;
  /** The frequency the board runs at (from REG_FREQ_SET as read back), GHz. */
  ghz: number;
  triggerSample: number;
  rangeCenterV: number;
}

export class Drs4Digitizer implements WaveformDigitizer {
  readonly kind = 'digitizer' as const;
  readonly model = 'PSI DRS4 evaluation board';
  readonly address: string;
  private readonly life: DeviceLifecycle;
  private readonly stopWatching: () => void;
  private readonly options: Drs4Options;
  private readonly transport: UsbTransport;
  private readonly open: UsbOpener;
  private readonly usbTimeoutMs: number;
  private readonly layout: DigitizerChannel[];
  private link: Drs4BoardLink | null = null;
  private setup: BoardSetup | null = null;
  private connecting: Promise<void> | null = null;
  /** One board access at a time, as DRS.cpp's s_drsMutex. */
  private queue: Promise<unknown> = Promise.resolve();
  private seenAt: number | null = null;
  private identified: DeviceIdentity | null = null;
  private closed = false;

  constructor(
    readonly id: string,
    transport: TransportSpec,
    options: Drs4Options,
    private readonly context: DriverContext,
    deps: Drs4Dependencies = {},
  ) {
    if (transport.kind !== 'usb' && transport.kind !== 'usbip') throw new Error(`${id}: a DRS4 board is reached over usb or usbip, not ${transport.kind}`);
    this.transport = transport;
    this.options = Drs4Options.parse(options);
    this.address = describeTransport(transport);
    this.open = deps.open ?? ((t) => openUsbDevice(t));
    this.usbTimeoutMs = deps.usbTimeoutMs ?? USB_TIMEOUT_MS;
    this.life = new DeviceLifecycle(context.now);
    // Plugged in while waiting in the backoff: connect now (an injected opener is a test's device: no bus to watch).
    this.stopWatching = deps.open ? () => undefined : watchUsbPlug(transport, () => this.life.retryNow());
    const center = this.options.rangeCenterV ?? 0;
    this.layout = this.options.channels.map((c) => ({ index: c.input - 1, name: c.name, rangeV: [center - 0.5, center + 0.5] as const }));
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

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async identify(timeoutMs: number): Promise<DeviceIdentity> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DigitizerError(`${this.id}: no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.exclusive(() => this.ensureConnected()), late]);
    } finally {
      clearTimeout(timer);
    }
    return this.identified!;
  }

  reconnect(): void {
    this.life.retryNow();
    if (!this.link) return;
    void this.exclusive(async () => {
      await this.drop();
      this.life.connecting('reconnecting on request');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    await this.exclusive(() => this.drop());
    this.life.closed();
  }

  private async drop(): Promise<void> {
    const link = this.link;
    this.link = null;
    this.setup = null;
    await link?.close();
  }

  // ── Connect: identity and configuration ──────────────────────────────────────────────────────────────

  private async ensureConnected(): Promise<void> {
    if (this.closed) throw new DigitizerError(`${this.id} is closed`);
    if (this.link) return;
    if (!this.life.mayConnect()) throw new DigitizerError(`${this.id} is offline (${this.life.why()})`);
    this.connecting ??= (async () => {
      this.life.connecting('connecting');
      let link: Drs4BoardLink | null = null;
      try {
        link = new Drs4BoardLink(await this.open(this.transport), this.usbTimeoutMs);
        await link.open();
        const stuck = await link.drain();
        if (stuck > 0) this.context.log.warn('bytes were stuck in the board\'s USB FIFO; drained', { device: this.id, bytes: stuck });
        const firmware = await this.readIdentity(link);
        this.setup = await this.configure(link, firmware);
        this.link = link;
        this.seenAt = this.context.now();
        this.life.succeeded(`configured: ${this.setup.ghz.toFixed(3)} GHz, trigger on input ${this.options.trigger.source}`);
      } catch (error) {
        await link?.close();
        this.life.lost(`${this.address}: ${messageOf(error)}`);
        throw new DigitizerError(`${this.id} cannot be reached: ${messageOf(error)}`);
      } finally {
        this.connecting = null;
      }
    })();
    await this.connecting;
  }

  /** ReadSerialNumber: the magic word first (anything else is not a DRS board), then type, firmware, serial. */
  private async readIdentity(link: Drs4BoardLink): Promise<number> {
    const magic = await link.readU16('status', REG_MAGIC);
    if (magic !== MAGIC) throw new Drs4LinkError(`not a DRS board: REG_MAGIC is 0x${magic.toString(16)}, not 0x${MAGIC.toString(16)}`, 'protocol');
    const { drsType, boardType } = decodeBoardType(await link.readU16('status', REG_BOARD_TYPE));
    const firmware = await link.readU16('status', REG_VERSION_FW);
    const serial = await link.readU16('status', REG_SERIAL_BOARD);
    const temperature = temperatureOf(await link.readU16('status', REG_TEMPERATURE));
    if (drsType !== DRS_TYPE_DRS4 || (boardType !== BOARD_TYPE_EVAL4 && boardType !== BOARD_TYPE_EVAL5)) {
      throw new Drs4LinkError(`board type ${boardType} with DRS${drsType} is not a DRS4 USB evaluation board V4/V5 (types 8, 9)`, 'protocol');
    }
    if (firmware < REQUIRED_FIRMWARE_DRS4) throw new Drs4LinkError(`firmware ${firmware} is older than the ${REQUIRED_FIRMWARE_DRS4} DRS.cpp requires`, 'protocol');
    const usb = link.device;
    this.identified = {
      model: boardName(boardType),
      serial: String(serial),
      firmware: String(firmware),
      detail:
        `REG_MAGIC 0x${magic.toString(16)}, DRS type ${drsType}, board type ${boardType}, firmware ${firmware}, serial ${serial}, ` +
        `temperature ${temperature.toFixed(1)} °C; USB ${usb.vendorId.toString(16).padStart(4, '0')}:${usb.productId.toString(16).padStart(4, '0')}` +
        `${usb.productName ? ` "${usb.productName}"` : ''}; nominal voltage calibration (EEPROM cell calibration not applied)`,
    };
    return firmware;
  }

  private writeDac(link: Drs4BoardLink, channel: number, volts: number): Promise<void> {
    return link.writeU16('ctrl', dacRegister(channel), dacCode(volts));
  }

  /**
   * Init for board types 8/9, then the acquisition settings: 8 channels of 1024 cells, readout from the stop
   * cell, domino kept running, the analog trigger on one input, the trigger delay, and the sampling frequency
   * with the PLL lock check of SetFrequency(f, true). The control register is read back to see it took.
   */
  private async configure(link: Drs4BoardLink, firmware: number): Promise<BoardSetup> {
    const { trigger, samplingGHz } = this.options;
    const rangeCenterV = this.options.rangeCenterV ?? 0;
    await link.writeU32('ctrl', REG_CTRL, BIT_REINIT_TRIG);
    await this.writeDac(link, DAC_ROFS_1, readoutOffsetVolts(rangeCenterV));
    await this.writeDac(link, DAC_CALP, COMMON_MODE_V);
    await this.writeDac(link, DAC_CALN, COMMON_MODE_V);
    await this.writeDac(link, DAC_BIAS, BIAS_V);
    const mode = await link.readU16('ctrl', REG_CHANNEL_MODE);
    await link.writeU16('ctrl', REG_CHANNEL_MODE, (mode & 0xff00) | CHANNEL_MODE_ALL);
    await link.writeU16('ctrl', REG_CHANNEL_CONFIG, channelConfigWord(1));
    const ctrlBits =
      (BIT_READOUT_MODE | BIT_DACTIVE | BIT_ENABLE_TRIGGER1 | (firmware >= TRANSPARENT_MODE_FIRMWARE ? BIT_TRANSP_MODE : 0) | (trigger.slope === 'negative' ? BIT_NEG_TRIGGER : 0)) >>> 0;
    await link.writeU32('ctrl', REG_CTRL, ctrlBits);
    await link.writeU16('ctrl', REG_TRG_CONFIG, TRG_CONFIG_OR(trigger.source));
    for (const dac of TRIGGER_LEVEL_DAC) await this.writeDac(link, dac, triggerLevelDacVolts(trigger.levelV));

    const freqRegister = frequencyRegister(samplingGHz);
    await link.writeU16('ctrl', REG_FREQ_SET, freqRegister);
    const ghz = frequencyOfRegister(await link.readU16('ctrl', REG_FREQ_SET));
    const windowNs = BINS / ghz;
    const ticks = triggerDelayTicks(windowNs * (1 - TRIGGER_POSITION) - triggerDelayNs(0, firmware, ghz), firmware);
    await link.writeU16('ctrl', REG_TRG_DELAY, ticks);

    await link.writeU32('ctrl', REG_CTRL, ctrlBits | BIT_START_TRIG);
    let locked = false;
    for (let i = 0; i < PLL_LOCK_READS && !locked; i++) locked = ((await link.readU32('status', REG_STATUS)) & BIT_PLL_LOCKED0) !== 0;
    await link.writeU32('ctrl', REG_CTRL, ctrlBits | BIT_SOFT_TRIG);
    if (!locked) throw new Drs4LinkError(`the PLL did not lock at ${ghz.toFixed(3)} GHz`, 'protocol');
    await link.writeU32('ctrl', REG_CTRL, ctrlBits | BIT_REINIT_TRIG);
    const readBack = (await link.readU32('ctrl', REG_CTRL)) & ~CTRL_ACTION_BITS;
    if (readBack >>> 0 !== ctrlBits) {
      throw new Drs4LinkError(`REG_CTRL reads back 0x${(readBack >>> 0).toString(16)} after 0x${ctrlBits.toString(16)} was written`, 'protocol');
    }
    return { firmware, ctrlBits, ghz, triggerSample: triggerSampleOf(ticks, firmware, ghz), rangeCenterV };
  }

  // ── Acquisition ──────────────────────────────────────────────────────────────────────────────────────

  acquire(timeoutMs: number): Promise<WaveformEvent | null> {
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return Promise.reject(new DigitizerError(`${this.id}: the wait for a trigger must be ≥ 0 ms, not ${timeoutMs}`));
    return this.exclusive(async () => {
      await this.ensureConnected();
      const link = this.link!;
      try {
        const event = await this.acquireOnce(link, this.setup!, timeoutMs);
        this.seenAt = this.context.now();
        this.life.succeeded(event ? 'triggered' : `armed; no trigger within ${timeoutMs} ms`);
        return event;
      } catch (error) {
        throw await this.failure(error);
      }
    });
  }

  /** StartDomino, wait while IsBusy, TransferWaves, then the inputs in volts. */
  private async acquireOnce(link: Drs4BoardLink, setup: BoardSetup, timeoutMs: number): Promise<WaveformEvent | null> {
    await link.writeU32('ctrl', REG_CTRL, setup.ctrlBits | BIT_START_TRIG);
    const deadline = performance.now() + timeoutMs;
    while (((await link.readU32('status', REG_STATUS)) & BIT_RUNNING) !== 0) {
      if (performance.now() >= deadline) {
        // Stop the domino wave so the board does not fill its RAM with a trigger nobody reads.
        await link.writeU32('ctrl', REG_CTRL, setup.ctrlBits | BIT_REINIT_TRIG);
        return null;
      }
      await sleep(BUSY_POLL_MS);
    }
    const raw = decodeWaveforms(await link.read('ram', 0, waveformBytes(setup.firmware)), setup.firmware);
    // Before the trailer existed the stop cell was read from the status register; the waveform is in readout order either way.
    if (setup.firmware < TRAILER_FIRMWARE) raw.stopCell = await link.readU16('status', REG_STOP_CELL0);
    return {
      at: this.context.now(),
      samplePeriodNs: 1 / setup.ghz,
      triggerSample: setup.triggerSample,
      waveforms: this.options.channels.map((c) => ({ channel: c.input - 1, samples: codesToVolts(raw.codes[drsChannelOfInput(c.input)]!, setup.rangeCenterV) })),
    };
  }

  /** A failed acquisition: unplugged → offline at once; otherwise degraded, and dropped after repeated failures. */
  private async failure(error: unknown): Promise<DigitizerError> {
    const message = messageOf(error);
    const unplugged = error instanceof Drs4LinkError && error.failure === 'unplugged';
    let drop = unplugged;
    if (unplugged) this.life.lost(`${this.address}: ${message}`);
    else drop = this.life.failed(message);
    if (drop) await this.drop();
    return new DigitizerError(`${this.id}: ${message}`);
  }
}

export function createDrs4Digitizer(entry: DeviceEntry<Drs4Options>, context: DriverContext, deps: Drs4Dependencies = {}): Drs4Digitizer {
  return new Drs4Digitizer(entry.id, entry.transport, entry.options, context, deps);
}

export const psiDrs4Plugin: DriverPlugin<Drs4Options, Drs4Digitizer> = {
  manifest: {
    id: 'psi-drs4',
    kind: 'digitizer',
    version: '0.1.0',
    description: `PSI DRS4 Evaluation Board V4/V5 (USB ${DRS4_VENDOR_ID.toString(16).padStart(4, '0')}:${DRS4_PRODUCT_ID.toString(16)}): 4 inputs × 1024 samples at 0.7–5 GS/s, over USB or USB/IP`,
    transports: ['usb', 'usbip'],
    options: Drs4Options,
    capabilities: ['digitizer'],
  },
  create: (entry, context) => createDrs4Digitizer(entry, context),
};
