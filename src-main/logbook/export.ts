// Exporting entries for reviewers and the experiment's records: Markdown with the attachments beside it
// (one zip), or one printable HTML page that needs nothing else (images inline, no scripts: the page's own
// CSP forbids them even if something slipped through the Markdown renderer, which escapes all HTML).
import { strToU8, zipSync } from 'fflate';
import type { Attachment, LogEntry } from '../shared/api/logbook';
import { createMarkdown, escapeMarkdownInline as md, fencedBlock } from '../shared/markdown';

export interface ExportSource {
  /** What is exported, for the title: "run 12" or "2026-11-24 07:00 – 2026-11-24 15:00". */
  what: string;
  entries: LogEntry[];
  read(hash: string, thumbnail: boolean): Buffer | null;
}

const stamp = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

/** A file name that is safe on every file system and inside a zip (no paths, no control or reserved characters). */
export function safeFileName(name: string): string {
  const cleaned = name
    // eslint-disable-next-line no-control-regex -- control characters are what is being removed
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .slice(0, 120);
  return cleaned || 'file';
}

function attachmentPath(entry: LogEntry, index: number, a: Attachment): string {
  return `attachments/${entry.id}-${index + 1}-${safeFileName(a.name)}`;
}

/** A link destination that nothing in a file name can end early (parentheses, spaces) or turn into a scheme. */
function linkTarget(path: string): string {
  return `<${encodeURI(path).replace(/[()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}>`;
}

function heading(e: LogEntry): string {
  const who = e.origin === 'system' ? 'system' : `${e.author} (${e.authorRole ?? '—'})`;
  return `${stamp(e.createdAt)} · ${who} · ${e.shift}${e.revision > 1 ? ` · revision ${e.revision}` : ''}`;
}

function linkText(e: LogEntry): string {
  return e.links
    .map((l) => (l.kind === 'run' ? `run ${l.run}` : l.kind === 'spill' ? `run ${l.run} spill ${l.spill}` : l.kind === 'alarm' ? `alarm ${l.alarm}` : `HV snapshot ${l.snapshot}`))
    .join(', ');
}

export function exportMarkdown(source: ExportSource): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  // Every field a person typed is escaped (titles, names, tags) or fenced (the body): a Markdown viewer that
  // renders HTML and any link it finds must still show the text as written and run nothing.
  const parts = [`# NA64 logbook: ${md(source.what)}`, '', `Exported ${stamp(Date.now())}, ${source.entries.length} entries.`, ''];
  for (const e of source.entries) {
    const reply = e.parentId !== null ? ` (reply to #${e.parentId})` : '';
    parts.push(`## #${e.id} ${md(e.title)}${reply}`, '', `*${md(heading(e))}*`, '');
    if (e.tags.length) parts.push(`Tags: ${md(e.tags.join(', '))}  `);
    if (e.links.length) parts.push(`Links: ${md(linkText(e))}  `);
    if (e.parentId === null) parts.push(`Thread: ${md(e.threadState)}`);
    if (e.body.length) parts.push('', fencedBlock(e.body, 'markdown'));
    parts.push('');
    e.attachments.forEach((a, i) => {
      const path = attachmentPath(e, i, a);
      const bytes = source.read(a.hash, false);
      if (bytes) files[path] = bytes;
      parts.push(`- [${md(a.name)}](${linkTarget(path)}) (${md(a.mime)}, ${a.size} bytes)${bytes ? '' : ' — file missing from the data directory'}`);
    });
    parts.push('');
  }
  files['logbook.md'] = strToU8(parts.join('\n'));
  return zipSync(files, { level: 6 });
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const PAGE_CSS = `
body { font: 11pt/1.45 'DejaVu Sans', Arial, sans-serif; color: #111; max-width: 52em; margin: 2em auto; }
h1 { font-size: 16pt; } h2 { font-size: 12.5pt; margin: 1.6em 0 0.2em; border-top: 1px solid #999; padding-top: 0.6em; }
.meta { color: #555; font-size: 9.5pt; } .reply { margin-left: 2em; } figure { display: inline-block; margin: 0.4em 1em 0.4em 0; }
figcaption { font-size: 9pt; color: #555; } table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 2px 6px; }
pre, code { background: #f3f3f3; } @media print { h2 { break-after: avoid; } figure { break-inside: avoid; } }`;

export function exportHtml(source: ExportSource): string {
  const md = createMarkdown();
  const items = source.entries.map((e) => {
    const figures = e.attachments.map((a) => {
      const bytes = a.kind === 'image' ? source.read(a.hash, false) : null;
      const img = bytes ? `<img src="data:${escapeHtml(a.mime)};base64,${bytes.toString('base64')}" alt="${escapeHtml(a.name)}" style="max-width: 100%">` : '';
      return `<figure>${img}<figcaption>${escapeHtml(a.name)} (${escapeHtml(a.mime)}, ${a.size} bytes)</figcaption></figure>`;
    });
    const meta = [heading(e), e.tags.length ? `tags: ${e.tags.join(', ')}` : '', e.links.length ? linkText(e) : ''].filter(Boolean);
    return `<article class="${e.parentId === null ? 'entry' : 'entry reply'}">
<h2>#${e.id} ${escapeHtml(e.title)}</h2>
<p class="meta">${escapeHtml(meta.join(' · '))}</p>
${md.render(e.body)}
${figures.join('\n')}
</article>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>NA64 logbook: ${escapeHtml(source.what)}</title>
<style>${PAGE_CSS}</style>
</head>
<body>
<h1>NA64 logbook: ${escapeHtml(source.what)}</h1>
<p class="meta">Exported ${stamp(Date.now())}, ${source.entries.length} entries.</p>
${items.join('\n')}
</body>
</html>
`;
}
