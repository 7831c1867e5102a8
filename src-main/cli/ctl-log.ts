// `na64rc ctl log …`: the logbook for scripts — add an entry (with files), search, show, the shift summary,
// export. Files are checked here before anything is sent, so a script learns at once what is wrong.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { EntryLink, LogEntry, SearchHit } from '../shared/api/logbook';
import { LOGBOOK_LIMITS, MIB } from '../shared/api/logbook';
import { CliError } from './errors';
import { output, time, withApi, type CtlContext } from './ctl';

export interface LogAddOptions {
  title: string;
  body: string;
  tag: string[];
  run?: number;
  spill?: number;
  attach: string[];
  replyTo?: number;
}

function readAttachment(file: string): { name: string; data: string } {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new CliError(`${file} is not a file`);
    size = st.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  if (size > LOGBOOK_LIMITS.attachmentBytes) {
    throw new CliError(`${file} is ${(size / MIB).toFixed(1)} MiB; attachments are at most ${LOGBOOK_LIMITS.attachmentBytes / MIB} MiB`);
  }
  return { name: basename(file), data: readFileSync(file).toString('base64') };
}

export function describeEntry(e: LogEntry): string {
  const who = e.origin === 'system' ? 'system' : `${e.author} (${e.authorRole ?? '—'})`;
  const lines = [`#${e.id} ${e.title}`, `  ${time(e.createdAt)} · ${who} · ${e.shift}${e.revision > 1 ? ` · revision ${e.revision}` : ''}${e.parentId ? ` · reply to #${e.parentId}` : ''}`];
  if (e.tags.length) lines.push(`  tags: ${e.tags.join(', ')}`);
  if (e.links.length) lines.push(`  links: ${e.links.map(linkText).join(', ')}`);
  for (const a of e.attachments) lines.push(`  attachment: ${a.name} (${a.mime}, ${a.size} bytes, ${a.hash.slice(0, 12)}…)`);
  return lines.join('\n');
}

function linkText(l: EntryLink): string {
  if (l.kind === 'run') return `run ${l.run}`;
  if (l.kind === 'spill') return `run ${l.run} spill ${l.spill}`;
  return l.kind === 'alarm' ? `alarm ${l.alarm}` : `HV snapshot ${l.snapshot}`;
}

function describeHit(h: SearchHit): string {
  const text = (segments: SearchHit['title']) => segments.map((s) => (s.hit ? `[${s.text}]` : s.text)).join('');
  const snippet = text(h.snippet).replace(/\s+/g, ' ');
  return `#${h.entry.id}  ${time(h.entry.createdAt)}  ${h.entry.author.padEnd(10)} ${text(h.title)}${snippet ? `\n      ${snippet}` : ''}`;
}

export async function ctlLogAdd(ctx: CtlContext, o: LogAddOptions): Promise<void> {
  if (o.spill !== undefined && o.run === undefined) throw new CliError('--spill needs --run (a spill number is counted within its run)');
  const files = o.attach.map(readAttachment);
  const links: EntryLink[] = [];
  if (o.run !== undefined) links.push(o.spill !== undefined ? { kind: 'spill', run: o.run, spill: o.spill } : { kind: 'run', run: o.run });
  const entry = await withApi(ctx, async (api) => {
    const attachments = [];
    for (const f of files) attachments.push({ hash: (await api.logbook.upload(f)).hash, name: f.name });
    return api.logbook.write({ title: o.title, body: o.body, tags: o.tag, links, attachments, ...(o.replyTo ? { replyTo: o.replyTo } : {}) });
  });
  output(ctx, entry, `wrote ${describeEntry(entry)}`);
}

export async function ctlLogSearch(ctx: CtlContext, q: string, filters: { run?: number; author?: string; tag?: string; limit: number }): Promise<void> {
  const result = await withApi(ctx, (api) => api.logbook.search({ q, ...filters }));
  const text = result.hits.length ? result.hits.map(describeHit).join('\n') + (result.more ? '\n(more: narrow the search or raise --limit)' : '') : 'no entries found';
  output(ctx, result, text);
}

export async function ctlLogShow(ctx: CtlContext, id: number): Promise<void> {
  const thread = await withApi(ctx, (api) => api.logbook.thread({ id }));
  output(ctx, thread, thread.map((e) => `${describeEntry(e)}\n\n${e.body.replace(/^/gm, '    ')}\n`).join('\n'));
}

export async function ctlLogSummary(ctx: CtlContext): Promise<void> {
  const entry = await withApi(ctx, (api) => api.logbook.summary({}));
  output(ctx, entry, `${describeEntry(entry)}\n\n${entry.body}`);
}

export async function ctlLogExport(ctx: CtlContext, o: { run?: number; from?: number; to?: number; format: 'zip' | 'html'; out?: string }): Promise<void> {
  if (o.run === undefined && o.from === undefined && o.to === undefined) throw new CliError('export a run (--run N) or a time range (--from, --to)');
  const file = await withApi(ctx, (api) => api.logbook.export({ format: o.format, ...(o.run !== undefined ? { run: o.run } : {}), ...(o.from !== undefined ? { from: o.from } : {}), ...(o.to !== undefined ? { to: o.to } : {}) }));
  const path = o.out ?? file.fileName;
  writeFileSync(path, Buffer.from(file.data, 'base64'));
  output(ctx, { file: path, entries: file.entries, mime: file.mime }, `wrote ${file.entries} entries to ${path}`);
}
