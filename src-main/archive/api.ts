// The archive's part of the API: logged runs, spills and histograms (read-only).
import type { Core } from '../core/core';
import { os } from '../api/implementer';
import { runsRegistryRouter } from '../runs/api';

export function archiveRouter(core: Core) {
  return {
    runs: {
      ...runsRegistryRouter(core),
      get: os.runs.get.handler(({ input, errors }) => {
        const run = core.archive.getRun(input.run);
        if (!run) throw errors.NOT_FOUND({ message: `run ${input.run} does not exist` });
        return run;
      }),
      spills: os.runs.spills.handler(({ input, errors }) => {
        if (!core.archive.getRun(input.run)) throw errors.NOT_FOUND({ message: `run ${input.run} does not exist` });
        return core.spills.list(input.run);
      }),
    },
    histograms: {
      list: os.histograms.list.handler(({ input, errors }) => {
        if (!core.archive.spillExists(input.run, input.spill)) {
          throw errors.NOT_FOUND({ message: `spill ${input.spill} of run ${input.run} does not exist` });
        }
        return core.archive.histogramNames(input.run, input.spill);
      }),
      get: os.histograms.get.handler(({ input, errors }) => {
        const h = core.archive.histogram(input.run, input.spill, input.name);
        if (!h) throw errors.NOT_FOUND({ message: `no histogram ${input.name} for spill ${input.spill} of run ${input.run}` });
        return core.dq.present(input.run, h, input.spill);
      }),
    },
  };
}
