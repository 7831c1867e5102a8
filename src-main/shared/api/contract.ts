// The one API contract. Served over the Electron MessagePort and the WebSocket by the same router
// (src-main/api/router.ts); the renderer and `na64rc ctl` are typed clients of it.
import { eventIterator, oc, type ContractRouterClient } from '@orpc/contract';
import { z } from 'zod';
import {
  Comment,
  HistogramName,
  HistSnapshot,
  LiveEvent,
  Run,
  RunNumber,
  RunState,
  RunType,
  SpillNumber,
  SpillSummary,
  Status,
} from './schemas';

const RunStateConflict = {
  CONFLICT: { message: 'the run is not in a state that allows this', data: z.object({ state: RunState }) },
};
const NotFound = { NOT_FOUND: { message: 'not found' } };

export const contract = {
  status: oc.output(Status),
  run: {
    start: oc
      .errors(RunStateConflict)
      .input(z.object({ type: RunType, comment: Comment.default('') }))
      .output(Run),
    stop: oc
      .errors(RunStateConflict)
      .input(z.object({ reason: Comment.default('') }))
      .output(Run),
  },
  runs: {
    list: oc
      .input(
        z.object({
          limit: z.number().int().min(1).max(1000).default(100),
          before: RunNumber.optional(),
        }),
      )
      .output(z.array(Run)),
    get: oc.errors(NotFound).input(z.object({ run: RunNumber })).output(Run),
    spills: oc.errors(NotFound).input(z.object({ run: RunNumber })).output(z.array(SpillSummary)),
  },
  histograms: {
    list: oc.errors(NotFound).input(z.object({ run: RunNumber, spill: SpillNumber })).output(z.array(HistogramName)),
    get: oc
      .errors(NotFound)
      .input(z.object({ run: RunNumber, spill: SpillNumber, name: HistogramName }))
      .output(HistSnapshot),
  },
  /** Status on every change and each spill's summary and histograms at its end; starts with the current status. */
  live: oc.output(eventIterator(LiveEvent)),
};

export type Contract = typeof contract;
export type ApiClient = ContractRouterClient<Contract>;
