// How the run registry's states look: sign-offs (colour, icon and word), who started or stopped a run,
// and a run's data quality in one badge.
import type { RunListing } from '@shared/api/runs';
import type { RunActor, SignOffVerdict } from '@shared/api/schemas';
import type { Look } from './presentation';

export function signOffLook(v: SignOffVerdict | null | undefined): Look {
  switch (v) {
    case 'good':
      return { tone: 'good', icon: '✔', label: 'SIGNED GOOD' };
    case 'bad':
      return { tone: 'bad', icon: '✘', label: 'SIGNED BAD' };
    case 'needs-look':
      return { tone: 'info', icon: '?', label: 'NEEDS A LOOK' };
    default:
      return { tone: 'idle', icon: '·', label: 'NOT SIGNED' };
  }
}

/** "anna (shifter, browser)", or "not recorded" for runs taken before it was kept. */
export function actorWords(a: RunActor | null): string {
  return a ? `${a.user} (${a.role}${a.via ? `, ${a.via}` : ''})` : 'not recorded';
}

/** The run's spills by DQ verdict in one look: the worst verdict present, with the counts in the word. */
export function runDqLook(r: Pick<RunListing, 'verdicts'>): Look {
  const v = r.verdicts;
  if (v.bad) return { tone: 'bad', icon: '✕', label: `${v.bad} BAD${v.medium ? ` · ${v.medium} MED` : ''}` };
  if (v.medium) return { tone: 'warn', icon: '!', label: `${v.medium} MEDIUM` };
  if (v.good) return { tone: 'good', icon: '✓', label: 'ALL GOOD' };
  return { tone: 'idle', icon: '–', label: 'NOT JUDGED' };
}
