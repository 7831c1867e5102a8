// Logbook entries in SQLite: one transaction per entry written or edited (entry, tags, links, attachment
// references, the previous revision), FTS5 kept in step by triggers (db/migrations/0005-logbook.ts).
import type { Db } from '../archive/database';
import type { Role } from '../shared/auth';
import type {
  Attachment,
  EntryFacts,
  EntryKind,
  EntryLink,
  Highlighted,
  LogEntry,
  Origin,
  Revision,
  ThreadState,
} from '../shared/api/logbook';
import type { FileFacts } from './attachment-files';

interface EntryRow {
  id: number;
  thread_id: number;
  parent_id: number | null;
  origin: Origin;
  kind: EntryKind;
  author: string;
  author_role: Role | null;
  shift: string;
  created_at: number;
  updated_at: number;
  edited_by: string | null;
  revision: number;
  title: string;
  body: string;
  tags: string;
  links: string;
  facts: string;
  attachments: number;
  state: ThreadState;
}

interface FileRow {
  hash: string;
  name: string;
  size: number;
  mime: string;
  kind: Attachment['kind'];
  thumbnail: number;
}

interface RevisionRow {
  revision: number;
  title: string;
  body: string;
  tags: string;
  links: string;
  attachments: string;
  edited_by: string;
  edited_at: number;
}

export interface NewEntry {
  parentId: number | null;
  origin: Origin;
  kind: EntryKind;
  author: string;
  authorRole: Role | null;
  shift: string;
  at: number;
  title: string;
  body: string;
  tags: string[];
  links: EntryLink[];
  facts: EntryFacts;
  attachments: { hash: string; name: string }[];
}

export interface EntryChange {
  title: string;
  body: string;
  tags: string[];
  links: EntryLink[];
  attachments: { hash: string; name: string }[];
  editedBy: string;
  at: number;
}

export interface SearchFilters {
  match: string | null;
  from?: number | undefined;
  to?: number | undefined;
  author?: string | undefined;
  tag?: string | undefined;
  run?: number | undefined;
  origin?: Origin | undefined;
  hasAttachment?: boolean | undefined;
  before?: number | undefined;
  limit: number;
}

export interface StoredHit {
  entry: LogEntry;
  title: Highlighted;
  snippet: Highlighted;
}

/** Search hits come back with these two characters around each term; stored text never contains them. */
const HIT_START = '\u0002';
const HIT_END = '\u0003';
/** Words of body text around the hits in a snippet. */
const SNIPPET_TOKENS = 24;
const PLAIN_SNIPPET_CHARS = 240;
/**
 * Below this many entries a run or tag filter is applied before the text search (each entry looked up in
 * the FTS index: 0.1–0.2 ms each for a common word); above it the index is walked newest first with the
 * filter checked per hit (≈30 ms for a common word over 100,000 entries). Measured with
 * npm run bench -- logbook-search.
 */
const NARROW_FILTER_ENTRIES = 120;

export function segments(marked: string): Highlighted {
  const out: Highlighted = [];
  for (const part of marked.split(HIT_START)) {
    const end = part.indexOf(HIT_END);
    if (end < 0) {
      if (part) out.push({ text: part, hit: false });
      continue;
    }
    if (end > 0) out.push({ text: part.slice(0, end), hit: true });
    if (end + 1 < part.length) out.push({ text: part.slice(end + 1), hit: false });
  }
  return out;
}

const ENTRY_COLUMNS = `e.id, e.thread_id, e.parent_id, e.origin, e.kind, e.author, e.author_role, e.shift, e.created_at,
  e.updated_at, e.edited_by, e.revision, e.title, e.body, e.tags, e.links, e.facts, e.attachments,
  (SELECT r.thread_state FROM logbook_entries r WHERE r.id = e.thread_id) AS state`;

export class LogbookStore {
  private readonly q;
  private readonly searches = new Map<string, ReturnType<Db['prepare']>>();

  constructor(
    private readonly db: Db,
    /** How long after writing the author may still edit an entry. */
    private readonly editWindowMs: number,
  ) {
    this.q = {
      nextId: db.prepare<[], { id: number }>(`SELECT coalesce(max(id), 0) + 1 AS id FROM logbook_entries`),
      insert: db.prepare(
        `INSERT INTO logbook_entries (id, thread_id, parent_id, origin, kind, author, author_role, shift, created_at, updated_at,
           title, body, tags, links, facts, attachments)
         VALUES (@id, @threadId, @parentId, @origin, @kind, @author, @authorRole, @shift, @at, @at,
           @title, @body, @tags, @links, @facts, @attachments)`,
      ),
      update: db.prepare(
        `UPDATE logbook_entries SET title = @title, body = @body, tags = @tags, links = @links, attachments = @attachments,
           revision = revision + 1, updated_at = @at, edited_by = @editedBy WHERE id = @id`,
      ),
      keepRevision: db.prepare(
        `INSERT INTO logbook_revisions (entry_id, revision, title, body, tags, links, attachments, edited_by, edited_at)
         VALUES (@id, @revision, @title, @body, @tags, @links, @attachments, @editedBy, @editedAt)`,
      ),
      get: db.prepare<[number], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM logbook_entries e WHERE e.id = ?`),
      thread: db.prepare<[number], EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM logbook_entries e WHERE e.thread_id = ? ORDER BY e.id`),
      setState: db.prepare<[ThreadState, number]>(`UPDATE logbook_entries SET thread_state = ? WHERE id = ?`),
      revisions: db.prepare<[number], RevisionRow>(`SELECT * FROM logbook_revisions WHERE entry_id = ? ORDER BY revision`),
      clearTags: db.prepare<[number]>(`DELETE FROM logbook_tags WHERE entry_id = ?`),
      addTag: db.prepare<[number, string]>(`INSERT OR IGNORE INTO logbook_tags (entry_id, tag) VALUES (?, ?)`),
      clearLinks: db.prepare<[number]>(`DELETE FROM logbook_links WHERE entry_id = ?`),
      addLink: db.prepare<[number, string, number | null, number | null, string | null]>(
        `INSERT INTO logbook_links (entry_id, kind, run, spill, ref) VALUES (?, ?, ?, ?, ?)`,
      ),
      clearFiles: db.prepare<[number]>(`DELETE FROM logbook_entry_files WHERE entry_id = ?`),
      addFile: db.prepare<[number, number, string, string]>(
        `INSERT INTO logbook_entry_files (entry_id, position, hash, name) VALUES (?, ?, ?, ?)`,
      ),
      files: db.prepare<[number], FileRow>(
        `SELECT f.hash, x.name, f.size, f.mime, f.kind, f.thumbnail FROM logbook_entry_files x
         JOIN logbook_files f ON f.hash = x.hash WHERE x.entry_id = ? ORDER BY x.position`,
      ),
      file: db.prepare<[string], Omit<FileRow, 'name'>>(`SELECT hash, size, mime, kind, thumbnail FROM logbook_files WHERE hash = ?`),
      putFile: db.prepare(
        `INSERT INTO logbook_files (hash, size, mime, kind, thumbnail, stored_at) VALUES (@hash, @size, @mime, @kind, @thumbnail, @at)
         ON CONFLICT (hash) DO NOTHING`,
      ),
      countRun: db.prepare<[number], { n: number }>(`SELECT count(*) AS n FROM logbook_links WHERE run = ?`),
      countTag: db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM logbook_tags WHERE tag = ?`),
      idsInTime: db.prepare<[number, number], { lo: number | null; hi: number | null }>(
        `SELECT min(id) AS lo, max(id) AS hi FROM logbook_entries WHERE created_at >= ? AND created_at < ?`,
      ),
      runStart: db.prepare<[number], { id: number }>(
        `SELECT e.id FROM logbook_entries e JOIN logbook_links l ON l.entry_id = e.id
         WHERE l.run = ? AND l.kind = 'run' AND e.kind = 'run-start' ORDER BY e.id DESC LIMIT 1`,
      ),
      inRange: db.prepare<[number, number], EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM logbook_entries e WHERE e.created_at >= ? AND e.created_at < ? ORDER BY e.id`,
      ),
      ofRun: db.prepare<[number, number], EntryRow>(
        `SELECT ${ENTRY_COLUMNS} FROM logbook_entries e WHERE e.id IN (SELECT entry_id FROM logbook_links WHERE run = ?)
           OR e.thread_id IN (SELECT entry_id FROM logbook_links WHERE run = ?) ORDER BY e.id`,
      ),
    };
  }

  private toEntry(row: EntryRow): LogEntry {
    return {
      id: row.id,
      threadId: row.thread_id,
      parentId: row.parent_id,
      origin: row.origin,
      kind: row.kind,
      author: row.author,
      authorRole: row.author_role,
      shift: row.shift,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      editedBy: row.edited_by,
      revision: row.revision,
      title: row.title,
      body: row.body,
      tags: row.tags ? row.tags.split(' ') : [],
      links: JSON.parse(row.links) as EntryLink[],
      facts: JSON.parse(row.facts) as EntryFacts,
      attachments: row.attachments > 0 ? this.attachmentsOf(row.id) : [],
      threadState: row.state,
      editableUntil: row.created_at + this.editWindowMs,
    };
  }

  private attachmentsOf(id: number): Attachment[] {
    return this.q.files.all(id).map((f) => ({ hash: f.hash, name: f.name, size: f.size, mime: f.mime, kind: f.kind, thumbnail: f.thumbnail === 1 }));
  }

  private setDetails(id: number, tags: string[], links: EntryLink[], attachments: { hash: string; name: string }[], replace: boolean): void {
    if (replace) {
      this.q.clearTags.run(id);
      this.q.clearLinks.run(id);
      this.q.clearFiles.run(id);
    }
    for (const t of tags) this.q.addTag.run(id, t);
    for (const l of links) {
      if (l.kind === 'run') this.q.addLink.run(id, 'run', l.run, null, null);
      else if (l.kind === 'spill') this.q.addLink.run(id, 'spill', l.run, l.spill, null);
      else this.q.addLink.run(id, l.kind, null, null, l.kind === 'alarm' ? l.alarm : l.snapshot);
    }
    attachments.forEach((a, i) => this.q.addFile.run(id, i, a.hash, a.name));
  }

  get(id: number): LogEntry | null {
    const row = this.q.get.get(id);
    return row ? this.toEntry(row) : null;
  }

  file(hash: string): FileFacts | null {
    const f = this.q.file.get(hash);
    return f ? { ...f, thumbnail: f.thumbnail === 1 } : null;
  }

  putFile(facts: FileFacts, at: number): void {
    this.q.putFile.run({ ...facts, thumbnail: facts.thumbnail ? 1 : 0, at });
  }

  insert(entry: NewEntry): LogEntry {
    const id = this.db.transaction(() => {
      const next = this.q.nextId.get()!.id;
      const threadId = entry.parentId === null ? next : this.q.get.get(entry.parentId)!.thread_id;
      this.q.insert.run({
        id: next,
        threadId,
        parentId: entry.parentId,
        origin: entry.origin,
        kind: entry.kind,
        author: entry.author,
        authorRole: entry.authorRole,
        shift: entry.shift,
        at: entry.at,
        title: entry.title,
        body: entry.body,
        tags: entry.tags.join(' '),
        links: JSON.stringify(entry.links),
        facts: JSON.stringify(entry.facts),
        attachments: entry.attachments.length,
      });
      this.setDetails(next, entry.tags, entry.links, entry.attachments, false);
      return next;
    })();
    return this.get(id)!;
  }

  /** A new revision; the text it replaces is kept. Null when `expectedRevision` is no longer current. */
  edit(id: number, expectedRevision: number, change: EntryChange): LogEntry | null {
    const done = this.db.transaction(() => {
      const row = this.q.get.get(id);
      if (!row || row.revision !== expectedRevision) return false;
      this.q.keepRevision.run({
        id,
        revision: row.revision,
        title: row.title,
        body: row.body,
        tags: row.tags,
        links: row.links,
        attachments: JSON.stringify(row.attachments > 0 ? this.attachmentsOf(id) : []),
        editedBy: row.edited_by ?? row.author,
        editedAt: row.updated_at,
      });
      this.q.update.run({
        id,
        title: change.title,
        body: change.body,
        tags: change.tags.join(' '),
        links: JSON.stringify(change.links),
        attachments: change.attachments.length,
        at: change.at,
        editedBy: change.editedBy,
      });
      this.setDetails(id, change.tags, change.links, change.attachments, true);
      return true;
    })();
    return done ? this.get(id) : null;
  }

  setThreadState(threadId: number, state: ThreadState): void {
    this.q.setState.run(state, threadId);
  }

  thread(threadId: number): LogEntry[] {
    return this.q.thread.all(threadId).map((r) => this.toEntry(r));
  }

  revisions(id: number): Revision[] {
    return this.q.revisions.all(id).map((r) => ({
      revision: r.revision,
      title: r.title,
      body: r.body,
      tags: r.tags ? r.tags.split(' ') : [],
      links: JSON.parse(r.links) as EntryLink[],
      attachments: JSON.parse(r.attachments) as Attachment[],
      editedBy: r.edited_by,
      editedAt: r.edited_at,
    }));
  }

  /** The automatic start entry of a run, if it was written. */
  runStartEntry(run: number): number | null {
    return this.q.runStart.get(run)?.id ?? null;
  }

  /** Entries written in [from, to), oldest first. */
  inRange(from: number, to: number): LogEntry[] {
    return this.q.inRange.all(from, to).map((r) => this.toEntry(r));
  }

  /** Entries linked to a run, with the whole threads they start. */
  ofRun(run: number): LogEntry[] {
    return this.q.ofRun.all(run, run).map((r) => this.toEntry(r));
  }

  /** The filter that leaves the fewest entries, if it leaves few enough to look them up one by one. */
  private narrowest(f: SearchFilters): 'run' | 'tag' | null {
    let best: 'run' | 'tag' | null = null;
    let fewest = NARROW_FILTER_ENTRIES;
    const consider = (which: 'run' | 'tag', count: number) => {
      if (count < fewest) {
        fewest = count;
        best = which;
      }
    };
    if (f.run !== undefined) consider('run', this.q.countRun.get(f.run)!.n);
    if (f.tag !== undefined) consider('tag', this.q.countTag.get(f.tag)!.n);
    return best;
  }

  /**
   * Newest first. With `match` (an FTS5 expression) only matching entries, with the terms highlighted;
   * an invalid expression throws SQLite's error (the caller explains it). Fetches one more than `limit`
   * to tell whether there are more.
   */
  search(f: SearchFilters): { hits: StoredHit[]; more: boolean } {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: f.limit + 1 };
    const add = (clause: string, name: string, value: unknown) => {
      where.push(clause);
      params[name] = value;
    };
    const id = f.match !== null ? 'logbook_fts.rowid' : 'e.id';
    // A run or a rare tag leaves few entries: only those are looked up (id IN …). A broad filter is checked
    // per entry while walking newest first, which stops at the limit. Which is which is decided from the
    // counts in the indexes, per query. A time window also bounds the ids walked: the smallest and largest
    // id written in it (exact bounds, whatever order the clock gave the entries).
    const narrow = this.narrowest(f);
    if (f.match !== null) add('logbook_fts MATCH @match', 'match', f.match);
    if (f.from !== undefined || f.to !== undefined) {
      const span = this.q.idsInTime.get(f.from ?? 0, f.to ?? Number.MAX_SAFE_INTEGER)!;
      if (span.lo === null || span.hi === null) return { hits: [], more: false };
      add(`${id} >= @lo`, 'lo', span.lo);
      add(`${id} <= @hi`, 'hi', span.hi);
    }
    if (f.from !== undefined) add('e.created_at >= @from', 'from', f.from);
    if (f.to !== undefined) add('e.created_at < @to', 'to', f.to);
    if (f.author !== undefined) add('e.author = @author', 'author', f.author);
    if (f.origin !== undefined) add('e.origin = @origin', 'origin', f.origin);
    if (f.before !== undefined) add(`${id} < @before`, 'before', f.before);
    if (f.tag !== undefined) {
      add(
        narrow === 'tag' ? `${id} IN (SELECT entry_id FROM logbook_tags WHERE tag = @tag)` : 'EXISTS (SELECT 1 FROM logbook_tags t WHERE t.tag = @tag AND t.entry_id = e.id)',
        'tag',
        f.tag,
      );
    }
    if (f.run !== undefined) {
      add(
        narrow === 'run' ? `${id} IN (SELECT entry_id FROM logbook_links WHERE run = @run)` : 'EXISTS (SELECT 1 FROM logbook_links l WHERE l.run = @run AND l.entry_id = e.id)',
        'run',
        f.run,
      );
    }
    if (f.hasAttachment !== undefined) where.push(f.hasAttachment ? 'e.attachments > 0' : 'e.attachments = 0');
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const sql =
      f.match !== null
        ? `SELECT ${ENTRY_COLUMNS},
             highlight(logbook_fts, 0, '${HIT_START}', '${HIT_END}') AS hl_title,
             snippet(logbook_fts, 1, '${HIT_START}', '${HIT_END}', '…', ${SNIPPET_TOKENS}) AS hl_body
           FROM logbook_fts JOIN logbook_entries e ON e.id = logbook_fts.rowid ${filter}
           ORDER BY logbook_fts.rowid DESC LIMIT @limit`
        : `SELECT ${ENTRY_COLUMNS} FROM logbook_entries e ${filter} ORDER BY e.id DESC LIMIT @limit`;
    let statement = this.searches.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.searches.set(sql, statement);
    }
    const rows = statement.all(params) as (EntryRow & { hl_title?: string; hl_body?: string })[];
    const more = rows.length > f.limit;
    const hits = rows.slice(0, f.limit).map((r) => ({
      entry: this.toEntry(r),
      title: r.hl_title !== undefined ? segments(r.hl_title) : [{ text: r.title, hit: false }],
      snippet: r.hl_body !== undefined ? segments(r.hl_body) : plainSnippet(r.body),
    }));
    return { hits, more };
  }
}

function plainSnippet(body: string): Highlighted {
  const text = body.replace(/\s+/g, ' ').trim();
  return text ? [{ text: text.length > PLAIN_SNIPPET_CHARS ? `${text.slice(0, PLAIN_SNIPPET_CHARS)}…` : text, hit: false }] : [];
}
