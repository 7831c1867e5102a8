// A spill's histograms in one blob (issue 19, migration 0025): one row of spill_histogram_sets per spill
// instead of one row of spill_histograms per histogram, whose 51 keys and primary-key index cost ≈ 3.9 kB a
// spill. The histograms are packed as `bins+deflate` packs them (histogram-codec.ts packHistogram) and
// deflated together, in one stream against the same preset dictionary: the spill's histograms have much in
// common (the digitizers' 32 are alike), so one stream is ≈ 12 % smaller than 51 (`npm run bench -- storage`).
// Reading one histogram of a spill inflates the whole set (≈ 20 kB, a fraction of a millisecond) and
// unpacks that one histogram only, through the index; the bench measures both. A damaged blob fails its
// checksum: the spill's histograms are then an error that says so, none is served wrong.
//
// Layout (encoding `set1/bins+deflate`; varint: unsigned LEB128; str: varint byte length + UTF-8):
//   u8 version (1) · varint byte length of the stream · the stream: zlib format (its Adler-32 checksum),
//   level 9, against the histograms' preset dictionary (histogramDictionary()); inflated:
//     varint count · per histogram: str name · u8 kind (1 TH1D, 2 TH2D) · varint byte length of its packed form
//     · the packed histograms, one after another, in the index's order
// Every length is checked: a truncated, padded or hostile blob is an error that says which.
import { deflateSync, inflateSync } from 'node:zlib';
import type { HistSnapshot } from '../shared/histogram';
import { histogramDictionary, HISTOGRAM_ENCODING, packHistogram, unpackHistogram } from './histogram-codec';

/** The encoding of a spill_histogram_sets row. */
export const HISTOGRAM_SET_ENCODING = 'set1/bins+deflate';

/** No spill has nearly this many histograms; the index of a hostile blob could claim any number. */
const MAX_MEMBERS = 10_000;
/** A spill's histograms inflate to ≈ 20 kB; nothing stored is near this. */
const MAX_INFLATED = 64 * 1024 * 1024;

/** One histogram of a set, packed (`packed` is a view into the inflated set). */
export interface SetMember {
  name: string;
  kind: 'TH1D' | 'TH2D';
  packed: Uint8Array;
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

/** A set of packed histograms, names unique (exported for the tests: a set whose members are damaged). */
export function packHistogramSet(members: readonly SetMember[]): Uint8Array {
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
    putVarint(index, m.packed.length);
  }
  const stream = deflateSync(Buffer.concat([Uint8Array.from(index), ...members.map((m) => m.packed)]), { level: 9, dictionary: histogramDictionary() });
  const head: number[] = [1];
  putVarint(head, stream.length);
  return Buffer.concat([Uint8Array.from(head), stream]);
}

/** A spill's histograms as one blob of `HISTOGRAM_SET_ENCODING`. */
export function encodeHistogramSet(histograms: readonly HistSnapshot[]): Uint8Array {
  return packHistogramSet(histograms.map((h) => ({ name: h.name, kind: h.kind, packed: packHistogram(h) })));
}

class Cursor {
  pos = 0;
  constructor(
    private readonly buf: Uint8Array,
    public where: string,
  ) {}

  get left(): number {
    return this.buf.length - this.pos;
  }

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
    if (n > this.left) throw new HistogramSetError(`truncated in the ${this.where}`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/**
 * The histograms of a set, still packed, in the order they were stored; the stream's checksum and every
 * length, kind and name checked (each histogram is checked when unpacked).
 */
export function readHistogramSet(encoding: string, blob: Uint8Array): SetMember[] {
  if (encoding !== HISTOGRAM_SET_ENCODING) throw new Error(`unknown histogram set encoding "${encoding}"`);
  const head = new Cursor(blob, 'header');
  const version = head.u8();
  if (version !== 1) throw new HistogramSetError(`unknown version ${version}`);
  const length = head.varint();
  if (length !== head.left) throw new HistogramSetError(`its stream is ${length} bytes, ${head.left} are stored`);
  let inflated: Uint8Array;
  try {
    inflated = inflateSync(head.bytes(length), { maxOutputLength: MAX_INFLATED, dictionary: histogramDictionary() });
  } catch (error) {
    throw new HistogramSetError(`cannot inflate it (${(error as Error).message})`, { cause: error });
  }
  const r = new Cursor(inflated, 'index');
  const count = r.varint();
  if (count > MAX_MEMBERS) throw new HistogramSetError(`its index claims ${count} histograms`);
  const entries: { name: string; kind: 'TH1D' | 'TH2D'; length: number }[] = [];
  const names = new Set<string>();
  let total = 0;
  for (let i = 0; i < count; i++) {
    const name = Buffer.from(r.bytes(r.varint())).toString('utf8');
    const kind = r.u8();
    if (kind !== 1 && kind !== 2) throw new HistogramSetError(`unknown kind ${kind} of histogram ${name}`);
    if (names.has(name)) throw new HistogramSetError(`histogram ${name} twice`);
    names.add(name);
    const n = r.varint();
    total += n;
    entries.push({ name, kind: kind === 1 ? 'TH1D' : 'TH2D', length: n });
  }
  if (total !== r.left) throw new HistogramSetError(`its index gives ${total} bytes of histograms, ${r.left} are there`);
  r.where = 'histograms';
  return entries.map((e) => ({ name: e.name, kind: e.kind, packed: r.bytes(e.length) }));
}

/** One histogram of a set (its packed form checked as `bins+deflate` checks it). */
export function memberHistogram(m: SetMember): HistSnapshot {
  return unpackHistogram(m.packed);
}

/** One histogram of a set as a blob of its own, `bins+deflate` (what a reference keeps), without unpacking it. */
export function memberBlob(m: SetMember): { encoding: string; data: Uint8Array } {
  return { encoding: HISTOGRAM_ENCODING, data: deflateSync(m.packed, { level: 9, dictionary: histogramDictionary() }) };
}
