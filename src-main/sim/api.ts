// The simulators' part of the API (fault injection needs the expert role: it changes what everyone sees).
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { SimulatorError } from './simulators';

export function simRouter(core: Core) {
  const refused = (error: unknown, bad: (message: string) => Error) => {
    if (error instanceof SimulatorError) throw bad(error.message);
    throw error;
  };
  return {
    sim: {
      list: os.sim.list.handler(() => core.simulators.list()),
      fault: os.sim.fault.use(requires('sim.fault')).handler(async ({ input, errors, context }) => {
        try {
          const device = await core.simulators.inject(input.device, input.fault, input.channel);
          core.publishStatus();
          core.options.log.warn({ ...input, user: context.session.user }, 'simulated fault injected');
          return device;
        } catch (error) {
          return refused(error, (message) => errors.BAD_REQUEST({ message }));
        }
      }),
      clear: os.sim.clear.use(requires('sim.fault')).handler(async ({ input, errors, context }) => {
        try {
          const device = await core.simulators.clear(input.device);
          core.publishStatus();
          core.options.log.warn({ ...input, user: context.session.user }, 'simulated faults cleared');
          return device;
        } catch (error) {
          return refused(error, (message) => errors.BAD_REQUEST({ message }));
        }
      }),
    },
  };
}
