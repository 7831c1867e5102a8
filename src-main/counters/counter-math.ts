// Counts per spill from two reads of a module's counters: the difference modulo 2^bits (a counter that
// wrapped between the reads still gives the right count, as long as it wrapped at most once), and what
// looks wrong in a spill's counts.
import type { ScalerChannel } from '../../drivers/sdk/index';

/** Counts between two reads of a counter that runs modulo 2^bits. */
export function increment(before: number, after: number, bits: number): number {
  const modulus = 2 ** bits;
  return (((after - before) % modulus) + modulus) % modulus;
}

/**
 * A beam counter is stuck when it counted nothing while the beam counters beside it counted at least this
 * many (a dead discriminator, a frozen module channel): far above any fluctuation to zero.
 */
export const STUCK_MIN_BEAM = 1000;

/** Roles that count beam particles: each sees nearly every particle of a spill. */
const BEAM_ROLES = new Set(['S1', 'S2', 'Sc']);

/** Counters that stopped counting while the beam went through the others: their names. */
export function stuckCounters(channels: readonly ScalerChannel[], counts: readonly number[]): string[] {
  const beam = channels.map((c, i) => (BEAM_ROLES.has(c.role) ? counts[i]! : 0));
  const most = Math.max(0, ...beam);
  if (most < STUCK_MIN_BEAM) return [];
  return channels.filter((c, i) => BEAM_ROLES.has(c.role) && counts[i] === 0).map((c) => c.name);
}

/**
 * The beam counters agree with the DAQ's end-of-burst scaler within 2 %: both count the same triggers and
 * particles, and the DAQ's figures are exact; a few per mille come from gates opening at slightly
 * different times. Beyond it one of them miscounts.
 */
export const CROSSCHECK_TOLERANCE = 0.02;
