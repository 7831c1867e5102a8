// The logbook's part of the API. Reading is for every session; writing needs `logbook.write` (shifter);
// amending someone else's or a locked entry is decided by the logbook (admin only).
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import { LogbookError, type LogbookErrorCode } from './logbook';
import { SearchSyntaxError } from './search-query';

type ErrorMakers = Partial<Record<LogbookErrorCode, (options: { message: string }) => Error>>;

/** A LogbookError becomes the contract's typed error of the same code; anything else stays an internal error. */
function typed<T>(errors: ErrorMakers, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const make = error instanceof LogbookError ? errors[error.code] : undefined;
    if (error instanceof LogbookError && make) throw make({ message: error.message });
    if (error instanceof SearchSyntaxError && errors.BAD_REQUEST) throw errors.BAD_REQUEST({ message: error.message });
    throw error;
  }
}

export function logbookRouter(core: Core) {
  const logbook = core.logbook;
  /**
   * An edit is a control action when it amends what its author may no longer change (a system entry, someone
   * else's, one past the edit window): an admin's amendment, or an attempt refused. The author fixing a typo
   * in their own fresh entry is writing, and is not audited.
   */
  const amendment = (id: number, user: string) => {
    let entry;
    try {
      entry = logbook.get(id);
    } catch {
      return null;
    }
    const own = entry.origin !== 'system' && entry.author === user && logbook.editWindowMs > 0 && Date.now() <= entry.editableUntil;
    return own ? null : entry;
  };
  return {
    logbook: {
      search: os.logbook.search.handler(({ input, errors }) => typed(errors, () => logbook.search(input))),
      find: os.logbook.find.handler(({ input: { attachments, ...rest }, errors }) =>
        typed(errors, () => logbook.search({ ...rest, hasAttachment: attachments })),
      ),
      get: os.logbook.get.handler(({ input, errors }) => typed(errors, () => logbook.get(input.id))),
      thread: os.logbook.thread.handler(({ input, errors }) => typed(errors, () => logbook.thread(input.id))),
      revisions: os.logbook.revisions.handler(({ input, errors }) => typed(errors, () => logbook.revisions(input.id))),
      write: os.logbook.write
        .use(requires('logbook.write'))
        .handler(({ input, context, errors }) => typed(errors, () => logbook.write(context.session, input, input.replyTo))),
      edit: os.logbook.edit
        .use(
          audited(core.audit, {
            domain: 'logbook',
            action: 'amend',
            about: (input, context) => {
              const entry = amendment(input.id, context.session.user);
              if (!entry) return null;
              const author = entry.origin === 'system' ? 'system entry' : `${entry.author}'s`;
              return { target: `entry ${entry.id} (${author})`, old: `revision ${entry.revision}: ${entry.title}`, new: `revision ${entry.revision + 1}: ${input.title}` };
            },
          }),
        )
        .use(requires('logbook.write'))
        .handler(({ input, context, errors }) => typed(errors, () => logbook.edit(context.session, input.id, input.revision, input))),
      setThreadState: os.logbook.setThreadState
        .use(requires('logbook.write'))
        .handler(({ input, errors }) => typed(errors, () => logbook.setThreadState(input.id, input.state))),
      upload: os.logbook.upload.use(requires('logbook.write')).handler(async ({ input, errors }) => {
        try {
          return await logbook.upload(input.name, input.data);
        } catch (error) {
          if (error instanceof LogbookError) throw errors.BAD_REQUEST({ message: error.message });
          throw error;
        }
      }),
      attachment: os.logbook.attachment.handler(({ input, errors }) =>
        typed(errors, () => {
          const file = logbook.attachment(input.hash, input.thumbnail);
          return { mime: file.mime, kind: file.kind, data: file.bytes.toString('base64') };
        }),
      ),
      summary: os.logbook.summary.use(requires('logbook.write')).handler(({ input }) => logbook.writeShiftSummary(input)),
      export: os.logbook.export.handler(({ input, errors }) => typed(errors, () => logbook.export(input))),
      live: os.logbook.live.handler(async function* ({ signal }) {
        for await (const event of logbook.events.subscribe('entry', { signal })) yield event;
      }),
    },
  };
}
