// The run registry's part of the API (under `runs`, composed by the archive's part): the run list with
// filters, a run's summary, and the experts' sign-offs. Reading is open to every session; a sign-off needs
// the expert role and is appended to run_signoffs (the audit of sign-offs).
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import { SignOffError } from './registry';

export function runsRegistryRouter(core: Core) {
  const registry = core.registry;
  return {
    list: os.runs.list.handler(({ input }) => registry.list(input, Date.now())),
    summary: os.runs.summary.handler(({ input, errors }) => {
      const summary = registry.summary(input.run, Date.now());
      if (!summary) throw errors.NOT_FOUND({ message: `run ${input.run} does not exist` });
      return summary;
    }),
    signOff: os.runs.signOff
      .use(
        audited(core.audit, {
          domain: 'sign-off',
          action: 'sign off',
          about: (input) => {
            // The sign-off in force before this one (none for a run or spill never signed off).
            const signed = core.archive.getRun(input.run) ? core.dq.store.signOffs.current(input.run) : null;
            const old = input.spill === undefined ? signed?.run : signed?.spills.get(input.spill);
            return { target: `run ${input.run}${input.spill === undefined ? '' : ` spill ${input.spill}`}`, old: old?.verdict ?? null, new: input.verdict, reason: input.reason };
          },
        }),
      )
      .use(requires('runs.sign-off'))
      .handler(({ input, context, errors }) => {
        try {
          const signed = registry.signOff({ run: input.run, spill: input.spill ?? null, verdict: input.verdict, reason: input.reason }, context.session, Date.now());
          core.options.log.info({ ...input, user: context.session.user }, 'signed off');
          // The EOT counted changes with a sign-off: the EOT panels hear of it now, not at the next spill.
          core.dq.publishEot(core.runControl.current()?.number ?? null);
          return signed;
        } catch (error) {
          if (error instanceof SignOffError) throw errors.NOT_FOUND({ message: error.message });
          throw error;
        }
      }),
  };
}
