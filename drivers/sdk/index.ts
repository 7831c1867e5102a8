// The driver plugin contract: everything a driver may know about the application, and everything the
// application may know about a driver. Drivers import this file (and the transports), never src-main.
//
// A plugin is a manifest plus `create(config, context)`. What it creates is a Device with an explicit
// lifecycle and one or more capability interfaces (EventSource now; HvSupply and BeamCounters join with
// their drivers).

/** connecting → online → degraded → offline; a driver reports every change through `onState`. */
export type DriverState = 'connecting' | 'online' | 'degraded' | 'offline';

export interface DriverLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface DriverContext {
  log: DriverLogger;
  /** Wall-clock source; simulators scale their own time from it. */
  now(): number;
}

export interface DriverManifest<Config> {
  id: string;
  kind: 'event-source' | 'hv-supply';
  version: string;
  description: string;
  /** Validates and fills defaults; throws a readable error for a bad configuration. */
  parseConfig(raw: unknown): Config;
}

export interface Device {
  readonly id: string;
  state(): DriverState;
  onState(listener: (state: DriverState, reason: string) => void): () => void;
  close(): Promise<void>;
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
}

export interface EventSource extends Device {
  readonly kind: 'event-source';
  /** Begin delivering spill signals; they flow whether or not data is taken. */
  start(listener: EventSourceListener): Promise<void>;
  /** Data taking on or off: batches are delivered only while armed. */
  arm(armed: boolean): void;
  /** The beam timing as the source knows it now, for a status display between signals. */
  beam(): { phase: 'spill' | 'interspill' | 'off'; phaseStartedAt: number; phaseEndsAt: number; spillMs: number; cycleMs: number };
}

export interface EventSourcePlugin<Config, Created extends EventSource = EventSource> {
  manifest: DriverManifest<Config>;
  create(config: Config, context: DriverContext): Created;
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

export interface HvSupplyPlugin<Config, Created extends HvSupply = HvSupply> {
  manifest: DriverManifest<Config>;
  create(config: Config, context: DriverContext): Created;
}
