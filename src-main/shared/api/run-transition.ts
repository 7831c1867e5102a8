// What the screens see of a run transition in progress (each participant's answer) and of a run's automatic
// stop (the limits and how far the run is from them). A run's pauses are in ./runs.ts (RunPause).
import { z } from 'zod';

export const TRANSITION_KINDS = ['start', 'pause', 'resume', 'stop'] as const;
export const TransitionKind = z.enum(TRANSITION_KINDS);
export type TransitionKind = z.infer<typeof TransitionKind>;

export const TransitionParticipantView = z.object({
  name: z.string(),
  sequence: z.number().int(),
  /** pending: not asked yet; deferred: holding the transition back (`detail` says for what). */
  state: z.enum(['pending', 'deferred', 'ready', 'refused']),
  detail: z.string().nullable(),
  /** A deferral refuses at this time (ms) if its condition has not come. */
  deferredUntil: z.number().nullable(),
});
export type TransitionParticipantView = z.infer<typeof TransitionParticipantView>;

export const TransitionView = z.object({
  kind: TransitionKind,
  startedAt: z.number(),
  participants: z.array(TransitionParticipantView),
});
export type TransitionView = z.infer<typeof TransitionView>;

/** A transition as the screens follow it: in progress, or how the last one ended (a refusal stays on screen). */
export const TransitionRecord = TransitionView.extend({
  outcome: z.enum(['in progress', 'done', 'refused', 'cancelled']),
  endedAt: z.number().nullable(),
});
export type TransitionRecord = z.infer<typeof TransitionRecord>;

/** A run stops by itself at the first limit reached; `restart` then starts the next run of the same type (MIDAS auto-restart). */
export const AutoStop = z
  .object({
    spills: z.number().int().min(1).max(4095).optional(),
    /** The setup's counting unit (EOT, MOT or POT) collected in the run. */
    units: z.number().positive().max(1e16).optional(),
    minutes: z.number().positive().max(7 * 24 * 60).optional(),
    restart: z.boolean().default(false),
  })
  .refine((a) => a.spills !== undefined || a.units !== undefined || a.minutes !== undefined, { message: 'an automatic stop needs a limit: spills, a counting-unit total or minutes' });
export type AutoStop = z.infer<typeof AutoStop>;

/** How far the run is from its automatic stop, for a countdown. */
export const AutoStopView = z.object({
  limits: AutoStop,
  unit: z.string(),
  spills: z.number().int().nonnegative(),
  units: z.number().nonnegative(),
  /** When the time limit stops the run (ms), if there is one. */
  endsAt: z.number().nullable(),
  /** The next run of the same type follows (its number is not known until it starts). */
  restart: z.boolean(),
  /** Runs already started in this chain of automatic restarts, this one included. */
  chain: z.number().int().positive(),
});
export type AutoStopView = z.infer<typeof AutoStopView>;
