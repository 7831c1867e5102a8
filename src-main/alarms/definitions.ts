// Alarm definitions: what is watched, when it is an alarm, how urgent, and what the operator should do.
// They come from the setup's configuration and are validated here; a bad definition stops the start with a
// message naming the alarm, rather than silently watching nothing.
import { z } from 'zod';
import { Guidance, Priority, priorityRank } from '../shared/alarms';
import { RunType } from '../shared/api/schemas';

const Level = z.object({ priority: Priority, set: z.number().finite() });

export const Condition = z.discriminatedUnion('kind', [
  /** In alarm at or above a level's set point; clears below set − deadband (hysteresis). */
  z.object({ kind: z.literal('above'), levels: z.array(Level).min(1), deadband: z.number().nonnegative().default(0) }),
  /** In alarm at or below a level's set point; clears above set + deadband. */
  z.object({ kind: z.literal('below'), levels: z.array(Level).min(1), deadband: z.number().nonnegative().default(0) }),
  /** In alarm while the input is true (a status bit: trip, driver offline, …). */
  z.object({ kind: z.literal('true'), priority: Priority }),
]);
export type Condition = z.infer<typeof Condition>;

export const ALARM_GROUPS = ['hv', 'daq', 'dq', 'calibration', 'beamline', 'system', 'engine'] as const;
export const AlarmGroup = z.enum(ALARM_GROUPS);
export type AlarmGroup = z.infer<typeof AlarmGroup>;

export const AlarmDefinition = z
  .object({
    // Ids may carry cell names in the experiment's spelling (hv.trip:ECAL1-3-3).
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'alarm ids are letters, digits and . _ : -'),
    name: z.string().min(1).max(200),
    group: AlarmGroup,
    /** The input this alarm watches (e.g. "hv:ECAL1-3-3:trip", "daq:processed-fraction"). */
    input: z.string().min(1).max(200),
    condition: Condition,
    unit: z.string().max(16).default(''),
    /** The condition must hold this long before the alarm is raised (on-delay). */
    delayMs: z.number().nonnegative().default(0),
    /** …or come back this many times within the window (bursts shorter than the delay). */
    count: z.object({ times: z.number().int().min(2), withinMs: z.number().positive() }).optional(),
    /** A latching alarm stays until an operator resets it, even after the condition clears. */
    latch: z.boolean().default(false),
    /** The input must update at least this often, else the alarm "cannot evaluate". */
    staleAfterMs: z.number().positive().nullable().default(null),
    guidance: Guidance,
    /** The view that shows the related equipment (a route name of the UI). */
    view: z.string().regex(/^[a-z-]+$/).default('alarms'),
    /** Sound class; by default the priority decides. */
    sound: z.enum(['priority', 'none']).default('priority'),
  })
  .superRefine((d, ctx) => {
    if (d.condition.kind === 'true') return;
    const levels = d.condition.levels;
    for (let i = 1; i < levels.length; i++) {
      const [a, b] = [levels[i - 1]!, levels[i]!];
      if (priorityRank(b.priority) <= priorityRank(a.priority)) {
        ctx.addIssue({ code: 'custom', message: 'levels must be listed in rising priority' });
      }
      const rising = d.condition.kind === 'above' ? b.set > a.set : b.set < a.set;
      if (!rising) ctx.addIssue({ code: 'custom', message: `a more urgent level must be further ${d.condition.kind} the less urgent one` });
    }
  });
export type AlarmDefinition = z.infer<typeof AlarmDefinition>;
export type AlarmDefinitionInput = z.input<typeof AlarmDefinition>;

/**
 * Suppression by design: in these run types the listed groups (or alarm ids) are not annunciated, because
 * they do not matter then (e.g. beam-rate alarms during pedestal runs). Critical alarms always come through.
 */
export const RunTypeProfiles = z.record(RunType, z.object({ suppress: z.array(z.string().min(1)) }));
export type RunTypeProfiles = z.infer<typeof RunTypeProfiles>;

export function suppressedBy(profiles: RunTypeProfiles, runType: RunType | null, def: AlarmDefinition): boolean {
  if (runType === null) return false;
  return matchesAny(profiles[runType]?.suppress ?? [], def);
}

/** Whether a list of groups, alarm ids and id prefixes ("device.offline:*") names the alarm. */
export function matchesAny(list: readonly string[], def: AlarmDefinition): boolean {
  return list.some((s) => s === def.group || s === def.id || (s.endsWith('*') && def.id.startsWith(s.slice(0, -1))));
}

export class AlarmDefinitionError extends Error {}

export function parseDefinitions(raw: readonly unknown[]): AlarmDefinition[] {
  const seen = new Set<string>();
  return raw.map((item, i) => {
    const result = AlarmDefinition.safeParse(item);
    if (!result.success) {
      const id = (item as { id?: unknown })?.id;
      const where = typeof id === 'string' ? `alarm "${id}"` : `alarm definition #${i + 1}`;
      const issues = result.error.issues.map((x) => `${x.path.join('.') || '(definition)'}: ${x.message}`).join('; ');
      throw new AlarmDefinitionError(`${where} is invalid: ${issues}`);
    }
    if (seen.has(result.data.id)) throw new AlarmDefinitionError(`alarm "${result.data.id}" is defined twice`);
    seen.add(result.data.id);
    return result.data;
  });
}
