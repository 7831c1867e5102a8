// The alarm model of ISA-18.2 / IEC 62682 as the UI and the API see it. Environment-free: the renderer
// uses the same state names, priorities and looks.
import { z } from 'zod';

export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const Priority = z.enum(PRIORITIES);
export type Priority = z.infer<typeof Priority>;

export function priorityRank(p: Priority | null): number {
  return p === null ? -1 : PRIORITIES.indexOf(p);
}

export function maxPriority(a: Priority | null, b: Priority | null): Priority | null {
  return priorityRank(a) >= priorityRank(b) ? a : b;
}

/**
 * What an alarm is now, in the standard's words:
 *   normal · unack (in alarm, not acknowledged) · ack (in alarm, acknowledged) · rtn-unack (returned to
 *   normal, not acknowledged) · latched (cleared, but waits for a reset) · shelved (hidden by an operator
 *   until an expiry) · suppressed (by design, e.g. in a calibration run) · out-of-service (maintenance) ·
 *   cannot-evaluate (its input is missing or stale).
 */
export const ALARM_STATES = [
  'normal',
  'unack',
  'ack',
  'rtn-unack',
  'latched',
  'shelved',
  'suppressed',
  'out-of-service',
  'cannot-evaluate',
] as const;
export const AlarmState = z.enum(ALARM_STATES);
export type AlarmState = z.infer<typeof AlarmState>;

/** Shelving presets offered to the operator; every shelve has an expiry, at most a week. */
export const SHELVE_PRESETS_MS = {
  '1 h': 3_600_000,
  '4 h': 4 * 3_600_000,
  '8 h': 8 * 3_600_000,
  '1 d': 86_400_000,
  '7 d': 7 * 86_400_000,
} as const;
export const MAX_SHELVE_MS = 7 * 86_400_000;

/** An alarm that enters alarm this many times within the window is chattering (a bad actor to fix). */
export const CHATTER = { times: 3, withinMs: 60_000 };
/** ISA-18.2: an alarm in alarm for more than 24 hours is stale. */
export const STALE_AFTER_MS = 24 * 3_600_000;

export const Guidance = z.object({
  cause: z.string().min(1),
  consequence: z.string().min(1),
  action: z.string().min(1),
});
export type Guidance = z.infer<typeof Guidance>;
