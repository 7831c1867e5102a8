// API contract of the run registry: every run with filters, sort and paging; a run's summary (spills,
// events, EOT, spills per verdict, the bad spills, who started and stopped it); and the reviewers' sign-offs
// of runs and spills (good / bad / needs-look with a reason), kept beside the automatic verdict.
import { z } from 'zod';
import { RunNumber, SpillNumber } from './schemas';

export const SIGN_OFF_VERDICTS = ['good', 'bad', 'needs-look'] as const;
export const SignOffVerdict = z.enum(SIGN_OFF_VERDICTS);
export type SignOffVerdict = z.infer<typeof SignOffVerdict>;

/** One sign-off as recorded (append-only: the one in force for a run or spill is its latest). */
export const SignOff = z.object({
  id: z.number().int().positive(),
  run: RunNumber,
  /** null: the whole run. */
  spill: SpillNumber.nullable(),
  verdict: SignOffVerdict,
  reason: z.string(),
  user: z.string(),
  role: z.string(),
  at: z.number(),
});
export type SignOff = z.infer<typeof SignOff>;
