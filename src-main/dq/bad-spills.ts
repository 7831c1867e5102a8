// The bad-spill list as offline analysis uses it: the spills DQ judged Bad or Medium, and the spills a
// reviewer signed off bad (one by one, or all of a run signed off bad), each with the verdict in force, the
// automatic one beside it, whether its EOT counts, and the reasons in words, the sign-off's first.
import type { BadSpill } from '../shared/api/dq';
import type { SignOff, Verdict } from '../shared/api/schemas';
import { describeSignOff, type SignOffsInForce } from '../runs/sign-offs';
import type { DqCheck } from './checks';

/** "Bad: …; Medium: …": why the checks flagged a spill. */
export function flaggedReasons(checks: readonly DqCheck[]): string {
  return checks
    .filter((c) => c.verdict === 'bad' || c.verdict === 'medium')
    .map((c) => `${c.verdict === 'bad' ? 'Bad' : 'Medium'}: ${c.reason}`)
    .join('; ');
}

/** The sign-off that decides for a spill: its run's when the run is signed off bad, else the spill's own. */
export function signOffFor(spill: number, inForce: SignOffsInForce): SignOff | null {
  if (inForce.run?.verdict === 'bad') return inForce.run;
  return inForce.spills.get(spill) ?? null;
}

export interface BadSpillRecord {
  run: number;
  spill: number;
  startedAt: number;
  endedAt: number;
  /** null: the spill has no DQ record (taken before monitoring existed). */
  automatic: { verdict: Verdict; detectors: Record<string, Verdict>; checks: DqCheck[] } | null;
}

export function toBadSpill(r: BadSpillRecord, signOff: SignOff | null): BadSpill {
  const automatic = r.automatic?.verdict ?? 'null';
  const verdict: Verdict = signOff?.verdict === 'bad' ? 'bad' : signOff?.verdict === 'good' ? 'good' : automatic;
  return {
    run: r.run,
    spill: r.spill,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    verdict,
    automatic,
    detectors: r.automatic?.detectors ?? {},
    inEot: signOff?.verdict !== 'bad',
    signOff,
    reasons: [signOff ? describeSignOff(signOff) : '', flaggedReasons(r.automatic?.checks ?? [])].filter(Boolean).join('; '),
  };
}
