// The electronic logbook: the shift's memory. People write entries and replies; the system writes run
// start and stop and, through `addSystemEntry`, what other domains report (alarm acknowledgements and
// shelving, HV snapshots). Entries are stamped documents as in a shift logbook: the author may edit for a
// while (every revision is kept), after that only an admin may, and everyone else replies.
import { join } from 'node:path';
import { EventPublisher } from '@orpc/server';
import type { Db } from '../archive/database';
import type { RunsArchive } from '../archive/runs-archive';
import type { Logger } from '../log';
import { allowed, type Session } from '../shared/auth';
import type { Run } from '../shared/api/schemas';
import type {
  Attachment,
  EntryFacts,
  EntryKind,
  EntryLink,
  ExportedFile,
  LogbookEvent,
  LogEntry,
  SearchResult,
  ThreadState,
} from '../shared/api/logbook';
import { LOGBOOK_LIMITS, MIB } from '../shared/api/logbook';
import { AttachmentFiles } from './attachment-files';
import { exportHtml, exportMarkdown } from './export';
import { LogbookStore, type SearchFilters } from './logbook-store';
import { explainFtsError, SearchSyntaxError, toFtsQuery } from './search-query';
import { shiftAt } from './shifts';
import { ShiftSummary } from './shift-summary';

/**
 * How long the author may edit an entry (ELOG's "Restrict edit time"): long enough to fix a typo or add the
 * figure of the spill after, short enough that the shift's record cannot be rewritten later.
 */
export const DEFAULT_EDIT_WINDOW_MS = 2 * 60 * 60 * 1000;
/** The author of entries the system writes. */
export const SYSTEM_AUTHOR = 'na64rc';

export type LogbookErrorCode = 'NOT_FOUND' | 'BAD_REQUEST' | 'CONFLICT' | 'FORBIDDEN';

export class LogbookError extends Error {
  constructor(
    readonly code: LogbookErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LogbookError';
  }
}

export interface EntryContent {
  title: string;
  body: string;
  tags: string[];
  links: EntryLink[];
  attachments: { hash: string; name: string }[];
}

export interface SystemEntry {
  kind: Exclude<EntryKind, 'note'>;
  title: string;
  body: string;
  tags?: string[];
  links?: EntryLink[];
  facts?: EntryFacts;
  /** Continue a thread, e.g. the run's stop under its start. */
  replyTo?: number;
}

export interface SearchInput extends Omit<SearchFilters, 'match'> {
  q: string;
}

export interface LogbookOptions {
  editWindowMs?: number;
  now?: () => number;
}

export class Logbook {
  readonly events = new EventPublisher<{ entry: LogbookEvent }>({ maxBufferedEvents: 100 });
  readonly summary: ShiftSummary;
  readonly editWindowMs: number;
  private readonly store: LogbookStore;
  private readonly files: AttachmentFiles;
  private readonly now: () => number;

  constructor(
    db: Db,
    private readonly archive: RunsArchive,
    dataDir: string,
    private readonly log: Logger,
    options: LogbookOptions = {},
  ) {
    this.editWindowMs = options.editWindowMs ?? DEFAULT_EDIT_WINDOW_MS;
    this.now = options.now ?? Date.now;
    this.store = new LogbookStore(db, this.editWindowMs);
    this.files = new AttachmentFiles(join(dataDir, 'attachments'));
    this.summary = new ShiftSummary(archive);
  }

  private checkLinks(links: EntryLink[]): void {
    for (const l of links) {
      if (l.kind === 'run' && !this.archive.getRun(l.run)) throw new LogbookError('BAD_REQUEST', `run ${l.run} does not exist: only runs that were taken can be linked`);
      if (l.kind === 'spill' && !this.archive.spillExists(l.run, l.spill)) {
        throw new LogbookError('BAD_REQUEST', `spill ${l.spill} of run ${l.run} was not recorded: only recorded spills can be linked`);
      }
    }
  }

  private checkAttachments(attachments: { hash: string; name: string }[]): void {
    for (const a of attachments) {
      if (!this.store.file(a.hash)) throw new LogbookError('BAD_REQUEST', `the attachment "${a.name.slice(0, 80)}" was not uploaded (upload it first)`);
    }
  }

  private publish(type: LogbookEvent['type'], entry: LogEntry): LogEntry {
    this.events.publish('entry', { type, entry });
    return entry;
  }

  get(id: number): LogEntry {
    const entry = this.store.get(id);
    if (!entry) throw new LogbookError('NOT_FOUND', `entry ${id} does not exist`);
    return entry;
  }

  /** A person's entry, or a reply to any entry of a thread. */
  write(session: Session, content: EntryContent, replyTo?: number): LogEntry {
    if (replyTo !== undefined) this.get(replyTo);
    this.checkLinks(content.links);
    this.checkAttachments(content.attachments);
    const at = this.now();
    const entry = this.store.insert({
      parentId: replyTo ?? null,
      origin: 'person',
      kind: 'note',
      author: session.user,
      authorRole: session.role,
      shift: shiftAt(at).label,
      at,
      facts: {},
      ...content,
    });
    this.log.info({ entry: entry.id, author: session.user, replyTo }, 'logbook entry written');
    return this.publish('written', entry);
  }

  /**
   * A new revision of an entry. The author may, within the edit window; an admin always may; system entries
   * are the system's record and only an admin amends them. `revision` is the one the editor started from.
   */
  edit(session: Session, id: number, revision: number, content: EntryContent): LogEntry {
    const entry = this.get(id);
    const admin = allowed(session.role, 'logbook.amend-locked');
    if (!admin) {
      if (entry.origin === 'system') {
        throw new LogbookError('FORBIDDEN', `entry ${id} was written by the system; add a reply instead (only an admin amends system entries)`);
      }
      if (entry.author !== session.user) throw new LogbookError('FORBIDDEN', `entry ${id} is ${entry.author}'s; add a reply instead`);
      if (this.editWindowMs === 0) throw new LogbookError('FORBIDDEN', 'entries are not edited in this logbook (edit time 0); add a reply instead (or ask an admin)');
      if (this.now() > entry.editableUntil) {
        const minutes = Math.round(this.editWindowMs / 60_000);
        throw new LogbookError('FORBIDDEN', `entry ${id} is older than ${minutes} minutes and can no longer be edited; add a reply instead (or ask an admin)`);
      }
    }
    this.checkLinks(content.links);
    this.checkAttachments(content.attachments);
    const edited = this.store.edit(id, revision, { ...content, editedBy: session.user, at: this.now() });
    if (!edited) {
      throw new LogbookError('CONFLICT', `entry ${id} was changed by someone else meanwhile (it is at revision ${this.get(id).revision}); reload it and edit again`);
    }
    this.log.info({ entry: id, editor: session.user, revision: edited.revision }, 'logbook entry edited');
    return this.publish('edited', edited);
  }

  setThreadState(id: number, state: ThreadState): LogEntry {
    const threadId = this.get(id).threadId;
    this.store.setThreadState(threadId, state);
    return this.publish('edited', this.get(threadId));
  }

  thread(id: number): LogEntry[] {
    return this.store.thread(this.get(id).threadId);
  }

  revisions(id: number): ReturnType<LogbookStore['revisions']> {
    this.get(id);
    return this.store.revisions(id);
  }

  /** An entry written by the system, for this and other domains (alarms, HV snapshots, calibration). */
  addSystemEntry(entry: SystemEntry): LogEntry {
    if (entry.replyTo !== undefined) this.get(entry.replyTo);
    const links = entry.links ?? [];
    this.checkLinks(links);
    const at = this.now();
    const written = this.store.insert({
      parentId: entry.replyTo ?? null,
      origin: 'system',
      kind: entry.kind,
      author: SYSTEM_AUTHOR,
      authorRole: null,
      shift: shiftAt(at).label,
      at,
      title: entry.title,
      body: entry.body,
      tags: entry.tags ?? [],
      links,
      facts: entry.facts ?? {},
      attachments: [],
    });
    return this.publish('written', written);
  }

  /** The automatic entries of run start and stop. */
  followRuns(events: { subscribe(event: 'run-started' | 'run-ended', listener: (run: Run) => void): () => void }): () => void {
    const guarded = (what: string, fn: (run: Run) => void) => (run: Run) => {
      try {
        fn(run);
      } catch (error) {
        // The run goes on whatever happens to its logbook entry; the log says what was lost.
        this.log.error({ err: error, run: run.number }, `could not write the ${what} logbook entry`);
      }
    };
    const offStart = events.subscribe('run-started', guarded('run start', (run) => this.runStarted(run)));
    const offEnd = events.subscribe('run-ended', guarded('run stop', (run) => this.runEnded(run)));
    return () => {
      offStart();
      offEnd();
    };
  }

  private runStarted(run: Run): void {
    const lines = [`- **type:** ${run.type}`, `- **setup:** ${run.setup}`];
    if (run.startComment) lines.push(`- **comment:** ${run.startComment}`);
    this.addSystemEntry({
      kind: 'run-start',
      title: `Run ${run.number} started (${run.type})`,
      body: lines.join('\n'),
      tags: ['run', run.type],
      links: [{ kind: 'run', run: run.number }],
      facts: { runType: run.type, setup: run.setup, comment: run.startComment, runEnd: run.end },
    });
  }

  /** Facts and lines other domains add to a run's stop entry (EOT, data-quality summary, calibration). */
  runStopFacts: ((run: Run) => { facts: EntryFacts; lines: string[] }) | null = null;

  /** The stop entry of a run, in the thread its start entry opened (also for runs found aborted at start-up). */
  runEnded(run: Run): void {
    const durationMs = (run.stoppedAt ?? this.now()) - run.startedAt;
    const lines = [
      `- **type:** ${run.type}`,
      `- **end:** ${run.end}${run.endReason ? ` (${run.endReason})` : ''}${run.stopReason ? `: ${run.stopReason}` : ''}`,
      `- **spills:** ${run.spills}`,
      `- **events:** ${run.events}`,
      `- **duration:** ${(durationMs / 60_000).toFixed(1)} min`,
    ];
    let extra: { facts: EntryFacts; lines: string[] } = { facts: {}, lines: [] };
    try {
      extra = this.runStopFacts?.(run) ?? extra;
    } catch (error) {
      this.log.error({ err: error, run: run.number }, 'could not gather the EOT and data-quality facts of the run');
    }
    lines.push(...extra.lines);
    const thread = this.store.runStartEntry(run.number);
    this.addSystemEntry({
      kind: 'run-stop',
      title: `Run ${run.number} ${run.end === 'aborted' ? 'aborted' : 'stopped'} (${run.type}, ${run.spills} spills)`,
      body: lines.join('\n'),
      tags: ['run', run.type],
      links: [{ kind: 'run', run: run.number }],
      facts: { runType: run.type, setup: run.setup, stopReason: run.stopReason ?? '', runEnd: run.end, spills: run.spills, events: run.events, durationMs, ...extra.facts },
      ...(thread !== null ? { replyTo: thread } : {}),
    });
  }

  /** The end-of-shift summary as a system entry; by default the current shift up to now. */
  writeShiftSummary(window: { from?: number | undefined; to?: number | undefined } = {}): LogEntry {
    const now = this.now();
    const shift = shiftAt(window.from ?? now);
    const from = window.from ?? shift.from;
    const to = window.to ?? Math.min(now, shift.to);
    if (!(to > from)) throw new LogbookError('BAD_REQUEST', 'the summary needs a time window whose end is after its start');
    const { body, facts } = this.summary.generate({ from, to });
    const fmt = (ms: number) => new Date(ms).toTimeString().slice(0, 5);
    return this.addSystemEntry({
      kind: 'shift-summary',
      title: `Shift summary ${shift.label} (${fmt(from)}–${fmt(to)})`,
      body,
      tags: ['shift-summary'],
      facts,
    });
  }

  async upload(name: string, base64: string): Promise<Attachment> {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length > LOGBOOK_LIMITS.attachmentBytes) {
      throw new LogbookError('BAD_REQUEST', `"${name.slice(0, 80)}" is ${(bytes.length / MIB).toFixed(1)} MiB; attachments are at most ${LOGBOOK_LIMITS.attachmentBytes / MIB} MiB`);
    }
    if (bytes.length === 0) throw new LogbookError('BAD_REQUEST', `"${name.slice(0, 80)}" is empty`);
    const facts = await this.files.store(name, bytes);
    this.store.putFile(facts, this.now());
    // A file stored before keeps what was decided then (the same bytes are the same file).
    return { ...this.store.file(facts.hash)!, name };
  }

  attachment(hash: string, thumbnail: boolean): { mime: string; bytes: Buffer; kind: Attachment['kind'] } {
    const file = this.store.file(hash);
    const bytes = file && (!thumbnail || file.thumbnail) ? this.files.read(hash, thumbnail) : null;
    if (!file || !bytes) throw new LogbookError('NOT_FOUND', thumbnail ? 'this attachment has no thumbnail' : 'no such attachment');
    return { mime: thumbnail ? 'image/png' : file.mime, bytes, kind: thumbnail ? 'image' : file.kind };
  }

  search(input: SearchInput): SearchResult {
    const started = performance.now();
    const match = toFtsQuery(input.q);
    try {
      const { hits, more } = this.store.search({ ...input, match });
      return { hits, more, tookMs: performance.now() - started };
    } catch (error) {
      const message = (error as Error).message ?? '';
      if (match !== null && (error as { code?: string }).code === 'SQLITE_ERROR') {
        throw new SearchSyntaxError(explainFtsError(match, message));
      }
      throw error;
    }
  }

  export(what: { from?: number | undefined; to?: number | undefined; run?: number | undefined; format: 'zip' | 'html' }): ExportedFile {
    let entries: LogEntry[];
    let title: string;
    let name: string;
    if (what.run !== undefined) {
      if (!this.archive.getRun(what.run)) throw new LogbookError('NOT_FOUND', `run ${what.run} does not exist`);
      entries = this.store.ofRun(what.run);
      title = `run ${what.run}`;
      name = `na64-logbook-run${what.run}`;
    } else {
      const from = what.from ?? 0;
      const to = what.to ?? this.now() + 1;
      if (!(to > from)) throw new LogbookError('BAD_REQUEST', 'the export needs a time window whose end is after its start');
      entries = this.store.inRange(from, to);
      const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      title = `${new Date(from).toISOString().slice(0, 16).replace('T', ' ')} – ${new Date(to).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
      name = `na64-logbook-${day(from)}_${day(to)}`;
    }
    if (!entries.length) throw new LogbookError('NOT_FOUND', `the logbook has no entries for ${title}`);
    const source = { what: title, entries, read: (hash: string, thumb: boolean) => this.files.read(hash, thumb) };
    if (what.format === 'zip') {
      return { fileName: `${name}.zip`, mime: 'application/zip', entries: entries.length, data: Buffer.from(exportMarkdown(source)).toString('base64') };
    }
    return { fileName: `${name}.html`, mime: 'text/html', entries: entries.length, data: Buffer.from(exportHtml(source)).toString('base64') };
  }
}
