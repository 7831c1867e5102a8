// The implementation of the API contract, bound to one core. The same router object is served over the
// Electron MessagePort (src-main/shell) and the WebSocket (src-main/server).
import { implement } from '@orpc/server';
import type { Core } from '../core/core';
import { RunStateError } from '../run-control/run-control';
import { contract } from '../shared/api/contract';

export function createRouter(core: Core) {
  const os = implement(contract);

  return os.router({
    status: os.status.handler(() => core.status()),
    run: {
      start: os.run.start.handler(async ({ input, errors }) => {
        try {
          return await core.runControl.start(input.type, input.comment);
        } catch (error) {
          if (error instanceof RunStateError) throw errors.CONFLICT({ message: error.message, data: { state: error.state } });
          throw error;
        }
      }),
      stop: os.run.stop.handler(async ({ input, errors }) => {
        try {
          return await core.runControl.stop(input.reason);
        } catch (error) {
          if (error instanceof RunStateError) throw errors.CONFLICT({ message: error.message, data: { state: error.state } });
          throw error;
        }
      }),
    },
    runs: {
      list: os.runs.list.handler(({ input }) => core.archive.listRuns(input.limit, input.before)),
      get: os.runs.get.handler(({ input, errors }) => {
        const run = core.archive.getRun(input.run);
        if (!run) throw errors.NOT_FOUND({ message: `run ${input.run} does not exist` });
        return run;
      }),
      spills: os.runs.spills.handler(({ input, errors }) => {
        if (!core.archive.getRun(input.run)) throw errors.NOT_FOUND({ message: `run ${input.run} does not exist` });
        return core.archive.listSpills(input.run);
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
        return h;
      }),
    },
    live: os.live.handler(async function* ({ signal }) {
      // Subscribe first so nothing published while the first items are sent is lost.
      const updates = core.live.subscribe('live', { signal });
      yield { type: 'status' as const, status: core.status() };
      const last = core.latestSpill();
      if (last) yield last;
      for await (const event of updates) yield event;
    }),
  });
}

export type Router = ReturnType<typeof createRouter>;
