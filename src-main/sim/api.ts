// The simulators' part of the API (fault injection needs the expert role: it changes what everyone sees; it is
// audited, so that a shift can tell an injected fault from a real one afterwards).
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import type { SimDevice } from '../shared/api/sim';
import { SimulatorError } from './simulators';

export function simRouter(core: Core) {
  const refused = (error: unknown, bad: (message: string) => Error) => {
    if (error instanceof SimulatorError) throw bad(error.message);
    throw error;
  };
  /** The faults active on the device once the simulator answered ("none", "trip on channel 3, disconnect"). */
  const activeAfter = (d: SimDevice) => ({ new: d.active.map((a) => `${a.fault}${a.channel === null ? '' : ` on channel ${a.channel}`}`).join(', ') || 'none' });
  return {
    sim: {
      list: os.sim.list.handler(() => core.simulators.list()),
      fault: os.sim.fault
        .use(
          audited(core.audit, {
            domain: 'simulator',
            action: 'inject fault',
            about: (input) => ({ target: `${input.device}${input.channel === null || input.channel === undefined ? '' : ` channel ${input.channel}`}`, new: input.fault }),
            outcome: activeAfter,
          }),
        )
        .use(requires('sim.fault'))
        .handler(async ({ input, errors, context }) => {
          try {
            const device = await core.simulators.inject(input.device, input.fault, input.channel);
            core.publishStatus();
            core.options.log.warn({ ...input, user: context.session.user }, 'simulated fault injected');
            return device;
          } catch (error) {
            return refused(error, (message) => errors.BAD_REQUEST({ message }));
          }
        }),
      clear: os.sim.clear
        .use(audited(core.audit, { domain: 'simulator', action: 'clear faults', about: (input) => ({ target: input.device, new: 'none' }), outcome: activeAfter }))
        .use(requires('sim.fault'))
        .handler(async ({ input, errors, context }) => {
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
