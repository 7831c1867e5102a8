// The conditions' part of the API: a run's conditions, and the diff with another run or the last good one.
// Reading is open to every session (the conditions hold no blinded data).
import { os } from '../api/implementer';
import type { Core } from '../core/core';
import { ConditionsError } from './run-conditions';

export function conditionsRouter(core: Core) {
  return {
    runs: {
      conditions: os.runs.conditions.handler(({ input, errors }) => {
        try {
          return core.conditions.answer(input.run, input.diff);
        } catch (error) {
          if (error instanceof ConditionsError) throw errors[error.code]({ message: error.message });
          throw error;
        }
      }),
    },
  };
}
