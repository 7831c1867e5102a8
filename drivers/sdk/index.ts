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
  kind: 'event-source';
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
  /** Triggers the DAQ accepted in the spill (the end-of-burst scaler), including events not delivered. */
  triggers: number;
  /** Particles on target counted by the beam counters in the spill. */
  intensity: number;
}

/**
 * One batch of physics events from one spill, as flat typed arrays so it can be transferred to a worker
 * without copying. `amplitudes` holds `count × channels` pedestal-subtracted peak amplitudes in ADC counts,
 * event-major, in the channel order of `channelMap`.
 */
export interface EventBatch {
  sequence: number;
  firstEvent: number;
  count: number;
  channels: number;
  amplitudes: Float32Array;
  /** Trigger bits per event (bit 0 physics, 1 beam, 2 random, 3 calibration). */
  triggers: Uint8Array;
}

export interface EventSourceListener {
  spillStart(info: SpillStart): void;
  batch(batch: EventBatch): void;
  spillEnd(info: SpillEnd): void;
}

export interface ChannelInfo {
  /** Detector cell name in the experiment's own words, e.g. "ECAL1-3-2" (section, x, y). */
  name: string;
  detector: string;
}

export interface EventSource extends Device {
  readonly kind: 'event-source';
  /** Channel layout of the amplitudes in every batch. */
  channelMap(): readonly ChannelInfo[];
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
