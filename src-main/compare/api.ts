// Comparison's part of the API: overlays with their tests, and trends. Reading only, open to every session;
// every histogram is served blinded as everywhere else (CompareService goes through DqService.present).
import type { Core } from '../core/core';
import { os } from '../api/implementer';
import { CompareError } from './compare-service';
import { TrendError } from './trends';

type Errors = { NOT_FOUND: (o: { message: string }) => Error; BAD_REQUEST: (o: { message: string }) => Error };

function mapped<T>(errors: Errors, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof CompareError || error instanceof TrendError) throw errors[error.code]({ message: error.message });
    throw error;
  }
}

export function compareRouter(core: Core) {
  const compare = core.compare;
  return {
    compare: {
      histograms: os.compare.histograms.handler(({ input, errors }) => mapped(errors, () => compare.histograms(input))),
    },
    trends: {
      get: os.trends.get.handler(({ input, errors }) => mapped(errors, () => compare.trend(input))),
      options: os.trends.options.handler(() => compare.trendOptions()),
    },
  };
}
