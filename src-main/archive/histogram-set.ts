// A spill's histograms in one blob (issue 19, migration 0025): one row of spill_histogram_sets per spill
// instead of one row of spill_histograms per histogram, whose 51 keys and primary-key index cost ≈ 3.9 kB a
// spill. Each histogram stays deflated on its own (`bins+deflate`, histogram-codec.ts), so reading one
// histogram of a spill inflates the set's small index and that one histogram, not the others, and a damaged
// histogram leaves the others of its spill readable.
//
// Layout (encoding `set1/bins+deflate`; varint: unsigned LEB128; str: varint byte length + UTF-8):
//   u8 version (1) · varint index length · index · the histograms' `bins+deflate` blobs, one after another
//   index: deflated (zlib format, with its checksum) against the histograms' preset dictionary, which holds
//          their names; inflated: varint count · per histogram: str name · u8 kind (1 TH1D, 2 TH2D) ·
//          varint byte length of its blob
// Every length is checked against the blob: a truncated, padded or hostile blob is an error that says which.
import { deflateSync, inflateSync } from 'node:zlib';
import type { HistSnapshot } from '../shared/histogram';
import { encodeHistogram, histogramDictionary, HISTOGRAM_ENCODING } from './histogram-codec';

/** The encoding of a spill_histogram_sets row. */
export const HISTOGRAM_SET_ENCODING = 'set1/bins+deflate';
/** The encoding of each histogram inside a set (as a row of spill_histograms or dq_reference_histograms has it). */
export const HISTOGRAM_SET_MEMBER_ENCODING = HISTOGRAM_ENCODING;

/** No spill has nearly this many histograms; the index of a hostile blob could claim any number. */
const MAX_MEMBERS = 10_000;
const MAX_INDEX = 4 * 1024 * 1024;

/** One histogram of a set, still encoded (`data` is a view into the set's blob). */
export interface SetMember {
  name: string;
  kind: 'TH1D' | 'TH2D';
  encoding: string;
  data: Uint8Array;
}

export class HistogramSetError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`corrupt histogram set (${HISTOGRAM_SET_ENCODING}): ${message}`, options);
    this.name = 'HistogramSetError';
  }
}

function putVarint(out: number[], v: number): void {
  while (v >= 128) {
    out.push((v % 128) | 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/** A set of already encoded histograms (`bins+deflate` each), names unique. */
export function packHistogramSet(members: readonly { name: string; kind: 'TH1D' | 'TH2D'; data: Uint8Array }[]): Uint8Array {
  const index: number[] = [];
  putVarint(index, members.length);
  const names = new Set<string>();
  for (const m of members) {
    if (names.has(m.name)) throw new RangeError(`histogram ${m.name} twice in one spill`);
    names.add(m.name);
    const name = Buffer.from(m.name, 'utf8');
    putVarint(index, name.length);
    for (const b of name) index.push(b);
    index.push(m.kind === 'TH1D' ? 1 : 2);
    putVarint(index, m.data.length);
  }
  const packedIndex = deflateSync(Uint8Array.from(index), { level: 9, dictionary: histogramDictionary() });
  const head: number[] = [1];
  putVarint(head, packedIndex.length);
  return Buffer.concat([Uint8Array.from(head), packedIndex, ...members.map((m) => m.data)]);
}

/** A spill's histograms as one blob of `HISTOGRAM_SET_ENCODING`. */
export function encodeHistogramSet(histograms: readonly HistSnapshot[]): Uint8Array {
  return packHistogramSet(histograms.map((h) => ({ name: h.name, kind: h.kind, data: encodeHistogram(h) })));
}

class Cursor {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    private readonly where: string,
  ) {}

  u8(): number {
    if (this.pos >= this.buf.length) throw new HistogramSetError(`truncated in the ${this.where}`);
    return this.buf[this.pos++]!;
  }

  varint(): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8();
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
      if (scale > 2 ** 49) throw new HistogramSetError(`a length too long in the ${this.where}`);
    }
  }

  bytes(n: number): Uint8Array {
    if (n > this.buf.length - this.pos) throw new HistogramSetError(`truncated in the ${this.where}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/**
 * The histograms of a set, each still encoded, in the order they were stored; every length, kind and name
 * checked (the histograms themselves are checked when decoded, one by one).
 */
export function readHistogramSet(encoding: string, blob: Uint8Array): SetMember[] {
  if (encoding !== HISTOGRAM_SET_ENCODING) throw new Error(`unknown histogram set encoding "${encoding}"`);
  const head = new Cursor(blob, 'header');
  const version = head.u8();
  if (version !== 1) throw new HistogramSetError(`unknown version ${version}`);
  const indexLength = head.varint();
  const packedIndex = head.bytes(indexLength);
  let index: Uint8Array;
  try {
    index = inflateSync(packedIndex, { maxOutputLength: MAX_INDEX, dictionary: histogramDictionary() });
  } catch (error) {
    throw new HistogramSetError(`cannot inflate its index (${(error as Error).message})`, { cause: error });
  }
  const r = new Cursor(index, 'index');
  const count = r.varint();
  if (count > MAX_MEMBERS) throw new HistogramSetError(`its index claims ${count} histograms`);
  const members: SetMember[] = [];
  const names = new Set<string>();
  let at = head.pos;
  for (let i = 0; i < count; i++) {
    const name = Buffer.from(r.bytes(r.varint())).toString('utf8');
    const kind = r.u8();
    if (kind !== 1 && kind !== 2) throw new HistogramSetError(`unknown kind ${kind} of histogram ${name}`);
    if (names.has(name)) throw new HistogramSetError(`histogram ${name} twice`);
    names.add(name);
    const length = r.varint();
    if (length > blob.length - at) throw new HistogramSetError(`truncated: histogram ${name} needs ${length} bytes, ${blob.length - at} are left`);
    members.push({ name, kind: kind === 1 ? 'TH1D' : 'TH2D', encoding: HISTOGRAM_SET_MEMBER_ENCODING, data: blob.subarray(at, at + length) });
    at += length;
  }
  if (r.pos !== index.length) throw new HistogramSetError(`${index.length - r.pos} bytes after the end of its index`);
  if (at !== blob.length) throw new HistogramSetError(`${blob.length - at} bytes after its last histogram`);
  return members;
}
