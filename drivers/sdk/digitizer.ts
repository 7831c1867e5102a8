// The digitizer capability: a waveform digitizer (a USB oscilloscope over USBTMC, the PSI DRS4 board) that
// the app arms during the spill and reads trigger by trigger. Every vendor's samples arrive here in volts,
// scaled by the device's own preamble or calibration, so the monitor never sees raw codes.
import type { Device } from './index';

export interface DigitizerChannel {
  /** Input number on the device, 0-based (CH1 of a scope is 0). */
  index: number;
  /** What the input is wired to, from the site: "S1", "SRD-1", "ECAL-sum". */
  name: string;
  /** The input range in volts as configured: samples outside it are saturated. */
  rangeV: readonly [min: number, max: number];
}

export interface Waveform {
  channel: number;
  /** One sample per sample period, in volts. */
  samples: Float32Array;
}

/** One trigger's waveforms. */
export interface WaveformEvent {
  /** Wall-clock ms when it was read. */
  at: number;
  samplePeriodNs: number;
  /** Samples recorded before the trigger point (the baseline is measured there). */
  triggerSample: number;
  waveforms: Waveform[];
}

/** The device failed while acquiring (unplugged, stalled endpoint, short packet, timeout): the message says which. */
export class DigitizerError extends Error {
  override name = 'DigitizerError';
}

export interface WaveformDigitizer extends Device {
  readonly kind: 'digitizer';
  /** Vendor and model family, e.g. "SCPI oscilloscope over USBTMC", "PSI DRS4 evaluation board". */
  readonly model: string;
  channels(): readonly DigitizerChannel[];
  /**
   * Arm, wait up to `timeoutMs` for one trigger and read its waveforms; null when no trigger came (no beam).
   * Connects (and reconnects with backoff) as needed; throws DigitizerError when the device cannot answer,
   * and the lifecycle state follows.
   */
  acquire(timeoutMs: number): Promise<WaveformEvent | null>;
}
