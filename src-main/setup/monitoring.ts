// What the monitor workers need for a setup: where each cell is read out, the detector layout, the event
// selections and the histogram axes. Every selection number is a named default here with its reasoning;
// a setup file may override the SRD cut, the signal-region ECAL cut and the EOT goal (`monitor` block).
import { addressIndex } from '../../drivers/na64-daq/format/channel-map';
import { pulseArea } from '../../setups/nominal';
import type { MonitorCalibration, MonitorConfig, PhysicsCuts } from '../monitor/recon/config';
import type { Setup } from '../../setups/load';

/**
 * The total ECAL energy sums every cell: pedestal-subtracted noise averages to zero, whereas a per-cell
 * threshold drops the shower halo and biases the sum low (≈2 % at 5σ) until a beam calibration
 * (E_beam / peak) absorbs it.
 */
const ZERO_SUPPRESSION_ADC = null;
/** Amplitude from the MSADC samples: pedestal from the first 4 (as na64sw), pulse summed over samples 6–31. */
const PEDESTAL_SAMPLES = 4;
const WINDOW = { from: 6, to: 32 };
/**
 * In time in every calorimeter and counter cell: the pulse peaking 125–165 ns into the readout. The design's
 * 100 ns start + 35 ns to the peak + up to one 12.5 ns sample of trigger phase is 135–147.5 ns; the margins take
 * the cables' few ns and a small pulse's peak-time spread (±5 ns at 20 ADC). A pile-up particle comes at any
 * time within 500 ns, so ≈ 8 % of them fall inside and are not told from the triggering one (as at NA64).
 */
const IN_TIME_NS = { fromNs: 125, toNs: 165 };
/** A hit: 10 ADC of amplitude is ≈ 10 σ of the amplitude noise (σ ≈ 1 ADC from 2 ADC per sample). */
export const HIT_THRESHOLD_ADC = 10;

/**
 * SRD cut of a setup that states none, which the schema allows only for a setup without an SRD (where it
 * tags nothing). Each setup with an SRD states its own in its file: at 100 GeV each module in (7, 80) MeV
 * for ≥ 2 of 3 modules (NA64's 2022 cuts; 7 MeV is near the 6.6 MeV NA64 used in its unshielded runs, the
 * 2022 lower edge is not published), the window scaling with the SR energy, ∝ E², at other beam energies;
 * the pulse peaking within 125–160 ns: 100 ns pulse start + 35 ns to the peak + up to one 12.5 ns sample of
 * trigger phase (135–147.5 ns), ± ≈ 10 ns because a pile-up pulse's tail or rise under the in-time pulse
 * shifts its peak (at 5·10⁶ particles a spill ± 5 ns would lose ≈ 0.6 % more electrons); each ns of window
 * lets through ≈ 2·10⁻³ of the pile-up electrons, which come at any time within 500 ns. visible-e (150 GeV, two
 * modules) takes (16, 180) MeV in one module: a pile-up electron lights both modules alike, so asking for
 * the second adds no rejection, only electron loss; hadron (50 GeV) takes (1.75, 20) MeV, ≥ 2 of 3.
 */
export const DEFAULT_SRD_CUT = { moduleMinMeV: 7, moduleMaxMeV: 80, minModules: 2, peakFromNs: 125, peakToNs: 160 };
/**
 * The CEDAR's kaon tag, a named simplification (the reference gives no CEDAR numbers): a K⁻ lights ≥ 6 of the
 * 8 sectors at the kaon pressure; a sector counts above half a photoelectron (≈ 20 ADC at its working point,
 * 10 σ of the noise). A pion reaches 6 sectors only by stray light or a pile-up kaon in the in-time window
 * (≈ 0.7 % of the kaon count at 5·10⁶ particles a spill), which the delayed coincidence 100 ns later counts:
 * the in-time pulse has fallen to a fifth there and falls too steeply for a noise wiggle to be a peak, and
 * the window still ends inside the 400 ns readout.
 */
export const CEDAR_CUT = { minSectors: 6, sectorAbovePe: 0.5, delayedNs: 100 };
/**
 * Missing-energy signal region: E_ECAL below half the beam energy (NA64: 50 GeV at 100 GeV, 2016–2022; 40 GeV
 * from 2023 with the VHCAL). A fixed 50 GeV would be the whole peak of a 50 GeV beam.
 */
export const SIGNAL_ECAL_FRACTION = 0.5;
/**
 * Disappearance (hadron beams): E_ECAL + E_HCAL below 10 % of the beam energy. A charge exchange π⁻p → M⁰n
 * with M⁰ → invisible leaves the incoming track's ionisation and the neutron's few hundred MeV; a hadron that
 * interacts visibly leaves most of its energy in ECAL and HCAL (30 λ), one that does not crosses both as a MIP
 * (≈ 11 GeV, 22 % of 50 GeV). A named default: NA64h's own cut is not in the reference.
 */
export const SIGNAL_TOTAL_FRACTION = 0.1;

/** What a setup counts on target: its beam particle, the analysis' tag of it, and the programme's goal (Table 1). */
export interface Counting {
  unit: 'EOT' | 'MOT' | 'POT' | 'KOT';
  /** The beam-trigger tag that counts (src-main/dq/eot.ts: from beamElectrons, beamMuons, beamHadrons and the CEDAR's beamKaons). */
  tag: 'electron' | 'muon' | 'pion' | 'kaon';
  words: string;
  goal: number;
}

/**
 * The programme's exposure goals (reference/na64-program.md, Table 1): 5×10¹² EOT for the e⁻ programme;
 * 10¹¹ MOT, where the μ programme reaches g_μ ≲ 10⁻⁴ ((g−2)_μ; its full range goes to 5×10¹³); 5×10¹² π on target
 * (the hadrons the CEDAR does not tag as kaons) and, beside them, 5×10¹¹ K on target (`kaonCounting`).
 */
const COUNTING: Record<Setup['beam']['particle'], Counting> = {
  'e-': { unit: 'EOT', tag: 'electron', words: 'Electrons on target', goal: 5e12 },
  'e+': { unit: 'EOT', tag: 'electron', words: 'Positrons on target', goal: 5e12 },
  'mu-': { unit: 'MOT', tag: 'muon', words: 'Muons on target', goal: 1e11 },
  'mu+': { unit: 'MOT', tag: 'muon', words: 'Muons on target', goal: 1e11 },
  'pi-': { unit: 'POT', tag: 'pion', words: 'Pions on target', goal: 5e12 },
};
const KOT: Counting = { unit: 'KOT', tag: 'kaon', words: 'Kaons on target', goal: 5e11 };

export function counting(setup: Pick<Setup, 'beam' | 'monitor'>): Counting {
  const c = COUNTING[setup.beam.particle];
  return { ...c, goal: setup.monitor.eotGoal ?? c.goal };
}

/** A hadron beam with a CEDAR also counts its kaons on target (KOT), beside the pions; null otherwise. */
export function kaonCounting(setup: Pick<Setup, 'beam' | 'detectors'>): Counting | null {
  return setup.beam.particle === 'pi-' && setup.detectors.cedar ? { ...KOT } : null;
}
/** A calorimeter electron deposits > 70 % of the beam energy in the ECAL (σ/E ≈ 1 % at 100 GeV). */
const ELECTRON_ECAL_FRACTION = 0.7;
/**
 * Quiet HCAL: E_HCAL < 1 GeV, NA64's cut. The unsuppressed sum of its 36 cells has a noise σ ≈ 0.21 GeV
 * (≈ 1.3 ADC of amplitude noise per cell at 35 ADC/GeV; NA64 measures ≈ 0.2 GeV), so 1 GeV keeps > 99.9 % of
 * electrons (measured on the twin: the 99.9th percentile of an electron's E_HCAL is 0.73 GeV); a muon leaves
 * ≈ 11 GeV, a hadron tens.
 */
const HCAL_QUIET_GEV = 1;
/** A hadron leaves > 5 GeV in the HCAL (a 100 GeV hadron leaves tens of GeV; a muon ≈ 2.7 GeV per module). */
const HADRON_HCAL_GEV = 5;
/**
 * A muon: ≥ 1 GeV (≈ 0.4 MIP) in every HCAL module, and a MIP in the ECAL (≈ 0.4 GeV, < 2 GeV) or, for one that
 * lost a hard photon to the ECAL (a few 10⁻³ of them, which shower there), no more than a MIP's Landau tail in
 * any HCAL module (< 6 GeV, ≈ 99.5 % of them; a hadron that interacts leaves tens of GeV in the first).
 */
const MUON_ECAL_MAX_GEV = 2;
const MUON_MODULE_GEV = 1;
const MUON_MODULE_MAX_GEV = 6;
/** Quiet VETO: every module below half a MIP (≈ 8 MeV a module, as √(a₁a₂) of its two PMTs). */
const VETO_QUIET_GEV = 0.004;

/**
 * Visible mode (A′ → e⁺e⁻ after a WCAL dump), named defaults: the dump kept less than 70 % of the beam energy,
 * the decay's e⁺e⁻ brought more than 10 % to the ECAL, and the two add up to the beam energy within ±10 %
 * (≈ 7 σ of the calorimeters' resolution at 150 GeV, room for the dump's leakage). NA64's own numbers for these
 * cuts are not in the reference.
 */
export const VISIBLE_CUTS = { wcalBelow: 0.7, ecalAbove: 0.1, sumWindow: 0.1 } as const;

/**
 * NA64μ's missing-momentum box, named defaults: the beam muon within ±12.5 % of the nominal momentum (the M2
 * beam's spread is a few %, so this keeps nearly all and drops mis-measured tracks), the scattered muon below
 * half of it (NA64μ: p < 80 GeV at 160 GeV); the ECAL and the VHCAL with no more than a muon's ionisation
 * (MIP ≈ 0.4 GeV in the ECAL, ≈ 0.3 GeV in the VHCAL), each HCAL module a MIP (≈ 2.7 GeV; below 6 GeV keeps
 * ≈ 99.5 % of a Landau's tail per module).
 */
export const MUON_BOX = { beamWindow: 0.125, scatteredBelow: 0.5, vhcalBelowGeV: 1, hcalModuleBelowGeV: MUON_MODULE_MAX_GEV } as const;
/**
 * A tracker cluster is the triggering particle's within 80–135 ns of the readout start: its pulses start at
 * 100 ns plus up to one 12.5 ns sample of trigger phase, ± 4σ of a Micromegas' 5 ns (at ± 3σ one event in 40
 * lost a cluster of its eight). Pile-up particles come at any time within −200 … +300 ns.
 */
const TRACKER_IN_TIME_NS = { from: 80, to: 135 };

/** The veto counters after a WCAL dump (visible mode): what leaks charged out of the dump. */
function dumpVetoCells(setup: Setup): number[] {
  const wcal = setup.detectors.wcal;
  if (!wcal) return [];
  const names = new Set<string>(setup.detectors.counters.filter((c) => c.veto && c.zMm > wcal.zMm).map((c) => c.name));
  return setup.cells.filter((c) => names.has(c.name)).map((c) => c.index);
}

function signalBox(setup: Setup): PhysicsCuts['signal'] {
  const e0 = setup.beam.energyGeV;
  if (setup.beam.particle === 'pi-') return { mode: 'disappearance', totalBelowGeV: SIGNAL_TOTAL_FRACTION * e0 };
  if (setup.beam.particle.startsWith('mu') && setup.detectors.spectrometers.length === 2) {
    return {
      mode: 'missing-momentum',
      beamFromGeV: (1 - MUON_BOX.beamWindow) * e0,
      beamToGeV: (1 + MUON_BOX.beamWindow) * e0,
      scatteredBelowGeV: MUON_BOX.scatteredBelow * e0,
      ecalBelowGeV: MUON_ECAL_MAX_GEV,
      vhcalBelowGeV: MUON_BOX.vhcalBelowGeV,
      hcalModuleBelowGeV: MUON_BOX.hcalModuleBelowGeV,
    };
  }
  if (setup.detectors.wcal) return { mode: 'visible-decay', wcalBelowGeV: VISIBLE_CUTS.wcalBelow * e0, ecalAboveGeV: VISIBLE_CUTS.ecalAbove * e0, sumWindowGeV: VISIBLE_CUTS.sumWindow * e0 };
  return { mode: 'missing-energy', ecalBelowGeV: setup.monitor.signalEcalBelowGeV ?? SIGNAL_ECAL_FRACTION * e0 };
}

export function physicsCuts(setup: Setup): PhysicsCuts {
  return {
    beamEnergyGeV: setup.beam.energyGeV,
    srd: setup.monitor.srdCut ?? DEFAULT_SRD_CUT,
    electronEcalFraction: ELECTRON_ECAL_FRACTION,
    hcalQuietGeV: HCAL_QUIET_GEV,
    hadronHcalGeV: HADRON_HCAL_GEV,
    muonEcalMaxGeV: MUON_ECAL_MAX_GEV,
    muonModuleGeV: MUON_MODULE_GEV,
    muonModuleMaxGeV: MUON_MODULE_MAX_GEV,
    signal: signalBox(setup),
    vetoQuietGeV: VETO_QUIET_GEV,
    dumpVetoQuietGeV: 0.5e-3 * Math.min(...setup.detectors.counters.filter((c) => c.veto).map((c) => c.mipMeV), 10),
  };
}

export function eotGoal(setup: Setup): number {
  return counting(setup).goal;
}

/** The nominal scale (setups/nominal.ts: ADC per GeV at the HV map's working point): the seed of each setup's first calibration set. */
export function nominalCalibration(setup: Setup): MonitorCalibration {
  return { version: 'nominal', gevPerAdc: setup.cells.map((c) => 1 / c.adcPerGeV), ledCorrection: setup.cells.map(() => 1) };
}

export function monitorConfigFor(setup: Setup, calibration: MonitorCalibration = nominalCalibration(setup)): MonitorConfig {
  const cellIndex = new Map(setup.cells.map((c) => [c.name, c.index]));
  const addressToCell = addressIndex(setup.channelMap);
  for (let i = 0; i < addressToCell.length; i++) if (addressToCell[i]! >= 0) addressToCell[i] = cellIndex.get(setup.channelMap[addressToCell[i]!]!.cell)!;
  const max = setup.monitor.ecalEnergyMaxGeV;
  // 0.5 GeV bins where the range allows, at most 1000 bins.
  const nbins = Math.min(1000, Math.max(50, Math.round(2 * max)));
  const e0 = setup.beam.energyGeV;
  const ecal = setup.detectors.ecal;
  const of = (kind: string) => setup.cells.filter((c) => c.kind === kind).map((c) => c.index);
  const hcalModules: number[][] = [];
  for (const c of setup.cells) if (c.kind === 'hcal') (hcalModules[c.part] ??= []).push(c.index);
  const halfMm = (Math.max(ecal.nx, ecal.ny) / 2) * ecal.pitchMm;
  let first = 0;
  const spectrometers = setup.detectors.spectrometers.map((s) => {
    const out = { measures: s.measures, fieldTm: s.fieldTm, zMm: s.stations.map((st) => st.zMm), first };
    first += s.stations.length;
    return out;
  });
  return {
    cells: setup.cells.length,
    addressToCell,
    ecalCells: of('ecal'),
    gevPerAdc: calibration.gevPerAdc,
    calibration,
    tracker: { stations: first, inTimeFromNs: TRACKER_IN_TIME_NS.from, inTimeToNs: TRACKER_IN_TIME_NS.to },
    pedestalSamples: PEDESTAL_SAMPLES,
    window: { ...WINDOW, pulseArea: pulseArea(WINDOW.from, WINDOW.to) },
    inTime: IN_TIME_NS,
    zeroSuppressionAdc: ZERO_SUPPRESSION_ADC,
    hitThresholdAdc: HIT_THRESHOLD_ADC,
    layout: {
      ecalPreshower: setup.cells.filter((c) => c.kind === 'ecal' && c.part === 0).map((c) => c.index),
      ecalMain: setup.cells.filter((c) => c.kind === 'ecal' && c.part === 1).map((c) => c.index),
      ecalNx: ecal.nx,
      ecalNy: ecal.ny,
      ecalPitchMm: ecal.pitchMm,
      ecalTower: setup.cells.map((c) => (c.kind === 'ecal' ? c.x * ecal.ny + c.y : -1)),
      hcalModules: hcalModules.filter(Boolean),
      veto: of('veto'),
      wcal: setup.cells.filter((c) => c.kind === 'wcal' && c.part < 2).map((c) => c.index),
      dumpVeto: dumpVetoCells(setup),
      srd: of('srd'),
      vhcal: of('vhcal'),
      cedar: of('cedar'),
      counters: of('counter'),
      spectrometers,
      names: setup.cells.map((c) => c.name),
      detectors: setup.cells.map((c) => (c.kind === 'counter' ? 'Counters' : c.detector)),
    },
    cuts: physicsCuts(setup),
    kaonTag: { ...CEDAR_CUT },
    histograms: {
      ecalEnergy: { nbins, min: 0, max, title: 'E_{ECAL} [GeV]' },
      ecalPreshower: { nbins: 150, min: 0, max: Math.max(1, 0.15 * max), title: 'E_{PS} [GeV]' },
      hcalEnergy: { nbins: 150, min: 0, max: setup.monitor.hcalEnergyMaxGeV ?? 1.2 * e0, title: 'E_{HCAL} [GeV]' },
      wcalEnergy: { nbins: 150, min: 0, max: 1.2 * e0, title: 'E_{WCAL} [GeV]' },
      momentum: { nbins: 150, min: 0, max: 1.5 * e0, title: 'p [GeV]' },
      shower: { nbins: 120, min: -halfMm, max: halfMm, title: 'mm' },
      srdMeV: { nbins: 125, min: 0, max: 250, title: 'E_{SRD} [MeV]' },
      vetoMeV: { nbins: 100, min: 0, max: 100, title: 'E_{VETO} [MeV]' },
      counterAdc: { nbins: 128, min: 0, max: 4096, title: 'amplitude [ADC]' },
      pedestalAdc: { nbins: 200, min: 0, max: 400, title: 'pedestal [ADC]' },
      peakTimeNs: { nbins: 64, min: 0, max: 400, title: 'peak time [ns]' },
    },
  };
}
