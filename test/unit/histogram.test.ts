import { describe, expect, it } from 'vitest';
import { binCenter, findBin, Hist1D, Hist2D, mergeSnapshots, packHistograms, unpackSnapshots } from '../../src-main/shared/histogram';
import { toRootJson } from '../../src-main/shared/root-json';

const axis = { nbins: 10, min: 0, max: 100, title: 'E [GeV]' };

describe('findBin follows ROOT', () => {
  it('puts values below, inside and above the range into underflow, bins and overflow', () => {
    expect(findBin(axis, -0.001)).toBe(0);
    expect(findBin(axis, 0)).toBe(1);
    expect(findBin(axis, 9.999)).toBe(1);
    expect(findBin(axis, 10)).toBe(2);
    expect(findBin(axis, 99.999)).toBe(10);
    expect(findBin(axis, 100)).toBe(11);
    expect(findBin(axis, Number.POSITIVE_INFINITY)).toBe(11);
    expect(findBin(axis, Number.NaN)).toBe(0);
  });

  it('gives bin centres', () => {
    expect(binCenter(axis, 1)).toBe(5);
    expect(binCenter(axis, 10)).toBe(95);
  });
});

describe('Hist1D', () => {
  it('fills contents, sumw2, entries and in-range statistics', () => {
    const h = new Hist1D('ecal_energy', 'ECAL', axis);
    h.fill(15);
    h.fill(15, 2);
    h.fill(-5);
    h.fill(250);
    expect(h.contents[2]).toBe(3);
    expect(h.sumw2[2]).toBe(5);
    expect(h.contents[0]).toBe(1);
    expect(h.contents[11]).toBe(1);
    expect(h.entries).toBe(4);
    expect(h.mean()).toBe(15);
    expect(h.rms()).toBe(0);
    expect(h.peakX()).toBe(15);
  });

  it('rejects nonsense axes with a readable error', () => {
    expect(() => new Hist1D('x', 'x', { nbins: 0, min: 0, max: 1, title: '' })).toThrow(/nbins/);
    expect(() => new Hist1D('x', 'x', { nbins: 10, min: 5, max: 5, title: '' })).toThrow(/min < max/);
    expect(() => new Hist1D('x', 'x', { nbins: 10, min: 0, max: Number.NaN, title: '' })).toThrow(/finite/);
  });

  it('merges partial histograms of several workers into the same result as one histogram', () => {
    const all = new Hist1D('h', 'h', axis);
    const parts = [new Hist1D('h', 'h', axis), new Hist1D('h', 'h', axis), new Hist1D('h', 'h', axis)];
    for (let i = 0; i < 300; i++) {
      const x = (i * 7.3) % 120 - 10;
      all.fill(x, 1 + (i % 3));
      parts[i % 3]!.fill(x, 1 + (i % 3));
    }
    const merged = mergeSnapshots(parts.map((p) => p.snapshot()));
    const expected = all.snapshot();
    expect(merged.contents).toEqual(expected.contents);
    expect(merged.sumw2).toEqual(expected.sumw2);
    expect(merged.entries).toBe(expected.entries);
    // Sums of floating-point statistics differ only by the order of addition.
    for (const [key, value] of Object.entries(expected.stats)) {
      expect(merged.stats[key as keyof typeof merged.stats]).toBeCloseTo(value, 6);
    }
  });

  it('refuses to merge histograms with different axes', () => {
    const a = new Hist1D('h', 'h', axis);
    const b = new Hist1D('h', 'h', { ...axis, nbins: 20 });
    expect(() => a.add(b)).toThrow(/axes differ/);
    expect(() => mergeSnapshots([a.snapshot(), b.snapshot()])).toThrow(/axes differ/);
    const map = new Hist2D('m', 'm', axis, axis);
    expect(() => mergeSnapshots([a.snapshot(), map.snapshot()])).toThrow(/cannot merge TH2D into TH1D h/);
    expect(() => mergeSnapshots([a.snapshot(), { ...a.snapshot(), contents: [1, 2] }])).toThrow(/h: 2 cells for 12/);
  });

  it('merges 2D maps as the typed histograms add them, leaves its parts untouched, and hands back a lone part as it is', () => {
    const parts = [new Hist2D('m', 'm', axis, axis), new Hist2D('m', 'm', axis, axis)];
    for (let i = 0; i < 200; i++) parts[i % 2]!.fill((i * 3.1) % 110 - 5, (i * 5.7) % 110 - 5, 0.5 + (i % 4));
    const snaps = parts.map((p) => p.snapshot());
    const copies = structuredClone(snaps);
    const merged = mergeSnapshots(snaps);
    const typed = Hist2D.fromSnapshot(snaps[0]! as Parameters<typeof Hist2D.fromSnapshot>[0]);
    typed.add(parts[1]!);
    expect(merged).toEqual(typed.snapshot());
    expect(snaps).toEqual(copies);
    expect(mergeSnapshots([snaps[0]!])).toBe(snaps[0]);
  });

  it('round-trips through a snapshot and rejects a snapshot of the wrong size', () => {
    const h = new Hist1D('h', 'h', axis);
    h.fill(42);
    expect(Hist1D.fromSnapshot(h.snapshot()).snapshot()).toEqual(h.snapshot());
    const bad = { ...h.snapshot(), contents: [1, 2, 3] };
    expect(() => Hist1D.fromSnapshot(bad)).toThrow(/cells/);
  });
});

describe('Hist2D', () => {
  it('uses ROOT global bin numbering with x fastest', () => {
    const h = new Hist2D('map', 'map', { nbins: 6, min: 0, max: 6, title: 'x' }, { nbins: 6, min: 0, max: 6, title: 'y' });
    h.fill(2.5, 4.5);
    expect(h.binContent(3, 5)).toBe(1);
    expect(h.contents[3 + 8 * 5]).toBe(1);
    h.fill(-1, 7);
    expect(h.binContent(0, 7)).toBe(1);
    expect(h.entries).toBe(2);
    expect(h.sumw).toBe(1);
  });
});

describe('ROOT JSON', () => {
  it('writes the TH1D layout JSROOT and TBufferJSON read', () => {
    const h = new Hist1D('ecal_energy', 'ECAL total energy', axis);
    h.fill(55);
    h.fill(-1);
    const json = toRootJson(h.snapshot()) as Record<string, unknown> & { fXaxis: Record<string, unknown>; fArray: number[] };
    expect(json._typename).toBe('TH1D');
    expect(json.fName).toBe('ecal_energy');
    expect(json.fNcells).toBe(12);
    expect(json.fXaxis).toMatchObject({ _typename: 'TAxis', fNbins: 10, fXmin: 0, fXmax: 100, fTitle: 'E [GeV]' });
    expect(json.fArray).toHaveLength(12);
    expect(json.fArray[0]).toBe(1);
    expect(json.fArray[6]).toBe(1);
    expect(json.fEntries).toBe(2);
    expect(json.fTsumw).toBe(1);
    expect(json.fTsumwx).toBe(55);
    expect(json.fSumw2).toHaveLength(12);
    expect(json.fFunctions).toEqual({ _typename: 'TList', name: 'TList', arr: [], opt: [] });
  });

  it('writes the TH2D layout with its y statistics', () => {
    const h = new Hist2D('m', 'm', { nbins: 2, min: 0, max: 2, title: 'x' }, { nbins: 3, min: 0, max: 3, title: 'y' });
    h.fill(0.5, 2.5, 2);
    const json = toRootJson(h.snapshot()) as Record<string, unknown> & { fYaxis: { fNbins: number }; fArray: number[] };
    expect(json._typename).toBe('TH2D');
    expect(json.fNcells).toBe(20);
    expect(json.fYaxis.fNbins).toBe(3);
    expect(json.fArray[1 + 4 * 3]).toBe(2);
    expect(json.fTsumwy).toBe(5);
  });
});

describe('packed snapshots (how a monitor worker posts a spill’s histograms)', () => {
  const h1 = new Hist1D('e', 'E', { nbins: 4, min: 0, max: 4, title: 'x' });
  h1.fill(-1);
  h1.fill(1.5, 2);
  h1.fill(9);
  const h2 = new Hist2D('m', 'M', { nbins: 3, min: 0, max: 3, title: 'x' }, { nbins: 2, min: 0, max: 2, title: 'y' });
  h2.fill(0.5, 1.5, 3);
  h2.fill(5, -1);

  it('moves every bin in one Float64Array and gives the same snapshots back', () => {
    const list = [h1.snapshot(), h2.snapshot()];
    const packed = packHistograms([h1, h2]);
    expect(packed.bins).toBeInstanceOf(Float64Array);
    expect(packed.bins.length).toBe(2 * 6 + 2 * 20);
    expect(packed.shells.every((s) => s.contents.length === 0 && s.sumw2.length === 0)).toBe(true);
    // Through a real structured clone, the bins' buffer transferred.
    const copy = structuredClone(packed, { transfer: [packed.bins.buffer as ArrayBuffer] });
    expect(packed.bins.length).toBe(0); // detached: moved, not copied
    expect(unpackSnapshots(copy)).toEqual(list);
    expect(unpackSnapshots(packHistograms([]))).toEqual([]);
  });

  it('refuses bins that do not fit the axes: too few, too many', () => {
    const packed = packHistograms([h1, h2]);
    expect(() => unpackSnapshots({ shells: packed.shells, bins: packed.bins.subarray(0, 30) })).toThrow(/too few for m/);
    expect(() => unpackSnapshots({ shells: packed.shells.slice(0, 1), bins: packed.bins })).toThrow(/40 bins left over/);
  });
});
