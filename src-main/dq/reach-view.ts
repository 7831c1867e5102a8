// The reach a setup's exposures buy, as the API answers it: the yield model (./reach.ts) run for this run,
// this year, the setup's total and the programme's targets, beside NA64's published limits.
import type { ExposureUnit, Reach, ReachCurve } from '../shared/api/dq';
import { modeOfSetup, N90_BACKGROUND_FREE, PROGRAMME_SIGNAL_EFFICIENCY, publishedLimits, reachCurve, type ReachMode, type ReachPoint } from './reach';

export interface ReachInput {
  setup: { name: string; beam: { particle: string; energyGeV: number }; detectors: { wcal: unknown } };
  run: number | null;
  year: number;
  /** Exposures as the app counts them (EOT, src-main/dq/eot.ts), sign-offs honoured. */
  runEot: number | null;
  yearEot: number;
  totalEot: number;
  /** A signal efficiency the app measured; null: none (the programme's 50 % is assumed). */
  measuredEfficiency: number | null;
}

/** The app counts only electrons on target today; other setups' own units are not counted yet. */
const COUNTED_UNIT: ExposureUnit = 'EOT';

const SHAPE: Record<ReachMode, ReachCurve['shape']> = { 'invisible-a': 'line', 'z-mu': 'line', 'visible-a': 'band', 'meson-invisible': 'points' };

const points = (p: ReachPoint[]) => p.map((x) => ({ mass: x.massGeV, value: x.value, ...(x.label === undefined ? {} : { label: x.label }) }));

export function reachView(input: ReachInput): Reach {
  const m = modeOfSetup(input.setup);
  const efficiency =
    input.measuredEfficiency === null
      ? { value: PROGRAMME_SIGNAL_EFFICIENCY, measured: false, source: 'the NA64 programme’s 50 % signal efficiency (§3.3); the app does not measure one' }
      : { value: input.measuredEfficiency, measured: true, source: 'measured by the app' };
  const counted = {
    unit: COUNTED_UNIT,
    note:
      m.unit === COUNTED_UNIT
        ? null
        : `the app counts electrons on target only (src-main/dq/eot.ts); this setup’s ${m.unit} are not counted yet, so this run, this year and the total use its EOT count (e-tagged beam particles)`,
  };
  const shape = SHAPE[m.mode];
  const projected = (id: string, kind: ReachCurve['kind'], label: string, exposure: number, unit: ExposureUnit, source: string | null, mesonBeam?: 'pi-' | 'K-'): ReachCurve => {
    const p = reachCurve({ mode: m.mode, exposure, efficiency: efficiency.value, beamGeV: input.setup.beam.energyGeV, ...(mesonBeam ? { mesonBeam } : {}) });
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
  if (input.run !== null) curves.push(projected('run', 'run', `Run ${input.run}`, input.runEot ?? 0, counted.unit, null));
  curves.push(projected('year', 'year', `This year (${input.year})`, input.yearEot, counted.unit, null));
  curves.push(projected('total', 'total', `${input.setup.name} total`, input.totalEot, counted.unit, null));
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
