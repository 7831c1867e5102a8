// The driver plugin contract: everything a driver may know about the application, and everything the
// application may know about a driver. Drivers import this file (and the transports), never src-main; the
// core imports this file and the plugin registry (drivers/registry.ts), never a concrete driver.
//
// A plugin is a manifest (id, kind, the transports it speaks over, its options schema, its capabilities)
// plus `create(entry, context)`, where `entry` is one device of the site file. What it creates is a Device
// with an explicit lifecycle and the capability interfaces its manifest declares (EventSource, HvSupply;
// the digitizers, beam counters and timing of the next issues join the same table).
import { z } from 'zod';
import type { WaveformDigitizer } from './digitizer';
import type { BeamScaler } from './scaler';
import type { SpsTiming } from './timing';

export * from './digitizer';
export * from './scaler';
export * from './timing';

/** connecting → online → degraded → offline; a driver reports every change through `onState`. */
export type DriverState = 'connecting' | 'online' | 'degraded' | 'offline';

export interface DriverLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface DriverContext {
  log: DriverLogger;
  /** Wall-clock source. */
  now(): number;
}

// ── Transports: how the app reaches a device ─────────────────────────────────────────────────────────────

const Port = z.number().int().min(1).max(65535);
const UsbId = z.number().int().min(0).max(0xffff);

/** One address of a device, as a site file gives it. */
export const TransportSpec = z.discriminatedUnion('kind', [
  /** TCP: CAEN ET models on port 1470, iseg LAN on 10001, the DAQ's monitoring stream. */
  z.strictObject({ kind: z.literal('tcp'), host: z.string().min(1).max(255), port: Port }),
  /** Serial or USB virtual COM port (CDC-ACM): a path, the baud rate and the framing (data bits, parity, stop bits). */
  z.strictObject({
    kind: z.literal('serial'),
    path: z.string().min(1).max(255),
    baudRate: z.number().int().min(50).max(4_000_000).default(9600),
    framing: z.string().regex(/^[5-8][NEO][12]$/, 'framing is data bits, parity (N, E or O) and stop bits, e.g. "8N1"').default('8N1'),
  }),
  /** USB (USBTMC, vendor bulk endpoints): the device is found by its vendor and product id and, where several are plugged, its serial. */
  z.strictObject({ kind: z.literal('usb'), vendorId: UsbId, productId: UsbId, serial: z.string().min(1).max(126).optional() }),
  /**
   * A USB device exported over the network with USB/IP (Linux `usbipd`, or a device simulator): the server
   * and the exported bus id ("1-1"). The driver sees the same USBDevice as over a local port.
   */
  z.strictObject({ kind: z.literal('usbip'), host: z.string().min(1).max(255), port: Port.default(3240), busid: z.string().regex(/^[0-9][0-9.-]{0,30}$/, 'a USB/IP bus id is like "1-1" or "3-2.1"') }),
  /** UDP datagrams to a host and port (Ethernet VME bridges). */
  z.strictObject({ kind: z.literal('udp'), host: z.string().min(1).max(255), port: Port }),
  /**
   * A recorded raw file replayed as if it were the device (the DAQ's DATE files), paced by its timestamps
   * `timeScale` times faster than they were taken, or as fast as the reader takes it ('max': a listener with
   * flow control is then never handed more than it can take, see EventSourceListener.backlog).
   */
  z.strictObject({
    kind: z.literal('file'),
    path: z.string().min(1).max(4096),
    timeScale: z.union([z.number().positive().max(100_000), z.literal('max')]).default(1),
  }),
]);
export type TransportSpec = z.infer<typeof TransportSpec>;
export type TransportKind = TransportSpec['kind'];

/** An address as people read it: "tcp 10.0.0.5:1470", "serial /dev/ttyACM0 @9600 8N1", "usb 04b4:1175". */
export function describeTransport(t: TransportSpec): string {
  switch (t.kind) {
    case 'tcp':
      return `tcp ${t.host}:${t.port}`;
    case 'serial':
      return `serial ${t.path} @${t.baudRate} ${t.framing}`;
    case 'usb': {
      const hex = (n: number) => n.toString(16).padStart(4, '0');
      return `usb ${hex(t.vendorId)}:${hex(t.productId)}${t.serial ? ` serial ${t.serial}` : ''}`;
    }
    case 'usbip':
      return `usbip ${t.host}:${t.port} bus ${t.busid}`;
    case 'udp':
      return `udp ${t.host}:${t.port}`;
    case 'file':
      return `file ${t.path}`;
  }
}

// ── Devices ────────────────────────────────────────────────────────────────────────────────────────────

/** What a device said it is when it was last connected. */
export interface DeviceIdentity {
  /** The model as it names itself, e.g. "DT1470ET", "EHS 8060n", "NA64 DAQ monitoring stream". */
  model: string;
  serial: string | null;
  firmware: string | null;
  /** What it answered, as read: the *IDN? line, BDNAME/BDSNUM/BDFREL per board, the DAQ's run and source ids. */
  detail: string;
}

export interface Device {
  readonly id: string;
  readonly kind: DeviceKind;
  /** The address as people read it (describeTransport). */
  readonly address: string;
  state(): DriverState;
  /** Why the device is in its state, e.g. "tcp 127.0.0.1:1470: connection refused; retrying in 2.0 s". */
  stateReason(): string;
  onState(listener: (state: DriverState, reason: string) => void): () => void;
  /** When the device last answered (wall-clock ms), null if it never has. */
  lastSeenAt(): number | null;
  /** What the device said it is at its last connection; null until it has said. */
  identity(): DeviceIdentity | null;
  /** Connect if needed and resolve with the identity within `timeoutMs`, or reject with why not. */
  identify(timeoutMs: number): Promise<DeviceIdentity>;
  /** Drop the connection and connect again now (an operator's "reconnect"), without waiting for the backoff. */
  reconnect(): void;
  close(): Promise<void>;
}

/** The capability interfaces a device can offer, by name (the drivers host hands them to the services). */
export interface Capabilities {
  'event-source': EventSource;
  'hv-supply': HvSupply;
  digitizer: WaveformDigitizer;
  scaler: BeamScaler;
  timing: SpsTiming;
}
export type Capability = keyof Capabilities;
export type DeviceKind = Capability;

/** One device of a site file, validated: what a plugin creates a device from. */
export interface DeviceEntry<Options> {
  id: string;
  transport: TransportSpec;
  options: Options;
}

export interface DriverManifest<Options> {
  /** The plugin's name in a site file ("plugin": "caen-n1470"). */
  id: string;
  kind: DeviceKind;
  version: string;
  description: string;
  /** The transports the device speaks over; a site entry with another is refused. */
  transports: readonly TransportKind[];
  /** The TCP port the vendor fixes, shown as a hint. */
  defaultPort?: number;
  /** The plugin's options in a site file, with their defaults. Strict: an unknown key is an error. */
  options: z.ZodType<Options, unknown>;
  capabilities: readonly Capability[];
  /**
   * Modules in one crate behind one bridge (VME): several site entries may then share an address, each naming
   * its own module (base address) in its options.
   */
  sharedAddress?: boolean;
  /** HV supplies: how many channels the options give it, before the device says (checks the HV map against it). */
  channels?(options: Options): number;
}

export interface DriverPlugin<Options = unknown, Created extends Device = Device> {
  manifest: DriverManifest<Options>;
  create(entry: DeviceEntry<Options>, context: DriverContext): Created;
}

/** A plugin as a registry holds it, its option type erased: `create` is only ever given options its own schema parsed. */
export type AnyDriverPlugin = DriverPlugin<unknown, Device>;
export function erased<Options, Created extends Device>(plugin: DriverPlugin<Options, Created>): AnyDriverPlugin {
  return plugin as unknown as AnyDriverPlugin;
}

// ── EventSource: the DAQ event stream and the spill signals that bracket it ──────────────────────────────

export interface SpillStart {
  /** The source's own spill counter, increasing for every SPS spill whether or not a run is on. */
  sequence: number;
  /** Wall-clock ms when the spill began and when it is expected to end. */
  startedAt: number;
  endsAt: number;
  /** When the next spill is expected to start (from the SPS cycle), for the countdown. */
  nextStartAt: number;
}

export interface SpillEnd {
  sequence: number;
  endedAt: number;
  nextStartAt: number;
  /** Triggers fired in the spill (the end-of-burst scaler), including those lost in the DAQ's dead time. */
  triggers: number;
  /** Particles on target counted by the beam counters in the spill (0 when the scalers never came). */
  intensity: number;
  /** What the DAQ stream looked like in this spill: events by type, what was bad or missing, and why. */
  daq: SpillDaqFigures;
}

/** Per-spill figures of the event stream, counted by the driver (the monitor adds what it cannot decode). */
export interface SpillDaqFigures {
  /** Physics-type events received, by trigger bit (one event may carry both the physics and the beam bit). */
  physicsTriggers: number;
  beamTriggers: number;
  randomTriggers: number;
  /** Calibration (LED) events received in the gap before this spill. */
  calibrationEvents: number;
  /** Events skipped as damaged: bad header or sub-event chain, cut short, or out of order in the burst. */
  corruptEvents: number;
  truncatedEvents: number;
  outOfOrderEvents: number;
  /** Events skipped because a front-end source was missing from them, and which sources were missing. */
  missingSourceEvents: number;
  missingSources: number[];
  /** Events of this burst that came before its start-of-burst was seen (joined mid-spill), skipped. */
  orphanEvents: number;
  /** Events the DAQ accepted (end-of-burst scaler) that never arrived: lost to disconnects or a lagging reader. */
  lostEvents: number;
  /** The end-of-burst scaler totals, null when the end of burst never came. */
  scalerAccepted: number | null;
  deadTimeFraction: number | null;
  endOfBurst: boolean;
  /**
   * Why the event stream was lost in this spill (the connection dropped during it, or was down for all of
   * it), null when it was not.
   */
  streamLost: string | null;
}

/** A spill's figures before anything was counted. */
export function emptySpillDaqFigures(): SpillDaqFigures {
  return {
    physicsTriggers: 0,
    beamTriggers: 0,
    randomTriggers: 0,
    calibrationEvents: 0,
    corruptEvents: 0,
    truncatedEvents: 0,
    outOfOrderEvents: 0,
    missingSourceEvents: 0,
    missingSources: [],
    orphanEvents: 0,
    lostEvents: 0,
    scalerAccepted: null,
    deadTimeFraction: null,
    endOfBurst: false,
    streamLost: null,
  };
}

/**
 * One batch of events of one spill as raw DATE bytes, so it can be transferred to a monitor worker without
 * copying; the worker decodes the sub-events and MSADC data. `offsets` has `count + 1` entries: event i is
 * `data[offsets[i] … offsets[i + 1])`, each a whole DATE event, header included.
 */
export interface EventBatch {
  sequence: number;
  type: 'physics' | 'calibration';
  /** Index of the first event of the batch among the spill's delivered events. */
  firstEvent: number;
  count: number;
  data: Uint8Array;
  offsets: Uint32Array;
}

export interface EventSourceListener {
  spillStart(info: SpillStart): void;
  batch(batch: EventBatch): void;
  spillEnd(info: SpillEnd): void;
  /**
   * Flow control, for a source that can wait (a raw file; the DAQ's live stream cannot and ignores it): null
   * while the listener can take more, else a promise that resolves when it can. The source then reads
   * nothing more until it resolves, instead of handing on batches the listener would have to skip.
   */
  backlog?(): Promise<void> | null;
  /** A source that ends (a raw file read to its end, or one that could not be read further) says so, once. */
  ended?(info: SourceEnd): void;
}

/** How a finite source (a raw file) ended. */
export interface SourceEnd {
  /** Null when it was read to its end; else why reading stopped (the file could not be read). */
  error: string | null;
}

/** What a raw-file source has read so far (EventSource.reading). */
export interface SourceReading {
  path: string;
  /** Bytes read from the file, of its size (null until it is open). */
  bytesRead: number;
  /** Bytes up to the end of the last event handed on (a paced replay reads ahead of what it has handed on). */
  bytesDone: number;
  bytesTotal: number | null;
  /** Bytes the framer skipped as damaged or garbage. */
  bytesSkipped: number;
  /** Whole events handed on, by DATE type name (SOR, SOB, PHYSICS, EOB, CALIBRATION, EOR …). */
  events: Record<string, number>;
  /** DATE timestamps (s) of the first and the last event read: the file's real time. */
  firstTimestamp: number | null;
  lastTimestamp: number | null;
  /** The first problems, each with the file offset it was found near and what it was. */
  problems: { offset: number; problem: 'corrupt' | 'truncated'; detail: string }[];
  /** Problems in all (the list keeps the first ones). */
  problemCount: number;
  ended: SourceEnd | null;
}

export interface EventSource extends Device {
  readonly kind: 'event-source';
  /** Begin delivering spill signals; they flow whether or not data is taken. */
  start(listener: EventSourceListener): Promise<void>;
  /** Data taking on or off: batches are delivered only while armed. */
  arm(armed: boolean): void;
  /** The beam timing as the source knows it now, for a status display between signals. */
  beam(): { phase: 'spill' | 'interspill' | 'off'; phaseStartedAt: number; phaseEndsAt: number; spillMs: number; cycleMs: number };
  /** A source reading a raw file: how far it has read and what it found (absent for a live stream). */
  reading?(): SourceReading | null;
}

// ── Simulators: fault injection for training, development and tests ───────────────────────────────────

export interface FaultSpec {
  /** Short id used on the command line, e.g. "trip", "beam-off", "stuck-readback". */
  id: string;
  description: string;
  /** Whether the fault applies to one channel (then a channel number is required) or the whole device. */
  perChannel: boolean;
}

export interface ActiveFault {
  fault: string;
  channel: number | null;
  since: number;
}

/** A device simulator that can be told to misbehave, exactly as the real device might. */
export interface Simulator {
  readonly simulatorId: string;
  readonly simulatorDescription: string;
  faults(): readonly FaultSpec[];
  /** Throws a RangeError with a readable message for an unknown fault or a bad channel. */
  inject(fault: string, channel: number | null): void;
  clear(): void;
  active(): readonly ActiveFault[];
}

// ── HvSupply: high-voltage supplies (CAEN N1470 family, iseg SCPI modules) ────────────────────────────────
// One vocabulary for every vendor: the driver translates its device's parameters and status bits into
// these, and keeps the raw status word alongside so nothing the device said is lost.

/** The setpoints and limits an HV channel has. Voltages are magnitudes (the polarity is the module's). */
export const HV_PARAMETERS = ['vset', 'iset', 'rampUp', 'rampDown', 'tripTime', 'maxV'] as const;
export type HvParameter = (typeof HV_PARAMETERS)[number];

/** Units of each parameter as shown to people: V, µA, V/s, s. */
export const HV_UNITS: Record<HvParameter | 'vmon' | 'imon', string> = {
  vset: 'V',
  iset: 'µA',
  rampUp: 'V/s',
  rampDown: 'V/s',
  tripTime: 's',
  maxV: 'V',
  vmon: 'V',
  imon: 'µA',
};

/**
 * Channel conditions decoded from the vendor's status word, in words a shifter reads. The alarm system
 * uses the same list (trip, over-current, interlock, …) as its sources.
 */
export const HV_CONDITIONS = [
  'on',
  'ramp-up',
  'ramp-down',
  'over-current',
  'over-voltage',
  'under-voltage',
  'max-v',
  'trip',
  'over-power',
  'over-temperature',
  'disabled',
  'kill',
  'interlock',
  'calibration-error',
  'emergency-off',
  'current-limit',
  'voltage-limit',
  'input-error',
  'out-of-bounds',
] as const;
export type HvCondition = (typeof HV_CONDITIONS)[number];

export interface HvChannelInfo {
  /** Index over the whole supply (all boards or modules, board-major). */
  channel: number;
  /** RS485 board address (CAEN BD) or module slot; 0 for a single module. */
  board: number;
  /** Channel number on its board, as the device counts it. */
  boardChannel: number;
}

/** One reading of one channel, as the device answered it in one poll. */
export interface HvReadback {
  channel: number;
  vset: number;
  iset: number;
  vmon: number;
  imon: number;
  rampUp: number;
  rampDown: number;
  tripTime: number;
  maxV: number;
  on: boolean;
  /** The device's own status word, undecoded (CAEN STAT, iseg channel status). */
  rawStatus: number;
  conditions: HvCondition[];
  /** Latched events not yet cleared (iseg event register, CAEN BDALARM for the channel), decoded. */
  latched: HvCondition[];
}

export interface HvBoardStatus {
  board: number;
  model: string;
  /** REMOTE, or LOCAL (front panel): SETs are then refused with LOC:ERR / the iseg equivalent. */
  control: 'remote' | 'local';
  interlock: boolean;
  /** Board alarm or module event words, decoded to words. */
  alarms: string[];
}

export interface HvPoll {
  at: number;
  channels: HvReadback[];
  boards: HvBoardStatus[];
}

/** The valid range of each settable parameter, as the device reports or documents it. */
export type HvLimits = Record<HvParameter, { min: number; max: number }>;

/** A device refused a command (LOC:ERR, VAL:ERR, …) or could not be reached: the message says which. */
export class HvCommandError extends Error {
  constructor(
    message: string,
    readonly reason: 'refused' | 'unreachable' | 'unsupported',
  ) {
    super(message);
    this.name = 'HvCommandError';
  }
}

export interface HvSupply extends Device {
  readonly kind: 'hv-supply';
  /** Vendor and model family, e.g. "CAEN N1470 ($BD: protocol)". */
  readonly model: string;
  /** How often the service reads every channel (the site's `pollMs`). */
  readonly pollMs: number;
  channels(): readonly HvChannelInfo[];
  limits(): HvLimits;
  /**
   * Read every channel once. Connects (and reconnects after a failure, with backoff) as needed; throws
   * HvCommandError('unreachable') when the device cannot answer now. The lifecycle state follows.
   */
  poll(): Promise<HvPoll>;
  /** Write one setpoint or limit; resolves when the device acknowledged it, throws HvCommandError if not. */
  set(channel: number, parameter: HvParameter, value: number): Promise<void>;
  switch(channel: number, on: boolean): Promise<void>;
  /** Clear the latched trip / alarm / events of a channel so it can be switched on again. */
  clearAlarms(channel: number): Promise<void>;
}
