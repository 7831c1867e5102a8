// Tracker hits in a DATE event: one S-Link sub-event (source TRACKER_SOURCE_ID, format FORMAT_TRACKER) with
// one 32-bit word per hit. NA64 reads its Micromegas and GEMs through APV25 chips (COMPASS ChipAPV: strip
// amplitudes, clustered offline) and its straws through ChipNA64TDC; neither bit format is in the reference.
// This block is the app's own simplification of what those give after clustering, one word per cluster:
//   bits 31–28  station (its index in the setup's list of tracker stations, 0–15)
//   bits 27–20  time: ns from the readout window's start / 2 (0–510 ns)
//   bits 19–0   position in the bending plane: µm, two's complement (±524 mm)
// The bending plane is the only one the simplified spectrometer measures (the momentum comes from the bend).

/** Source id of the tracker sub-event (the MSADC sources are 600–603, the scalers 900). */
export const TRACKER_SOURCE_ID = 700;
export const FORMAT_TRACKER = 0x31;
export const MAX_STATIONS = 16;
export const TRACKER_TIME_NS = 2;
export const MAX_TRACKER_TIME_NS = 0xff * TRACKER_TIME_NS;
const POSITION_BITS = 20;
const POSITION_MASK = (1 << POSITION_BITS) - 1;
export const MAX_POSITION_MM = ((1 << (POSITION_BITS - 1)) - 1) / 1000;

export class TrackerFormatError extends Error {}

/** One cluster as a data word; times and positions outside the word's range are clipped to its edges. */
export function trackerWord(station: number, timeNs: number, xMm: number): number {
  if (!Number.isInteger(station) || station < 0 || station >= MAX_STATIONS) throw new RangeError(`tracker station ${station} does not fit 4 bits`);
  const t = Math.max(0, Math.min(0xff, Math.round(timeNs / TRACKER_TIME_NS)));
  const um = Math.max(-(1 << (POSITION_BITS - 1)), Math.min((1 << (POSITION_BITS - 1)) - 1, Math.round(xMm * 1000)));
  return ((station << 28) | (t << 20) | (um & POSITION_MASK)) >>> 0;
}

export function stationOf(word: number): number {
  return word >>> 28;
}

export function timeNsOf(word: number): number {
  return ((word >>> 20) & 0xff) * TRACKER_TIME_NS;
}

export function positionMmOf(word: number): number {
  return (((word & POSITION_MASK) << (32 - POSITION_BITS)) >> (32 - POSITION_BITS)) / 1000;
}
