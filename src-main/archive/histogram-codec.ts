// Histograms are stored as deflated JSON snapshots: a 300-bin spectrum that is mostly empty shrinks ~10×,
// and the format stays readable by any SQLite client plus a one-line inflate.
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { HistSnapshot as HistSnapshotSchema } from '../shared/api/schemas';
import type { HistSnapshot } from '../shared/histogram';

export const HISTOGRAM_ENCODING = 'json+deflate';

export function encodeHistogram(h: HistSnapshot): Uint8Array {
  return deflateSync(strToU8(JSON.stringify(h)), { level: 1 });
}

export function decodeHistogram(encoding: string, data: Uint8Array): HistSnapshot {
  if (encoding !== HISTOGRAM_ENCODING) throw new Error(`unknown histogram encoding "${encoding}"`);
  return HistSnapshotSchema.parse(JSON.parse(strFromU8(inflateSync(data))));
}
