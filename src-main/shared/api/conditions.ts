// API contract of the conditions of a run (MIDAS's ODB dump per run): what the experiment was set to when the
// run started, recorded in the run's own start transaction as one versioned JSON document — site and devices,
// setup, HV setpoints and readbacks, calibration set, DQ reference and thresholds, alarm definitions in force,
// software version and the run-start inputs — and the structural diff of two runs' conditions.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import type { Json } from '../json-diff';
import { RunNumber, RunType } from './schemas';

/** The version of the document's layout; a reader upgrades older documents (see conditions-store.ts). */
export const CONDITIONS_SCHEMA = 1;

const RUN_NUMBER_MAX = 2 ** 31 - 1;

const JsonValue: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(JsonValue), z.record(z.string(), JsonValue)]),
);

export const ConditionsDevice = z.object({
  plugin: z.string(),
  kind: z.string(),
  address: z.string(),
  /** The plugin's options as one line (null: the run was taken before options were recorded). */
  options: z.string().nullable(),
  /** Its state when the run started. */
  state: z.string(),
  identity: z.object({ model: z.string(), serial: z.string().nullable(), firmware: z.string().nullable(), detail: z.string() }).nullable(),
});
export type ConditionsDevice = z.infer<typeof ConditionsDevice>;

export const SetupConditions = z.object({
  name: z.string(),
  beam: z.object({ line: z.string(), particle: z.string(), energyGeV: z.number(), particlesPerSpill: z.number() }),
  trigger: JsonValue,
  monitor: JsonValue,
  /** The MSADC channel map block in force: its version, channel count and SHA-256 of its entries. */
  channelMap: z.object({ version: z.string(), channels: z.number().int(), sha256: z.string() }),
  /** The HV channel map: its file, channel count and SHA-256 of its channels. */
  hvMap: z.object({ file: z.string(), channels: z.number().int(), sha256: z.string() }),
  /** SHA-256 of the whole setup configuration (beam, trigger, detectors, monitor): any other change shows here. */
  configSha256: z.string(),
});
export type SetupConditions = z.infer<typeof SetupConditions>;

export const HvChannelConditions = z.object({
  supply: z.string(),
  /** Setpoints (null: the channel had no reading yet). */
  on: z.boolean().nullable(),
  vset: z.number().nullable(),
  iset: z.number().nullable(),
  rampUp: z.number().nullable(),
  rampDown: z.number().nullable(),
  tripTime: z.number().nullable(),
  /** Readbacks (V, µA) and the decoded status words; `readback` says whether they were current. */
  vmon: z.number().nullable(),
  imon: z.number().nullable(),
  status: z.array(z.string()),
  readback: z.string(),
});
export type HvChannelConditions = z.infer<typeof HvChannelConditions>;

export const HvConditions = z.object({
  supplies: z.record(z.string(), z.object({ model: z.string(), state: z.string() })),
  channels: z.record(z.string(), HvChannelConditions),
});
export type HvConditions = z.infer<typeof HvConditions>;

export const CalibrationConditions = z.object({
  /** The active set the monitor calibrated with (null: none yet). */
  version: z.string().nullable(),
  author: z.string().nullable(),
  activatedBy: z.string().nullable(),
  activatedAt: z.number().nullable(),
});
export type CalibrationConditions = z.infer<typeof CalibrationConditions>;

export const DqConditions = z.object({
  /** The active reference the checks compare against (null: none for this setup). */
  reference: z.object({ version: z.number().int(), run: z.number().int(), spill: z.number().int(), createdBy: z.string(), createdAt: z.number() }).nullable(),
  /** The checks' limits in force. */
  thresholds: z.record(z.string(), JsonValue),
  /** The physics cuts and goals of the setup (SRD window, signal region, EOT goal). */
  cuts: z.record(z.string(), JsonValue),
});
export type DqConditions = z.infer<typeof DqConditions>;

export const AlarmConditions = z.object({
  group: z.string(),
  /** The condition as one line: "above 5 high, 10 critical (deadband 0.5 V)", "true: high". */
  limits: z.string(),
  delayMs: z.number(),
  service: z.enum(['in service', 'shelved', 'out of service']),
  /** Only when set: counts within a window, latching, shelved or taken out of service (by whom, why). */
  count: z.string().optional(),
  latch: z.literal(true).optional(),
  shelved: z.object({ by: z.string(), until: z.number(), reason: z.string() }).optional(),
  outOfService: z.object({ by: z.string(), at: z.number(), reason: z.string() }).optional(),
});
export type AlarmConditions = z.infer<typeof AlarmConditions>;

export const RunConditions = z.object({
  schema: z.number().int().positive(),
  run: RunNumber,
  takenAt: z.number(),
  software: z.object({ name: z.string(), version: z.string() }),
  /**
   * What the run was started with; `prompts`: the answers to the run type's start prompts, `promptsVersion` the
   * version of the prompts file they answered, `promptsSource` 'entered' or how a start no one answered got them
   * (both absent for runs taken before prompts).
   */
  start: z.object({
    type: RunType,
    comment: z.string(),
    prompts: z.record(z.string(), JsonValue),
    promptsVersion: z.number().int().optional(),
    promptsSource: z.string().optional(),
  }),
  /** The site file that took the run (null for runs before sites were recorded). */
  site: z.object({ name: z.string(), file: z.string(), sha256: z.string() }).nullable(),
  devices: z.record(z.string(), ConditionsDevice),
  setup: SetupConditions,
  hv: HvConditions,
  calibration: CalibrationConditions,
  dq: DqConditions,
  alarms: z.record(z.string(), AlarmConditions),
});
export type RunConditions = z.infer<typeof RunConditions>;

const PathSegment = z.union([z.string(), z.number()]);
export const ConditionsChange = z.discriminatedUnion('op', [
  z.object({ op: z.literal('added'), path: z.array(PathSegment), new: JsonValue }),
  z.object({ op: z.literal('removed'), path: z.array(PathSegment), old: JsonValue }),
  z.object({ op: z.literal('changed'), path: z.array(PathSegment), old: JsonValue, new: JsonValue }),
]);

export const ConditionsDiff = z.object({
  /** From `from` (old) to `to` (new): `to` is the run asked about, `from` the one compared with. */
  from: RunNumber,
  to: RunNumber,
  /** How `from` was chosen: named by the caller, or the last good run (and why it counts as good). */
  chosen: z.enum(['named', 'last-good']),
  why: z.string(),
  changes: z.array(ConditionsChange),
  counts: z.object({ added: z.number().int(), removed: z.number().int(), changed: z.number().int() }),
  /** HV readbacks that differ by less than their noise allowance (not listed as changes). */
  withinTolerance: z.number().int(),
  tolerance: z.object({ vmonV: z.number(), imonUA: z.number() }),
});
export type ConditionsDiff = z.infer<typeof ConditionsDiff>;

/**
 * Another run (its number), or `last-good`: the last good run of the same type and setup before this one. Text
 * in both cases, as a query string carries it.
 */
export const DiffTarget = z
  .string()
  .regex(/^(?:[1-9]\d{0,9}|last-good)$/, { error: 'expected a run number or last-good', abort: true })
  .refine((s) => s === 'last-good' || Number(s) <= RUN_NUMBER_MAX, `a run number is at most ${RUN_NUMBER_MAX}`)
  .describe('another run (its number) or last-good');
export type DiffTarget = z.infer<typeof DiffTarget>;

/** The run a diff target names, or 'last-good'. */
export function parseDiffTarget(target: DiffTarget): number | 'last-good' {
  return target === 'last-good' ? target : Number(target);
}

export const ConditionsAnswer = z.object({
  run: RunNumber,
  conditions: RunConditions,
  diff: ConditionsDiff.nullable(),
});
export type ConditionsAnswer = z.infer<typeof ConditionsAnswer>;

export const conditionsContract = {
  runs: {
    conditions: oc
      .route({
        method: 'GET',
        path: '/runs/{run}/conditions',
        summary: "The run's conditions at its start; with ?diff=OTHER (a run number or last-good) what changed from OTHER to this run",
        tags: ['archive'],
      })
      .errors({ NOT_FOUND: { message: 'not found' }, BAD_REQUEST: { message: 'refused' } })
      .input(z.object({ run: RunNumber, diff: DiffTarget.optional() }))
      .output(ConditionsAnswer),
  },
};
