// The logbook service on a real SQLite file and a real attachments folder: entries, threads, revisions and
// the edit window, links, attachments (with hostile files), search (with hostile queries), the automatic
// run entries, the shift summary and export.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventPublisher } from '@orpc/server';
import { strFromU8, unzipSync } from 'fflate';
import MarkdownIt from 'markdown-it';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { silentLogger } from '../../src-main/log';
import { exportHtml, exportMarkdown } from '../../src-main/logbook/export';
import { Logbook, LogbookError, type EntryContent } from '../../src-main/logbook/logbook';
import { SearchSyntaxError, toFtsQuery } from '../../src-main/logbook/search-query';
import { shiftAt } from '../../src-main/logbook/shifts';
import { EntryInput, LOGBOOK_LIMITS, SearchQuery, UploadInput } from '../../src-main/shared/api/logbook';
import type { Session } from '../../src-main/shared/auth';
import type { Run } from '../../src-main/shared/api/schemas';

const alice: Session = { user: 'alice', role: 'shifter', via: 'user-token' };
const bob: Session = { user: 'bob', role: 'shifter', via: 'user-token' };
const admin: Session = { user: 'root', role: 'admin', via: 'start-token' };

let dir: string;
let db: Db;
let archive: RunsArchive;
let logbook: Logbook;
let clock: number;

function open(): void {
  db = openDatabase(join(dir, 'na64rc.sqlite'));
  archive = new RunsArchive(db);
  logbook = new Logbook(db, archive, dir, silentLogger(), { editWindowMs: 60_000, now: () => clock });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-logbook-'));
  clock = new Date(2026, 10, 24, 10, 0, 0).getTime();
  open();
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const note = (over: Partial<EntryContent> = {}): EntryContent => ({ title: 'A note', body: '', tags: [], links: [], attachments: [], ...over });

function errorOf(fn: () => unknown): LogbookError {
  try {
    fn();
  } catch (error) {
    if (error instanceof LogbookError) return error;
    throw error;
  }
  throw new Error('expected a LogbookError');
}

async function png(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#3366ff' } }).png().toBuffer();
}

describe('entries, threads and revisions', () => {
  it('writes an entry with author, role, shift and links, and threads replies under it', () => {
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: clock });
    const root = logbook.write(alice, note({ title: 'Beam back', tags: ['beam'], links: [{ kind: 'run', run: run.number }, { kind: 'alarm', alarm: 'hv:ECAL0-3-3' }] }));
    expect(root).toMatchObject({ author: 'alice', authorRole: 'shifter', origin: 'person', kind: 'note', shift: '2026-11-24 morning', threadId: root.id, parentId: null, revision: 1 });
    expect(root.links).toEqual([{ kind: 'run', run: 1 }, { kind: 'alarm', alarm: 'hv:ECAL0-3-3' }]);
    clock += 1000;
    const reply = logbook.write(bob, note({ title: 'Re: beam back' }), root.id);
    const replyToReply = logbook.write(alice, note({ title: 'Re: re' }), reply.id);
    expect(replyToReply).toMatchObject({ threadId: root.id, parentId: reply.id });
    expect(logbook.thread(reply.id).map((e) => e.id)).toEqual([root.id, reply.id, replyToReply.id]);

    const closed = logbook.setThreadState(replyToReply.id, 'closed');
    expect(closed.id).toBe(root.id);
    expect(logbook.thread(root.id).every((e) => e.threadState === 'closed')).toBe(true);
  });

  it('refuses links to runs and spills that were never taken, and replies to entries that do not exist', () => {
    expect(errorOf(() => logbook.write(alice, note({ links: [{ kind: 'run', run: 7 }] }))).message).toBe('run 7 does not exist: only runs that were taken can be linked');
    expect(errorOf(() => logbook.write(alice, note({ links: [{ kind: 'spill', run: 7, spill: 3 }] }))).message).toMatch(/spill 3 of run 7 was not recorded/);
    expect(errorOf(() => logbook.write(alice, note(), 99)).code).toBe('NOT_FOUND');
    expect(logbook.search({ q: '', limit: 10 }).hits).toEqual([]);
  });

  it('keeps every revision; a stale editor gets a conflict, not an overwrite', () => {
    const e = logbook.write(alice, note({ title: 'first', body: 'one' }));
    clock += 1000;
    const second = logbook.edit(alice, e.id, 1, note({ title: 'second', body: 'two', tags: ['x'] }));
    expect(second).toMatchObject({ revision: 2, title: 'second', editedBy: 'alice', tags: ['x'] });
    const stale = errorOf(() => logbook.edit(bob.user === 'bob' ? alice : bob, e.id, 1, note({ title: 'stale' })));
    expect(stale.code).toBe('CONFLICT');
    expect(stale.message).toMatch(/changed by someone else meanwhile \(it is at revision 2\)/);
    logbook.edit(admin, e.id, 2, note({ title: 'third' }));
    const revisions = logbook.revisions(e.id);
    expect(revisions.map((r) => [r.revision, r.title, r.body, r.editedBy])).toEqual([
      [1, 'first', 'one', 'alice'],
      [2, 'second', 'two', 'alice'],
    ]);
    expect(logbook.get(e.id)).toMatchObject({ revision: 3, title: 'third', editedBy: 'root' });
  });

  it('lets the author edit within the window, then only an admin; others and system entries are replied to', () => {
    const e = logbook.write(alice, note());
    expect(errorOf(() => logbook.edit(bob, e.id, 1, note({ title: 'mine now' }))).message).toBe("entry 1 is alice's; add a reply instead");
    clock += 61_000;
    const locked = errorOf(() => logbook.edit(alice, e.id, 1, note({ title: 'late' })));
    expect(locked.code).toBe('FORBIDDEN');
    expect(locked.message).toMatch(/older than 1 minutes and can no longer be edited; add a reply instead/);
    expect(logbook.edit(admin, e.id, 1, note({ title: 'amended by the admin' })).revision).toBe(2);

    const system = logbook.addSystemEntry({ kind: 'alarm-acknowledged', title: 'Alarm acknowledged', body: '' });
    expect(errorOf(() => logbook.edit({ ...alice, role: 'expert' }, system.id, 1, note())).message).toMatch(/written by the system; add a reply instead/);
    expect(logbook.write(alice, note({ title: 'reply to the system' }), system.id).threadId).toBe(system.id);
  });

  it('survives a reopen of the database file with everything written', () => {
    const e = logbook.write(alice, note({ title: 'durable' }));
    logbook.edit(alice, e.id, 1, note({ title: 'durable, edited' }));
    db.close();
    open();
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(logbook.get(e.id).title).toBe('durable, edited');
    expect(logbook.revisions(e.id)).toHaveLength(1);
    expect(logbook.search({ q: 'durable', limit: 5 }).hits).toHaveLength(1);
  });
});

describe('input limits at the API boundary', () => {
  it('takes long entries up to the limit and refuses longer ones with a sentence', () => {
    const long = 'spill '.repeat(LOGBOOK_LIMITS.bodyChars / 5).slice(0, LOGBOOK_LIMITS.bodyChars);
    expect(EntryInput.parse({ title: 't', body: long }).body).toHaveLength(LOGBOOK_LIMITS.bodyChars);
    const tooLong = EntryInput.safeParse({ title: 't', body: long + 'x' });
    expect(tooLong.success).toBe(false);
    expect(tooLong.error!.issues[0]!.message).toMatch(/at most 100000 characters; attach longer texts as files/);
    const e = logbook.write(alice, note({ title: 'long', body: long }));
    expect(logbook.search({ q: 'spill', limit: 1 }).hits[0]!.entry.id).toBe(e.id);
  });

  it('strips control characters, refuses empty titles and tags that are not one word (XSS in tags)', () => {
    expect(EntryInput.parse({ title: '  a\u0000b\u0002\u0003\r\nc  ', body: 'x\u0007y\r\nz' })).toMatchObject({ title: 'ab c', body: 'xy\nz' });
    expect(EntryInput.safeParse({ title: ' \u0001 ' }).error!.issues[0]!.message).toBe('an entry needs a title');
    const tag = EntryInput.safeParse({ title: 't', tags: ['<img src=x onerror=alert(1)>'] });
    expect(tag.error!.issues[0]!.message).toMatch(/a tag is one word/);
    expect(EntryInput.parse({ title: 't', tags: ['HV', 'hv', 'ECAL0-3-3', 'e+'] }).tags).toEqual(['hv', 'ecal0-3-3', 'e+']);
    expect(SearchQuery.safeParse({ q: 'x'.repeat(10_000) }).error!.issues[0]!.message).toBe('a search is at most 500 characters');
    expect(UploadInput.safeParse({ name: 'a.png', data: 'not base64!' }).error!.issues[0]!.message).toBe('the file is not base64-encoded');
  });
});

describe('search', () => {
  beforeEach(() => {
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: clock });
    logbook.write(alice, note({ title: 'HV trip on ECAL0-3-3', body: 'The cell tripped during spill 12; ramped back to VSET.', tags: ['hv', 'ecal'], links: [{ kind: 'run', run: run.number }] }));
    clock += 3_600_000;
    logbook.write(bob, note({ title: 'Pedestal run', body: 'Pedestals of all ECAL cells look fine.', tags: ['pedestal'] }));
    logbook.addSystemEntry({ kind: 'run-start', title: 'Run 2 started (physics)', body: 'trigger settings unchanged' });
  });

  it('finds words, prefixes, phrases and names with dashes, and highlights the terms', () => {
    const r = logbook.search({ q: 'trip*', limit: 10 });
    expect(r.hits.map((h) => h.entry.title)).toEqual(['HV trip on ECAL0-3-3']);
    expect(logbook.search({ q: 'trig*', limit: 10 }).hits.map((h) => h.entry.title)).toEqual(['Run 2 started (physics)']);
    const hv = r.hits[0]!;
    expect(hv.title).toEqual([
      { text: 'HV ', hit: false },
      { text: 'trip', hit: true },
      { text: ' on ECAL0-3-3', hit: false },
    ]);
    expect(hv.snippet.filter((s) => s.hit).map((s) => s.text)).toEqual(['tripped']);
    expect(logbook.search({ q: 'ECAL0-3-3', limit: 10 }).hits).toHaveLength(1);
    expect(logbook.search({ q: '"ramped back"', limit: 10 }).hits).toHaveLength(1);
    expect(logbook.search({ q: 'ecal NOT pedestal', limit: 10 }).hits.map((h) => h.entry.author)).toEqual(['alice']);
    expect(logbook.search({ q: 'tags:pedestal', limit: 10 }).hits.map((h) => h.entry.author)).toEqual(['bob']);
    expect(r.tookMs).toBeGreaterThanOrEqual(0);
  });

  it('filters by author, tag, run, origin, date and attachments, newest first, in pages', () => {
    const q = (f: object) => logbook.search({ q: '', limit: 10, ...f }).hits.map((h) => h.entry.title);
    expect(q({ author: 'bob' })).toEqual(['Pedestal run']);
    expect(q({ tag: 'hv' })).toEqual(['HV trip on ECAL0-3-3']);
    expect(q({ run: 1 })).toEqual(['HV trip on ECAL0-3-3']);
    expect(q({ origin: 'system' })).toEqual(['Run 2 started (physics)']);
    expect(q({ from: clock - 1000 })).toEqual(['Run 2 started (physics)', 'Pedestal run']);
    expect(q({ to: clock - 1000 })).toEqual(['HV trip on ECAL0-3-3']);
    expect(q({ hasAttachment: true })).toEqual([]);
    expect(q({ hasAttachment: false })).toHaveLength(3);
    const page = logbook.search({ q: '', limit: 2 });
    expect(page.more).toBe(true);
    const next = logbook.search({ q: '', limit: 2, before: page.hits.at(-1)!.entry.id });
    expect(next).toMatchObject({ more: false });
    expect(next.hits.map((h) => h.entry.title)).toEqual(['HV trip on ECAL0-3-3']);
  });

  it('filters by time exactly even when the clock went backwards between entries', () => {
    const late = clock;
    clock -= 7_200_000; // the clock was set back two hours
    logbook.write(alice, note({ title: 'written after, stamped before', body: 'ecal' }));
    const q = (f: object) => logbook.search({ q: 'ecal', limit: 10, ...f }).hits.map((h) => h.entry.title);
    expect(q({ to: late - 3_600_000 + 1 })).toEqual(['written after, stamped before', 'HV trip on ECAL0-3-3']);
    expect(q({ from: late - 1000 })).toEqual(['Pedestal run']);
    expect(q({ from: late + 1 })).toEqual([]);
  });

  it('answers hostile and broken queries with a sentence, never another exception', () => {
    const hostile = [
      '"unbalanced',
      'NEAR(',
      'NEAR(a b',
      'nosuch:column',
      'title:',
      '*',
      '(((',
      ')',
      'AND',
      'a OR',
      'NOT',
      '^',
      '{title body',
      '"a" "b',
      '\u0000\u0001\u0002"\u0003',
      "'; DROP TABLE logbook_entries; --",
      'x'.repeat(LOGBOOK_LIMITS.queryChars),
      '"'.repeat(499),
      '* * * :',
    ];
    for (const q of hostile) {
      try {
        const r = logbook.search({ q, limit: 5 });
        expect(Array.isArray(r.hits), q).toBe(true);
      } catch (error) {
        expect(error, q).toBeInstanceOf(SearchSyntaxError);
        expect((error as Error).message.length, q).toBeLessThan(300);
        expect((error as Error).message, q).not.toMatch(/fts5|SQLITE/);
      }
    }
    expect(() => logbook.search({ q: '"unbalanced', limit: 5 })).toThrow('The search has a " without its closing "');
    expect(() => logbook.search({ q: 'nosuch:x', limit: 5 })).toThrow('"nosuch:" is not something entries have; use title:, body: or tags:');
    expect(logbook.search({ q: "'; DROP TABLE logbook_entries; --", limit: 5 }).hits).toEqual([]);
    expect(logbook.search({ q: '', limit: 10 }).hits).toHaveLength(3);
  });

  it('quotes the physicists’ names FTS5 would misread and leaves its syntax alone', () => {
    expect(toFtsQuery('ECAL0-3-3 HV-trip e+/e-')).toBe('"ECAL0-3-3" "HV-trip" e+/e-');
    expect(toFtsQuery('run 1234.5')).toBe('run "1234.5"');
    expect(toFtsQuery('title:hv NEAR(a b) "x y" trig* AND NOT')).toBe('title:hv NEAR(a b) "x y" trig* AND NOT');
    expect(toFtsQuery(' \u0000 ')).toBeNull();
  });
});

describe('attachments', () => {
  it('stores files by content, once, with a thumbnail for images', async () => {
    const image = await png(1600, 1000);
    const a = await logbook.upload('plot.png', image.toString('base64'));
    expect(a).toMatchObject({ name: 'plot.png', mime: 'image/png', kind: 'image', thumbnail: true, size: image.length });
    const again = await logbook.upload('same-plot.png', image.toString('base64'));
    expect(again.hash).toBe(a.hash);
    expect(readdirSync(join(dir, 'attachments', a.hash.slice(0, 2))).sort()).toEqual([a.hash, `${a.hash}.thumb.png`]);
    const thumb = await sharp(logbook.attachment(a.hash, true).bytes).metadata();
    expect([thumb.width, thumb.height]).toEqual([320, 200]);
    expect(logbook.attachment(a.hash, false).bytes.equals(image)).toBe(true);

    const e = logbook.write(alice, note({ attachments: [{ hash: a.hash, name: 'plot.png' }] }));
    expect(e.attachments).toEqual([a]);
    expect(logbook.search({ q: '', hasAttachment: true, limit: 5 }).hits.map((h) => h.entry.id)).toEqual([e.id]);
    // Removing the attachment in an edit keeps it in the revision.
    logbook.edit(alice, e.id, 1, note());
    expect(logbook.get(e.id).attachments).toEqual([]);
    expect(logbook.revisions(e.id)[0]!.attachments).toEqual([a]);
  });

  it('never treats SVG or HTML as something to show, whatever their name or claimed type', async () => {
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>');
    const asPng = await logbook.upload('innocent.png', svg.toString('base64'));
    expect(asPng).toMatchObject({ kind: 'active', mime: 'image/svg+xml', thumbnail: false });
    const html = await logbook.upload('report.txt', Buffer.from('<!doctype html><html><body onload=alert(1)>').toString('base64'));
    expect(html).toMatchObject({ kind: 'active', mime: 'text/html' });
    expect(await logbook.upload('page.HTM', Buffer.from('hello').toString('base64'))).toMatchObject({ kind: 'active' });
    expect(await logbook.upload('trip.log', Buffer.from('HV trip\n').toString('base64'))).toMatchObject({ kind: 'file', mime: 'text/plain; charset=utf-8' });
  });

  it('keeps a file that claims to be an image but does not decode, without a thumbnail', async () => {
    const image = await png(64, 64);
    const truncated = image.subarray(0, 40);
    expect(await logbook.upload('broken.png', truncated.toString('base64'))).toMatchObject({ kind: 'file', thumbnail: false, mime: 'image/png' });
    const bomb = await sharp({ create: { width: 10_000, height: 6_000, channels: 3, background: '#000' } }).png().toBuffer();
    expect(await logbook.upload('bomb.png', bomb.toString('base64'))).toMatchObject({ kind: 'file', thumbnail: false });
  });

  it('refuses oversize and empty files and unknown hashes with a sentence', async () => {
    const big = Buffer.alloc(LOGBOOK_LIMITS.attachmentBytes + 1, 1).toString('base64');
    await expect(logbook.upload('huge.bin', big)).rejects.toThrow('"huge.bin" is 10.0 MiB; attachments are at most 10 MiB');
    expect(UploadInput.safeParse({ name: 'huge.bin', data: 'A'.repeat(big.length + 4) }).error!.issues[0]!.message).toBe('an attachment is at most 10 MiB');
    await expect(logbook.upload('empty', '')).rejects.toThrow('"empty" is empty');
    const missing = errorOf(() => logbook.write(alice, note({ attachments: [{ hash: 'a'.repeat(64), name: 'x' }] })));
    expect(missing.message).toBe('the attachment "x" was not uploaded (upload it first)');
    expect(errorOf(() => logbook.attachment('b'.repeat(64), false)).code).toBe('NOT_FOUND');
  });

  it('keeps file names with markup as plain text', async () => {
    const name = '<img src=x onerror=alert(1)>.png';
    const a = await logbook.upload(name, (await png(8, 8)).toString('base64'));
    const e = logbook.write(alice, note({ attachments: [{ hash: a.hash, name }] }));
    expect(logbook.get(e.id).attachments[0]!.name).toBe(name);
  });
});

describe('automatic entries', () => {
  it('writes run start and stop from the core events, the stop in the start entry’s thread', () => {
    const events = new EventPublisher<{ 'run-started': Run; 'run-ended': Run }>();
    logbook.followRuns(events);
    const run = archive.startRun({ type: 'calibration', setup: 'invisible-e', comment: 'scan of cell (3,3)', startedAt: clock });
    events.publish('run-started', run);
    clock += 600_000;
    const ended = archive.endRun(run.number, { stoppedAt: clock, reason: 'scan done', end: 'ended' });
    events.publish('run-ended', ended);
    const entries = logbook.search({ q: '', run: 1, limit: 10 }).hits.map((h) => h.entry).reverse();
    expect(entries.map((e) => [e.kind, e.origin, e.author, e.title])).toEqual([
      ['run-start', 'system', 'na64rc', 'Run 1 started (calibration)'],
      ['run-stop', 'system', 'na64rc', 'Run 1 stopped (calibration, 0 spills)'],
    ]);
    expect(entries[0]!.facts).toMatchObject({ runType: 'calibration', setup: 'invisible-e', comment: 'scan of cell (3,3)' });
    expect(entries[0]!.body).toContain('- **comment:** scan of cell (3,3)');
    expect(entries[1]).toMatchObject({ threadId: entries[0]!.id, parentId: entries[0]!.id });
    expect(entries[1]!.facts).toMatchObject({ stopReason: 'scan done', runEnd: 'ended', spills: 0, events: 0, durationMs: 600_000 });
    expect(entries[0]!.facts.eot).toBeUndefined();
  });

  it('goes on when the entry cannot be written (the run is not held up)', () => {
    const events = new EventPublisher<{ 'run-started': Run; 'run-ended': Run }>();
    logbook.followRuns(events);
    // A run the archive does not know cannot be linked: the entry fails, the publisher does not.
    expect(() => events.publish('run-started', { number: 42, type: 'physics', setup: 'x', startedAt: clock, stoppedAt: null, startComment: '', stopReason: null, endReason: null, end: 'running', spills: 0, events: 0, startedBy: null, stoppedBy: null, origin: 'live', sourceFiles: [], reprocessOf: null, calibrationVersion: null })).not.toThrow();
    expect(logbook.search({ q: '', limit: 5 }).hits).toEqual([]);
  });

  it('summarises the shift from what exists and says what does not exist yet', () => {
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: 'first | beam', startedAt: clock });
    archive.saveSpill({ run: run.number, spill: 1, startedAt: clock, endedAt: clock + 4800, eventsSeen: 3000, eventsProcessed: 3000, processedFraction: 1, intensity: 5e6, ecalMeanGeV: 90, ecalPeakGeV: 100 }, []);
    clock += 60_000;
    const summary = logbook.writeShiftSummary();
    const shift = shiftAt(clock);
    expect(summary).toMatchObject({ kind: 'shift-summary', origin: 'system', title: `Shift summary ${shift.label} (07:00–10:01)` });
    expect(summary.body).toContain('1 run, 1 spills, 3000 events.');
    expect(summary.body).toContain('| 1 | physics | 10:00–running | running | 1 | 3000 | first   beam |');
    expect(summary.body).toContain('None flagged: per-spill quality flags do not exist');
    expect(summary.body).not.toContain('## Alarms');
    expect(summary.facts).toMatchObject({ spills: 1, events: 3000 });
    logbook.summary.register('alarms', () => ({ title: 'Alarms', lines: ['3 alarms, 3 acknowledged'] }));
    expect(logbook.writeShiftSummary().body).toMatch(/## Alarms\n\n3 alarms, 3 acknowledged$/);
    expect(errorOf(() => logbook.writeShiftSummary({ from: clock, to: clock - 1 })).code).toBe('BAD_REQUEST');
  });
});

describe('shifts', () => {
  it('names the three shifts, the night one after the day it starts', () => {
    const at = (h: number, m = 0) => shiftAt(new Date(2026, 10, 24, h, m).getTime()).label;
    expect([at(7), at(14, 59), at(15), at(22, 59), at(23), at(6, 59)]).toEqual([
      '2026-11-24 morning',
      '2026-11-24 morning',
      '2026-11-24 afternoon',
      '2026-11-24 afternoon',
      '2026-11-24 night',
      '2026-11-23 night',
    ]);
    const night = shiftAt(new Date(2026, 10, 24, 2).getTime());
    expect(night.to - night.from).toBe(8 * 3600_000);
  });
});

describe('export', () => {
  const xss = '<script>alert(1)</script> <img src=x onerror=alert(2)> [click](javascript:alert(3)) <a href="javascript:alert(4)">x</a> ![i](javascript:alert(5))';

  async function fill() {
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: clock });
    const image = await logbook.upload('ecal.png', (await png(40, 30)).toString('base64'));
    const svg = await logbook.upload('evil.svg', Buffer.from('<svg onload="alert(1)"/>').toString('base64'));
    const root = logbook.write(alice, note({ title: `<b>bold</b> ${xss}`, body: `**fine** ${xss}\n\n[CERN](https://home.cern)`, links: [{ kind: 'run', run: run.number }], attachments: [{ hash: image.hash, name: '../../etc/passwd' }, { hash: svg.hash, name: 'evil.svg' }] }));
    logbook.write(bob, note({ title: 'reply' }), root.id);
    clock += 86_400_000;
    logbook.write(bob, note({ title: 'next day' }));
    return { run, image };
  }

  it('exports a run’s threads as Markdown with the attachments in a zip', async () => {
    const { image } = await fill();
    const file = logbook.export({ run: 1, format: 'zip' });
    expect(file).toMatchObject({ fileName: 'na64-logbook-run1.zip', mime: 'application/zip', entries: 2 });
    const zip = unzipSync(Buffer.from(file.data, 'base64'));
    expect(Object.keys(zip).sort()).toEqual(['attachments/1-1-_.._etc_passwd', 'attachments/1-2-evil.svg', 'logbook.md']);
    expect(Buffer.from(zip['attachments/1-1-_.._etc_passwd']!).equals(logbook.attachment(image.hash, false).bytes)).toBe(true);
    const md = strFromU8(zip['logbook.md']!);
    expect(md).toContain('# NA64 logbook: run 1');
    expect(md).toContain('## #2 reply (reply to #1)');
    expect(md).toContain('Links: run 1');
  });

  it('writes every field a person typed into the Markdown as literal text, for viewers that render HTML and any link', async () => {
    await fill();
    const stored = logbook.thread(1);
    // Stored entries cannot hold a line break in a title; older data or a future path might: the export does not trust them.
    const hostile = `${xss}\n# injected heading\n\n<script>alert(6)</script>`;
    const entries = [
      { ...stored[0]!, title: hostile, tags: ['<img src=x onerror=alert(7)>'], body: `${xss}\n\`\`\`\n<script>alert(8)</script>\n\`\`\`` },
      { ...stored[1]!, author: '[me](javascript:alert(9))', attachments: [{ ...stored[0]!.attachments[0]!, name: 'a) [x](javascript:alert(10)) <img src=x onerror=alert(11)>.png' }] },
    ];
    const zip = unzipSync(exportMarkdown({ what: 'run 1 <script>alert(12)</script>', entries, read: () => null }));
    const text = strFromU8(zip['logbook.md']!);
    // As permissive as Markdown viewers come: raw HTML on, every link scheme accepted.
    const viewer = new MarkdownIt({ html: true, linkify: true });
    viewer.validateLink = () => true;
    const html = viewer.render(text);
    expect(html).not.toMatch(/<script|<img|<b>|<svg|href="javascript:/i);
    expect(html.match(/<[^>]* on\w+=/g) ?? []).toEqual([]);
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html.match(/<h2>/g)).toHaveLength(2);
    expect(html.match(/<a /g)).toHaveLength(3); // the attachments, nothing else
    // The text is all there, as written (a title's line breaks become spaces).
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt; [click](javascript:alert(3))');
    expect(html).toContain('alert(5)) # injected heading &lt;script&gt;alert(6)&lt;/script&gt;');
    expect(html).toContain('<code class="language-markdown">');
    expect(html).toContain('&lt;script&gt;alert(8)&lt;/script&gt;');
    expect(html).toContain('[me](javascript:alert(9))');
    expect(html).toMatch(/<a href="attachments\/2-1-[^"()]*\.png">a\) \[x\]\(javascript:alert\(10\)\) &lt;img src=x onerror=alert\(11\)&gt;\.png<\/a>/);
    const page = exportHtml({ what: 'run 1 <script>alert(12)</script>', entries, read: () => null });
    expect(page).not.toMatch(/<script|<img src=x|href="javascript:/i);
    expect(page.match(/<[^>]* on\w+=/g) ?? []).toEqual([]);
  });

  it('exports a date range as one printable HTML page in which nothing can run', async () => {
    await fill();
    const file = logbook.export({ from: clock - 86_400_000 - 1, to: clock, format: 'html' });
    expect(file.entries).toBe(2);
    const html = Buffer.from(file.data, 'base64').toString('utf8');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`);
    expect(html).toContain('<strong>fine</strong>');
    expect(html).toContain('<a href="https://home.cern" rel="noopener noreferrer" target="_blank">CERN</a>');
    expect(html).toMatch(/<img src="data:image\/png;base64,[A-Za-z0-9+/=]+" alt="\.\.\/\.\.\/etc\/passwd"/);
    // The payloads are there as text, escaped; none of them is markup.
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toMatch(/<script|<img src=x|<b>|href="javascript:|<svg|<a href="javascript/i);
    expect(html.match(/<[^>]* on\w+=/g) ?? []).toEqual([]);
    expect(errorOf(() => logbook.export({ run: 99, format: 'zip' })).message).toBe('run 99 does not exist');
    expect(errorOf(() => logbook.export({ from: 0, to: 1, format: 'zip' })).code).toBe('NOT_FOUND');
  });
});
