// The logbook's rendering in real Chromium: Markdown through markdown-it and DOMPurify with XSS payloads
// that must not run (a payload that ran would flip a flag), entries whose titles, tags and file names carry
// markup, SVG/HTML attachments that are never shown, and the composer's limits.
import { mount, RouterLinkStub } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { Attachment, LogEntry } from '@shared/api/logbook';
import AttachmentTile from '../../src-renderer/components/AttachmentTile.vue';
import LogComposer from '../../src-renderer/components/LogComposer.vue';
import LogEntryCard from '../../src-renderer/components/LogEntryCard.vue';
import MarkdownText from '../../src-renderer/components/MarkdownText.vue';
import { renderMarkdown } from '../../src-renderer/logbook/render-markdown';
import { useConnectionStore } from '../../src-renderer/stores/connection';
import { useLogbookStore } from '../../src-renderer/stores/logbook';

declare global {
  interface Window {
    xss?: number;
  }
}

const RUN = 'window.xss=(window.xss||0)+1';
const PAYLOADS = [
  `<script>${RUN}</script>`,
  `<img src=x onerror="${RUN}">`,
  `<svg onload="${RUN}"><script>${RUN}</script></svg>`,
  `<iframe srcdoc="<script>parent.${RUN}</script>"></iframe>`,
  `<a href="javascript:${RUN}">raw link</a>`,
  `[md link](javascript:${RUN})`,
  `[md link 2](JaVaScRiPt:${RUN})`,
  `[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
  `[vb](vbscript:msgbox(1))`,
  `![img](javascript:${RUN})`,
  `![img](https://evil.example/pixel.png)`,
  `<details open ontoggle="${RUN}">x</details>`,
  `<style>body{display:none}</style>`,
  `<form action="https://evil.example"><button>go</button></form>`,
  `[x](https://example.org" onclick="${RUN})`,
  `<math><mtext><table><mglyph><style><img src=x onerror="${RUN}">`,
  '```\n<script>' + RUN + '</script>\n```',
  `javascript:${RUN}`,
  `&#60;script&#62;${RUN}&#60;/script&#62;`,
];

function entry(over: Partial<LogEntry> = {}): LogEntry {
  const now = Date.now();
  return {
    id: 7,
    threadId: 7,
    parentId: null,
    origin: 'person',
    kind: 'note',
    author: 'alice',
    authorRole: 'shifter',
    shift: '2026-11-24 night',
    createdAt: now - 1000,
    updatedAt: now - 1000,
    editedBy: null,
    revision: 1,
    title: '<img src=x onerror="window.xss=1">',
    body: PAYLOADS.join('\n\n'),
    tags: ['<b>tag</b>'],
    links: [{ kind: 'run', run: 3 }, { kind: 'alarm', alarm: 'hv:ECAL0-3-3' }],
    facts: {},
    attachments: [],
    threadState: 'open',
    editableUntil: now + 60_000,
    ...over,
  };
}

const settle = () => new Promise((r) => setTimeout(r, 150));

beforeEach(() => {
  setActivePinia(createPinia());
  window.xss = 0;
});

describe('Markdown rendering', () => {
  it('renders Markdown and keeps only safe links, opening outside without opener or referrer', () => {
    const html = renderMarkdown('**bold** and [CERN](https://home.cern) and https://indico.cern.ch and <mailto:shift@cern.ch>');
    const div = document.createElement('div');
    div.innerHTML = html;
    expect(div.querySelector('strong')?.textContent).toBe('bold');
    const links = [...div.querySelectorAll('a')];
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://home.cern', 'https://indico.cern.ch', 'mailto:shift@cern.ch']);
    for (const a of links) {
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
      expect(a.getAttribute('target')).toBe('_blank');
    }
  });

  it('runs none of the payloads and leaves no scripts, handlers, frames, styles or code links in the page', async () => {
    const w = mount(MarkdownText, { props: { text: PAYLOADS.join('\n\n') }, attachTo: document.body });
    await settle();
    const root = w.element as HTMLElement;
    expect(window.xss).toBe(0);
    expect(root.querySelectorAll('script, iframe, svg, math, style, form, img, object, embed, button, details[open]').length).toBe(0);
    for (const el of root.querySelectorAll('*')) {
      for (const attr of el.attributes) expect(attr.name, el.outerHTML).not.toMatch(/^on/i);
      expect(el.getAttribute('style'), el.outerHTML).toBeNull();
    }
    for (const a of root.querySelectorAll('a')) expect(a.getAttribute('href') ?? '', a.outerHTML).toMatch(/^(https?:|mailto:)/);
    // The payloads are still readable as text: nothing the shifter wrote is lost.
    expect(root.textContent).toContain(`<script>${RUN}</script>`);
    // Clicking every link that is left does not run anything either (they open outside the app).
    for (const a of root.querySelectorAll('a')) a.addEventListener('click', (e) => e.preventDefault());
    for (const a of root.querySelectorAll('a')) a.click();
    await settle();
    expect(window.xss).toBe(0);
    w.unmount();
  });
});

describe('LogEntryCard', () => {
  function connect(role: 'viewer' | 'shifter' | 'admin', user = 'alice', api: Partial<ApiClient> = {}) {
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.api = api as ApiClient;
    conn.session = { user, role, via: 'user-token' };
  }

  it('shows hostile titles and tags as text, with origin, links and the thread state', async () => {
    connect('shifter');
    const w = mount(LogEntryCard, { props: { entry: entry() }, global: { stubs: { RouterLink: RouterLinkStub } }, attachTo: document.body });
    await settle();
    expect(window.xss).toBe(0);
    expect(w.get('h3').text()).toContain('<img src=x onerror="window.xss=1">');
    expect(w.find('h3 img').exists()).toBe(false);
    expect(w.text()).toContain('#<b>tag</b>');
    expect(w.text()).toContain('✎ alice');
    expect(w.get('[data-testid="thread-state"]').text()).toBe('○ open');
    expect(w.findComponent(RouterLinkStub).props('to')).toEqual({ name: 'runs', query: { run: 3 } });
    expect(w.text()).toContain('→ alarm hv:ECAL0-3-3');
    expect(w.get('[data-testid="edit"]').attributes('disabled')).toBeUndefined();
    w.unmount();
  });

  it('lets only the author edit within the window; others see why they should reply', async () => {
    connect('shifter', 'bob');
    const other = mount(LogEntryCard, { props: { entry: entry() }, global: { stubs: { RouterLink: RouterLinkStub } } });
    expect(other.get('[data-testid="edit"]').attributes('disabled')).toBeDefined();
    expect(other.text()).toContain("⊘ alice's entry: reply to add to it");
    connect('shifter', 'alice');
    const late = mount(LogEntryCard, { props: { entry: entry({ editableUntil: Date.now() - 1 }) }, global: { stubs: { RouterLink: RouterLinkStub } } });
    expect(late.text()).toContain('past the edit time: reply to add to it');
    const system = mount(LogEntryCard, { props: { entry: entry({ origin: 'system', author: 'na64rc', authorRole: null }) }, global: { stubs: { RouterLink: RouterLinkStub } } });
    expect(system.text()).toContain('⚙ system');
    expect(system.text()).toContain('written by the system: reply to add to it');
    connect('admin', 'root');
    const admin = mount(LogEntryCard, { props: { entry: entry({ editableUntil: 0 }) }, global: { stubs: { RouterLink: RouterLinkStub } } });
    expect(admin.get('[data-testid="edit"]').attributes('disabled')).toBeUndefined();
    connect('viewer', 'victor');
    const viewer = mount(LogEntryCard, { props: { entry: entry() }, global: { stubs: { RouterLink: RouterLinkStub } } });
    expect(viewer.find('[data-testid="reply"]').exists()).toBe(false);
  });
});

describe('AttachmentTile', () => {
  const svg: Attachment = { hash: 'a'.repeat(64), name: '<svg onload=alert(1)>.svg', mime: 'image/svg+xml', size: 120, kind: 'active', thumbnail: false };

  it('never shows an SVG or HTML file, only offers it as a download, and keeps its name as text', async () => {
    const asked: unknown[] = [];
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.api = { logbook: { attachment: async (input: unknown) => (asked.push(input), { mime: 'image/svg+xml', data: btoa('<svg onload="window.xss=1"/>') }) } } as unknown as ApiClient;
    const w = mount(AttachmentTile, { props: { attachment: svg }, attachTo: document.body });
    await settle();
    expect(asked).toEqual([]); // no thumbnail fetched, nothing shown
    expect(w.find('img').exists()).toBe(false);
    expect(w.text()).toContain('<svg onload=alert(1)>.svg');
    expect(w.text()).toContain('download only (may contain scripts)');
    expect(w.attributes('data-kind')).toBe('active');
    await w.get('button.open').trigger('click');
    await settle();
    expect(asked).toEqual([{ hash: svg.hash, thumbnail: false }]);
    expect(w.find('.viewer').exists()).toBe(false);
    expect(document.querySelector('svg[onload]')).toBeNull();
    expect(window.xss).toBe(0);
    w.unmount();
  });
});

describe('LogComposer', () => {
  it('refuses a file over the limit before sending it, and saves once however often Save is pressed', async () => {
    let writes = 0;
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.session = { user: 'alice', role: 'shifter', via: 'user-token' };
    conn.api = {
      logbook: {
        write: async () => {
          writes += 1;
          await new Promise((r) => setTimeout(r, 50));
          return entry({ title: 'saved' });
        },
        thread: async () => [entry({ title: 'saved' })],
        search: async () => ({ hits: [], more: false, tookMs: 0 }),
        live: async () => (async function* () {})(),
      },
    } as unknown as ApiClient;
    const logbook = useLogbookStore();
    logbook.startDraft('new');
    const w = mount(LogComposer, { attachTo: document.body });
    await nextTick();
    const big = new File([new Uint8Array(10 * 1024 * 1024 + 1)], 'huge.raw');
    await logbook.attachFiles([big]);
    await nextTick();
    expect(w.get('[data-testid="composer-error"]').text()).toBe('✕ huge.raw is 10.0 MiB; attachments are at most 10 MiB');
    await w.get('[data-testid="entry-title"]').setValue('HV trip');
    await w.get('[data-testid="save-entry"]').trigger('click');
    await w.get('form').trigger('submit');
    await w.get('form').trigger('keydown', { key: 'Enter', ctrlKey: true });
    await new Promise((r) => setTimeout(r, 120));
    expect(writes).toBe(1);
    expect(logbook.draft).toBeNull();
    w.unmount();
  });
});
