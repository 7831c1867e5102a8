// The stored forms of a histogram: `bins+deflate` (written since issue 19) round-trips every number bit for
// bit, in ROOT's bin order, and `json+deflate` rows (written before) stay readable; a damaged or hostile
// blob is an error that says so, never data.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  decodeHistogram,
  encodeHistogram,
  encodeHistogramLegacy,
  HISTOGRAM_ENCODING,
  histogramDictionary,
  LEGACY_HISTOGRAM_ENCODING,
  packHistogram,
} from '../../src-main/archive/histogram-codec';
import { Hist1D, Hist2D, type Hist1DSnapshot, type HistSnapshot } from '../../src-main/shared/histogram';

const roundTrip = (h: HistSnapshot) => decodeHistogram(HISTOGRAM_ENCODING, encodeHistogram(h));
/** Equal number by number, telling −0 from 0 and NaN from null (toEqual would not). */
const sameBits = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

function spectrum(): Hist1D {
  const h = new Hist1D('ecal_energy', 'ECAL total energy, µ → e', { nbins: 300, min: 0, max: 150, title: 'E_{ECAL} [GeV]' });
  for (let i = 0; i < 5000; i++) h.fill(100 + 3 * Math.sin(i) * Math.cos(i * 0.7));
  h.fill(-5); // underflow
  h.fill(1e9); // overflow
  h.fill(Number.NaN); // ROOT: underflow
  return h;
}

function pedestals(): Hist2D {
  const h = new Hist2D('pedestals', 'Pedestal per channel', { nbins: 122, min: 0, max: 122, title: 'channel' }, { nbins: 200, min: 0, max: 400, title: 'pedestal [ADC]' });
  for (let c = 0; c < 122; c++) for (let i = 0; i < 60; i++) h.fill(c + 0.5, 150 + (c % 40) + 4 * Math.sin(i * c));
  h.fill(-1, 50); // x underflow
  h.fill(200, 500); // x overflow, y overflow
  h.fill(5, -3); // y underflow
  return h;
}

describe('bins+deflate', () => {
  it('round-trips a 1-D histogram with its underflow, overflow and statistics', () => {
    const h = spectrum().snapshot();
    expect(h.contents[0]).toBe(2);
    expect(h.contents[301]).toBe(1);
    const back = roundTrip(h);
    expect(back).toEqual(h);
    expect(sameBits(back.contents, h.contents) && sameBits(back.sumw2, h.sumw2)).toBe(true);
  });

  it("round-trips a 2-D histogram in ROOT's bin order (x fastest), under- and overflow on both axes", () => {
    const h = pedestals().snapshot();
    const back = roundTrip(h);
    expect(back).toEqual(h);
    const nx = 124;
    expect(back.contents[0 + 125 * nx]).toBe(0);
    expect(back.contents[(nx - 1) + (201) * nx]).toBe(1); // x and y overflow
    expect(back.contents[6 + 0 * nx]).toBe(1); // y underflow of channel 5
  });

  it('keeps weights, NaN, ±∞, −0 and huge values bit for bit (float64), and a sumw2 that differs from the contents', () => {
    const h = new Hist1D('w', 'weighted', { nbins: 4, min: 0, max: 4, title: 'x' });
    h.fill(0.5, 0.25);
    h.fill(1.5, -2);
    h.fill(2.5, 3);
    const s = h.snapshot();
    const odd: Hist1DSnapshot = { ...s, contents: [Number.NaN, -0, Number.POSITIVE_INFINITY, 2 ** 60, Number.NEGATIVE_INFINITY, 1e-300], stats: { ...s.stats, sumwx: Number.NaN } };
    const back = roundTrip(odd) as Hist1DSnapshot;
    expect(sameBits(back.contents, odd.contents)).toBe(true);
    expect(sameBits(back.sumw2, s.sumw2)).toBe(true);
    expect(back.sumw2).toEqual([0, 0.0625, 4, 9, 0, 0]);
    expect(Number.isNaN(back.stats.sumwx)).toBe(true);
    const weighted = roundTrip(s);
    expect(weighted).toEqual(s);
  });

  it('round-trips an empty histogram, negative integer counts and a single-bin axis', () => {
    const empty = new Hist2D('e', '', { nbins: 1, min: -1, max: 1, title: '' }, { nbins: 3, min: 0, max: 1, title: 'y' }).snapshot();
    expect(roundTrip(empty)).toEqual(empty);
    const neg = { ...new Hist1D('n', 'n', { nbins: 3, min: 0, max: 3, title: 'x' }).snapshot(), contents: [0, -7, 0, 2 ** 51 + 1, 0] };
    expect(sameBits(roundTrip(neg).contents, neg.contents)).toBe(true);
  });

  it('is smaller than json+deflate: a narrow spectrum, and a pedestal map over twice', () => {
    const narrow = spectrum().snapshot();
    expect(encodeHistogram(narrow).length).toBeLessThan(encodeHistogramLegacy(narrow).length);
    const map = pedestals().snapshot();
    expect(encodeHistogram(map).length * 2).toBeLessThan(encodeHistogramLegacy(map).length);
  });
});

describe('the preset dictionary of bins+deflate', () => {
  it('is frozen: every stored row was deflated against exactly these bytes', () => {
    const dictionary = histogramDictionary();
    expect(dictionary.length).toBe(14241);
    expect(createHash('sha256').update(dictionary).digest('hex')).toBe('b5cd0cde40e20075b172f2511a0e9591a9992f49a1bf4eab0c834b37bcd79846');
  });

  it('makes a known histogram small, and a histogram it does not know round-trips too', () => {
    const known = new Hist1D('veto_energy', 'VETO energy (largest module, √(a₁a₂) of its PMTs)', { nbins: 100, min: 0, max: 100, title: 'E_{VETO} [MeV]' }).snapshot();
    expect(encodeHistogram(known).length).toBeLessThan(60);
    const unknown = new Hist1D('straw_hits', 'Straw tube hits ✓', { nbins: 64, min: 0, max: 64, title: 'straw' }, 'hits').snapshot();
    unknown.contents[3] = 12;
    unknown.sumw2[3] = 12;
    expect(roundTrip(unknown)).toEqual(unknown);
  });

  it("is asked for by the stream (zlib's FDICT flag): a blob deflated without it reads too", () => {
    const plain = deflateSync(packHistogram(spectrum().snapshot()));
    expect(plain[1]! & 0x20).toBe(0);
    expect(encodeHistogram(spectrum().snapshot())[1]! & 0x20).toBe(0x20);
    expect(decodeHistogram(HISTOGRAM_ENCODING, plain)).toEqual(spectrum().snapshot());
  });
});

describe('json+deflate (rows written before issue 19)', () => {
  it('is still read, as before', () => {
    const h = pedestals().snapshot();
    expect(decodeHistogram(LEGACY_HISTOGRAM_ENCODING, encodeHistogramLegacy(h))).toEqual(h);
  });
});

describe('damaged and hostile blobs', () => {
  const good = encodeHistogram(spectrum().snapshot());
  const packed = packHistogram(spectrum().snapshot());
  const deflated = (bytes: Uint8Array) => deflateSync(bytes);

  it('an unknown encoding', () => {
    expect(() => decodeHistogram('zip', good)).toThrow(/unknown histogram encoding "zip"/);
  });

  it('bytes that do not inflate, or are cut short', () => {
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, new Uint8Array([0, 17, 34, 51]))).toThrow(/corrupt histogram \(bins\+deflate\): cannot inflate/);
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, good.subarray(0, good.length - 9))).toThrow(/corrupt histogram/);
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, deflated(packed.subarray(0, packed.length - 3)))).toThrow(/corrupt histogram \(bins\+deflate\): truncated/);
  });

  it('a flipped byte is caught by the checksum', () => {
    const bad = Uint8Array.from(good);
    bad[Math.floor(bad.length / 2)]! ^= 0x40;
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, bad)).toThrow(/corrupt histogram/);
  });

  it('a version, kind or array mode it does not know; bins that do not match the axes; bytes after the end', () => {
    const patch = (at: number, value: number) => {
      const b = Uint8Array.from(packed);
      b[at] = value;
      return deflated(b);
    };
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, patch(0, 9))).toThrow(/unknown version 9/);
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, patch(1, 3))).toThrow(/unknown kind 3/);
    // The x axis's nbins (300, varint ac 02) patched to 299: the arrays no longer match the axes.
    const h = spectrum().snapshot();
    const at = 2 + 1 + Buffer.byteLength(h.name) + 1 + Buffer.byteLength(h.title);
    expect([packed[at], packed[at + 1]]).toEqual([0xac, 0x02]);
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, patch(at, 0xab))).toThrow(/contents has 302 values, the axes need 301/);
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, deflated(Uint8Array.from([...packed, 0])))).toThrow(/1 bytes after the end/);
    // The last byte is sumw2's mode (0: same as contents); 7 is no mode.
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, patch(packed.length - 1, 7))).toThrow(/unknown array mode 7 in sumw2/);
  });

  it('axes that ask for more cells than any stored histogram has (a run of empty bins is a few bytes)', () => {
    const varint = (v: number) => {
      const out: number[] = [];
      for (; v >= 128; v = Math.floor(v / 128)) out.push((v % 128) | 128);
      return [...out, v];
    };
    const f64 = (v: number) => [...new Uint8Array(new Float64Array([v]).buffer)];
    const axis = [...varint(1_000_000), ...f64(0), ...f64(1), 0];
    const cells = 1_000_002 ** 2;
    const hostile = [1, 2, 1, 104, 0, ...axis, ...axis, 0, ...f64(0), ...Array.from({ length: 7 }, () => f64(0)).flat(), ...varint(cells), 1, 0, ...varint(cells), 0];
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, deflated(Uint8Array.from(hostile)))).toThrow(/1000004000004 cells, more than any stored histogram has \(4000000\)/);
  });

  it('is never written in a form it would refuse: too many cells, or arrays that do not match the axes', () => {
    const big = new Hist1D('big', 'big', { nbins: 1000, min: 0, max: 1, title: 'x' }).snapshot();
    expect(() => packHistogram({ ...big, x: { ...big.x, nbins: 4_000_000 } })).toThrow(/4000002 cells, more than a stored histogram may have/);
    expect(() => encodeHistogram({ ...big, sumw2: big.sumw2.slice(1) })).toThrow(/1002 contents and 1001 sumw2 for 1002 cells/);
  });

  it('a run of empty bins longer than the histogram, and a zip bomb', () => {
    const h = new Hist1D('z', 'z', { nbins: 3, min: 0, max: 3, title: 'x' }).snapshot();
    const p = packHistogram(h);
    // contents: varint 5, mode 1, token 0, run 5 → patch the run to 9.
    const at = p.length - 4;
    expect([...p.subarray(at - 2)]).toEqual([5, 1, 0, 5, 5, 0]);
    const b = Uint8Array.from(p);
    b[at + 1] = 9;
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, deflated(b))).toThrow(/a run of empty bins overflows contents/);
    const bomb = deflateSync(new Uint8Array(100 * 1024 * 1024));
    expect(() => decodeHistogram(HISTOGRAM_ENCODING, bomb)).toThrow(/corrupt histogram \(bins\+deflate\): cannot inflate/);
  });
});
