// API contract of the run registry: every run with filters, sort and paging; a run's summary (spills,
// events, EOT, spills per verdict, the bad spills, who started and stopped it); and the reviewers' sign-offs
// of runs and spills (good / bad / needs-look with a reason), kept beside the automatic verdict.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { BadSpill, SignOffMoves } from './dq';
import { CountingUnit, QueryFlag, Run, RunActor, RunNumber, RunType, SignOff, SignOffVerdict, SpillNumber } from './schemas';

export { SIGN_OFF_VERDICTS, SignOff, SignOffVerdict } from './schemas';

/** A time as a number (ms since 1970) or, in a query string, ms or an ISO date ("2026-11-24", "2026-11-24T07:00"). */
const When = z.union([z.number(), z.string().max(64)]).transform((raw, ctx) => {
  const ms = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isFinite(ms) && ms >= 0 && ms <= 8.64e15) return ms;
  ctx.addIssue({ code: 'custom', message: `"${String(raw).slice(0, 64)}" is not a time (ms since 1970, or an ISO date like 2026-11-24T07:00)` });
  return z.NEVER;
});
const Amount = z.number().nonnegative().max(1e30);
const Seconds = z.number().nonnegative().max(1e9);

/** What the data quality of a run's spills says: some Bad, some Medium, or all judged spills good. */
export const RUN_DQ_FILTERS = ['has-bad', 'has-medium', 'clean'] as const;
/** The run's own sign-off in force (good, bad, needs-look), none at all, or any (the run's or a spill's). */
export const RUN_SIGN_OFF_FILTERS = ['good', 'bad', 'needs-look', 'none', 'any'] as const;
export const RUN_SORTS = ['number', 'started', 'duration', 'spills', 'events', 'eot', 'bad', 'type', 'setup'] as const;
export type RunSort = (typeof RUN_SORTS)[number];

export const RunQuery = z.object({
  setup: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a setup name is letters, digits, ".", "_" or "-"').optional(),
  type: RunType.optional(),
  /** Runs started at or after `from` and before `to`. */
  from: When.optional(),
  to: When.optional(),
  dq: z.enum(RUN_DQ_FILTERS).optional(),
  signOff: z.enum(RUN_SIGN_OFF_FILTERS).optional(),
  /** Particles on target as counted (sign-offs honoured), in each run's counting unit (EOT, MOT, POT). */
  eotMin: Amount.optional(),
  eotMax: Amount.optional(),
  /** Duration in seconds (a run still on: until now). */
  durationMin: Seconds.optional(),
  durationMax: Seconds.optional(),
  /** Words in the start comment or the stop reason (as typed: no wildcards). */
  text: z.string().max(200, 'at most 200 characters').optional(),
  /** Only runs with (true) or without (false) logbook entries that link them (the automatic run start and stop entries aside). */
  logbook: z.union([z.boolean(), QueryFlag]).optional(),
  sort: z.enum(RUN_SORTS).default('number'),
  order: z.enum(['asc', 'desc']).default('desc'),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).max(10_000_000).default(0),
  /** Cursor for the newest-first list: only runs numbered below this one. */
  before: RunNumber.optional(),
});
export type RunQuery = z.input<typeof RunQuery>;
export type RunQueryParsed = z.output<typeof RunQuery>;

export const VerdictCounts = z.object({ good: z.number().int(), medium: z.number().int(), bad: z.number().int(), null: z.number().int() });
export type VerdictCounts = z.infer<typeof VerdictCounts>;

/** What a run counts its beam on target in: its setup's unit; null for a setup this installation does not know. */
const RunUnit = CountingUnit.nullable();

/** A run as the registry lists it. */
export const RunListing = Run.extend({
  durationMs: z.number().nonnegative(),
  /** The unit of `eot`: what the run's setup counts on target (EOT electrons, MOT muons, POT pions). */
  unit: RunUnit,
  /** Particles on target as counted, in `unit`: sign-offs honoured (spills signed off bad, and runs signed off bad, left out). */
  eot: z.number().nonnegative(),
  /** Kaons on target as counted (KOT, sign-offs honoured) of a setup that counts them (a hadron beam with a CEDAR); null otherwise. */
  kot: z.number().nonnegative().nullable(),
  /** Spills per automatic DQ verdict. */
  verdicts: VerdictCounts,
  /** The run's own sign-off in force, and how many of its spills are signed off. */
  signOff: SignOffVerdict.nullable(),
  signedSpills: z.number().int().nonnegative(),
  logbookEntries: z.number().int().nonnegative(),
});
export type RunListing = z.infer<typeof RunListing>;

export const RunPage = z.object({
  runs: z.array(RunListing),
  /** Runs that match the filters (all pages). */
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  limit: z.number().int().positive(),
});
export type RunPage = z.infer<typeof RunPage>;

/** A figure as counted (sign-offs honoured) beside the automatic one. */
const Counted = z.object({ counted: z.number().nonnegative(), automatic: z.number().nonnegative() });

/** A pause of a run: who paused it and why, after which spill, and who resumed it. */
export const RunPause = z.object({
  run: z.number().int().positive(),
  pausedAt: z.number(),
  pausedBy: RunActor.nullable(),
  reason: z.string(),
  /** The last spill taken before the pause. */
  afterSpill: z.number().int().nonnegative(),
  resumedAt: z.number().nullable(),
  resumedBy: RunActor.nullable(),
});
export type RunPause = z.infer<typeof RunPause>;

export const RunSummary = z.object({
  run: Run,
  durationMs: z.number().nonnegative(),
  /** The unit of `eot` (the setup's counting unit; null: a setup this installation does not know). */
  unit: RunUnit,
  eot: Counted.extend(SignOffMoves.shape),
  /** Kaons on target of a setup that counts them, as counted (sign-offs honoured) and automatic; null otherwise. */
  kot: Counted.nullable(),
  verdicts: VerdictCounts,
  /** Spills DQ judged Bad or Medium, and spills signed off bad, with the sign-off in force beside the verdict. */
  badSpills: z.array(BadSpill),
  /** The run's own sign-off in force, each signed spill's, and every sign-off of the run, newest first. */
  signOff: SignOff.nullable(),
  spillSignOffs: z.array(SignOff),
  history: z.array(SignOff),
  logbookEntries: z.number().int().nonnegative(),
  /** Its pauses, in order. */
  pauses: z.array(RunPause),
});
export type RunSummary = z.infer<typeof RunSummary>;

export const SignOffInput = z.object({
  run: RunNumber,
  /** Leave out to sign off the whole run. */
  spill: SpillNumber.optional(),
  verdict: SignOffVerdict,
  reason: z.string().trim().min(1, 'say why: a sign-off needs a reason').max(2000, 'at most 2000 characters'),
});
export type SignOffInput = z.input<typeof SignOffInput>;

const NotFound = { NOT_FOUND: { message: 'not found' } };

/** The registry's procedures under `runs` (composed into the archive's part). */
export const runsRegistryContract = {
  // GET /runs (JSON, or Parquet and CSV for analysis) is served by src-main/api/file-routes.ts over this procedure.
  list: oc
    .input(RunQuery)
    .output(RunPage),
  summary: oc
    .route({ method: 'GET', path: '/runs/{run}/summary', summary: 'A run in one answer: spills, events, EOT as counted and automatic, spills per verdict, the bad spills, who started and stopped it, sign-offs and their history', tags: ['runs'] })
    .errors(NotFound)
    .input(z.object({ run: RunNumber }))
    .output(RunSummary),
  /** An expert's verdict on a run or a spill, with a reason; appended, never overwritten. */
  signOff: oc.errors(NotFound).input(SignOffInput).output(SignOff),
};
