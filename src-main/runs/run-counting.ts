// What a run counted on target, from the setup it recorded: the unit of its `eot` (EOT, MOT, POT) and
// whether it counts kaons (KOT) beside it. A data directory can hold runs of several setups (a server is
// started with one, a later one with another), so the run list and the exports ask per run, never assume the
// server's own setup: that one answers at once, another is read once from setups/. A setup this installation
// does not have answers null: its unit is unknown, and said so rather than guessed.
import { counting, kaonCounting } from '../setup/monitoring';
import type { CountingUnit } from '../shared/api/schemas';
import { loadSetup, type Setup } from '../../setups/load';

export interface RunCounting {
  unit: CountingUnit;
  /** Whether the setup counts its kaons on target (a hadron beam with a CEDAR). */
  kaons: boolean;
}

type CountingFacts = Pick<Setup, 'name' | 'beam' | 'monitor' | 'detectors'>;

function countingOf(setup: CountingFacts): RunCounting {
  // A setup's own count is never KOT (kaons are counted beside the POT), so the narrowing holds.
  return { unit: counting(setup).unit as CountingUnit, kaons: kaonCounting(setup) !== null };
}

export class RunCountings {
  private readonly known = new Map<string, RunCounting | null>();

  constructor(current?: CountingFacts, private readonly load: (name: string) => CountingFacts = loadSetup) {
    if (current) this.known.set(current.name, countingOf(current));
  }

  /** The counting of the setup named `setup`, or null when this installation does not know it. */
  of(setup: string): RunCounting | null {
    if (!this.known.has(setup)) {
      let c: RunCounting | null = null;
      try {
        c = countingOf(this.load(setup));
      } catch {
        // A setup this installation does not have: its unit stays unknown.
      }
      this.known.set(setup, c);
    }
    return this.known.get(setup)!;
  }
}

/**
 * Kaons on target (of a run or a spill) as the API and the exports give them: null where the setup counts no
 * kaons; 0 for a kaon-counting run with no judged spill yet; for a setup this installation does not know,
 * what is stored.
 */
export function kaonsOnTarget(c: RunCounting | null, stored: number | null): number | null {
  if (c === null) return stored;
  return c.kaons ? (stored ?? 0) : null;
}
