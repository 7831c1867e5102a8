// Why a run ended: one choice from the run type's list (what the registry and the shift summary can count),
// beside the free text. Runs the system closes (a failed start, a shutdown, a crash found at the next start)
// have none: their end is 'aborted' with the reason in words.
import { z } from 'zod';
import type { RunType } from './api/schemas';

const COMMON = ['completed as planned', 'detector or HV problem', 'DAQ or trigger problem', 'configuration change', 'test'] as const;
const WITH_BEAM = ['beam lost or degraded'] as const;

export const END_REASONS = {
  physics: [...COMMON, ...WITH_BEAM, 'end of the period', 'other'],
  calibration: [...COMMON, ...WITH_BEAM, 'other'],
  led: [...COMMON, 'other'],
  pedestal: [...COMMON, 'other'],
  cosmics: [...COMMON, 'other'],
} as const satisfies Record<RunType, readonly string[]>;

export const EndReason = z.enum([...COMMON, ...WITH_BEAM, 'end of the period', 'other']);
export type EndReason = z.infer<typeof EndReason>;

/** Why this end reason cannot close a run of this type, or null when it can. */
export function endReasonProblem(type: RunType, endReason: EndReason, text: string): string | null {
  const allowed: readonly string[] = END_REASONS[type];
  if (!allowed.includes(endReason)) return `"${endReason}" is not an end reason of a ${type} run; choose one of: ${allowed.join(', ')}`;
  if (endReason === 'other' && !text.trim()) return 'the end reason "other" needs the reason in words';
  return null;
}
