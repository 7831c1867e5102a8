// The SPS timing capability: the machine's spill signals as the experiment receives them. WWE (warning-warning
// ejection, ≈ 1 s before beam), WE (warning ejection: the spill begins), EE (end of extraction: the spill
// ends), and the SPS switching off or on. A source is an input register on the VME bridge that the timing
// pulses are wired to, the DAQ's own start and end of burst, or the software fake-timing generator that
// drives calibration runs without beam.
import type { Device } from './index';

export const TIMING_SIGNALS = ['WWE', 'WE', 'EE', 'SPS-OFF', 'SPS-ON'] as const;
export type TimingSignal = (typeof TIMING_SIGNALS)[number];

export interface TimingEvent {
  signal: TimingSignal;
  /** Wall-clock ms when the source saw it. */
  at: number;
  /** The source's spill counter (increments at each WE). */
  sequence: number;
}

/** The beam as the timing source knows it now, for a status display between signals. */
export interface BeamTiming {
  phase: 'spill' | 'interspill' | 'off';
  phaseStartedAt: number;
  /** When the phase is expected to end (for 'off': null, nobody knows). */
  phaseEndsAt: number | null;
  spillMs: number;
  cycleMs: number;
}

export interface SpsTiming extends Device {
  readonly kind: 'timing';
  /** Where the signals come from, in words: "V977 input register via MVLC 192.0.2.40", "the DAQ's SOB/EOB". */
  readonly source: string;
  /** Begin delivering signals; they flow whether or not a run is on. */
  start(listener: (event: TimingEvent) => void): Promise<void>;
  beam(): BeamTiming;
}
