// API contract of high voltage: channels with readbacks and status words, commands with their lifecycle,
// the live stream, history, snapshots (save / compare / restore / golden) and the audit trail.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { Role } from '../auth';
import { Comment } from './schemas';

export const HV_PARAMETER_NAMES = ['vset', 'iset', 'rampUp', 'rampDown', 'tripTime', 'maxV'] as const;
export const HvParameterName = z.enum(HV_PARAMETER_NAMES);
export type HvParameterName = z.infer<typeof HvParameterName>;

/** Channel (cell) names as the setup's HV map spells them: ECAL1-3-3, HCAL0-1-2, VETO3, S0, … */
export const HvChannelName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]{0,31}$/, 'an HV channel name is a cell name such as ECAL1-3-3 or S0');

export const DriverState = z.enum(['connecting', 'online', 'degraded', 'offline']);

/** Why a value on screen is not fresh. */
export const Staleness = z.enum(['fresh', 'no-reading', 'supply-offline', 'not-updated', 'readback-stuck']);
export type Staleness = z.infer<typeof Staleness>;

export const HvChannel = z.object({
  name: z.string(),
  detector: z.string(),
  supply: z.string(),
  /** Channel on its supply, and its board (CAEN BD) and channel there. */
  channel: z.number().int(),
  board: z.number().int(),
  boardChannel: z.number().int(),
  nominalVolts: z.number(),
  /** Null until the first reading. */
  vset: z.number().nullable(),
  vmon: z.number().nullable(),
  iset: z.number().nullable(),
  imon: z.number().nullable(),
  rampUp: z.number().nullable(),
  rampDown: z.number().nullable(),
  tripTime: z.number().nullable(),
  maxV: z.number().nullable(),
  on: z.boolean().nullable(),
  /** Decoded status words (trip, over-current, interlock, ramp-up, …) and latched events not yet cleared. */
  conditions: z.array(z.string()),
  latched: z.array(z.string()),
  rawStatus: z.number().int().nullable(),
  /** When the readback was last read from the device (ms), and whether it is current. */
  updatedAt: z.number().nullable(),
  staleness: Staleness,
});
export type HvChannel = z.infer<typeof HvChannel>;

export const HvSupplyStatus = z.object({
  id: z.string(),
  model: z.string(),
  address: z.string(),
  state: DriverState,
  reason: z.string(),
  pollMs: z.number(),
  lastPollAt: z.number().nullable(),
  boards: z.array(
    z.object({ board: z.number().int(), model: z.string(), control: z.enum(['remote', 'local']), interlock: z.boolean(), alarms: z.array(z.string()) }),
  ),
});
export type HvSupplyStatus = z.infer<typeof HvSupplyStatus>;

export const HvOverview = z.object({
  setup: z.string(),
  serverTime: z.number(),
  supplies: z.array(HvSupplyStatus),
  channels: z.array(HvChannel),
});
export type HvOverview = z.infer<typeof HvOverview>;

/** requested → sent → acknowledged → confirmed (by readback), or refused / timed-out / failed. */
export const HvCommandPhase = z.enum(['requested', 'sent', 'acknowledged', 'confirmed', 'refused', 'timed-out', 'failed']);
export type HvCommandPhase = z.infer<typeof HvCommandPhase>;

export const HvAction = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('switch'), on: z.boolean() }),
  z.object({ kind: z.literal('set'), parameter: HvParameterName, value: z.number().finite() }),
  z.object({ kind: z.literal('clear') }),
]);
export type HvAction = z.infer<typeof HvAction>;

export const HvCommand = z.object({
  id: z.number().int(),
  at: z.number(),
  user: z.string(),
  action: HvAction,
  description: z.string(),
  channels: z.array(z.object({ channel: z.string(), phase: HvCommandPhase, message: z.string() })),
});
export type HvCommand = z.infer<typeof HvCommand>;

export const HvLiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('overview'), overview: HvOverview }),
  z.object({ type: z.literal('channels'), serverTime: z.number(), supply: HvSupplyStatus, channels: z.array(HvChannel) }),
  z.object({ type: z.literal('command'), command: HvCommand }),
]);
export type HvLiveEvent = z.infer<typeof HvLiveEvent>;

const Stat = z.object({ mean: z.number(), min: z.number(), max: z.number(), std: z.number() });
export const HvHistory = z.object({
  channel: z.string(),
  level: z.enum(['raw', '1 min', '10 min', '1 h', '1 day']),
  bucketMs: z.number(),
  from: z.number(),
  to: z.number(),
  points: z.array(z.object({ t: z.number(), n: z.number().int(), vmon: Stat, imon: Stat })),
  runs: z.array(z.object({ number: z.number().int(), startedAt: z.number(), stoppedAt: z.number().nullable() })),
});
export type HvHistory = z.infer<typeof HvHistory>;

export const HistoryQuery = z
  .object({
    channel: HvChannelName,
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    points: z.number().int().min(10).max(5000).default(1000),
  })
  .refine((q) => q.to > q.from, 'to must be after from');

export const HvSnapshotValue = z.object({
  channel: z.string(),
  on: z.boolean(),
  vset: z.number(),
  iset: z.number(),
  rampUp: z.number(),
  rampDown: z.number(),
  tripTime: z.number(),
});
export type HvSnapshotValue = z.infer<typeof HvSnapshotValue>;

export const HvSnapshot = z.object({
  id: z.number().int(),
  setup: z.string(),
  name: z.string(),
  createdAt: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  golden: z.boolean(),
  channels: z.number().int(),
});
export type HvSnapshot = z.infer<typeof HvSnapshot>;

export const SnapshotName = z.string().trim().min(1, 'a snapshot needs a name').max(80, 'at most 80 characters');

export const HvComparison = z.object({
  left: z.string(),
  right: z.string(),
  rows: z.array(
    z.object({
      channel: z.string(),
      detector: z.string(),
      left: HvSnapshotValue.nullable(),
      right: HvSnapshotValue.nullable(),
      differences: z.array(z.string()),
    }),
  ),
});
export type HvComparison = z.infer<typeof HvComparison>;

export const HvRestoreResult = z.object({
  snapshot: HvSnapshot,
  channels: z.array(z.object({ channel: z.string(), result: z.enum(['unchanged', 'restored', 'failed']), message: z.string() })),
});
export type HvRestoreResult = z.infer<typeof HvRestoreResult>;

export const HvAuditEntry = z.object({
  id: z.number().int(),
  at: z.number(),
  user: z.string(),
  role: Role,
  channel: z.string(),
  parameter: z.string(),
  old: z.string().nullable(),
  new: z.string().nullable(),
  reason: z.string(),
  result: z.enum(['acknowledged', 'refused', 'unreachable', 'forbidden']),
  detail: z.string(),
});
export type HvAuditEntry = z.infer<typeof HvAuditEntry>;

const Reason = Comment;
const Channels = z.array(HvChannelName).min(1, 'name at least one channel').max(500);
const NotFound = { NOT_FOUND: { message: 'no such HV channel or snapshot' } };
const Conflict = { CONFLICT: { message: 'the request conflicts with what exists' } };

export const hvContract = {
  hv: {
    overview: oc
      .route({ method: 'GET', path: '/hv', summary: 'Every HV supply and channel: settings, readings, status words, latched events, freshness', tags: ['HV'] })
      .output(HvOverview),
    /** The overview first, then every poll's channels and every command's progress. */
    live: oc.output(eventIterator(HvLiveEvent)),
    command: oc
      .errors(NotFound)
      .input(z.object({ channels: Channels, action: HvAction, reason: Reason.default('') }))
      .output(HvCommand),
    history: oc.errors(NotFound).input(HistoryQuery).output(HvHistory),
    /** The raw samples of a channel as CSV. */
    historyCsv: oc
      .errors(NotFound)
      .input(z.object({ channel: HvChannelName, from: z.number().int().nonnegative(), to: z.number().int().nonnegative() }))
      .output(z.object({ filename: z.string(), content: z.string() })),
    audit: oc
      .input(
        z.object({
          limit: z.number().int().min(1).max(100_000).default(200),
          before: z.number().int().positive().optional(),
          channel: HvChannelName.optional(),
        }),
      )
      .output(z.array(HvAuditEntry)),
    snapshots: {
      list: oc.output(z.array(HvSnapshot)),
      save: oc
        .errors(Conflict)
        .input(z.object({ name: SnapshotName, comment: Comment.default('') }))
        .output(HvSnapshot),
      values: oc.errors(NotFound).input(z.object({ id: z.number().int().positive() })).output(z.array(HvSnapshotValue)),
      /** Two snapshots, or a snapshot (left) against the live settings when `right` is omitted. */
      compare: oc
        .errors(NotFound)
        .input(z.object({ left: z.number().int().positive(), right: z.number().int().positive().optional() }))
        .output(HvComparison),
      markGolden: oc.errors(NotFound).input(z.object({ id: z.number().int().positive() })).output(HvSnapshot),
      restore: oc
        .errors({ ...NotFound, ...Conflict })
        .input(z.object({ id: z.number().int().positive(), reason: Reason.default('') }))
        .output(HvRestoreResult),
    },
  },
};
