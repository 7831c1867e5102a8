// How reviewers' sign-offs are said in words, the same on the screens and from `na64rc ctl`.
import type { SignOffMoves } from './api/dq';
import type { SignOff, SignOffVerdict } from './api/schemas';

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** "sign-offs: 2 spills signed off bad left out (3.1×10^8 EOT); 1 flagged spill signed off good kept", or null if none moved. */
export function describeSignOffMoves(m: SignOffMoves, eot: (n: number) => string, unit = 'EOT'): string | null {
  const parts: string[] = [];
  if (m.excludedSpills) parts.push(`${plural(m.excludedSpills, 'spill')} signed off bad left out (${eot(m.excludedEot)} ${unit})`);
  if (m.keptSpills) parts.push(`${plural(m.keptSpills, 'flagged spill')} signed off good kept`);
  return parts.length ? `sign-offs: ${parts.join('; ')}` : null;
}

export const SIGN_OFF_WORDS: Record<SignOffVerdict, string> = { good: 'signed off good', bad: 'signed off bad', 'needs-look': 'needs a look' };

/** "signed off bad by anna (expert): HV trip in ECAL" */
export function describeSignOffBy(s: Pick<SignOff, 'verdict' | 'user' | 'role' | 'reason'>): string {
  return `${SIGN_OFF_WORDS[s.verdict]} by ${s.user} (${s.role}): ${s.reason}`;
}
