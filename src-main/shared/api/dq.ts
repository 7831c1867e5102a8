// API contract of live monitoring and data quality: per-spill verdicts and checks, EOT, the projected
// physics reach, e/π trends, run-accumulated and reference histograms, references, bad-spill lists, and unblinding.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { HistogramName, HistSnapshot, RunNumber, SignOff, SpillDq, SpillNumber, Verdict } from './schemas';

export const DqCheck = z.object({
  id: z.string(),
  detector: z.string(),
  histogram: z.string().nullable(),
  verdict: Verdict,
  value: z.number().nullable(),
  reason: z.string(),
  channels: z.array(z.string()).optional(),
  problems: z.object({ dead: z.array(z.string()), hot: z.array(z.string()), noisy: z.array(z.string()) }).optional(),
});
export type DqCheck = z.infer<typeof DqCheck>;

/** What reviewers' sign-offs changed in an EOT total: spills signed off bad left out (with their EOT), DQ-flagged spills signed off good kept. */
export const SignOffMoves = z.object({
  excludedSpills: z.number().int().nonnegative(),
  excludedEot: z.number().nonnegative(),
  keptSpills: z.number().int().nonnegative(),
});
export type SignOffMoves = z.infer<typeof SignOffMoves>;

export const EotStatus = z.object({
  setup: z.string(),
  /** The run asked about (null: none), its EOT, the setup's total and the exposure goal (sign-offs honoured). */
  run: RunNumber.nullable(),
  runEot: z.number().nonnegative(),
  totalEot: z.number().nonnegative(),
  goal: z.number().positive(),
  /** What the setup counts on target (EOT, MOT, POT) and its name in words ("Electrons on target"): `runEot` and `totalEot` are in this unit. */
  unit: z.enum(['EOT', 'MOT', 'POT', 'KOT']),
  words: z.string(),
  /** What sign-offs moved, in the run and in the total. */
  signOffs: z.object({ run: SignOffMoves, total: SignOffMoves }),
  /**
   * A hadron beam with a CEDAR also counts its kaons on target (Table 1: 5×10¹¹ KOT), sign-offs honoured as for
   * the pions; null (or absent) for the other setups.
   */
  kaons: z.object({ runKot: z.number().nonnegative(), totalKot: z.number().nonnegative(), goal: z.number().positive(), unit: z.literal('KOT'), words: z.string() }).nullish(),
});
export type EotStatus = z.infer<typeof EotStatus>;

export const DqSpill = z.object({ run: RunNumber, spill: SpillNumber, dq: SpillDq, checks: z.array(DqCheck) });
export type DqSpill = z.infer<typeof DqSpill>;

export const BadSpill = z.object({
  run: RunNumber,
  spill: SpillNumber,
  startedAt: z.number(),
  endedAt: z.number(),
  /** The verdict in force: a sign-off good or bad overrides DQ's (needs-look does not); DQ's otherwise. */
  verdict: Verdict,
  /** What the automatic checks said ('null' for a spill without a DQ record). */
  automatic: Verdict,
  detectors: z.record(z.string(), Verdict),
  /** Whether the spill's EOT counts (false when it, or its run, is signed off bad). */
  inEot: z.boolean(),
  /** The sign-off in force that applies (the run's when the run is signed off bad), or null. */
  signOff: SignOff.nullable(),
  /** The sign-off in words first ("signed off bad by anna: HV trip"), then the checks' reasons. */
  reasons: z.string(),
});
export type BadSpill = z.infer<typeof BadSpill>;

export const ReferenceView = z.object({
  id: z.number().int(),
  setup: z.string(),
  version: z.number().int(),
  /** Made from one spill, or from a whole run (its accumulated histograms through `spill`, its last judged one). */
  scope: z.enum(['spill', 'run']),
  run: RunNumber,
  spill: SpillNumber,
  createdAt: z.number(),
  createdBy: z.string(),
  /** The role the act was allowed by (null for references made before it was recorded). */
  createdRole: z.string().nullable(),
  comment: z.string(),
  active: z.boolean(),
  /** The histograms it holds. */
  histograms: z.array(z.string()),
});
export type ReferenceView = z.infer<typeof ReferenceView>;

export const RunTrend = z.object({
  run: RunNumber,
  blinded: z.boolean(),
  eot: EotStatus,
  spills: z.array(z.object({ spill: SpillNumber, endedAt: z.number(), dq: SpillDq })),
});
export type RunTrend = z.infer<typeof RunTrend>;

export const DqLiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), eot: EotStatus, reference: ReferenceView.nullable() }),
  z.object({ type: z.literal('spill'), run: RunNumber, spill: SpillNumber, dq: SpillDq, checks: z.array(DqCheck), eot: EotStatus }),
  z.object({ type: z.literal('reference'), reference: ReferenceView }),
]);
export type DqLiveEvent = z.infer<typeof DqLiveEvent>;

/** The event selection a figure was measured with (src-main/monitor/recon/config.ts, PhysicsCuts). */
export const PhysicsCuts = z.object({
  beamEnergyGeV: z.number().positive(),
  srd: z.object({ moduleMinMeV: z.number(), moduleMaxMeV: z.number(), minModules: z.number().int().nonnegative(), peakFromNs: z.number(), peakToNs: z.number() }),
  electronEcalFraction: z.number(),
  hcalQuietGeV: z.number(),
  hadronHcalGeV: z.number(),
  muonEcalMaxGeV: z.number(),
  muonModuleGeV: z.number(),
  muonModuleMaxGeV: z.number(),
  signal: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('missing-energy'), ecalBelowGeV: z.number() }),
    z.object({ mode: z.literal('disappearance'), totalBelowGeV: z.number() }),
    z.object({ mode: z.literal('visible-decay'), wcalBelowGeV: z.number(), ecalAboveGeV: z.number(), sumWindowGeV: z.number() }),
    z.object({ mode: z.literal('missing-momentum'), beamFromGeV: z.number(), beamToGeV: z.number(), scatteredBelowGeV: z.number(), ecalBelowGeV: z.number(), vhcalBelowGeV: z.number(), hcalModuleBelowGeV: z.number() }),
  ]),
  vetoQuietGeV: z.number(),
  dumpVetoQuietGeV: z.number(),
});

/** A signal Monte Carlo's count: A′ of a mass generated, kept by the trigger, selected into the signal box. */
export const SignalEfficiencyInput = z
  .object({
    setup: z.string().min(1).max(64),
    massMeV: z.number().positive().max(100_000),
    generated: z.number().int().positive().max(1e9),
    triggered: z.number().int().nonnegative(),
    selected: z.number().int().nonnegative(),
    method: z.string().trim().min(1).max(300),
    cuts: PhysicsCuts,
  })
  .refine((m) => m.triggered <= m.generated && m.selected <= m.triggered, { message: 'selected ≤ triggered ≤ generated' });
export type SignalEfficiencyInput = z.infer<typeof SignalEfficiencyInput>;

export const SignalEfficiency = z.object({
  id: z.number().int().positive(),
  setup: z.string(),
  massMeV: z.number(),
  generated: z.number().int(),
  triggered: z.number().int(),
  selected: z.number().int(),
  /** selected / generated, and its binomial standard error. */
  efficiency: z.number(),
  error: z.number(),
  method: z.string(),
  recordedAt: z.number(),
  recordedBy: z.string(),
});
export type SignalEfficiency = z.infer<typeof SignalEfficiency>;

/** What an exposure is counted in: electrons, muons, pions (π⁻) or kaons (K⁻) on target. */
export const ExposureUnit = z.enum(['EOT', 'MOT', 'POT', 'KOT']);
export type ExposureUnit = z.infer<typeof ExposureUnit>;

export const ReachCurve = z.object({
  id: z.string(),
  /** This run's, this year's and the setup's total exposure; the programme's target; a published NA64 result. */
  kind: z.enum(['run', 'year', 'total', 'target', 'published']),
  label: z.string(),
  /** The exposure the curve assumes, in `unit`. */
  exposure: z.number().nonnegative(),
  unit: ExposureUnit,
  /** 'line': a limit, excluded above it; 'band': the excluded region's outline (visible decays); 'points': one value per meson. */
  shape: z.enum(['line', 'band', 'points']),
  /** Mass in GeV; value: the coupling (ε, g) or branching ratio. Empty when the exposure excludes nothing. */
  points: z.array(z.object({ mass: z.number().positive(), value: z.number().positive(), label: z.string().optional() })),
  /** Where a published curve or a target comes from. */
  source: z.string().nullable(),
  note: z.string().nullable(),
});
export type ReachCurve = z.infer<typeof ReachCurve>;

/** The projected 90 % CL reach of the setup's search for its exposures (yield model: src-main/dq/reach.ts). */
export const Reach = z.object({
  setup: z.string(),
  mode: z.enum(['invisible-a', 'visible-a', 'z-mu', 'meson-invisible']),
  title: z.string(),
  xLabel: z.string(),
  yLabel: z.string(),
  run: RunNumber.nullable(),
  /** The calendar year (UTC) of the "this year" curve. */
  year: z.number().int(),
  /** What the setup's search counts its exposure in, and what the app counts (with why, when they differ). */
  unit: ExposureUnit,
  counted: z.object({ unit: ExposureUnit, note: z.string().nullable() }),
  /** The signal efficiency every projected curve uses: measured by the app, or the named default (assumed). */
  efficiency: z.object({ value: z.number().positive().max(1), measured: z.boolean(), source: z.string() }),
  /** The formula and the published point that fixes its normalisation. */
  model: z.string(),
  curves: z.array(ReachCurve),
});
export type Reach = z.infer<typeof Reach>;

const Reason = z.string().trim().min(1, 'say why').max(2000, 'at most 2000 characters');
const NotFound = { NOT_FOUND: { message: 'not found' } };
const Conflict = { CONFLICT: { message: 'conflicts with what exists' } };

export const dqContract = {
  dq: {
    /** The EOT and reference first, then every judged spill and every new reference. */
    live: oc.output(eventIterator(DqLiveEvent)),
    spill: oc
      .route({ method: 'GET', path: '/dq/spills/{run}/{spill}', summary: "A spill's verdicts and every check with its value and reason", tags: ['data quality'] })
      .errors(NotFound).input(z.object({ run: RunNumber, spill: SpillNumber })).output(DqSpill),
    run: oc.errors(NotFound).input(z.object({ run: RunNumber })).output(RunTrend),
    eot: oc
      .route({ method: 'GET', path: '/dq/eot', summary: 'EOT of the run (default: the current one) and of the setup in total, against the goal', tags: ['data quality'] })
      .input(z.object({ run: RunNumber.optional() })).output(EotStatus),
    reach: oc
      .route({ method: 'GET', path: '/dq/reach', summary: "Projected 90 % CL reach of the setup's search for this run, this year, the total and the programme's target, with NA64's published limits", tags: ['data quality'] })
      .errors(NotFound)
      .input(z.object({ run: RunNumber.optional() }))
      .output(Reach),
    badSpills: oc
      .input(z.object({ run: RunNumber.optional(), from: z.number().int().nonnegative().optional(), to: z.number().int().nonnegative().optional(), limit: z.number().int().min(1).max(100_000).default(1000) }))
      .output(z.array(BadSpill)),
    /** Names of a spill's histograms, or of the run-accumulated ones when `spill` is left out. */
    histograms: oc
      .route({ method: 'GET', path: '/runs/{run}/histograms', summary: 'Names of the run-accumulated histograms (of a spill with ?spill=N)', tags: ['data quality'] })
      .errors(NotFound)
      .input(z.object({ run: RunNumber, spill: SpillNumber.optional() })).output(z.array(HistogramName)),
    /** One histogram of a spill, or run-accumulated; the signal box is blinded unless the run was unblinded. */
    histogram: oc.errors(NotFound).input(z.object({ run: RunNumber, spill: SpillNumber.optional(), name: HistogramName })).output(HistSnapshot),
    references: {
      list: oc
      .route({ method: 'GET', path: '/dq/references', summary: "The setup's references, newest first", tags: ['data quality'] })
      .output(z.array(ReferenceView)),
      active: oc.output(ReferenceView.nullable()),
      histogram: oc.errors(NotFound).input(z.object({ id: z.number().int().positive(), name: HistogramName })).output(HistSnapshot),
      /** A stored spill, or (without `spill`) the whole run's accumulated histograms, becomes the reference; a whole run needs a reason. */
      promote: oc
        .errors({ ...NotFound, ...Conflict, BAD_REQUEST: { message: 'refused' } })
        .input(z.object({ run: RunNumber, spill: SpillNumber.optional(), comment: z.string().max(2000).default('') }))
        .output(ReferenceView),
    },
    unblind: oc
      .errors({ ...NotFound, ...Conflict, BAD_REQUEST: { message: 'refused' } })
      .input(z.object({ run: RunNumber, reason: Reason }))
      .output(
        z.object({
          run: RunNumber,
          signalCandidates: z.number().int().nonnegative(),
          /** Of them, those the CEDAR tagged as kaons (K̄⁰ → invisible); null without a CEDAR. */
          kaonTagged: z.number().int().nonnegative().nullable(),
        }),
      ),
    signalEfficiency: {
      list: oc
        .route({ method: 'GET', path: '/dq/signal-efficiency', summary: "The selection's signal efficiency by A′ mass, measured on signal Monte Carlo (the newest per mass)", tags: ['data quality'] })
        .output(z.array(SignalEfficiency)),
      record: oc
        .route({ method: 'POST', path: '/dq/signal-efficiency', summary: 'Record a signal Monte Carlo measurement (expert); refused when measured with other cuts than this server runs', tags: ['data quality'] })
        .errors({ ...Conflict })
        .input(SignalEfficiencyInput)
        .output(SignalEfficiency),
    },
    calibration: oc.output(
      z.object({ setup: z.string(), version: z.string(), author: z.string(), createdAt: z.number(), status: z.string(), comment: z.string(), cells: z.number().int() }).nullable(),
    ),
  },
};
