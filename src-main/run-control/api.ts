// Run control's part of the API. Starts and stops are audited, refused ones too (src-main/audit/audited.ts).
import type { Core } from '../core/core';
import { actorOf, os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import type { Run, RunType } from '../shared/api/schemas';
import { describeAnswers, type PromptInput } from '../shared/run-prompts';
import { RunInputError, RunStateError } from './run-control';
import { RunPromptError } from './run-prompts';

export function runControlRouter(core: Core) {
  /** The run state before a transition, as the audit records its old value ("idle", "run 12 running"). */
  const state = () => {
    const run = core.runControl.current();
    return run ? `run ${run.number} ${core.runControl.state()}` : core.runControl.state();
  };
  /** A start that ran: the run, and the answers as stored (normalised) rather than as sent. */
  const started = (run: Run) => ({ target: `run ${run.number} (${run.type})`, new: runningWith(run.type, core.conditions.store.get(run.number)?.start.prompts as PromptInput | undefined) });
  /** The audit's new value of a start: "running" and the prompt answers as given, briefly (the type's fields only, bounded). */
  const runningWith = (type: RunType, prompts: PromptInput | undefined) => {
    const given = Object.fromEntries(Object.entries(prompts ?? {}).flatMap(([k, v]) => (v === null ? [] : [[k, Array.isArray(v) ? v.map((x) => x.slice(0, 60)) : typeof v === 'string' ? v.slice(0, 60) : v]])));
    const line = describeAnswers(core.prompts.fields(type), given, 240);
    return line ? `running with ${line}` : 'running';
  };
  return {
    status: os.status.handler(() => core.status()),
    run: {
      start: os.run.start
        .use(audited(core.audit, { domain: 'run', action: 'start', about: (input) => ({ target: `a ${input.type} run`, old: state(), new: runningWith(input.type, input.prompts), reason: input.comment }), outcome: started }))
        .use(requires('run.control'))
        .handler(async ({ input, context, errors }) => {
          try {
            return await core.runControl.start(input.type, input.comment, actorOf(context), input.prompts ?? {});
          } catch (error) {
            if (error instanceof RunStateError) throw errors.CONFLICT({ message: error.message, data: { state: error.state } });
            if (error instanceof RunPromptError) throw errors.BAD_REQUEST({ message: error.message, data: { field: error.field } });
            throw error;
          }
        }),
      prompts: os.run.prompts.handler(({ input }) => core.prompts.answer(input.type)),
      stop: os.run.stop
        .use(
          audited(core.audit, {
            domain: 'run',
            action: 'stop',
            about: (input) => {
              const run = core.runControl.current();
              return { target: run ? `run ${run.number} (${run.type})` : 'no run', old: state(), new: `stopped${input.endReason ? `: ${input.endReason}` : ''}`, reason: input.reason };
            },
          }),
        )
        .use(requires('run.control'))
        .handler(async ({ input, context, errors }) => {
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
