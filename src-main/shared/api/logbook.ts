// API contract of the electronic logbook: entries written by people and by the system, threads, revisions,
// attachments, full-text search, the end-of-shift summary, export, and the live stream of new entries.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { Role } from '../auth';
import { QueryFlag, QueryTime, RunNumber, RunType, SpillNumber } from './schemas';

/** The limits of what one entry may hold; each is checked at the API boundary with a sentence saying which. */
export const LOGBOOK_LIMITS = {
  titleChars: 200,
  /** A long shift report with pasted tables fits; a whole log file should be an attachment. */
  bodyChars: 100_000,
  tags: 20,
  links: 100,
  attachmentsPerEntry: 20,
  /**
   * Screenshots and plots are a few hundred kB; 10 MiB leaves room for a camera photo or a PDF. Attachments
   * travel base64-encoded in one API message (4/3 the size), inside the WebSocket's message limit.
   */
  attachmentBytes: 10 * 1024 * 1024,
  fileNameChars: 200,
  /** Longer queries are not searches but pastes; they are refused with a sentence, not run. */
  queryChars: 500,
} as const;

export const MIB = 1024 * 1024;

/** C0 control characters except tab and newline never belong in text people read (and mark search hits). */
// eslint-disable-next-line no-control-regex -- control characters are what is being removed
const CONTROL_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(CONTROL_CHARS, '');
}

export const EntryTitle = z
  .string()
  .transform((t) => cleanText(t).replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'an entry needs a title').max(LOGBOOK_LIMITS.titleChars, `a title is at most ${LOGBOOK_LIMITS.titleChars} characters`));
export const EntryBody = z
  .string()
  .max(LOGBOOK_LIMITS.bodyChars, `an entry's text is at most ${LOGBOOK_LIMITS.bodyChars} characters; attach longer texts as files`)
  .transform(cleanText);
export const Tag = z
  .string()
  .transform((t) => t.trim().toLowerCase())
  .pipe(z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N}._+-]{0,31}$/u, 'a tag is one word of letters, digits, ".", "_", "+" or "-", at most 32 characters'));
export const Tags = z
  .array(Tag)
  .max(LOGBOOK_LIMITS.tags, `at most ${LOGBOOK_LIMITS.tags} tags`)
  .transform((tags) => [...new Set(tags)]);

export const EntryId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** Ids of records owned by other domains (alarms, HV snapshots): stored typed, resolved by those domains. */
const ForeignId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'an id is letters, digits, ".", "_", ":" or "-"');

export const EntryLink = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('run'), run: RunNumber }),
  z.object({ kind: z.literal('spill'), run: RunNumber, spill: SpillNumber }),
  z.object({ kind: z.literal('alarm'), alarm: ForeignId }),
  z.object({ kind: z.literal('hv-snapshot'), snapshot: ForeignId }),
]);
export type EntryLink = z.infer<typeof EntryLink>;

export const ORIGINS = ['person', 'system'] as const;
export const Origin = z.enum(ORIGINS);
export type Origin = z.infer<typeof Origin>;

/** What an entry records. People write notes; the rest are written by the system. */
export const ENTRY_KINDS = ['note', 'run-start', 'run-stop', 'alarm-acknowledged', 'alarm-shelved', 'hv-snapshot', 'shift-summary', 'dq-unblind', 'dq-reference', 'calibration'] as const;
export const EntryKind = z.enum(ENTRY_KINDS);
export type EntryKind = z.infer<typeof EntryKind>;

/**
 * Structured facts of a system entry. Every field is optional: the domains that know them (HV snapshots,
 * calibration, data quality, beam counters, alarms) fill theirs in as they come to exist.
 */
export const EntryFacts = z
  .object({
    runType: RunType,
    setup: z.string().max(64),
    comment: z.string().max(4000),
    stopReason: z.string().max(4000),
    runEnd: z.enum(['running', 'ended', 'aborted']),
    spills: z.number().int().nonnegative(),
    events: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative(),
    /** Electrons on target, from the beam counters. */
    eot: z.number().nonnegative(),
    hvSnapshot: z.string().max(200),
    calibrationVersion: z.string().max(200),
    dqSummary: z.string().max(4000),
    /** Control actions refused in a shift (role, state, limits): the audit trail's count, in the shift summary. */
    refusedActions: z.number().int().nonnegative(),
    alarm: z.object({
      id: ForeignId,
      name: z.string().max(200),
      action: z.enum(['acknowledged', 'shelved']),
      reason: z.string().max(4000),
      /** End of shelving (ms since epoch). */
      until: z.number().optional(),
    }),
  })
  .partial();
export type EntryFacts = z.infer<typeof EntryFacts>;

export const AttachmentHash = z.string().regex(/^[0-9a-f]{64}$/, 'an attachment is named by its SHA-256 (64 hex digits)');
export const FileName = z
  .string()
  .transform((n) => cleanText(n).replace(/[\n\t]/g, ' ').trim())
  .pipe(z.string().min(1, 'a file needs a name').max(LOGBOOK_LIMITS.fileNameChars, `a file name is at most ${LOGBOOK_LIMITS.fileNameChars} characters`));

/**
 * `image`: raster images shown inline with a thumbnail. `active`: formats a browser would execute (SVG, HTML,
 * XML): only ever downloaded, never shown. `file`: everything else, downloaded.
 */
export const AttachmentKind = z.enum(['image', 'active', 'file']);
export const Attachment = z.object({
  hash: AttachmentHash,
  name: z.string(),
  mime: z.string(),
  size: z.number().int().nonnegative(),
  kind: AttachmentKind,
  thumbnail: z.boolean(),
});
export type Attachment = z.infer<typeof Attachment>;

export const ThreadState = z.enum(['open', 'closed']);
export type ThreadState = z.infer<typeof ThreadState>;

export const LogEntry = z.object({
  id: EntryId,
  /** The first entry of the thread (its own id for a thread's first entry). */
  threadId: EntryId,
  parentId: EntryId.nullable(),
  origin: Origin,
  kind: EntryKind,
  author: z.string(),
  /** The author's role when writing; null for system entries. */
  authorRole: Role.nullable(),
  /** The shift the entry was written in, e.g. "2026-11-24 night". */
  shift: z.string(),
  createdAt: z.number(),
  updatedAt: z.number(),
  /** Who wrote the current revision when it is not the first. */
  editedBy: z.string().nullable(),
  /** 1 for an entry never edited; every edit keeps the previous text as a revision. */
  revision: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  tags: z.array(z.string()),
  links: z.array(EntryLink),
  facts: EntryFacts,
  attachments: z.array(Attachment),
  /** Open or closed: the state of the whole thread. */
  threadState: ThreadState,
  /** Until when the author may still edit it; later only an admin may, everyone else replies. */
  editableUntil: z.number(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export const Revision = z.object({
  revision: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  tags: z.array(z.string()),
  links: z.array(EntryLink),
  attachments: z.array(Attachment),
  /** Who wrote this revision and when (the original author for revision 1). */
  editedBy: z.string(),
  editedAt: z.number(),
});
export type Revision = z.infer<typeof Revision>;

/** A highlighted text: the search terms are the segments with `hit`. */
export const Highlighted = z.array(z.object({ text: z.string(), hit: z.boolean() }));
export type Highlighted = z.infer<typeof Highlighted>;

export const SearchQuery = z.object({
  /** Words, "phrases", prefix*, AND / OR / NOT, NEAR(a b), title: / body: / tags: column filters. */
  q: z.string().max(LOGBOOK_LIMITS.queryChars, `a search is at most ${LOGBOOK_LIMITS.queryChars} characters`).default(''),
  from: z.number().optional(),
  to: z.number().optional(),
  author: z.string().max(64).optional(),
  tag: Tag.optional(),
  run: RunNumber.optional(),
  origin: Origin.optional(),
  hasAttachment: z.boolean().optional(),
  /** Continue below this entry id (the previous page's last). */
  before: EntryId.optional(),
  limit: z.number().int().min(1).max(500).default(50),
});
export type SearchQuery = z.input<typeof SearchQuery>;

/** The search as a query string spells it: times as ms or ISO dates, `attachments=1|0`. */
export const SearchParams = SearchQuery.omit({ from: true, to: true, hasAttachment: true }).extend({
  from: QueryTime.optional(),
  to: QueryTime.optional(),
  attachments: QueryFlag.optional(),
});

export const SearchHit = z.object({ entry: LogEntry, title: Highlighted, snippet: Highlighted });
export type SearchHit = z.infer<typeof SearchHit>;
export const SearchResult = z.object({ hits: z.array(SearchHit), more: z.boolean(), tookMs: z.number() });
export type SearchResult = z.infer<typeof SearchResult>;

const AttachmentRef = z.object({ hash: AttachmentHash, name: FileName });

export const EntryInput = z.object({
  title: EntryTitle,
  body: EntryBody.default(''),
  tags: Tags.default([]),
  links: z.array(EntryLink).max(LOGBOOK_LIMITS.links, `at most ${LOGBOOK_LIMITS.links} links`).default([]),
  attachments: z.array(AttachmentRef).max(LOGBOOK_LIMITS.attachmentsPerEntry, `at most ${LOGBOOK_LIMITS.attachmentsPerEntry} attachments`).default([]),
});
export type EntryInput = z.input<typeof EntryInput>;

/** Base64 of at most `attachmentBytes` bytes (4 characters per 3 bytes). */
const MAX_BASE64 = Math.ceil(LOGBOOK_LIMITS.attachmentBytes / 3) * 4;
export const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'the file is not base64-encoded');
export const UploadInput = z.object({
  name: FileName,
  data: Base64.max(MAX_BASE64, `an attachment is at most ${LOGBOOK_LIMITS.attachmentBytes / MIB} MiB`),
});

export const ExportFormat = z.enum(['zip', 'html']);
export const ExportInput = z
  .object({ from: z.number().optional(), to: z.number().optional(), run: RunNumber.optional(), format: ExportFormat })
  .refine((e) => e.run !== undefined || e.from !== undefined || e.to !== undefined, 'export a run (run) or a date range (from, to)');
export const ExportedFile = z.object({ fileName: z.string(), mime: z.string(), entries: z.number().int(), data: Base64 });
export type ExportedFile = z.infer<typeof ExportedFile>;

export const LogbookEvent = z.object({ type: z.enum(['written', 'edited']), entry: LogEntry });
export type LogbookEvent = z.infer<typeof LogbookEvent>;

const NotFound = { NOT_FOUND: { message: 'no such entry' } };
const BadRequest = { BAD_REQUEST: { message: 'the logbook cannot take this' } };

export const logbookContract = {
  logbook: {
    search: oc.errors(BadRequest).input(SearchQuery).output(SearchResult),
    /** `search` for scripts: the query string's spelling of it. */
    find: oc
      .route({ method: 'GET', path: '/logbook', summary: 'Logbook search, newest first, with highlighted title and snippet segments', tags: ['logbook'] })
      .errors(BadRequest)
      .input(SearchParams)
      .output(SearchResult),
    get: oc
      .route({ method: 'GET', path: '/logbook/{id}', summary: 'One logbook entry', tags: ['logbook'] })
      .errors(NotFound)
      .input(z.object({ id: EntryId }))
      .output(LogEntry),
    /** A whole thread, first entry first, replies in the order written. */
    thread: oc
      .route({ method: 'GET', path: '/logbook/{id}/thread', summary: "An entry's whole thread", tags: ['logbook'] })
      .errors(NotFound).input(z.object({ id: EntryId })).output(z.array(LogEntry)),
    /** Every earlier text of an entry, oldest first; the current one is the entry itself. */
    revisions: oc
      .route({ method: 'GET', path: '/logbook/{id}/revisions', summary: "An entry's earlier texts, oldest first", tags: ['logbook'] })
      .errors(NotFound).input(z.object({ id: EntryId })).output(z.array(Revision)),
    write: oc
      .errors({ ...NotFound, ...BadRequest })
      .input(EntryInput.extend({ replyTo: EntryId.optional() }))
      .output(LogEntry),
    /** A new revision; `revision` is the one the editor started from, so concurrent edits are not overwritten. */
    edit: oc
      .errors({ ...NotFound, ...BadRequest, CONFLICT: { message: 'the entry was changed meanwhile' }, FORBIDDEN: { message: 'this entry can no longer be edited' } })
      .input(EntryInput.extend({ id: EntryId, revision: z.number().int().positive() }))
      .output(LogEntry),
    setThreadState: oc.errors(NotFound).input(z.object({ id: EntryId, state: ThreadState })).output(LogEntry),
    /** Store a file by its content; the answer names it for `write` / `edit`. */
    upload: oc.errors({ BAD_REQUEST: { message: 'the file was refused' } }).input(UploadInput).output(Attachment),
    attachment: oc
      .errors({ NOT_FOUND: { message: 'no such attachment' } })
      .input(z.object({ hash: AttachmentHash, thumbnail: z.boolean().default(false) }))
      .output(z.object({ mime: z.string(), kind: AttachmentKind, data: Base64 })),
    /** Write the end-of-shift summary (the current shift unless from/to say otherwise) as a system entry. */
    summary: oc.input(z.object({ from: z.number().optional(), to: z.number().optional() })).output(LogEntry),
    export: oc.errors({ ...BadRequest, NOT_FOUND: { message: 'nothing to export' } }).input(ExportInput).output(ExportedFile),
    /** Entries as they are written or edited. */
    live: oc.output(eventIterator(LogbookEvent)),
  },
};
