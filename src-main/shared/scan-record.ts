// The beam-scan event record: what a monitor worker keeps of each event for the ECAL calibration, and what
// the calibration worker fits. One flat Float32Array, RECORD_HEADER numbers then the amplitudes (ADC,
// pedestal subtracted, times the spill's LED gain correction, no calibration constant) of every ECAL cell:
// the preshower towers, then the main towers, each in tower order (x·ny + y). The LED correction puts every
// spill of the scan on the gains of the active set's LED reference, which the new set then inherits. Shared
// by both workers, so it lives here (environment-free).

/** aimed tower (−1: the app only follows the maximum), tower with the maximum energy, saturation flags. */
export const RECORD_HEADER = 3;
export const SATURATED_PRESHOWER = 1;
export const SATURATED_MAIN = 2;

export function recordLength(towers: number): number {
  return RECORD_HEADER + 2 * towers;
}

/** What the monitor workers record during a scan; sent with every spill's settings. */
export interface ScanSelection {
  /** Towers (x·ny + y) whose events are recorded when they have the maximum energy. */
  towers: number[];
  /** The tower the beam is steered onto (simulation), −1 when the app only follows the maximum. */
  aimed: number;
  /** An event counts when its ECAL sum (current calibration) is above this (GeV): electrons, not MIPs. */
  minEcalGeV: number;
  /** At most this many records per worker and spill. */
  maxRecords: number;
}
