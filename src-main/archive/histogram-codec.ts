// Histograms in the database. The encoding is stored with every row, so old rows stay readable:
// - `json+deflate` (until issue 19): the snapshot's JSON, deflated (level 1). Still decoded, no longer written.
// - `bins+deflate` (written now): a compact binary form, deflated (level 9, zlib format with its checksum)
//   against a frozen preset dictionary of the histograms' names, titles and axes (histogram-dictionary.ts). Counts of unweighted fills are
//   integers, so bins are zigzag varints with runs of empty bins as one token, and sumw² — equal to the
//   contents for unweighted fills — is stored as "same as contents". Anything else (weights, NaN, ±∞, −0,
//   |x| ≥ 2⁵²) is kept as float64, bit for bit. Every number round-trips exactly; titles and axes are kept.
//   ≈ 2.5× smaller than `json+deflate` on a spill's histograms, and faster (`npm run bench -- storage`).
//
// Layout before deflate (varint: unsigned LEB128; str: varint byte length + UTF-8; f64: little-endian):
//   u8 version (1) · u8 kind (1 TH1D, 2 TH2D) · str name · str title · axis x · [axis y] · str y/z title ·
//   f64 entries · f64 × 4 (TH1D) or 7 (TH2D) stats · array contents · array sumw2 (a TH2D's cells with y
//   running fastest, so that one channel's spectrum is contiguous: ≈ 13 % smaller after deflate)
//   axis: varint nbins · f64 min · f64 max · str title
//   array: varint length · u8 mode: 0 same as contents, 1 integers (token 0 + varint n: n empty bins;
//          token z > 0: the bin's zigzag value), 2 float64 × length
import { deflateSync as fflateDeflate, inflateSync as fflateInflate, strFromU8, strToU8 } from 'fflate';
import { deflateSync, inflateSync } from 'node:zlib';
import { HistSnapshot as HistSnapshotSchema } from '../shared/api/schemas';
import type { AxisSpec, HistSnapshot } from '../shared/histogram';
import { DICTIONARY_V1, type DictionarySpec } from './histogram-dictionary';

/** The encoding written today. */
export const HISTOGRAM_ENCODING = 'bins+deflate';
/** The encoding of rows written before issue 19: still read. */
export const LEGACY_HISTOGRAM_ENCODING = 'json+deflate';

/** No stored histogram inflates beyond this (1000×1000 bins as float64, twice, and room to spare). */
const MAX_INFLATED = 64 * 1024 * 1024;
/** Nor has more cells (under- and overflow included): a run of empty bins is a few bytes, so a hostile blob could ask for any number. */
export const MAX_CELLS = 4_000_000;
const STATS_1D = ['sumw', 'sumw2', 'sumwx', 'sumwx2'] as const;
const STATS_2D = ['sumw', 'sumw2', 'sumwx', 'sumwx2', 'sumwy', 'sumwy2', 'sumwxy'] as const;
/** Integers below this in magnitude are varints (their zigzag stays a safe integer). */
const INT_LIMIT = 2 ** 52;

class Writer {
  private buf = new Uint8Array(4096);
  private view = new DataView(this.buf.buffer);
  length = 0;

  room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v;
  }

  varint(v: number): void {
    this.room(8);
    while (v >= 128) {
      this.buf[this.length++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  str(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.varint(bytes.length);
    this.room(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * The cells in storage order as integer tokens (mode 1); false, with nothing written, if one is not a
   * varint-able integer. Hot path (a spill's pedestal map is 25,000 cells): one pass, no allocation.
   */
  integers(values: readonly number[], nx: number, ny: number): boolean {
    this.room(values.length * 8 + 16);
    const buf = this.buf;
    let pos = this.length;
    let zeros = 0;
    for (let x = 0; x < nx; x++) {
      for (let y = 0; y < ny; y++) {
        const v = values[y * nx + x]!;
        if (v === 0 && 1 / v > 0) {
          zeros++;
          continue;
        }
        if (!Number.isInteger(v) || v >= INT_LIMIT || v <= -INT_LIMIT || v === 0) return false; // v === 0 here: −0
        if (zeros) {
          buf[pos++] = 0;
          pos = putVarint(buf, pos, zeros);
          zeros = 0;
        }
        pos = putVarint(buf, pos, v < 0 ? -2 * v - 1 : 2 * v);
      }
    }
    if (zeros) {
      buf[pos++] = 0;
      pos = putVarint(buf, pos, zeros);
    }
    this.length = pos;
    return true;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

function putVarint(buf: Uint8Array, pos: number, v: number): number {
  while (v >= 128) {
    buf[pos++] = (v % 128) | 128;
    v = Math.floor(v / 128);
  }
  buf[pos++] = v;
  return pos;
}

class Reader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) throw new Error(`corrupt histogram (bins+deflate): truncated in ${what}`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  varint(what: string): number {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = this.u8(what);
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
      if (scale > 2 ** 56) throw new Error(`corrupt histogram (bins+deflate): varint too long in ${what}`);
    }
  }

  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  str(what: string): string {
    const n = this.varint(what);
    this.need(n, what);
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new Error(`corrupt histogram (bins+deflate): ${this.buf.length - this.pos} bytes after the end`);
  }
}

const unzigzag = (z: number) => (z % 2 === 1 ? -(z + 1) / 2 : z / 2);

/** Equal cell by cell as Object.is has it (−0 is not 0, NaN is NaN). */
function sameValues(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y ? x === 0 && 1 / x !== 1 / y : x === x || y === y) return false;
  }
  return true;
}

/**
 * An array of nx·ny cells (ROOT's order, x fastest; a TH1D: ny = 1) written with y running fastest, so that
 * a channel's spectrum in a 2-D map is contiguous (it deflates ≈ 13 % smaller).
 */
function writeArray(w: Writer, values: readonly number[], nx: number, ny: number, same: readonly number[] | null): void {
  w.varint(values.length);
  if (same && sameValues(values, same)) {
    w.u8(0);
    return;
  }
  const start = w.length;
  w.u8(1);
  if (w.integers(values, nx, ny)) return;
  w.length = start;
  w.u8(2);
  for (let x = 0; x < nx; x++) for (let y = 0; y < ny; y++) w.f64(values[y * nx + x]!);
}

function readArray(r: Reader, what: string, nx: number, ny: number, same: number[] | null): number[] {
  const n = r.varint(what);
  if (n !== nx * ny) throw new Error(`corrupt histogram (bins+deflate): ${what} has ${n} values, the axes need ${nx * ny}`);
  const mode = r.u8(what);
  if (mode === 0) {
    if (!same) throw new Error(`corrupt histogram (bins+deflate): ${what} refers to itself`);
    return same.slice();
  }
  const out = new Array<number>(n).fill(0);
  if (mode === 1) {
    // i counts cells in storage order (y fastest): cell i is (x, y) = (⌊i / ny⌋, i mod ny).
    let i = 0;
    while (i < n) {
      const z = r.varint(what);
      if (z === 0) {
        const run = r.varint(what);
        if (run < 1 || i + run > n) throw new Error(`corrupt histogram (bins+deflate): a run of empty bins overflows ${what}`);
        i += run;
      } else {
        out[(i % ny) * nx + Math.floor(i / ny)] = unzigzag(z);
        i++;
      }
    }
    return out;
  }
  if (mode === 2) {
    for (let x = 0; x < nx; x++) for (let y = 0; y < ny; y++) out[y * nx + x] = r.f64(what);
    return out;
  }
  throw new Error(`corrupt histogram (bins+deflate): unknown array mode ${mode} in ${what}`);
}

function writeAxis(w: Writer, a: AxisSpec): void {
  w.varint(a.nbins);
  w.f64(a.min);
  w.f64(a.max);
  w.str(a.title);
}

function readAxis(r: Reader, which: string): AxisSpec {
  const nbins = r.varint(`${which} axis`);
  if (nbins < 1 || nbins > 1_000_000) throw new Error(`corrupt histogram (bins+deflate): ${which} axis has ${nbins} bins`);
  return { nbins, min: r.f64(`${which} axis`), max: r.f64(`${which} axis`), title: r.str(`${which} axis`) };
}

/** The compact binary form, before deflate (exported for the bench and the tests). */
export function packHistogram(h: HistSnapshot): Uint8Array {
  const cells = (h.x.nbins + 2) * (h.kind === 'TH2D' ? h.y.nbins + 2 : 1);
  if (cells > MAX_CELLS) throw new RangeError(`histogram ${h.name}: ${cells} cells, more than a stored histogram may have (${MAX_CELLS})`);
  if (h.contents.length !== cells || h.sumw2.length !== cells) throw new RangeError(`histogram ${h.name}: ${h.contents.length} contents and ${h.sumw2.length} sumw2 for ${cells} cells`);
  const w = new Writer();
  w.u8(1);
  w.u8(h.kind === 'TH1D' ? 1 : 2);
  w.str(h.name);
  w.str(h.title);
  writeAxis(w, h.x);
  if (h.kind === 'TH2D') writeAxis(w, h.y);
  w.str(h.kind === 'TH1D' ? h.yTitle : h.zTitle);
  w.f64(h.entries);
  if (h.kind === 'TH1D') for (const k of STATS_1D) w.f64(h.stats[k]);
  else for (const k of STATS_2D) w.f64(h.stats[k]);
  const nx = h.x.nbins + 2;
  const ny = h.kind === 'TH2D' ? h.y.nbins + 2 : 1;
  writeArray(w, h.contents, nx, ny, null);
  writeArray(w, h.sumw2, nx, ny, h.contents);
  return w.bytes();
}

/** The inverse of packHistogram, with every length and count checked. */
export function unpackHistogram(bytes: Uint8Array): HistSnapshot {
  const r = new Reader(bytes);
  const version = r.u8('header');
  if (version !== 1) throw new Error(`corrupt histogram (bins+deflate): unknown version ${version}`);
  const kind = r.u8('header');
  if (kind !== 1 && kind !== 2) throw new Error(`corrupt histogram (bins+deflate): unknown kind ${kind}`);
  const name = r.str('name');
  const title = r.str('title');
  const x = readAxis(r, 'x');
  const y = kind === 2 ? readAxis(r, 'y') : null;
  const valueTitle = r.str('title');
  const entries = r.f64('entries');
  const keys = kind === 1 ? STATS_1D : STATS_2D;
  const stats: Record<string, number> = {};
  for (const k of keys) stats[k] = r.f64('stats');
  const nx = x.nbins + 2;
  const ny = y ? y.nbins + 2 : 1;
  if (nx * ny > MAX_CELLS) throw new Error(`corrupt histogram (bins+deflate): ${nx * ny} cells, more than any stored histogram has (${MAX_CELLS})`);
  const contents = readArray(r, 'contents', nx, ny, null);
  const sumw2 = readArray(r, 'sumw2', nx, ny, contents);
  r.end();
  if (kind === 1) {
    return { kind: 'TH1D', name, title, x, yTitle: valueTitle, contents, sumw2, entries, stats: stats as Record<(typeof STATS_1D)[number], number> };
  }
  return { kind: 'TH2D', name, title, x, y: y!, zTitle: valueTitle, contents, sumw2, entries, stats: stats as Record<(typeof STATS_2D)[number], number> };
}

/** An empty histogram of a dictionary entry. */
function emptyOf(spec: DictionarySpec): HistSnapshot {
  const axis = ([nbins, min, max, title]: readonly [number, number, number, string]): AxisSpec => ({ nbins, min, max, title });
  const x = axis(spec[2]);
  if (spec.length === 4) {
    const cells = new Array<number>(x.nbins + 2).fill(0);
    return { kind: 'TH1D', name: spec[0], title: spec[1], x, yTitle: spec[3], contents: cells, sumw2: cells, entries: 0, stats: { sumw: 0, sumw2: 0, sumwx: 0, sumwx2: 0 } };
  }
  const y = axis(spec[3]);
  const cells = new Array<number>((x.nbins + 2) * (y.nbins + 2)).fill(0);
  const stats = { sumw: 0, sumw2: 0, sumwx: 0, sumwx2: 0, sumwy: 0, sumwy2: 0, sumwxy: 0 };
  return { kind: 'TH2D', name: spec[0], title: spec[1], x, y, zTitle: spec[4], contents: cells, sumw2: cells, entries: 0, stats };
}

let dictionary: Buffer | null = null;
/** deflate's preset dictionary of `bins+deflate`: the packed empty histograms of DICTIONARY_V1, in order. */
export function histogramDictionary(): Buffer {
  return (dictionary ??= Buffer.concat(DICTIONARY_V1.map((spec) => packHistogram(emptyOf(spec)))));
}

/** A histogram as it is stored today (`HISTOGRAM_ENCODING`). */
export function encodeHistogram(h: HistSnapshot): Uint8Array {
  return deflateSync(packHistogram(h), { level: 9, dictionary: histogramDictionary() });
}

/** The pre-issue-19 form (`json+deflate`): kept for the bench's before/after and the tests of old rows. */
export function encodeHistogramLegacy(h: HistSnapshot): Uint8Array {
  return fflateDeflate(strToU8(JSON.stringify(h)), { level: 1 });
}

export function decodeHistogram(encoding: string, data: Uint8Array): HistSnapshot {
  if (encoding === LEGACY_HISTOGRAM_ENCODING) return HistSnapshotSchema.parse(JSON.parse(strFromU8(fflateInflate(data))));
  if (encoding !== HISTOGRAM_ENCODING) throw new Error(`unknown histogram encoding "${encoding}"`);
  let bytes: Uint8Array;
  try {
    bytes = inflateSync(data, { maxOutputLength: MAX_INFLATED, dictionary: histogramDictionary() });
  } catch (error) {
    throw new Error(`corrupt histogram (bins+deflate): cannot inflate it (${(error as Error).message})`, { cause: error });
  }
  return unpackHistogram(bytes);
}
