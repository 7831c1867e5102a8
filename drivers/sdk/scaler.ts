// The scaler capability: beam-line counters (a CAEN V830 or V560 in a VME crate behind a bridge) read at
// the end of each burst and on demand. The driver hands out the counters as the module holds them (modulo
// 2^bits); per-spill increments, wrap-around and plausibility are the app's business.
import type { Device } from './index';

/** What a counter counts, as the site names it: the beam counters, the veto, the trigger gated by the DAQ's dead time and not. */
export const COUNTER_ROLES = ['S1', 'S2', 'Sc', 'veto', 'trigger', 'trigger-ungated', 'other'] as const;
export type CounterRole = (typeof COUNTER_ROLES)[number];

export interface ScalerChannel {
  /** Channel number on the module, 0-based. */
  index: number;
  /** Name as shown: "S1", "S2", "Sc", "V1", "trigger (dead-time gated)". */
  name: string;
  role: CounterRole;
}

export interface ScalerReading {
  /** Wall-clock ms of the read. */
  at: number;
  /** Every enabled channel's counter as read, in channel order of `channels()`, modulo 2^bits. */
  counts: number[];
  /** Counter width: 32 for the V830's 32-bit format or the V560, 26 for the V830's 26-bit format. */
  bits: number;
}

export class ScalerError extends Error {
  override name = 'ScalerError';
}

export interface BeamScaler extends Device {
  readonly kind: 'scaler';
  /** "CAEN V830 via <bridge>". */
  readonly model: string;
  channels(): readonly ScalerChannel[];
  /** Latch and read every counter now. Throws ScalerError when the module or its bridge cannot answer. */
  read(): Promise<ScalerReading>;
}
