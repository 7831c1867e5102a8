// The replay's part of the API. Reading the status and a run's report is everyone's; starting a replay
// (paths on the server's file system), reprocessing and cancelling need the expert role and are logged
// with the user (the run itself records "replay of FILE" and, when cancelled, who cancelled it). Each is a row
// of the audit trail (src-main/audit), refused ones too.
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import type { ReplaySpeed, ReplayStatus } from '../shared/api/replay';
import { ReplayError } from './replay-service';

export function replayRouter(core: Core) {
  const r = () => core.replay;
  /** A ReplayError becomes the API's typed error of the same code; anything else is a fault. */
  const guard = <T>(errors: Record<string, ((o: { message: string }) => Error) | undefined>, fn: () => Promise<T> | T): Promise<T> =>
    Promise.resolve()
      .then(fn)
      .catch((error: unknown) => {
        if (error instanceof ReplayError) {
          const make = errors[error.code];
          if (make) throw make({ message: error.message });
        }
        throw error;
      });
  const pace = (speed: ReplaySpeed) => (speed === 'max' ? 'as fast as it can' : `at ${speed}×`);
  /** The replay there is when an action is asked for ("run 14 running"), as the audit's old value. */
  const now = () => {
    const s = r().status();
    return s.run === null ? s.state : `run ${s.run} ${s.state}`;
  };
  /** The run a replay or a reprocessing made: the outcome's new value. */
  const made = (what: string) => (s: ReplayStatus) => ({ new: `run ${s.run ?? '?'} ${what}` });
  return {
    replay: {
      status: os.replay.status.handler(() => r().status()),
      start: os.replay.start
        .use(
          audited(core.audit, {
            domain: 'replay',
            action: 'replay files',
            about: (input) => ({ target: input.files.join(' '), old: now(), new: `a ${input.type} run replayed ${pace(input.speed)}`, reason: input.comment }),
            outcome: made('replaying'),
          }),
        )
        .use(requires('replay.run'))
        .handler(({ input, errors, context }) =>
          guard(errors, () => r().start({ files: input.files, speed: input.speed, type: input.type, comment: input.comment, by: context.session.user })),
        ),
      reprocess: os.replay.reprocess
        .use(
          audited(core.audit, {
            domain: 'replay',
            action: 'reprocess',
            about: (input) => ({ target: `run ${input.run}`, old: now(), new: `reprocessed with set ${input.calibrationVersion} ${pace(input.speed)}` }),
            outcome: made('reprocessing'),
          }),
        )
        .use(requires('replay.run'))
        .handler(({ input, errors, context }) =>
          guard(errors, () => r().reprocess({ run: input.run, calibrationVersion: input.calibrationVersion, speed: input.speed, by: context.session.user })),
        ),
      cancel: os.replay.cancel
        .use(audited(core.audit, { domain: 'replay', action: 'cancel', about: () => ({ target: r().status().run === null ? 'no replay' : `replay run ${r().status().run}`, old: now(), new: 'cancelled' }) }))
        .use(requires('replay.run'))
        .handler(({ errors, context }) => guard(errors, () => r().cancel(context.session.user))),
      report: os.replay.report.handler(({ input, errors }) => guard(errors, () => r().storedReport(input.run))),
      live: os.replay.live.handler(async function* ({ signal }) {
        const updates = r().live.subscribe('replay', { signal });
        yield r().status();
        for await (const status of updates) yield status;
      }),
    },
  };
}
