// The curve the Calibration view draws (src-main/shared/peak-model.ts, from the parameters the API returns) is
// the curve the calibration fit minimised: recomputed from the fit's parameters it gives back the fit's own
// residuals per bin, for the Gaussian core and the Crystal Ball.
import { describe, expect, it } from 'vitest';
import { Random } from '../../drivers/twin/random';
import { fitPeak, type PeakModel } from '../../src-main/calibration/recon/peak-fit';
import { peakCounts } from '../../src-main/shared/peak-model';

function spectrum(seed: number, tail: boolean): number[] {
  const rng = new Random(seed);
  const values: number[] = [];
  for (let i = 0; i < 5000; i++) {
    // A 100 GeV peak with σ 1.5 GeV; a tenth of the showers leak and read low (the Crystal Ball's tail).
    const leak = tail && rng.uniform() < 0.1 ? rng.exponential(4) : 0;
    values.push(100 + 1.5 * rng.gauss() - leak);
  }
  return values;
}

describe('peak model of the calibration view', () => {
  for (const model of ['gauss', 'crystal-ball'] as PeakModel[]) {
    it(`reproduces the fit's residuals from its parameters (${model})`, () => {
      const fit = fitPeak(spectrum(7, model === 'crystal-ball'), { model });
      expect(fit.converged, fit.problem ?? '').toBe(true);
      const curve = peakCounts(model, fit.parameters.map((p) => p.value), fit.histogram.width)!;
      expect(curve).not.toBeNull();
      let compared = 0;
      fit.histogram.counts.forEach((count, i) => {
        const x = fit.histogram.min + (i + 0.5) * fit.histogram.width;
        const residual = (count - curve(x)) / Math.sqrt(Math.max(count, 1));
        expect(residual).toBeCloseTo(fit.residuals[i]!, 9);
        compared++;
      });
      expect(compared).toBe(60);
      // And the curve carries the fitted yield: its sum over the bins is N within the range's share.
      const sum = fit.histogram.counts.reduce((s, _, i) => s + curve(fit.histogram.min + (i + 0.5) * fit.histogram.width), 0);
      expect(sum).toBeGreaterThan(0.8 * fit.parameters[0]!.value);
    });
  }

  it('refuses parameters that do not describe the model', () => {
    expect(peakCounts('gauss', [], 1)).toBeNull();
    expect(peakCounts('gauss', [100, 50, 0], 1)).toBeNull();
    expect(peakCounts('gauss', [100, 50, -1], 1)).toBeNull();
    expect(peakCounts('crystal-ball', [100, 50, 2], 1)).toBeNull();
    expect(peakCounts('crystal-ball', [100, 50, 2, 1.5, 1], 1)).toBeNull();
    expect(peakCounts('crystal-ball', [100, 50, 2, 0, 3], 1)).toBeNull();
    const g = peakCounts('gauss', [1000, 50, 2], 0.5)!;
    // At the peak: N·w/(σ√2π).
    expect(g(50)).toBeCloseTo((1000 * 0.5) / (2 * Math.sqrt(2 * Math.PI)), 9);
  });
});
