// The end-of-burst scaler block: one S-Link sub-event (source 900, format 0x20) in the EOB event carrying the
// spill's totals as plain 32-bit words, in this order.
/** `gateUs`: how long the spill gate was open (the time the counts were taken over). */
export const SCALER_WORDS = ['particles', 'triggers', 'accepted', 'deadTimeUs', 'gateUs', 'physics', 'beam', 'random'] as const;

export type ScalerTotals = Record<(typeof SCALER_WORDS)[number], number>;

export function scalerWords(t: ScalerTotals): number[] {
  return SCALER_WORDS.map((k) => Math.max(0, Math.min(0xffffffff, Math.round(t[k]))));
}

/** Totals from the block's payload words; null when the block is too short. */
export function scalersFromWords(words: ArrayLike<number>): ScalerTotals | null {
  if (words.length < SCALER_WORDS.length) return null;
  const out = {} as ScalerTotals;
  SCALER_WORDS.forEach((k, i) => (out[k] = words[i]!));
  return out;
}
