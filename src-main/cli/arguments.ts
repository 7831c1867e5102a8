// Command-line values checked as they are read: a refused value says what was expected.
import { InvalidArgumentError } from 'commander';

export function integer(min: number, max: number) {
  return (raw: string): number => {
    if (!/^-?\d+$/.test(raw)) throw new InvalidArgumentError(`expected a whole number, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

export function positiveNumber(max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`expected a number above 0 and at most ${max}, got "${raw}"`);
    return n;
  };
}

/** A run number (1 … 2³¹ − 1) or the words last-good (`ctl run conditions --diff`). */
export function runOrLastGood(raw: string): string {
  if (raw === 'last-good') return raw;
  const n = /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(n >= 1 && n <= 2 ** 31 - 1)) throw new InvalidArgumentError(`expected a run number (1 to ${2 ** 31 - 1}) or last-good, got "${raw}"`);
  return String(n);
}

/** A probability: a number from 0 to 1. */
export function probability(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError(`expected a number from 0 to 1, got "${raw}"`);
  return n;
}

/** A coupling (ε of a dark photon, g of the muon's Z_μ): above 0 and at most 1. */
export function coupling(raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 1) throw new InvalidArgumentError(`expected a coupling above 0 and at most 1, got "${raw}"`);
  return n;
}

/** A′ masses in MeV, comma-separated (e.g. "1,16.7,100"): each above 0 and below the beam's 100 GeV scale. */
export function massesMeV(raw: string): number[] {
  const parse = positiveNumber(100_000);
  const out = raw.split(',').map((m) => parse(m.trim()));
  if (out.length > 50) throw new InvalidArgumentError(`at most 50 masses, got ${out.length}`);
  return out;
}
