// The ECAL calibration's named defaults, each with its reasoning, and the model of each tower's target peak
// in a beam scan (src-main/calibration/recon/targets.ts).
import { ECAL_CONSTANT, ECAL_PROFILE, ECAL_STOCHASTIC } from '../../setups/nominal';
import type { TargetModel } from '../calibration/recon/targets';
import type { Setup } from '../../setups/load';

/**
 * Events centred on a tower before its peak is fitted. The peak's mean is known to σ/√N ≈ 1.4 %/√2000 ≈
 * 0.03 %; the preshower/main split from the sum constraint to ≈ 2.7 %, which moves the main constant by
 * ≈ 0.17 %: well inside the 0.5 % a calibration must reach. One spill of the default beam brings ≈ 5000.
 */
export const DEFAULT_EVENTS_PER_CELL = 2000;
/** Spectra are fitted with a Gaussian core by default; the Crystal Ball adds the low tail (optional). */
export const DEFAULT_PEAK_MODEL = 'gauss' as const;
/** A scan records an event when its ECAL sum is above this share of the beam energy: electrons, not MIPs. */
export const SCAN_MIN_ECAL_FRACTION = 0.3;
/** At most this many records per worker and spill (each ≈ 300 bytes): ≈ 6 MB. */
export const SCAN_MAX_RECORDS_PER_SPILL = 20_000;
/** A tower is dead when more than half of the events aimed at it leave less than a hit (10 ADC) in it. */
export const DEAD_CELL_ADC = 10;
/**
 * A tower is saturated when more than 5 % of its events clip at the ADC maximum (4095). A few do at any gain:
 * two electrons piled up in one event (≈ 1 % at 10⁷ particles per spill); those are left out of the fit.
 */
export const SATURATED_SHARE = 0.05;
/**
 * Relative change between two sets beyond which a cell is flagged as an outlier in the diff: PMT gains of
 * one period differ by a few per cent; a jump of 10 % means a changed HV, a bad fit or a swapped cable.
 */
export const DIFF_OUTLIER = 0.1;

// ── LED gain tracking ────────────────────────────────────────────────────────────────────────────────────
/** A spill's LED data counts for a cell when at least this many LED events saw it (100 fire per gap). */
export const LED_MIN_EVENTS = 20;
/** Fallback when a spill has no LED data: the mean of the previous 3 spills, then the run average (NA64). */
export const LED_FALLBACK_SPILLS = 3;
/**
 * LED drift alarm: a cell's LED amplitude away from its reference by more than this (warning) or the
 * high limit (high priority). PMT gains drift by < 1 % per day; 5 % means the correction carries a lot and
 * the HV or the LED itself should be checked, 15 % that the calibration no longer holds.
 */
export const LED_DRIFT_WARNING = 0.05;
export const LED_DRIFT_HIGH = 0.15;

/**
 * The model behind each tower's target peak (src-main/calibration/recon/targets.ts): the NA64 ECAL's lateral
 * profile (Molière radius ≈ 3.5 cm) from the detector's nominal constants (setups/nominal.ts; at the experiment
 * these come from the Geant4 simulation of the ECAL, and the built detector differs from them by a few per
 * cent: the bias that leaves in edge towers is measured in test/unit/calibration-scan.test.ts), the setup's beam spot, and the ECAL resolution at the beam energy
 * until the scan measures it.
 */
export function targetModel(setup: Setup): TargetModel {
  const e = setup.detectors.ecal;
  const e0 = setup.beam.energyGeV;
  return {
    nx: e.nx,
    ny: e.ny,
    pitchMm: e.pitchMm,
    spotMm: setup.beam.spotMm,
    profile: ECAL_PROFILE,
    beamCell: e.beamCell,
    energyGeV: e0,
    resolution: Math.hypot(ECAL_STOCHASTIC / Math.sqrt(e0), ECAL_CONSTANT),
  };
}
