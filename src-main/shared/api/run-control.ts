// API contract of run control: status, run start (with its automatic stop), pause, resume, stop, calling off
// a start held back by a participant, and the live stream of status and spills.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { EndReason } from '../run-end';
import { PromptInput, RunPromptsAnswer } from '../run-prompts';
import { AutoStop } from './run-transition';
import { Comment, LiveEvent, Run, RunState, RunType, Status } from './schemas';

const RunStateConflict = {
  CONFLICT: { message: 'the run is not in a state that allows this', data: z.object({ state: RunState }) },
};
/** A participant of the transition refused it, or held it back past its wait: nothing was started. */
const ParticipantRefused = {
  PRECONDITION_FAILED: { message: 'a participant of the transition refused it', data: z.object({ participant: z.string(), reason: z.string() }) },
};

export const runControlContract = {
  status: oc.route({ method: 'GET', path: '/status', summary: 'Run state (with the pending transition), beam phase and timing, last spill', tags: ['run control'] }).output(Status),
  run: {
    /** `prompts`: the answers to the run type's start prompts (run.prompts); every required one must be given. */
    start: oc
      .errors({ ...RunStateConflict, ...ParticipantRefused, BAD_REQUEST: { message: 'a start prompt is missing or does not fit', data: z.object({ field: z.string() }) } })
      .input(z.object({ type: RunType, comment: Comment.default(''), prompts: PromptInput.optional(), autoStop: AutoStop.optional() }))
      .output(Run),
    /** A run type's start prompts, the answers of its last run, and what a start form begins with. */
    prompts: oc.input(z.object({ type: RunType })).output(RunPromptsAnswer),
    /** Between spills: the spill in progress is taken to its end first. */
    pause: oc.errors(RunStateConflict).input(z.object({ reason: Comment.default('') })).output(Run),
    resume: oc.errors({ ...RunStateConflict, ...ParticipantRefused }).input(z.object({}).default({})).output(Run),
    /** Call off a start or resume that a participant holds back. */
    cancel: oc.errors(RunStateConflict).input(z.object({}).default({})).output(z.object({ cancelled: z.literal(true) })),
    stop: oc
      .errors({ ...RunStateConflict, BAD_REQUEST: { message: 'the run type does not allow this end reason' } })
      .input(z.object({ reason: Comment.default(''), endReason: EndReason.optional() }))
      .output(Run),
  },
  /** Status on every change and each spill's summary and histograms at its end; starts with the current status. */
  live: oc.output(eventIterator(LiveEvent)),
};
