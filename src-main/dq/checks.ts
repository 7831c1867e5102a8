// Data-quality checks of one spill, in the style of CMS DQM and ALICE QC: each check compares a histogram or
// figure with a reference (or, for channel checks without a reference, with the run's typical spill), has a
// minimum-entries guard, and gives Good / Medium / Bad / Null with a reason a shifter can act on. Verdicts
// roll up worst-of per detector and per spill. Pure functions: the thresholds are the named defaults below.
import type { SpillDq, Verdict } from '../shared/api/schemas';
import type { Hist1DSnapshot, Hist2DSnapshot, HistSnapshot } from '../shared/histogram';
import type { SpillFigures } from '../monitor/recon/figures';

/** Fewer entries than this in either histogram: the shape tests say Null (not enough to judge). */
export const MIN_ENTRIES = 200;
/** χ²/ndf of the shape against the reference: Good below 3, Medium below 10, Bad above (normalised shapes). */
export const CHI2_NDF = { medium: 3, bad: 10 };
/** Kolmogorov distance (largest gap between the cumulative shapes): Good below 0.05, Medium below 0.1. */
export const KS_DISTANCE = { medium: 0.05, bad: 0.1 };
/** Beam energy from ECAL electrons: within 3 % of the setup's beam energy Good, 6 % Medium. */
export const BEAM_ENERGY_TOLERANCE = { medium: 0.03, bad: 0.06 };
/** Beam momentum peak (muon beams' spectrometer) within 2 % of the setup's beam momentum Good, 5 % Medium. */
export const BEAM_MOMENTUM_TOLERANCE = { medium: 0.02, bad: 0.05 };
/** The peak's width for the momentum fit: the M2 beam's ≈ 3 % spread with the spectrometer's ≈ 1 %. */
const MOMENTUM_PEAK_WIDTH = 0.035;
/** A muon's MIP peak per HCAL module against the reference: 5 % off Medium, 10 % Bad (HV, gain or calibration). */
export const MIP_PEAK_SHIFT = { medium: 0.05, bad: 0.1 };
/** Muons needed in a module for its MIP peak. */
export const MIN_MIPS = 200;
/**
 * A hadron beam's HCAL peak: the pions that crossed the ECAL as a MIP (E_ECAL below 2 GeV, ≈ 1 000 of them a
 * spill at 50 GeV) shower in the HCAL alone; their peak (≈ 47.6 GeV on the twin, spill to spill within
 * 0.2 %) against the reference's: 5 % off Medium, 10 % Bad (the HCAL's HV, gain, calibration or a dead cell
 * under the beam). The peak is fitted with a hadron resolution of 60 %/√E ⊕ 5 % (a named default: the
 * reference gives no HCAL resolution).
 */
export const HADRON_PEAK_SHIFT = { medium: 0.05, bad: 0.1 };
export const HADRON_ECAL_MIP_BELOW_GEV = 2;
export const MIN_HADRONS = 200;
const hadronSigma = (c: number) => c * Math.hypot(0.6 / Math.sqrt(Math.max(c, 1)), 0.05);
/** Electrons needed for the beam-energy and SRD-efficiency checks. */
export const MIN_ELECTRONS = 100;
/** Shower centre (mean X, Y) away from the reference by more than 10 mm Medium, 20 mm (half a cell) Bad. */
export const SHOWER_SHIFT_MM = { medium: 10, bad: 20 };
/** Dead: a channel expected to have ≥ 25 hits in the spill has fewer than 10 % of them. */
export const DEAD_MIN_EXPECTED = 25;
export const DEAD_FRACTION = 0.1;
/** Hot: a channel with a hit in more than half of the events and more than 3× (and 5 σ above) what is expected. */
export const HOT_OCCUPANCY = 0.5;
export const HOT_FACTOR = 3;
/** Noisy: the robust spread of a channel's pedestal above 4 ADC (≈ 1 ADC for the nominal 2 ADC noise over 4 samples). */
export const NOISY_RMS_ADC = 4;
/** Pedestal drift against the reference: 3 ADC Medium, 10 ADC Bad; a channel needs 50 pedestals. */
export const PEDESTAL_DRIFT_ADC = { medium: 3, bad: 10 };
export const MIN_PEDESTALS = 50;
/** Triggers per beam particle against the reference: off by 20 % Medium, 50 % Bad. */
export const RATE_TOLERANCE = { medium: 0.2, bad: 0.5 };
/** SRD cut efficiency on calorimeter electrons: Good from 90 %, Medium from 80 %. */
export const SRD_EFFICIENCY = { medium: 0.9, bad: 0.8 };
/** Beam purity (electron share of beam triggers) below the reference's by 2 % Medium, 5 % Bad (absolute). */
export const PURITY_DROP = { medium: 0.02, bad: 0.05 };

export interface DqCheck {
  id: string;
  detector: string;
  histogram: string | null;
  verdict: Verdict;
  value: number | null;
  reason: string;
  /** Channels named by the check (dead, hot, noisy, drifting). */
  channels?: string[];
  /** Channel checks: the channels found dead, hot and noisy. */
  problems?: { dead: string[]; hot: string[]; noisy: string[] };
}

/** What a reference (a promoted spill) remembers besides its histograms. */
export interface ReferenceFigures {
  events: number;
  triggersPerParticle: number | null;
  purity: number | null;
}

/** One earlier spill of the run as the channel checks remember it: hits per channel, and the channels it flagged. */
export interface SpillOccupancy {
  /** Hits of channel c at index c (the order of `names`). */
  counts: readonly number[];
  events: number;
  /** Channels this spill found dead, hot or noisy. */
  flagged: ReadonlySet<string>;
}

export interface CheckInput {
  histograms: ReadonlyMap<string, HistSnapshot>;
  figures: SpillFigures;
  intensity: number;
  eventsSeen: number;
  beamEnergyGeV: number;
  /**
   * Where the beam's electrons leave their full energy: the ECAL (invisible mode), the WCAL dump (visible
   * mode), or nowhere to check (a muon or π⁻ beam: no electron peak to measure the energy scale with).
   */
  electronPeakIn?: 'ecal_energy' | 'wcal_energy' | null;
  /** A muon beam: the spectrometer's beam momentum peak and the muons' MIP peak in every HCAL module are checked. */
  muonBeam?: boolean;
  /** A hadron beam: the HCAL's hadron-shower peak of the pions that crossed the ECAL as a MIP is checked against the reference. */
  hadronBeam?: boolean;
  names: readonly string[];
  detectors: readonly string[];
  reference: { version: number; histograms: ReadonlyMap<string, HistSnapshot>; figures: ReferenceFigures } | null;
  /**
   * The run so far (before this spill): its histograms and events (the pedestal expectation when there is no
   * reference) and its recent spills one by one (the occupancy expectation when there is no reference).
   */
  previous: { histograms: ReadonlyMap<string, HistSnapshot>; events: number; spills: readonly SpillOccupancy[] } | null;
}

const RANK: Record<Verdict, number> = { null: 0, good: 1, medium: 2, bad: 3 };

export function worst(verdicts: Iterable<Verdict>): Verdict {
  let w: Verdict = 'null';
  for (const v of verdicts) if (RANK[v] > RANK[w]) w = v;
  return w;
}

function grade(value: number, limits: { medium: number; bad: number }): Verdict {
  return value < limits.medium ? 'good' : value < limits.bad ? 'medium' : 'bad';
}

/** In-range bin contents of a 1D histogram. */
function bins(h: Hist1DSnapshot): number[] {
  return h.contents.slice(1, h.x.nbins + 1);
}

/** ROOT's Chi2Test for two unweighted histograms of different normalisation ("UU"): χ² and ndf. */
export function chi2Test(a: readonly number[], b: readonly number[]): { chi2: number; ndf: number } {
  const na = a.reduce((s, x) => s + x, 0);
  const nb = b.reduce((s, x) => s + x, 0);
  let chi2 = 0;
  let used = 0;
  for (let i = 0; i < a.length; i++) {
    const sum = a[i]! + b[i]!;
    if (sum <= 0) continue;
    const d = nb * a[i]! - na * b[i]!;
    chi2 += (d * d) / (na * nb * sum);
    used++;
  }
  return { chi2, ndf: Math.max(1, used - 1) };
}

/** Kolmogorov test on binned shapes: the largest gap of the normalised cumulative sums and its probability. */
export function kolmogorovTest(a: readonly number[], b: readonly number[]): { distance: number; probability: number } {
  const na = a.reduce((s, x) => s + x, 0);
  const nb = b.reduce((s, x) => s + x, 0);
  let ca = 0;
  let cb = 0;
  let distance = 0;
  for (let i = 0; i < a.length; i++) {
    ca += a[i]! / na;
    cb += b[i]! / nb;
    distance = Math.max(distance, Math.abs(ca - cb));
  }
  return { distance, probability: kolmogorovProbability(distance * Math.sqrt((na * nb) / (na + nb))) };
}

/** TMath::KolmogorovProb: P(K > z) = 2 Σ (−1)^(k−1) e^(−2k²z²). */
export function kolmogorovProbability(z: number): number {
  if (z < 0.2) return 1;
  let p = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * z * z);
    p += (k % 2 ? 2 : -2) * term;
    if (term < 1e-12) break;
  }
  return Math.max(0, Math.min(1, p));
}

function as1d(h: HistSnapshot | undefined): Hist1DSnapshot | null {
  return h?.kind === 'TH1D' ? h : null;
}
function as2d(h: HistSnapshot | undefined): Hist2DSnapshot | null {
  return h?.kind === 'TH2D' ? h : null;
}

function shapeChecks(name: string, detector: string, input: CheckInput): DqCheck[] {
  const h = as1d(input.histograms.get(name));
  const ref = as1d(input.reference?.histograms.get(name));
  const base = { detector, histogram: name };
  if (!h) return [];
  if (!ref) return [{ ...base, id: `${name}.shape`, verdict: 'null', value: null, reason: `${name}: no reference for this setup (promote a good spill)` }];
  const entries = h.contents.slice(1, h.x.nbins + 1).reduce((s, x) => s + x, 0);
  const refEntries = ref.contents.slice(1, ref.x.nbins + 1).reduce((s, x) => s + x, 0);
  if (entries < MIN_ENTRIES || refEntries < MIN_ENTRIES) {
    return [{ ...base, id: `${name}.shape`, verdict: 'null', value: entries, reason: `${name}: ${entries} entries, fewer than the ${MIN_ENTRIES} needed to judge the shape` }];
  }
  if (ref.x.nbins !== h.x.nbins || ref.x.min !== h.x.min || ref.x.max !== h.x.max) {
    return [{ ...base, id: `${name}.shape`, verdict: 'null', value: null, reason: `${name}: the reference has other bins; promote a spill of this setup again` }];
  }
  const { chi2, ndf } = chi2Test(bins(h), bins(ref));
  const ks = kolmogorovTest(bins(h), bins(ref));
  const perNdf = chi2 / ndf;
  const chiVerdict = grade(perNdf, CHI2_NDF);
  const ksVerdict = grade(ks.distance, KS_DISTANCE);
  return [
    {
      ...base,
      id: `${name}.chi2`,
      verdict: chiVerdict,
      value: perNdf,
      reason: `${name}: χ²/ndf = ${perNdf.toFixed(2)} against reference v${input.reference!.version}${chiVerdict === 'good' ? '' : ': the shape changed'}`,
    },
    {
      ...base,
      id: `${name}.ks`,
      verdict: ksVerdict,
      value: ks.distance,
      reason: `${name}: Kolmogorov distance ${ks.distance.toFixed(3)} (p = ${ks.probability.toPrecision(2)})`,
    },
  ];
}

/**
 * The beam energy as the ECAL sees it: the electron peak of `ecal_energy` (the fullest bin above half the
 * beam energy), refined by the mean within ±3σ of the resolution around it, three times. A plain mean of
 * tagged electrons would be pulled up by pile-up (≈ 10 % of events at 5×10⁶ e⁻ per spill).
 */
export function beamPeak(
  h: Pick<Hist1DSnapshot, 'x' | 'contents'> | null,
  beamEnergyGeV: number,
  sigmaAt: (centre: number) => number = (c) => c * Math.hypot(0.1 / Math.sqrt(c), 0.01),
  searchAbove = 0.5 * beamEnergyGeV,
): { energy: number; entries: number } | null {
  if (!h) return null;
  const width = (h.x.max - h.x.min) / h.x.nbins;
  let best = -1;
  for (let bin = 1; bin <= h.x.nbins; bin++) {
    const x = h.x.min + (bin - 0.5) * width;
    if (x > searchAbove && (best < 0 || h.contents[bin]! > h.contents[best]!)) best = bin;
  }
  if (best < 0 || !(h.contents[best]! > 0)) return null;
  let centre = h.x.min + (best - 0.5) * width;
  let entries = 0;
  for (let i = 0; i < 3; i++) {
    const sigma = Math.max(2 * width, sigmaAt(centre));
    let s = 0;
    let n = 0;
    for (let bin = 1; bin <= h.x.nbins; bin++) {
      const x = h.x.min + (bin - 0.5) * width;
      if (Math.abs(x - centre) > 3 * sigma) continue;
      s += h.contents[bin]! * x;
      n += h.contents[bin]!;
    }
    if (!n) return null;
    centre = s / n;
    entries = n;
  }
  return { energy: centre, entries };
}

function beamEnergyCheck(input: CheckInput): DqCheck {
  const where = input.electronPeakIn === undefined ? 'ecal_energy' : input.electronPeakIn;
  const base = { id: 'ecal.beam-energy', detector: where === 'wcal_energy' ? 'WCAL' : 'ECAL', histogram: where };
  if (where === null) return { ...base, verdict: 'null', value: null, reason: 'no electron beam: the energy scale is not checked on an electron peak' };
  const peak = beamPeak(as1d(input.histograms.get(where)), input.beamEnergyGeV);
  if (!peak || peak.entries < MIN_ELECTRONS) {
    return { ...base, verdict: 'null', value: null, reason: `ECAL electron peak: ${peak?.entries ?? 0} entries, fewer than ${MIN_ELECTRONS} to check the energy scale` };
  }
  const off = Math.abs(peak.energy / input.beamEnergyGeV - 1);
  const verdict = grade(off, BEAM_ENERGY_TOLERANCE);
  return {
    ...base,
    verdict,
    value: peak.energy,
    reason: `electron peak in the ${base.detector} at ${peak.energy.toFixed(1)} GeV for a ${input.beamEnergyGeV} GeV beam (${(100 * off).toFixed(1)} % off)${verdict === 'good' ? '' : ': calibration, HV or beam energy changed'}`,
  };
}

/** The spectrometer's beam momentum peak against the setup's beam momentum (muon beams). */
function beamMomentumCheck(input: CheckInput): DqCheck {
  const base = { id: 'tracker.beam-momentum', detector: 'Tracker', histogram: 'beam_momentum' };
  const peak = beamPeak(as1d(input.histograms.get('beam_momentum')), input.beamEnergyGeV, (c) => MOMENTUM_PEAK_WIDTH * c);
  if (!peak || peak.entries < MIN_ENTRIES) return { ...base, verdict: 'null', value: null, reason: `beam momentum: ${peak?.entries ?? 0} measured tracks, fewer than ${MIN_ENTRIES}` };
  const off = Math.abs(peak.energy / input.beamEnergyGeV - 1);
  const verdict = grade(off, BEAM_MOMENTUM_TOLERANCE);
  return {
    ...base,
    verdict,
    value: peak.energy,
    reason: `beam momentum peak at ${peak.energy.toFixed(1)} GeV for a ${input.beamEnergyGeV} GeV beam (${(100 * off).toFixed(1)} % off)${verdict === 'good' ? '' : ': the beam line or a spectrometer magnet changed'}`,
  };
}

/**
 * The most probable energy of a muon's MIP in HCAL module `m` (the highest bin of its column above 0.5 GeV,
 * refined by a parabola through its neighbours), and the muons in its column.
 */
export function mipPeak(h: Hist2DSnapshot, m: number): { mpv: number; entries: number } | null {
  const nx = h.x.nbins + 2;
  const width = (h.y.max - h.y.min) / h.y.nbins;
  const at = (by: number) => h.contents[m + 1 + nx * by] ?? 0;
  let best = -1;
  let entries = 0;
  for (let by = 1; by <= h.y.nbins; by++) {
    if (h.y.min + (by - 0.5) * width < 0.5) continue;
    entries += at(by);
    if (best < 0 || at(by) > at(best)) best = by;
  }
  if (best < 0 || !(at(best) > 0)) return null;
  const l = at(best - 1);
  const c = at(best);
  const r = best < h.y.nbins ? at(best + 1) : 0;
  const d = l - 2 * c + r;
  const shift = d < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l - r)) / d)) : 0;
  return { mpv: h.y.min + (best - 0.5 + shift) * width, entries };
}

/** The muons' MIP peak in each HCAL module against the reference's (muon beams: the HCAL's own calibration check). */
function mipPeakChecks(input: CheckInput): DqCheck[] {
  const h = as2d(input.histograms.get('hcal_module_energy'));
  if (!h) return [];
  const ref = as2d(input.reference?.histograms.get('hcal_module_energy'));
  const out: DqCheck[] = [];
  for (let m = 0; m < h.x.nbins; m++) {
    const base = { id: `hcal.mip-peak.${m}`, detector: 'HCAL', histogram: 'hcal_module_energy' };
    const peak = mipPeak(h, m);
    if (!peak || peak.entries < MIN_MIPS) {
      out.push({ ...base, verdict: 'null', value: null, reason: `HCAL module ${m}: ${peak?.entries ?? 0} muons, fewer than ${MIN_MIPS} for its MIP peak` });
      continue;
    }
    const expected = ref ? mipPeak(ref, m) : null;
    if (!expected || expected.entries < MIN_MIPS) {
      out.push({ ...base, verdict: 'null', value: peak.mpv, reason: `HCAL module ${m}: MIP peak at ${peak.mpv.toFixed(2)} GeV; no reference to compare it with` });
      continue;
    }
    const off = Math.abs(peak.mpv / expected.mpv - 1);
    const verdict = grade(off, MIP_PEAK_SHIFT);
    out.push({
      ...base,
      verdict,
      value: peak.mpv,
      reason: `HCAL module ${m}: MIP peak at ${peak.mpv.toFixed(2)} GeV (reference ${expected.mpv.toFixed(2)} GeV, ${(100 * off).toFixed(1)} % off)${verdict === 'good' ? '' : ': HV, gain or calibration of the module changed'}`,
    });
  }
  return out;
}

/**
 * E_HCAL of the events whose E_ECAL is below `ecalBelowGeV` (the columns of E_HCAL vs E_ECAL whose upper edge
 * is, the underflow included): the HCAL's spectrum of hadrons that crossed the ECAL as a MIP.
 */
export function hcalBehindEcalMip(h: Hist2DSnapshot, ecalBelowGeV: number): Pick<Hist1DSnapshot, 'x' | 'contents'> {
  const nx = h.x.nbins + 2;
  const wx = (h.x.max - h.x.min) / h.x.nbins;
  const contents = new Array<number>(h.y.nbins + 2).fill(0);
  for (let bx = 0; bx <= h.x.nbins && h.x.min + bx * wx <= ecalBelowGeV; bx++) {
    for (let by = 0; by < h.y.nbins + 2; by++) contents[by]! += h.contents[bx + nx * by]!;
  }
  return { x: h.y, contents };
}

/**
 * A hadron beam's HCAL check: the hadron-shower peak of the pions that crossed the ECAL as a MIP against the
 * reference's. Searched above the HCAL's hadron threshold, not only near the beam energy: a dead cell under
 * the beam moves the peak to a fraction of it.
 */
function hadronPeakCheck(input: CheckInput): DqCheck {
  const base = { id: 'hcal.hadron-peak', detector: 'HCAL', histogram: 'ecal_vs_hcal' };
  const h = as2d(input.histograms.get('ecal_vs_hcal'));
  const searchAbove = 0.1 * input.beamEnergyGeV;
  const peak = h ? beamPeak(hcalBehindEcalMip(h, HADRON_ECAL_MIP_BELOW_GEV), input.beamEnergyGeV, hadronSigma, searchAbove) : null;
  if (!peak || peak.entries < MIN_HADRONS) {
    return { ...base, verdict: 'null', value: null, reason: `HCAL hadron peak: ${peak?.entries ?? 0} hadrons through the ECAL as a MIP, fewer than ${MIN_HADRONS}` };
  }
  const ref = as2d(input.reference?.histograms.get('ecal_vs_hcal'));
  const expected = ref ? beamPeak(hcalBehindEcalMip(ref, HADRON_ECAL_MIP_BELOW_GEV), input.beamEnergyGeV, hadronSigma, searchAbove) : null;
  if (!expected || expected.entries < MIN_HADRONS) {
    return { ...base, verdict: 'null', value: peak.energy, reason: `HCAL hadron peak at ${peak.energy.toFixed(1)} GeV for a ${input.beamEnergyGeV} GeV beam; no reference to compare it with` };
  }
  const off = Math.abs(peak.energy / expected.energy - 1);
  const verdict = grade(off, HADRON_PEAK_SHIFT);
  return {
    ...base,
    verdict,
    value: peak.energy,
    reason: `HCAL hadron peak at ${peak.energy.toFixed(1)} GeV (reference ${expected.energy.toFixed(1)} GeV, ${(100 * off).toFixed(1)} % off)${verdict === 'good' ? '' : ': HCAL HV, gain, calibration or a dead cell under the beam'}`,
  };
}

function showerCentreChecks(input: CheckInput): DqCheck[] {
  const out: DqCheck[] = [];
  for (const name of ['shower_x', 'shower_y']) {
    const h = as1d(input.histograms.get(name));
    if (!h) continue;
    const ref = as1d(input.reference?.histograms.get(name));
    const base = { id: `${name}.mean`, detector: 'ECAL', histogram: name };
    if (!ref || ref.stats.sumw < MIN_ENTRIES || h.stats.sumw < MIN_ENTRIES) {
      out.push({ ...base, verdict: 'null', value: null, reason: `${name}: ${ref ? 'too few entries' : 'no reference'} to check the beam position` });
      continue;
    }
    const mean = h.stats.sumwx / h.stats.sumw;
    const shift = Math.abs(mean - ref.stats.sumwx / ref.stats.sumw);
    const verdict = grade(shift, SHOWER_SHIFT_MM);
    out.push({ ...base, verdict, value: mean, reason: `${name}: mean ${mean.toFixed(1)} mm, ${shift.toFixed(1)} mm from the reference${verdict === 'good' ? '' : ': the beam moved'}` });
  }
  return out;
}

/**
 * Median and robust spread (interquartile range / 1.349, = σ for a Gaussian) of one channel's pedestals,
 * interpolated inside the bins: pile-up pulses in the pedestal samples of busy channels (beam counters, the
 * ECAL beam cell) make a tail that an RMS would call noise.
 */
export function pedestalColumn(h: Hist2DSnapshot, cell: number): { n: number; median: number; sigma: number } {
  const stride = h.x.nbins + 2;
  const width = (h.y.max - h.y.min) / h.y.nbins;
  let n = 0;
  for (let by = 1; by <= h.y.nbins; by++) n += h.contents[cell + 1 + stride * by]!;
  if (!n) return { n, median: Number.NaN, sigma: Number.NaN };
  const quantile = (q: number) => {
    const target = q * n;
    let below = 0;
    for (let by = 1; by <= h.y.nbins; by++) {
      const c = h.contents[cell + 1 + stride * by]!;
      if (c && below + c >= target) return h.y.min + (by - 1 + (target - below) / c) * width;
      below += c;
    }
    return h.y.max;
  };
  return { n, median: quantile(0.5), sigma: (quantile(0.75) - quantile(0.25)) / 1.349 };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * Hits per event expected of channel `c` from the run's earlier spills: the median over the spills that did
 * not flag it. The sum over the run would carry a hot (or dead) episode into every later spill, and a channel
 * back to normal would be judged against the inflated figure (a false "dead") for the rest of the run.
 */
export function typicalOccupancy(spills: readonly SpillOccupancy[], c: number, name: string): number | null {
  return median(spills.filter((s) => s.events > 0 && !s.flagged.has(name)).map((s) => (s.counts[c] ?? 0) / s.events));
}

/** What the channel checks of later spills remember of this one: its hits per channel and what it flagged. */
export function spillOccupancy(histograms: ReadonlyMap<string, HistSnapshot>, events: number, checks: readonly DqCheck[]): SpillOccupancy {
  const h = as1d(histograms.get('channel_occupancy'));
  const flagged = new Set(checks.flatMap((c) => (c.problems ? [...c.problems.dead, ...c.problems.hot, ...c.problems.noisy] : [])));
  return { counts: h ? h.contents.slice(1, -1) : [], events: h ? events : 0, flagged };
}

function channelChecks(input: CheckInput): DqCheck[] {
  const occupancy = as1d(input.histograms.get('channel_occupancy'));
  const pedestals = as2d(input.histograms.get('pedestals'));
  // The events the maps hold: blinding's sealed events fill none. (A box filled by a failing ECAL then
  // leaves the VETO and HCAL maps with a larger share of busy events: they may look hot beside it.)
  const events = input.figures.events;
  const expectation = input.reference
    ? { histograms: input.reference.histograms, events: input.reference.figures.events, from: `reference v${input.reference.version}` }
    : input.previous && input.previous.events > 0
      ? { ...input.previous, from: 'the typical spill of the run so far' }
      : null;
  const referenceOccupancy = input.reference ? as1d(input.reference.histograms.get('channel_occupancy')) : null;
  const expectedFraction = (c: number, name: string): number | null => {
    if (input.reference) return referenceOccupancy && input.reference.figures.events > 0 ? referenceOccupancy.contents[c + 1]! / input.reference.figures.events : null;
    return input.previous ? typicalOccupancy(input.previous.spills, c, name) : null;
  };
  const expectedPedestals = as2d(expectation?.histograms.get('pedestals'));
  const byDetector = new Map<string, { dead: string[]; hot: string[]; noisy: string[]; drift: string[]; maxDrift: number; judged: number }>();
  for (let c = 0; c < input.names.length; c++) {
    const det = input.detectors[c]!;
    const d = byDetector.get(det) ?? { dead: [], hot: [], noisy: [], drift: [], maxDrift: 0, judged: 0 };
    byDetector.set(det, d);
    const name = input.names[c]!;
    const fraction = occupancy && events > 0 ? expectedFraction(c, name) : null;
    if (occupancy && fraction !== null) {
      const seen = occupancy.contents[c + 1]!;
      const want = fraction * events;
      if (want >= DEAD_MIN_EXPECTED) {
        d.judged++;
        if (seen < DEAD_FRACTION * want) d.dead.push(name);
      }
      if (seen / events > HOT_OCCUPANCY && seen > HOT_FACTOR * want && seen - want > 5 * Math.sqrt(Math.max(want, 1))) d.hot.push(name);
    }
    if (pedestals) {
      const col = pedestalColumn(pedestals, c);
      if (col.n >= MIN_PEDESTALS) {
        d.judged++;
        if (col.sigma > NOISY_RMS_ADC) d.noisy.push(name);
        if (expectedPedestals) {
          const ref = pedestalColumn(expectedPedestals, c);
          if (ref.n >= MIN_PEDESTALS) {
            const drift = Math.abs(col.median - ref.median);
            if (drift > PEDESTAL_DRIFT_ADC.medium) d.drift.push(name);
            d.maxDrift = Math.max(d.maxDrift, drift);
          }
        }
      }
    }
  }
  const out: DqCheck[] = [];
  const list = (names: string[]) => names.slice(0, 8).join(', ') + (names.length > 8 ? ` and ${names.length - 8} more` : '');
  for (const [detector, d] of byDetector) {
    const base = { detector, histogram: 'channel_occupancy' };
    if (d.judged === 0) {
      out.push({ ...base, id: `${detector.toLowerCase()}.channels`, verdict: 'null', value: null, reason: `${detector} channels: not enough hits or pedestals to judge${expectation ? '' : ' (no reference and no earlier spill of this run)'}` });
      continue;
    }
    // A noisy channel also fires hits; it is reported once, as noisy.
    d.hot = d.hot.filter((name) => !d.noisy.includes(name));
    const problems: string[] = [];
    if (d.dead.length) problems.push(`dead: ${list(d.dead)}`);
    if (d.hot.length) problems.push(`hot: ${list(d.hot)}`);
    if (d.noisy.length) problems.push(`noisy: ${list(d.noisy)}`);
    const bad = d.dead.length + d.hot.length + d.noisy.length;
    out.push({
      ...base,
      id: `${detector.toLowerCase()}.channels`,
      verdict: bad ? 'bad' : 'good',
      value: bad,
      reason: bad ? `${detector} ${problems.join('; ')} (expected from ${expectation?.from ?? 'pedestals only'})` : `${detector}: no dead, hot or noisy channel`,
      channels: [...d.dead, ...d.hot, ...d.noisy],
      problems: { dead: d.dead, hot: d.hot, noisy: d.noisy },
    });
    if (expectedPedestals) {
      const verdict = grade(d.maxDrift, PEDESTAL_DRIFT_ADC);
      out.push({
        detector,
        histogram: 'pedestals',
        id: `${detector.toLowerCase()}.pedestal-drift`,
        verdict,
        value: d.maxDrift,
        reason: d.drift.length ? `${detector} pedestals moved by up to ${d.maxDrift.toFixed(1)} ADC: ${list(d.drift)}` : `${detector} pedestals stable (≤ ${d.maxDrift.toFixed(1)} ADC)`,
        channels: d.drift,
      });
    }
  }
  return out;
}

function rateCheck(input: CheckInput): DqCheck {
  const base = { id: 'trigger.rate-per-particle', detector: 'Trigger', histogram: 'trigger_rates' };
  const ref = input.reference?.figures.triggersPerParticle ?? null;
  if (!(input.intensity > 0) || ref === null || !(ref > 0)) {
    return { ...base, verdict: 'null', value: null, reason: input.intensity > 0 ? 'trigger rate: no reference to compare with' : 'trigger rate: no beam intensity counted' };
  }
  const ratio = input.eventsSeen / input.intensity / ref;
  const verdict = grade(Math.abs(ratio - 1), RATE_TOLERANCE);
  return { ...base, verdict, value: ratio, reason: `triggers per beam particle ${ratio.toFixed(2)} × the reference${verdict === 'good' ? '' : ': counters, thresholds or dead time changed'}` };
}

function srdChecks(input: CheckInput, dq: Pick<SpillDq, 'electronEfficiency' | 'purity'>): DqCheck[] {
  const f = input.figures;
  const out: DqCheck[] = [];
  if (f.caloElectrons < MIN_ELECTRONS || dq.electronEfficiency === null) {
    out.push({ id: 'srd.efficiency', detector: 'SRD', histogram: 'srd_energy_e', verdict: 'null', value: null, reason: `SRD efficiency: ${f.caloElectrons} calorimeter electrons, fewer than ${MIN_ELECTRONS}` });
  } else {
    const eff = dq.electronEfficiency;
    const verdict: Verdict = eff >= SRD_EFFICIENCY.medium ? 'good' : eff >= SRD_EFFICIENCY.bad ? 'medium' : 'bad';
    out.push({ id: 'srd.efficiency', detector: 'SRD', histogram: 'srd_energy_e', verdict, value: eff, reason: `SRD cut keeps ${(100 * eff).toFixed(1)} % of the electrons${verdict === 'good' ? '' : ': SRD HV, gain or the cut needs a look'}` });
  }
  const refPurity = input.reference?.figures.purity ?? null;
  if (dq.purity === null || refPurity === null || f.beamEvents < MIN_ENTRIES) {
    out.push({ id: 'beam.purity', detector: 'SRD', histogram: null, verdict: 'null', value: dq.purity, reason: 'beam purity: no reference or too few beam triggers' });
  } else {
    const drop = refPurity - dq.purity;
    const verdict = grade(drop, PURITY_DROP);
    out.push({ id: 'beam.purity', detector: 'SRD', histogram: null, verdict, value: dq.purity, reason: `beam purity ${(100 * dq.purity).toFixed(2)} % (reference ${(100 * refPurity).toFixed(2)} %)${verdict === 'good' ? '' : ': more hadrons in the beam, or the e-tag lost efficiency'}` });
  }
  return out;
}

/** e/π figures of a spill from its counts. */
export function epiFigures(f: SpillFigures): Pick<SpillDq, 'purity' | 'hadronFraction' | 'electronEfficiency' | 'hadronSuppression' | 'suppressionIsLimit'> {
  const tagged = f.beamEvents;
  return {
    purity: tagged > 0 ? f.beamElectrons / tagged : null,
    hadronFraction: tagged > 0 ? f.beamHadrons / tagged : null,
    electronEfficiency: f.caloElectrons > 0 ? f.caloElectronsSrd / f.caloElectrons : null,
    hadronSuppression: f.caloHadrons > 0 ? (f.caloHadronsSrd > 0 ? f.caloHadrons / f.caloHadronsSrd : f.caloHadrons) : null,
    suppressionIsLimit: f.caloHadrons > 0 && f.caloHadronsSrd === 0,
  };
}

/** Every check of the spill and the worst-of verdicts per detector and for the spill. */
export function runChecks(input: CheckInput): { checks: DqCheck[]; detectors: Record<string, Verdict>; verdict: Verdict } {
  const epi = epiFigures(input.figures);
  const checks = [
    ...shapeChecks('ecal_energy', 'ECAL', input),
    beamEnergyCheck(input),
    ...showerCentreChecks(input),
    ...shapeChecks('hcal_energy', 'HCAL', input),
    // The VETO's spectrum where the setup has one (without its cells it is all zeros, nothing to judge); in
    // visible mode the veto after the dump (V2) is that setup's VETO.
    ...(input.detectors.includes('VETO') ? shapeChecks('veto_energy', 'VETO', input) : []),
    ...shapeChecks('dump_veto_energy', 'VETO', input),
    ...channelChecks(input),
    rateCheck(input),
    ...srdChecks(input, epi),
    ...(input.muonBeam ? [beamMomentumCheck(input), ...mipPeakChecks(input)] : []),
    ...(input.hadronBeam ? [hadronPeakCheck(input)] : []),
  ];
  const detectors: Record<string, Verdict> = {};
  for (const c of checks) detectors[c.detector] = worst([detectors[c.detector] ?? 'null', c.verdict]);
  return { checks, detectors, verdict: worst(Object.values(detectors)) };
}
