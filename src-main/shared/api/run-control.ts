// API contract of run control: status, run start/stop, and the live stream of status and spills.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { EndReason } from '../run-end';
import { PromptInput, RunPromptsAnswer } from '../run-prompts';
import { Comment, LiveEvent, Run, RunState, RunType, Status } from './schemas';

const RunStateConflict = {
  CONFLICT: { message: 'the run is not in a state that allows this', data: z.object({ state: RunState }) },
};

export const runControlContract = {
  status: oc.route({ method: 'GET', path: '/status', summary: 'Run state (with the pending transition), beam phase and timing, last spill', tags: ['run control'] }).output(Status),
  run: {
    /** `prompts`: the answers to the run type's start prompts (run.prompts); every required one must be given. */
    start: oc
      .errors({ ...RunStateConflict, BAD_REQUEST: { message: 'a start prompt is missing or does not fit', data: z.object({ field: z.string() }) } })
      .input(z.object({ type: RunType, comment: Comment.default(''), prompts: PromptInput.optional() }))
      .output(Run),
    /** A run type's start prompts, the answers of its last run, and what a start form begins with. */
    prompts: oc.input(z.object({ type: RunType })).output(RunPromptsAnswer),
    stop: oc
      .errors({ ...RunStateConflict, BAD_REQUEST: { message: 'the run type does not allow this end reason' } })
      .input(z.object({ reason: Comment.default(''), endReason: EndReason.optional() }))
      .output(Run),
  },
  /** Status on every change and each spill's summary and histograms at its end; starts with the current status. */
  live: oc.output(eventIterator(LiveEvent)),
};
