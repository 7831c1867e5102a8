// From the beam-scan records to new ECAL constants, per tower (preshower and main cell of one x, y).
//
// For the events centred on tower k, the calibrated ECAL sum (every cell, both sections) must peak at the
// tower's target (src-main/setup/calibration.ts: E_beam, corrected for the tower's lateral leakage against
// the beam cell's, so an electron on the beam axis reads E_beam, as "E_beam / peak" does at NA64). A shower
// spreads over neighbouring towers (≈ 25 % outside its own), so the towers are solved together by
// iteration (Jacobi): each pass fits every tower's peak with the others' constants of the previous pass.
//
// Preshower and main section: the beam fixes only their sum. The split uses two facts. The share of a
// shower in the preshower does not depend on where it hits, so a tower's raw amplitude ratio
// r_k = A_preshower / A_main (mean over its events) measures its gain ratio to ≈ 0.4 % with 2000 events:
// c_preshower,k = κ · c_main,k / r_k with one common κ (the mean preshower-to-main energy ratio). κ comes
// from the sum constraint: a least-squares fit of the target to the calibrated sums over the peak cores of
// every scanned tower (≈ 1.2 / √N_all, since the preshower share varies by ±33 % from event to event
// while the sum scatters by the resolution). Fitting the split tower by tower instead would leave each
// preshower constant a few per cent off, and the main constants ≈ 6 % of that.
import type { TOWER_STATUS } from '../../shared/api/calibration';
import { recordLength, RECORD_HEADER } from '../../shared/scan-record';
import { fitPeak, type PeakFit, type PeakModel } from './peak-fit';
import { towerTargets, windowMean, WINDOW, type TargetModel } from './targets';

/** What the solver says of a tower (the API's statuses but 'collecting', which only a running scan has). */
export type TowerStatus = Exclude<(typeof TOWER_STATUS)[number], 'collecting'>;

export interface SolveInput {
  nx: number;
  ny: number;
  /** Towers to calibrate (x·ny + y). */
  towers: number[];
  /** What sets each tower's target peak (targets.ts). */
  targets: TargetModel;
  /** The constants the scan starts from (GeV per ADC) by tower. */
  preshower: number[];
  main: number[];
  minEvents: number;
  model: PeakModel;
  /** A dead cell: this share of the events aimed at it show less than `deadAdc` in its main cell. */
  deadAdc: number;
  /** A saturated cell: more than this share of its events clip at the ADC maximum. */
  saturatedShare: number;
  /** Human names of the towers (messages). */
  names: string[];
}

export interface Constant {
  value: number;
  uncertainty: number;
}

export interface TowerResult {
  tower: number;
  status: TowerStatus;
  /** What a person needs to know (why it failed, or the fit's verdict). */
  reason: string;
  /** Events centred on the tower (the ones fitted). */
  events: number;
  preshower: Constant;
  main: Constant;
  fit: PeakFit | null;
  /** Iterations the joint solution took (0 when the tower was not fitted). */
  iterations: number;
}

const MAX_ITERATIONS = 40;
/**
 * The joint solution has converged when every tower's peak sits on its target within its own statistical
 * error, or within this (relative: a tenth of the 0.5 % a calibration must reach) where that is smaller.
 * Closer than the error the passes only jitter: a Gaussian core on the skewed spectrum of an edge tower can
 * flip between two nearby optima from one pass to the next.
 */
const CONVERGED = 5e-4;
/** Core events for the sum-constraint fit: within this many σ of the peak. */
const CORE_SIGMAS = 2.5;
/** Share of each pass's correction applied (Jacobi under-relaxation). */
const RELAXATION = 0.7;
/** Passes that find the peaks with a Gaussian core fit before the window mean takes over. */
const FIT_PASSES = 3;

interface Events {
  /** Record offsets (into `data`) of the events centred on the tower. */
  at: Int32Array;
  data: Float32Array;
}

/** Split the records by tower: aimed records by their aim, followed ones by the tower with the maximum. */
export function recordsByTower(data: Float32Array, towers: number): Map<number, number[]> {
  const size = recordLength(towers);
  const out = new Map<number, number[]>();
  for (let at = 0; at + size <= data.length; at += size) {
    const aimed = data[at]!;
    const tower = aimed >= 0 ? aimed : data[at + 1]!;
    if (tower < 0 || tower >= towers) continue;
    let list = out.get(tower);
    if (!list) out.set(tower, (list = []));
    list.push(at);
  }
  return out;
}

export function solveScan(input: SolveInput, data: Float32Array): TowerResult[] {
  const T = input.nx * input.ny;
  const targets = towerTargets(input.targets);
  const byTower = recordsByTower(data, T);
  const ps = input.preshower.slice();
  const main = input.main.slice();
  const results = new Map<number, TowerResult>();
  const active = new Map<number, Events>();
  const keep = (tower: number): Pick<TowerResult, 'preshower' | 'main'> => ({
    preshower: { value: input.preshower[tower]!, uncertainty: 0 },
    main: { value: input.main[tower]!, uncertainty: 0 },
  });
  for (const k of input.towers) {
    const all = byTower.get(k) ?? [];
    const name = input.names[k] ?? `tower ${k}`;
    const centred = all.filter((at) => data[at + 1] === k);
    const aimed = all.filter((at) => data[at]! >= 0);
    const fail = (status: TowerStatus, reason: string, events: number) => results.set(k, { tower: k, status, reason, events, ...keep(k), fit: null, iterations: 0 });
    if (aimed.length >= input.minEvents / 4) {
      const quiet = aimed.filter((at) => data[at + RECORD_HEADER + T + k]! < input.deadAdc).length;
      if (quiet > 0.5 * aimed.length) {
        fail('dead', `${name} shows no signal in ${Math.round((100 * quiet) / aimed.length)} % of the ${aimed.length} events aimed at it: a dead channel or its HV is off. It keeps its present constant.`, centred.length);
        continue;
      }
    }
    if (centred.length < input.minEvents) {
      fail('too-few-events', `${name} has ${centred.length} of the ${input.minEvents} events needed${all.length === 0 ? ' (the beam never hit it)' : ''}; extend the scan. It keeps its present constant.`, centred.length);
      continue;
    }
    const saturated = centred.filter((at) => data[at + 2]! > 0).length;
    if (saturated > input.saturatedShare * centred.length) {
      fail('saturated', `${name} clips at the ADC maximum in ${Math.round((100 * saturated) / centred.length)} % of its events: lower its HV, then scan it again. It keeps its present constant.`, centred.length);
      continue;
    }
    // The few clipped events (pile-up of two electrons) are left out of the fit.
    active.set(k, { at: Int32Array.from(centred.filter((at) => data[at + 2] === 0)), data });
  }

  const energies = (ev: Events, out: Float64Array) => {
    for (let i = 0; i < ev.at.length; i++) {
      const at = ev.at[i]! + RECORD_HEADER;
      let e = 0;
      for (let t = 0; t < T; t++) e += ps[t]! * ev.data[at + t]! + main[t]! * ev.data[at + T + t]!;
      out[i] = e;
    }
    return out;
  };

  // Raw amplitude ratio preshower / main of each active tower, and the common κ the scan starts from.
  const ratio = new Map<number, number>();
  for (const [k, ev] of active) {
    let sum = 0;
    let n = 0;
    for (let i = 0; i < ev.at.length; i++) {
      const at = ev.at[i]! + RECORD_HEADER;
      const m = ev.data[at + T + k]!;
      if (m > input.deadAdc) {
        sum += ev.data[at + k]! / m;
        n++;
      }
    }
    ratio.set(k, n ? sum / n : 0);
  }
  const splittable = [...ratio].filter(([, r]) => r > 0);
  let kappa = splittable.length ? splittable.reduce((s, [k, r]) => s + (ps[k]! * r) / main[k]!, 0) / splittable.length : 0;
  const split = () => {
    for (const [k, r] of splittable) ps[k] = (kappa * main[k]!) / r;
  };
  split();

  let iterations = 0;
  let kappaError = 0;
  const peakError = new Map<number, number>();
  for (; iterations < MAX_ITERATIONS && active.size; iterations++) {
    const nextMain = main.slice();
    let moved = 0;
    const cores: { k: number; e: Float64Array; lo: number; hi: number }[] = [];
    for (const [k, ev] of active) {
      const e = energies(ev, new Float64Array(ev.at.length));
      const target = targets[k]!;
      // The first passes find the peak with a Gaussian core (the constants may be 15 % off); then the
      // statistic is the window mean the targets were computed with.
      let peak: { mean: number; error: number; lo: number; hi: number } | null = null;
      if (iterations < FIT_PASSES) {
        const fit = fitPeak(e, { model: 'gauss' });
        if (fit.converged) peak = { mean: fit.mean, error: fit.meanError, lo: fit.mean - CORE_SIGMAS * fit.sigma, hi: fit.mean + CORE_SIGMAS * fit.sigma };
        else {
          results.set(k, { tower: k, status: 'fit-failed', reason: `${input.names[k]}: ${fit.problem}. It keeps its present constant.`, events: ev.at.length, ...keep(k), fit, iterations });
        }
      } else {
        const [lo, hi] = [target * WINDOW[0], target * WINDOW[1]];
        const w = windowMean(e, lo, hi);
        if (w.n >= input.minEvents / 2) peak = { mean: w.mean, error: w.error, lo, hi };
        else {
          results.set(k, { tower: k, status: 'not-converged', reason: `${input.names[k]}: only ${w.n} events near its target after ${iterations} passes: the constants do not settle. It keeps its present constant.`, events: ev.at.length, ...keep(k), fit: null, iterations });
        }
      }
      if (!peak) {
        active.delete(k);
        const at = splittable.findIndex(([t]) => t === k);
        if (at >= 0) splittable.splice(at, 1);
        ps[k] = input.preshower[k]!;
        main[k] = input.main[k]!;
        nextMain[k] = main[k]!;
        continue;
      }
      // Under-relaxed: a tower's neighbours correct for it too, and a full step lets pairs of towers overshoot.
      nextMain[k] = main[k]! * (target / peak.mean) ** RELAXATION;
      moved = Math.max(moved, Math.abs(target / peak.mean - 1) / Math.max(CONVERGED, peak.error / peak.mean));
      peakError.set(k, peak.error / peak.mean);
      cores.push({ k, e, lo: peak.lo, hi: peak.hi });
    }
    // κ: least squares of target = β·R + γ·S over the cores (S: the preshower sum per unit κ, R: the main
    // section). κ·γ/β depends on how the sum varies with the preshower share, not on its scale, which the
    // peaks set: fitting both on one pass would correct the scale twice and oscillate. It is applied to the
    // towers being calibrated; the others keep their constants.
    if (kappa > 0) {
      let sRR = 0, sRS = 0, sSS = 0, sRT = 0, sST = 0, sTT = 0, n = 0;
      for (const { k, e, lo, hi } of cores) {
        const ev = active.get(k)!;
        const target = targets[k]!;
        for (let i = 0; i < ev.at.length; i++) {
          if (e[i]! < lo || e[i]! > hi) continue;
          const at = ev.at[i]! + RECORD_HEADER;
          // Every preshower cell's energy: the leakage into towers not being calibrated varies with the
          // preshower share too, and left in R it would pull κ (by tens of per cent in a scan of a few cells).
          let ss = 0;
          for (let t = 0; t < T; t++) ss += ps[t]! * ev.data[at + t]!;
          const S = ss / kappa;
          const R = e[i]! - ss;
          sRR += R * R;
          sRS += R * S;
          sSS += S * S;
          sRT += R * target;
          sST += S * target;
          sTT += target * target;
          n++;
        }
      }
      const det = sRR * sSS - sRS * sRS;
      if (n > 10 && det > 0) {
        const beta = (sRT * sSS - sST * sRS) / det;
        const gamma = (sST * sRR - sRT * sRS) / det;
        const next = gamma / beta;
        // Residual variance from the sums; σ(γ)/γ is κ's relative uncertainty (β is known far better).
        const res = sTT - 2 * (beta * sRT + gamma * sST) + beta * beta * sRR + 2 * beta * gamma * sRS + gamma * gamma * sSS;
        kappaError = n > 2 && gamma > 0 ? Math.sqrt(Math.max(0, res / (n - 2)) * (sRR / det)) / gamma : 0;
        if (next > 0) {
          // κ moves the sums by its share of them (≈ 6 %).
          moved = Math.max(moved, (Math.abs(next / kappa - 1) * kappa) / (1 + kappa) / CONVERGED);
          kappa = next;
        }
      }
    }
    for (const k of active.keys()) main[k] = nextMain[k]!;
    split();
    if (iterations >= FIT_PASSES && moved < 1) {
      iterations++;
      break;
    }
  }
  const uncertainty = new Map<number, { ps: number; main: number }>();
  for (const k of active.keys()) {
    // The main constant: its peak's mean, and the preshower's share of the sum (≈ 6 %) times κ's error.
    const share = kappa / (1 + kappa);
    const rel = Math.hypot(peakError.get(k) ?? 0, share * kappaError);
    uncertainty.set(k, { main: rel * main[k]!, ps: Math.hypot(rel, kappaError) * ps[k]! });
  }
  const converged = iterations < MAX_ITERATIONS;
  for (const [k, ev] of active) {
    const fit = fitPeak(energies(ev, new Float64Array(ev.at.length)), { model: input.model });
    const u = uncertainty.get(k) ?? { ps: 0, main: 0 };
    const constants = { preshower: { value: ps[k]!, uncertainty: u.ps }, main: { value: main[k]!, uncertainty: u.main } };
    const name = input.names[k];
    if (!converged) {
      results.set(k, { tower: k, status: 'not-converged', reason: `${name}: the joint solution with its neighbours still moved after ${MAX_ITERATIONS} passes; it keeps its present constant.`, events: ev.at.length, ...keep(k), fit, iterations });
    } else if (!fit.converged) {
      results.set(k, { tower: k, status: 'fit-failed', reason: `${name}: ${fit.problem}. It keeps its present constant.`, events: ev.at.length, ...keep(k), fit, iterations });
    } else {
      const target = targets[k]!;
      const w = windowMean(energies(ev, new Float64Array(ev.at.length)), target * WINDOW[0], target * WINDOW[1]);
      const off = (100 * (w.mean - target)) / target;
      const reason = `${name}: peak ${w.mean.toFixed(2)} ± ${w.error.toFixed(2)} GeV (target ${target.toFixed(2)}, ${off >= 0 ? '+' : ''}${off.toFixed(2)} %); ${fit.model === 'gauss' ? 'Gaussian core' : 'Crystal Ball'} at ${fit.mean.toFixed(2)} GeV, σ ${fit.sigma.toFixed(2)} GeV, χ²/ndf ${(fit.chi2 / Math.max(1, fit.ndf)).toFixed(2)}`;
      results.set(k, { tower: k, status: 'ok', reason, events: ev.at.length, ...constants, fit, iterations });
    }
  }
  return input.towers.map((k) => results.get(k)!);
}
