// The reach a setup's exposures buy, as the API answers it: the yield model (./reach.ts) run for this run,
// this year, the setup's total and the programme's targets, beside NA64's published limits.
import type { ExposureUnit, Reach, ReachCurve, SignalEfficiency } from '../shared/api/dq';
import { efficiencyAt } from './signal-efficiency';
import { modeOfSetup, N90_BACKGROUND_FREE, PROGRAMME_SIGNAL_EFFICIENCY, publishedLimits, reachCurve, type ReachMode, type ReachPoint } from './reach';

export interface ReachInput {
  setup: { name: string; beam: { particle: string; energyGeV: number }; detectors: { wcal: unknown } };
  run: number | null;
  year: number;
  /** Exposures as the app counts them (the setup's unit: src-main/dq/eot.ts), sign-offs honoured. */
  runEot: number | null;
  yearEot: number;
  totalEot: number;
  /**
   * Kaons on target as counted (src-main/dq/eot.ts, the hadron setup's CEDAR), sign-offs honoured, for the K⁻
   * channel's curves; null or left out for a setup that counts none.
   */
  kaons?: { runKot: number | null; yearKot: number; totalKot: number } | null;
  /** What the app counts on target (src-main/setup/monitoring.ts, counting). */
  countedUnit: ExposureUnit;
  /** The selection's efficiency as signal Monte Carlo measured it, by mass (empty: none; the programme's 50 % is assumed). */
  measured: readonly SignalEfficiency[];
}

const SHAPE: Record<ReachMode, ReachCurve['shape']> = { 'invisible-a': 'line', 'z-mu': 'line', 'visible-a': 'band', 'meson-invisible': 'points' };

const points = (p: ReachPoint[]) => p.map((x) => ({ mass: x.massGeV, value: x.value, ...(x.label === undefined ? {} : { label: x.label }) }));

export function reachView(input: ReachInput): Reach {
  const m = modeOfSetup(input.setup);
  const measured = input.measured;
  // Measured per mass: each curve takes it at its masses (linear in log m between the measured ones).
  const byMass = measured.length ? (massGeV: number) => efficiencyAt(measured, massGeV * 1000)! : null;
  const efficiency = byMass
    ? {
        // The figure said on screen: the lowest measured (the most conservative); the curves use each mass's.
        value: Math.max(1e-6, Math.min(...measured.map((x) => x.efficiency))),
        measured: true,
        source: `measured on signal Monte Carlo (na64rc signal-efficiency) at ${measured.map((x) => `${x.massMeV} MeV: ${(100 * x.efficiency).toFixed(1)} %`).join(', ')}; interpolated in log m`,
      }
    : { value: PROGRAMME_SIGNAL_EFFICIENCY, measured: false, source: 'the NA64 programme’s 50 % signal efficiency (§3.3); none measured yet (na64rc signal-efficiency --record)' };
  const counted = {
    unit: input.countedUnit,
    note: m.unit === input.countedUnit ? null : `the app counts ${input.countedUnit} for this setup; the search's own unit is ${m.unit}`,
  };
  const shape = SHAPE[m.mode];
  const projected = (id: string, kind: ReachCurve['kind'], label: string, exposure: number, unit: ExposureUnit, source: string | null, mesonBeam?: 'pi-' | 'K-'): ReachCurve => {
    const p = reachCurve({ mode: m.mode, exposure, efficiency: byMass ?? efficiency.value, beamGeV: input.setup.beam.energyGeV, ...(mesonBeam ? { mesonBeam } : {}) });
    return {
      id,
      kind,
      label,
      exposure,
      unit,
      shape,
      points: points(p),
      source,
      note: exposure > 0 ? (p.length ? null : 'excludes nothing yet') : `no ${unit} counted yet`,
    };
  };
  const curves: ReachCurve[] = [];
  // The hadron beam's K⁻ channel (K⁰_S, K⁰_L → invisible) from the counted KOT, beside each π⁻ curve.
  const kaons = m.mode === 'meson-invisible' ? (input.kaons ?? null) : null;
  const kaon = (id: string, kind: ReachCurve['kind'], label: string, kot: number) => {
    if (kaons) curves.push(projected(`${id}-kaons`, kind, `${label}, K⁻ beam`, kot, 'KOT', null, 'K-'));
  };
  if (input.run !== null) {
    curves.push(projected('run', 'run', `Run ${input.run}`, input.runEot ?? 0, counted.unit, null));
    kaon('run', 'run', `Run ${input.run}`, kaons?.runKot ?? 0);
  }
  curves.push(projected('year', 'year', `This year (${input.year})`, input.yearEot, counted.unit, null));
  kaon('year', 'year', `This year (${input.year})`, kaons?.yearKot ?? 0);
  curves.push(projected('total', 'total', `${input.setup.name} total`, input.totalEot, counted.unit, null));
  kaon('total', 'total', `${input.setup.name} total`, kaons?.totalKot ?? 0);
  m.targets.forEach((t, i) => curves.push(projected(`target-${i + 1}`, 'target', t.label, t.exposure, t.unit, 'NA64 programme, Table 1', t.mesonBeam)));
  publishedLimits(m.mode).forEach((p, i) =>
    curves.push({
      id: `published-${i + 1}`,
      kind: 'published',
      label: p.label,
      exposure: p.exposure,
      unit: p.unit,
      shape: 'points',
      points: points(p.points),
      source: p.source,
      note: p.note,
    }),
  );
  return {
    setup: input.setup.name,
    mode: m.mode,
    title: m.title,
    xLabel: m.xLabel,
    yLabel: m.yLabel,
    run: input.run,
    year: input.year,
    unit: m.unit,
    counted,
    efficiency,
    model: `90 % CL, background free: N_sig = exposure × efficiency × yield(m) × ${m.mode === 'meson-invisible' ? 'Br' : 'coupling²'} = ${N90_BACKGROUND_FREE}; normalised to ${m.normalisation}`,
    curves,
  };
}
