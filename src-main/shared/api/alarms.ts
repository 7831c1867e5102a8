// API contract of the alarm system.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { AlarmState, Guidance, MAX_SHELVE_MS, Priority } from '../alarms';
import { Role } from '../auth';
import { QueryFlag } from './schemas';

const AlarmId = z.string().min(1).max(128);
const Reason = z.string().max(2000, 'at most 2000 characters');

export const AlarmView = z.object({
  id: z.string(),
  name: z.string(),
  group: z.string(),
  input: z.string(),
  state: AlarmState,
  priority: Priority.nullable(),
  maxPriority: Priority,
  value: z.number().nullable(),
  unit: z.string(),
  flag: z.boolean(),
  since: z.number(),
  guidance: Guidance,
  view: z.string(),
  sound: z.enum(['priority', 'none']),
  latching: z.boolean(),
  shelved: z.object({ user: z.string(), reason: z.string(), until: z.number() }).nullable(),
  outOfService: z.object({ user: z.string(), reason: z.string(), at: z.number() }).nullable(),
  invalid: z.string().nullable(),
  chattering: z.boolean(),
});
export type AlarmView = z.infer<typeof AlarmView>;

export const AlarmLogEntry = z.object({
  at: z.number(),
  alarm: z.string(),
  kind: z.string(),
  from: z.string(),
  to: z.string(),
  priority: Priority.nullable(),
  value: z.number().nullable(),
  user: z.string().nullable(),
  role: Role.nullable(),
  reason: z.string().nullable(),
});
export type AlarmLogEntry = z.infer<typeof AlarmLogEntry>;

const Mute = z.object({ user: z.string(), reason: z.string(), at: z.number() }).nullable();
export const MuteState = z.object({ low: Mute, medium: Mute, high: Mute, critical: Mute });
export type MuteState = z.infer<typeof MuteState>;

const Annunciation = z.object({ alarm: z.string(), name: z.string(), priority: Priority, at: z.number(), sound: z.enum(['priority', 'none']) });
export const Announcement = z.discriminatedUnion('kind', [
  Annunciation.extend({ kind: z.literal('alarm') }),
  z.object({ kind: z.literal('summary'), first: Annunciation, more: z.number().int(), at: z.number() }),
]);
export type Announcement = z.infer<typeof Announcement>;

export const AlarmLiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('snapshot'), alarms: z.array(AlarmView), muted: MuteState, at: z.number() }),
  z.object({ type: z.literal('changed'), alarms: z.array(AlarmView), at: z.number() }),
  z.object({ type: z.literal('announce'), announcement: Announcement }),
  z.object({ type: z.literal('muted'), muted: MuteState }),
  z.object({ type: z.literal('heartbeat'), at: z.number() }),
]);
export type AlarmLiveEvent = z.infer<typeof AlarmLiveEvent>;

export const StandingAlarm = z.object({ alarm: z.string(), state: AlarmState, priority: Priority.nullable(), since: z.number().nullable() });
export const AlarmKpi = z.object({
  from: z.number(),
  to: z.number(),
  alarms: z.number(),
  per10Min: z.object({ average: z.number(), max: z.number(), buckets: z.array(z.object({ start: z.number(), count: z.number() })) }),
  floodPercent: z.number(),
  priorities: z.object({ low: z.number(), medium: z.number(), high: z.number(), critical: z.number() }),
  topAlarms: z.array(z.object({ alarm: z.string(), count: z.number() })),
  shelved: z.array(z.object({ alarm: z.string(), user: z.string(), reason: z.string(), until: z.number() })),
  chattering: z.array(z.object({ alarm: z.string(), count: z.number() })),
  acknowledge: z.object({ count: z.number(), medianMs: z.number().nullable(), p90Ms: z.number().nullable() }),
  standing: z.array(StandingAlarm),
  stale: z.array(StandingAlarm),
});
export type AlarmKpi = z.infer<typeof AlarmKpi>;
export type StandingAlarm = z.infer<typeof StandingAlarm>;

const Refused = { BAD_REQUEST: { message: 'the alarm system refused' }, NOT_FOUND: { message: 'no such alarm' } };

export const alarmsContract = {
  alarms: {
    list: oc.output(z.array(AlarmView)),
    /** The alarms not in the normal state (every alarm with `all`): what a script watching the beam line asks. */
    current: oc
      .route({ method: 'GET', path: '/alarms', summary: 'Current alarms (all of them with ?all=1): state, priority, value, since, guidance', tags: ['alarms'] })
      .input(z.object({ all: QueryFlag.optional() }))
      .output(z.array(AlarmView)),
    log: oc
      .route({ method: 'GET', path: '/alarms/log', summary: 'The alarm log, newest first', tags: ['alarms'] })
      .input(
        z.object({
          from: z.number().optional(),
          to: z.number().optional(),
          alarm: AlarmId.optional(),
          user: z.string().max(64).optional(),
          limit: z.number().int().min(1).max(10_000).default(500),
        }),
      )
      .output(z.array(AlarmLogEntry)),
    kpi: oc.input(z.object({ from: z.number().optional(), to: z.number().optional() })).output(AlarmKpi),
    acknowledge: oc
      .errors(Refused)
      .input(z.object({ ids: z.array(AlarmId).min(1).max(10_000), comment: Reason.default('') }))
      .output(z.array(AlarmView)),
    shelve: oc
      .errors(Refused)
      .input(z.object({ id: AlarmId, reason: Reason.min(1, 'shelving needs a reason'), durationMs: z.number().int().positive().max(MAX_SHELVE_MS) }))
      .output(AlarmView),
    unshelve: oc.errors(Refused).input(z.object({ id: AlarmId, comment: Reason.default('') })).output(AlarmView),
    reset: oc.errors(Refused).input(z.object({ id: AlarmId, comment: Reason.default('') })).output(AlarmView),
    outOfService: oc.errors(Refused).input(z.object({ id: AlarmId, reason: Reason.min(1, 'a reason is needed') })).output(AlarmView),
    inService: oc.errors(Refused).input(z.object({ id: AlarmId, comment: Reason.default('') })).output(AlarmView),
    mute: oc
      .errors(Refused)
      .input(z.object({ priority: Priority, muted: z.boolean(), reason: Reason.default('') }))
      .output(MuteState),
    live: oc.output(eventIterator(AlarmLiveEvent)),
  },
};
