// Run control's part of the API.
import type { Core } from '../core/core';
import { actorOf, os, requires } from '../api/implementer';
import { RunInputError, RunStateError } from './run-control';

export function runControlRouter(core: Core) {
  return {
    status: os.status.handler(() => core.status()),
    run: {
      start: os.run.start.use(requires('run.control')).handler(async ({ input, context, errors }) => {
        try {
          return await core.runControl.start(input.type, input.comment, actorOf(context));
        } catch (error) {
          if (error instanceof RunStateError) throw errors.CONFLICT({ message: error.message, data: { state: error.state } });
          throw error;
        }
      }),
      stop: os.run.stop.use(requires('run.control')).handler(async ({ input, context, errors }) => {
        try {
          return await core.runControl.stop(input.reason, actorOf(context), input.endReason ?? null);
        } catch (error) {
          if (error instanceof RunStateError) throw errors.CONFLICT({ message: error.message, data: { state: error.state } });
          if (error instanceof RunInputError) throw errors.BAD_REQUEST({ message: error.message });
          throw error;
        }
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
  };
}
