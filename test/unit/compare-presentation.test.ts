// What the Compare and Trends views show: a probability in words (with icon and state, never colour alone),
// the pad's points against the first histogram, the runs of a trend as spans of its points.
import { describe, expect, it } from 'vitest';
import { Hist1D } from '../../src-main/shared/histogram';
import type { ComparedHistogram, Trend } from '../../src-main/shared/api/compare';
import { formatP, formatTrendValue, judge, padSeries, runSpans, worstP } from '../../src-renderer/compare-presentation';

function compared(contents: number[], versusFirst: ComparedHistogram['versusFirst'] = null): ComparedHistogram {
  const h = new Hist1D('h', 'h', { nbins: contents.length, min: 0, max: contents.length, title: 'x' });
  contents.forEach((c, i) => {
    h.contents[i + 1] = c;
    h.sumw2[i + 1] = c;
  });
  return { source: { kind: 'run', run: 1 }, label: 'run 1', histogram: h.snapshot(), factor: 1, events: null, blinded: false, note: null, versusFirst };
}

describe('compare presentation', () => {
  it('says compatible, tension or differs by the named bars, with an icon', () => {
    expect(judge(0.5)).toEqual({ state: 'good', icon: '✓', word: 'compatible' });
    expect(judge(0.05)).toMatchObject({ state: 'good' });
    expect(judge(0.02)).toEqual({ state: 'warn', icon: '!', word: 'tension' });
    expect(judge(0.009)).toEqual({ state: 'bad', icon: '✕', word: 'differs' });
    expect(judge(null)).toMatchObject({ state: 'idle', word: 'not tested' });
    expect(formatP(0.52437)).toBe('0.524');
    expect(formatP(3.1e-4)).toBe('3.1e-4');
    expect(formatP(0)).toBe('< 1e-15');
  });

  it('takes the smaller of the two probabilities, ignoring a refused test', () => {
    const chi2 = { chi2: 1, ndf: 3, pValue: 0.2, mode: 'UU' as const, lowStatistics: { first: false, second: false } };
    expect(worstP(compared([1], { kolmogorov: { probability: 0.03, distance: 0.1, z: 1, effectiveEntries: [1, 1] }, chi2 }))).toBe(0.03);
    expect(worstP(compared([1], { kolmogorov: { refused: 'the Kolmogorov test is done on 1D histograms' }, chi2 }))).toBe(0.2);
    expect(worstP(compared([1]))).toBeNull();
  });

  it('gives the pad of each later source against the first, ratio or difference', () => {
    const list = [compared([2, 4, 0]), compared([1, 8, 3]), compared([2, 2, 0])];
    const ratio = padSeries(list, 'ratio');
    expect(ratio.map((s) => s.index)).toEqual([1, 2]);
    expect(ratio[0]!.points.map((p) => p.value)).toEqual([0.5, 2, null]);
    expect(padSeries(list, 'difference')[1]!.points.map((p) => p.value)).toEqual([0, -2, 0]);
  });

  it('finds the runs of a trend as spans of its points, and words its values', () => {
    const trend = { points: { run: [3, 3, 3, 4, 6, 6], spill: [1, 2, 3, 1, 1, 2], t: [], value: [] } } as unknown as Trend;
    expect(runSpans(trend)).toEqual([
      { run: 3, from: 0, to: 2 },
      { run: 4, from: 3, to: 3 },
      { run: 6, from: 4, to: 5 },
    ]);
    expect(formatTrendValue(0.9876, '')).toBe('98.76 %');
    expect(formatTrendValue(99.251234, 'GeV')).toBe('99.251 GeV');
    expect(formatTrendValue(4.2e6, 'EOT')).toBe('4.200e+6 EOT');
    expect(formatTrendValue(null, 'V')).toBe('no value');
  });
});
