// A run transition's participants, as MIDAS has them: every service that must agree to a start (or a resume)
// registers with a sequence number, and is asked in that order. Each answers "ready", refuses with a reason
// (nothing is started: the run number is not even allocated yet), or holds the transition back until a
// condition holds ("HV not at setpoint: waiting up to 60 s"), after which it refuses if the condition never
// came. The screens follow each participant's answer as the transition goes.
import type { RunType } from '../shared/api/schemas';
import type { TransitionKind, TransitionParticipantView, TransitionView } from '../shared/api/run-transition';

export type { TransitionKind };

/** A participant's answer now: go on, refuse with the reason, or wait for a condition (`waitingFor`). */
export type ParticipantAnswer =
  | { verdict: 'ready'; detail?: string }
  | { verdict: 'refuse'; reason: string }
  | { verdict: 'defer'; waitingFor: string; timeoutMs: number };

export interface TransitionParticipant {
  /** What it is in the control room's words: "HV at setpoint", "DAQ stream". */
  readonly name: string;
  /** Lower numbers are asked first (MIDAS's transition sequence). */
  readonly sequence: number;
  /** The transitions it takes part in. */
  readonly transitions: readonly TransitionKind[];
  /** Asked again every poll while it defers; cheap and without side effects. */
  check(transition: { kind: TransitionKind; type: RunType }): ParticipantAnswer;
}

/** A participant refused (or its wait ran out): the transition did not happen. */
export class TransitionRefusedError extends Error {
  override name = 'TransitionRefusedError';
  constructor(
    readonly participant: string,
    readonly reason: string,
    kind: TransitionKind,
  ) {
    super(`cannot ${kind} the run: ${participant}: ${reason}`);
  }
}

/** The shifter called the transition off while a participant held it back. */
export class TransitionCancelledError extends Error {
  override name = 'TransitionCancelledError';
}

/** How often a deferring participant is asked again. */
export const DEFER_POLL_MS = 250;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Ask every participant of `kind`, in sequence order; resolves when all are ready, throws
 * TransitionRefusedError or TransitionCancelledError otherwise. `progress` is told every change.
 */
export async function askParticipants(
  participants: readonly TransitionParticipant[],
  transition: { kind: TransitionKind; type: RunType },
  o: { progress(view: TransitionView): void; cancelled(): boolean; now?: () => number },
): Promise<TransitionView> {
  const now = o.now ?? Date.now;
  const taking = [...participants].filter((p) => p.transitions.includes(transition.kind)).sort((a, b) => a.sequence - b.sequence || a.name.localeCompare(b.name));
  const view: TransitionView = {
    kind: transition.kind,
    startedAt: now(),
    participants: taking.map((p): TransitionParticipantView => ({ name: p.name, sequence: p.sequence, state: 'pending', detail: null, deferredUntil: null })),
  };
  const tell = () => o.progress({ ...view, participants: view.participants.map((p) => ({ ...p })) });
  tell();
  for (const [i, participant] of taking.entries()) {
    const shown = view.participants[i]!;
    let deadline: number | null = null;
    for (;;) {
      if (o.cancelled()) throw new TransitionCancelledError(`the ${transition.kind} was called off while ${participant.name} was ${shown.state === 'deferred' ? `waiting: ${shown.detail}` : 'being asked'}`);
      let answer: ParticipantAnswer;
      try {
        answer = participant.check(transition);
      } catch (error) {
        answer = { verdict: 'refuse', reason: `could not tell: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (answer.verdict === 'ready') {
        Object.assign(shown, { state: 'ready', detail: answer.detail ?? null, deferredUntil: null });
        tell();
        break;
      }
      if (answer.verdict === 'refuse') {
        Object.assign(shown, { state: 'refused', detail: answer.reason, deferredUntil: null });
        tell();
        throw new TransitionRefusedError(participant.name, answer.reason, transition.kind);
      }
      deadline ??= now() + answer.timeoutMs;
      if (now() >= deadline) {
        const reason = `${answer.waitingFor}, still after waiting ${Math.round(answer.timeoutMs / 1000)} s`;
        Object.assign(shown, { state: 'refused', detail: reason, deferredUntil: null });
        tell();
        throw new TransitionRefusedError(participant.name, reason, transition.kind);
      }
      if (shown.state !== 'deferred' || shown.detail !== answer.waitingFor) {
        Object.assign(shown, { state: 'deferred', detail: answer.waitingFor, deferredUntil: deadline });
        tell();
      }
      await sleep(DEFER_POLL_MS);
    }
  }
  return view;
}
