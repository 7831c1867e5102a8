// Run control's part of the API. Starts, pauses, resumes, stops and calling a start off are audited, refused
// ones too (src-main/audit/audited.ts); a participant's refusal is a refusal with its reason.
import type { Core } from '../core/core';
import { actorOf, os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import type { Run, RunState, RunType } from '../shared/api/schemas';
import type { AutoStop } from '../shared/api/run-transition';
import { describeAnswers, type PromptInput } from '../shared/run-prompts';
import { autoStopWords } from './auto-stop';
import { RunInputError, RunStateError } from './run-control';
import { RunPromptError } from './run-prompts';
import { TransitionCancelledError, TransitionRefusedError } from './transition';

export function runControlRouter(core: Core) {
  /** The run state before a transition, as the audit records its old value ("idle", "run 12 running"). */
  const state = () => {
    const run = core.runControl.current();
    return run ? `run ${run.number} ${core.runControl.state()}` : core.runControl.state();
  };
  const running = () => {
    const run = core.runControl.current();
    return run ? `run ${run.number} (${run.type})` : 'no run';
  };
  /** The errors a transition's participants and the state machine answer with, as the API's. */
  const answer = (error: unknown, errors: { CONFLICT(o: { message: string; data: { state: RunState } }): Error; PRECONDITION_FAILED?(o: { message: string; data: { participant: string; reason: string } }): Error }) => {
    if (error instanceof RunStateError) return errors.CONFLICT({ message: error.message, data: { state: error.state } });
    if (error instanceof TransitionCancelledError) return errors.CONFLICT({ message: error.message, data: { state: core.runControl.state() } });
    if (error instanceof TransitionRefusedError && errors.PRECONDITION_FAILED) return errors.PRECONDITION_FAILED({ message: error.message, data: { participant: error.participant, reason: error.reason } });
    return error;
  };
  /** A start that ran: the run, and the answers as stored (normalised) rather than as sent, with its automatic stop. */
  const started = (run: Run) => {
    const auto = core.runControl.autoStop();
    return { target: `run ${run.number} (${run.type})`, new: runningWith(run.type, core.conditions.store.get(run.number)?.start.prompts as PromptInput | undefined, auto?.limits) };
  };
  /** The audit's new value of a start: "running", the prompt answers as given, briefly (the type's fields only, bounded), and its automatic stop. */
  const runningWith = (type: RunType, prompts: PromptInput | undefined, autoStop?: AutoStop) => {
    const given = Object.fromEntries(Object.entries(prompts ?? {}).flatMap(([k, v]) => (v === null ? [] : [[k, Array.isArray(v) ? v.map((x) => x.slice(0, 60)) : typeof v === 'string' ? v.slice(0, 60) : v]])));
    const line = describeAnswers(core.prompts.fields(type), given, 240);
    const auto = autoStop ? ` (${autoStopWords(autoStop, core.runControl.countingUnit())})` : '';
    return `${line ? `running with ${line}` : 'running'}${auto}`;
  };
  return {
    status: os.status.handler(() => core.status()),
    run: {
      start: os.run.start
        .use(
          audited(core.audit, {
            domain: 'run',
            action: 'start',
            about: (input) => ({
              target: `a ${input.type} run`,
              old: state(),
              new: runningWith(input.type, input.prompts, input.autoStop),
              reason: input.comment,
            }),
            outcome: started,
          }),
        )
        .use(requires('run.control'))
        .handler(async ({ input, context, errors }) => {
          try {
            return await core.runControl.start(input.type, input.comment, actorOf(context), { prompts: input.prompts ?? {}, autoStop: input.autoStop ?? null });
          } catch (error) {
            if (error instanceof RunPromptError) throw errors.BAD_REQUEST({ message: error.message, data: { field: error.field } });
            throw answer(error, errors);
          }
        }),
      pause: os.run.pause
        .use(audited(core.audit, { domain: 'run', action: 'pause', about: (input) => ({ target: running(), old: state(), new: 'paused', reason: input.reason }) }))
        .use(requires('run.control'))
        .handler(async ({ input, context, errors }) => {
          try {
            return await core.runControl.pause(input.reason, actorOf(context));
          } catch (error) {
            throw answer(error, errors);
          }
        }),
      resume: os.run.resume
        .use(audited(core.audit, { domain: 'run', action: 'resume', about: () => ({ target: running(), old: state(), new: 'running' }) }))
        .use(requires('run.control'))
        .handler(async ({ context, errors }) => {
          try {
            return await core.runControl.resume(actorOf(context));
          } catch (error) {
            throw answer(error, errors);
          }
        }),
      cancel: os.run.cancel
        .use(audited(core.audit, { domain: 'run', action: 'call off', about: () => ({ target: `the ${core.runControl.transition()?.kind ?? 'transition'} in progress`, old: state(), new: 'called off' }) }))
        .use(requires('run.control'))
        .handler(({ errors }) => {
          try {
            core.runControl.cancel();
            return { cancelled: true as const };
          } catch (error) {
            throw answer(error, errors);
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
            if (error instanceof RunInputError) throw errors.BAD_REQUEST({ message: error.message });
            throw answer(error, errors);
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
