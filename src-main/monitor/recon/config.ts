// What a monitor worker needs to know to turn raw DATE events into physics: sent once per run. Plain arrays
// only (structured-clone safe); the worker turns them into typed arrays once.
import type { AxisSpec } from '../../shared/histogram';
import type { ScanSelection } from '../../shared/scan-record';

/**
 * The SRD cut that tags an electron: enough modules inside the per-module energy window (MeV) whose pulse
 * peaks in time, within [peakFromNs, peakToNs] of the readout's first sample. The time window is what keeps
 * the synchrotron light of a pile-up electron that came tens of ns before or after a hadron from tagging it.
 */
export interface SrdCut {
  moduleMinMeV: number;
  moduleMaxMeV: number;
  minModules: number;
  peakFromNs: number;
  peakToNs: number;
}

/**
 * The CEDAR's kaon tag (hadron beams): at least `minSectors` of its PMT sectors with an in-time pulse (in the SRD
 * cut's time window: both are read by the MSADC with the trigger) above `sectorAbovePe` photoelectrons.
 */
export interface CedarCut {
  minSectors: number;
  sectorAbovePe: number;
  /**
   * The delayed coincidence: the same tag in a window this many ns after the in-time one, where only a pile-up
   * kaon can light the sectors. Its count is the accidental tags' (a pile-up kaon in time with a pion), which
   * the kaons on target subtract.
   */
  delayedNs: number;
}

/**
 * The signal region. Lepton beams, missing energy: an SRD-tagged electron that left less than `ecalBelowGeV`
 * in the ECAL, with quiet VETO and HCAL (A′ → invisible). Hadron beams, disappearance: a beam particle that is
 * not an electron and left less than `totalBelowGeV` in ECAL and HCAL together with a quiet VETO (the
 * charge-exchange M⁰ → invisible: the beam's energy vanishes). Visible mode (a WCAL dump), A′ → e⁺e⁻ after the
 * dump: an SRD-tagged electron that left less than `wcalBelowGeV` in the WCAL, the veto after the dump and the
 * HCAL quiet, more than `ecalAboveGeV` in the ECAL downstream and E_WCAL + E_ECAL within `sumWindowGeV` of the beam energy.
 */
export type SignalBox =
  | { mode: 'missing-energy'; ecalBelowGeV: number }
  | MissingMomentumBox
  | { mode: 'disappearance'; totalBelowGeV: number }
  | { mode: 'visible-decay'; wcalBelowGeV: number; ecalAboveGeV: number; sumWindowGeV: number };

/**
 * Muon beams (NA64μ), missing momentum and energy: a beam muon of the nominal momentum (both spectrometers
 * measured it unambiguously) that comes out of the target with less than `scatteredBelowGeV`, identified as
 * a muon by a MIP in every HCAL module (between `muonModuleGeV` and `hcalModuleBelowGeV`), with nothing but
 * its own ionisation in the ECAL and the VHCAL: the Z_μ → invisible signature.
 */
export type MissingMomentumBox = {
  mode: 'missing-momentum';
  beamFromGeV: number;
  beamToGeV: number;
  scatteredBelowGeV: number;
  ecalBelowGeV: number;
  vhcalBelowGeV: number;
  hcalModuleBelowGeV: number;
};

/** Event selections, all configurable per setup (src-main/setup/monitoring.ts has the defaults and why). */
export interface PhysicsCuts {
  beamEnergyGeV: number;
  srd: SrdCut;
  /** A calorimeter electron: E_ECAL above this fraction of the beam energy with a quiet HCAL. */
  electronEcalFraction: number;
  /** HCAL below this (GeV) is quiet: no hadron, no muon. */
  hcalQuietGeV: number;
  /** A calorimeter hadron: HCAL above this (GeV) and not a muon. */
  hadronHcalGeV: number;
  /**
   * A muon: every HCAL module above `muonModuleGeV`, and the ECAL below `muonEcalMaxGeV` or every module below
   * `muonModuleMaxGeV` (a muon that showered a hard photon in the ECAL is still a MIP in the HCAL).
   */
  muonEcalMaxGeV: number;
  muonModuleGeV: number;
  muonModuleMaxGeV: number;
  /** The signal region (blinded), by the setup's beam. */
  signal: SignalBox;
  /** VETO (sum of its PMTs, GeV) below this is quiet. */
  vetoQuietGeV: number;
  /** The veto counter after a WCAL dump (visible mode) below this (GeV) is quiet: half its MIP. */
  dumpVetoQuietGeV: number;
}

export interface MonitorLayout {
  /** ECAL cells of the preshower (section 0) and main section, and each ECAL cell's tower (x, y). */
  ecalPreshower: number[];
  ecalMain: number[];
  ecalNx: number;
  ecalNy: number;
  ecalPitchMm: number;
  /** tower of every cell (x·ny + y) for ECAL cells, −1 for the others. */
  ecalTower: number[];
  /** HCAL cells per module (empty when the setup has no HCAL). */
  hcalModules: number[][];
  veto: number[];
  /** WCAL dump (visible mode): its pre-shower and main part, summed as E_WCAL; the veto counters after it. Empty without a WCAL. */
  wcal: number[];
  dumpVeto: number[];
  srd: number[];
  /** VHCAL cells (empty without one). */
  vhcal: number[];
  /** The CEDAR's PMT sectors (hadron beams; empty without a CEDAR). */
  cedar: number[];
  counters: number[];
  /**
   * The magnetic spectrometers (setup-schema.ts): the momentum from the change of slope between the first
   * two and the last two stations (indices `first` … `first + 3` in the tracker data), over the magnet's
   * ∫B dl. Empty without a tracker.
   */
  spectrometers: { measures: 'beam' | 'scattered'; fieldTm: number; zMm: number[]; first: number }[];
  /** Display names of every cell (histogram bin labels, DQ reasons). */
  names: string[];
  /** Detector family of every cell (ECAL, HCAL, SRD, VETO, counters …). */
  detectors: string[];
}

export interface MonitorCalibration {
  /** The calibration set's version, recorded with every spill. */
  version: string;
  /** GeV per ADC count of amplitude, per cell. */
  gevPerAdc: number[];
  /**
   * LED-based gain correction, per cell: multiplied into the calibration (1 = none). The LED tracking
   * (calibration workflow) sets it between spills.
   */
  ledCorrection: number[];
}

export interface MonitorAxes {
  ecalEnergy: AxisSpec;
  ecalPreshower: AxisSpec;
  hcalEnergy: AxisSpec;
  wcalEnergy: AxisSpec;
  momentum: AxisSpec;
  shower: AxisSpec;
  srdMeV: AxisSpec;
  vetoMeV: AxisSpec;
  counterAdc: AxisSpec;
  pedestalAdc: AxisSpec;
  peakTimeNs: AxisSpec;
}

export interface MonitorConfig {
  /** Readout cells of the setup (the order of every per-cell array). */
  cells: number;
  /** MSADC address → cell: `addressToCell[(sourceId·8 + port)·64 + channel]`, −1 where nothing is mapped. */
  addressToCell: Int16Array;
  /** Cells summed into the ECAL energy (preshower and main). */
  ecalCells: number[];
  /** Calibration: GeV per ADC count of amplitude, per cell (the active set's, see `calibration`). */
  gevPerAdc: number[];
  calibration: MonitorCalibration;
  /** A beam scan in progress: which events to record for the ECAL calibration (null: none). */
  scan?: ScanSelection | null;
  /**
   * Blinding: besides the signal box, one event in `oneIn` outside it, picked by a keyed hash of its energies
   * (`salt`, from the data directory's blinding key), is sealed too. The histograms then miss the box's events
   * and a sample nobody can reproduce, so the box's count cannot be had by subtracting their entries from the
   * events the DAQ counted. Absent: only the box is sealed (LED runs, tests of the reconstruction).
   */
  hiddenSample?: { salt: number; oneIn: number } | null;
  /**
   * Tracker clusters: how many stations the setup has, and the in-time window (ns from the readout start)
   * a cluster of the triggering particle falls in; clusters outside it are other particles'.
   */
  tracker: { stations: number; inTimeFromNs: number; inTimeToNs: number };
  /** Samples at the start of the window that give the pedestal (na64sw: the first 4); even. */
  pedestalSamples: number;
  /** Samples [from, to) summed for the amplitude, and the sum a pulse of amplitude 1 gives over them; even bounds. */
  window: { from: number; to: number; pulseArea: number };
  /**
   * The triggering particle's pulses peak within [fromNs, toNs] of the readout's first sample, in every
   * calorimeter and counter cell: a cell whose pulses all peak elsewhere holds only pile-up and reads zero, and
   * a cell with an in-time pulse beside out-of-time ones reads the in-time one alone (event-decoder.ts).
   */
  inTime: { fromNs: number; toNs: number };
  /** Cells below this amplitude (ADC, after pedestal subtraction) do not count in the sums; null sums every cell. */
  zeroSuppressionAdc: number | null;
  /** A cell with an amplitude above this (ADC) is a hit: occupancy, peak time, per-cell energy. */
  hitThresholdAdc: number;
  layout: MonitorLayout;
  cuts: PhysicsCuts;
  /**
   * The CEDAR's kaon tag: not a cut of the selection (no signal efficiency depends on it), the beam particle's
   * identity that counts the kaons on target.
   */
  kaonTag: CedarCut;
  histograms: MonitorAxes;
}
