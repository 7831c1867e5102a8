// Robustness, XSS: a corpus of script-injection payloads is written wherever a person's text enters the app
// (logbook titles and Markdown bodies, a run's start comment and stop reason), then every view that shows such
// text is opened in the real browser (Debian's Chromium), each logbook thread is opened, and the logbook's
// HTML export is loaded as a page of its own (as a reviewer would open the downloaded file, with no CSP to
// save it). Each payload calls `top.__xss(N)` if it ever runs. Figures: payloads run (must be 0), live
// dangerous nodes in the DOM (inline handlers, javascript:/data: links, frames, objects; must be 0) and CSP
// violations on the app's pages (must be 0: escaped text never even reaches the parser as markup).
import { chromium, type Page } from '@playwright/test';
import { connect } from '../../src-main/api/node-client';
// @ts-expect-error plain JavaScript helper shared with the test runner script
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.js';
import { robustnessPart, SHORT } from '../support/robustness';
import { startServe, waitFor } from '../support/serve-process';
import { promptsFor } from '../support/prompts';

const CORPUS: ((n: number) => string)[] = [
  (n) => `<script>top.__xss(${n})</script>`,
  (n) => `<img src=x onerror=top.__xss(${n})>`,
  (n) => `<svg onload=top.__xss(${n})>`,
  (n) => `<svg><script>top.__xss(${n})</script></svg>`,
  (n) => `<iframe src="javascript:top.__xss(${n})"></iframe>`,
  (n) => `<iframe srcdoc="<script>top.__xss(${n})</script>"></iframe>`,
  (n) => `<body onload=top.__xss(${n})>`,
  (n) => `<input autofocus onfocus=top.__xss(${n})>`,
  (n) => `<details open ontoggle=top.__xss(${n})>x</details>`,
  (n) => `<video><source onerror=top.__xss(${n})></video>`,
  (n) => `<audio src=x onerror=top.__xss(${n})>`,
  (n) => `<math><mtext></mtext><mglyph><svg><mtext><style><img src=x onerror=top.__xss(${n})></style></mtext></svg></mglyph></math>`,
  (n) => `<a href="javascript:top.__xss(${n})">click</a>`,
  (n) => `[click](javascript:top.__xss(${n}))`,
  (n) => `[click](JaVaScRiPt:top.__xss(${n}))`,
  (n) => `[click](&#106;avascript:top.__xss(${n}))`,
  (n) => `![x](x" onerror="top.__xss(${n}))`,
  (n) => `"><img src=x onerror=top.__xss(${n})>`,
  (n) => `'><svg/onload=top.__xss(${n})>`,
  (n) => `</textarea><img src=x onerror=top.__xss(${n})>`,
  (n) => `</title><img src=x onerror=top.__xss(${n})>`,
  (n) => `{{constructor.constructor('top.__xss(${n})')()}}`,
  (n) => `<object data="javascript:top.__xss(${n})"></object>`,
  (n) => `<embed src="javascript:top.__xss(${n})">`,
  (n) => `<form><button formaction=javascript:top.__xss(${n})>x</button></form>`,
  (n) => `<div style="background:url(javascript:top.__xss(${n}))">x</div>`,
  (n) => `<marquee onstart=top.__xss(${n})>x</marquee>`,
  (n) => `<scr<script>ipt>top.__xss(${n})</script>`,
  (n) => `<noscript><p title="</noscript><img src=x onerror=top.__xss(${n})>">`,
  (n) => `<a href="data:text/html,<script>top.__xss(${n})</script>">x</a>`,
  (n) => `<base href="javascript:top.__xss(${n})//">`,
  (n) => `<meta http-equiv="refresh" content="0;url=javascript:top.__xss(${n})">`,
  (n) => `<img src="x\`\` <script>top.__xss(${n})</script>"\`\`>`,
  (n) => `<a href="#" onclick="top.__xss(${n})" id="xss${n}">x</a>`,
  (n) => `\`\`\`\n</code></pre><img src=x onerror=top.__xss(${n})>\n\`\`\``,
  (n) => `<table><tr><td background="javascript:top.__xss(${n})">x</td></tr></table>`,
];

// The two functions below run in the page (as source text: this file is type-checked without the DOM's types).

/** Installed before any page script: records payloads that run, and CSP violations. */
const INSTRUMENT = `
  window.__ran = [];
  window.__csp = [];
  window.__xss = (n) => void window.__ran.push(n);
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));
`;

/** What the page holds since the last look: payloads run, CSP violations, and nodes user text must never
 * become (inline handlers, script-bearing URLs, frames, plug-ins, a refresh). */
const INSPECT = `(() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      const v = attr.value.replace(/\\s/g, '').toLowerCase();
      if (attr.name.startsWith('on')) found.push(el.tagName + '[' + attr.name + ']');
      if (['href', 'src', 'action', 'formaction', 'data', 'background'].includes(attr.name) && /^(javascript:|vbscript:|data:text\\/html)/.test(v)) found.push(el.tagName + '[' + attr.name + '=' + v.slice(0, 40) + ']');
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'BASE', 'FRAME'].includes(el.tagName) || (el.tagName === 'META' && /refresh/i.test(el.getAttribute('http-equiv') || ''))) found.push(el.tagName);
  }
  const seen = { ran: window.__ran.splice(0), csp: window.__csp.splice(0), dangerous: found };
  return seen;
})()`;

async function look(page: Page, where: string, report: { ran: Set<number>; dangerous: string[]; csp: string[]; pages: number }): Promise<void> {
  await page.waitForTimeout(SHORT ? 150 : 400);
  const state = (await page.evaluate(INSPECT)) as { ran: number[]; csp: string[]; dangerous: string[] };
  for (const n of state.ran) report.ran.add(n);
  report.dangerous.push(...state.dangerous.map((d) => `${where}: ${d}`));
  report.csp.push(...state.csp.map((c) => `${where}: ${c}`));
  report.pages += 1;
}

await robustnessPart('xss', async (dataDir) => {
  const server = await startServe(dataDir, ['--sim', '--time-scale', '20'], 60_000);
  const browser = await chromium.launch({ executablePath: (findChromium() as string | null) ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const { info } = server;
    const client = await connect(info.url, info.token);
    const payloads = CORPUS.map((make, i) => make(i + 1));
    // Where a person's text enters: logbook entries (title and Markdown body, a reply), a run's comment and reason.
    const ids: number[] = [];
    for (const [i, p] of payloads.entries()) {
      const entry = await client.api.logbook.write({ title: p.slice(0, 200), body: `${p}\n\n> ${p}\n\n- ${p}\n\n\`${p}\``, tags: ['xss'] });
      ids.push(entry.id);
      if (i % 5 === 0) await client.api.logbook.write({ title: `re: ${p}`.slice(0, 200), body: p, replyTo: entry.id });
    }
    await client.api.run.start({ type: 'physics', comment: payloads.join('\n').slice(0, 4000), prompts: promptsFor('physics') });
    await waitFor('the run to take a spill', async () => ((await client.api.status()).run.current?.spills ?? 0) > 0 || null, 30_000).catch(() => null);
    await client.api.run.stop({ reason: payloads.slice(0, 20).join(' ').slice(0, 4000) });
    client.close();

    const report = { ran: new Set<number>(), dangerous: [] as string[], csp: [] as string[], pages: 0 };
    const context = await browser.newContext();
    await context.addInitScript(INSTRUMENT);
    const page = await context.newPage();
    page.on('dialog', (d) => void d.dismiss());
    await page.goto(`${info.url}/#token=${info.token}`);
    await page.getByTestId('connection').filter({ hasText: 'CONNECTED' }).waitFor({ timeout: 20_000 });
    for (const view of ['shift', 'runs', 'alarms', 'histograms', 'hv', 'calibration', 'devices']) {
      await page.getByTestId(`nav-${view}`).click();
      await look(page, view, report);
    }
    await page.getByTestId('nav-logbook').click();
    await page.getByTestId('log-hits').locator('button.hit').first().waitFor({ timeout: 10_000 });
    const hits = page.getByTestId('log-hits').locator('button.hit');
    const count = await hits.count();
    await look(page, 'logbook list', report);
    for (let i = 0; i < count; i += SHORT ? 3 : 1) {
      await hits.nth(i).click();
      await page.getByTestId('thread').waitFor({ timeout: 5000 });
      await look(page, `logbook thread ${i}`, report);
    }
    // The HTML export as a page of its own, without the server's CSP: only escaping protects it.
    const exported = await fetch(`${info.url}/api/v1/logbook/export?from=0&to=${Date.now() + 60_000}&format=html`, { headers: { Authorization: `Bearer ${info.token}` } });
    if (!exported.ok) throw new Error(`the HTML export answered ${exported.status}`);
    const exportPage = await context.newPage();
    await exportPage.addInitScript(INSTRUMENT);
    await exportPage.goto('about:blank');
    await exportPage.setContent(await exported.text());
    await look(exportPage, 'html export', report);

    // The detector itself must see a payload that does run (a page with the corpus unescaped), or its zeros mean nothing.
    const canaryPage = await context.newPage();
    await canaryPage.goto('about:blank');
    await canaryPage.setContent(payloads.slice(0, 3).join('\n'));
    const canary = (await canaryPage.evaluate(INSPECT)) as { ran: number[]; dangerous: string[] };
    const detectorWorks = canary.ran.length > 0 && canary.dangerous.length > 0;

    const ran = [...report.ran].sort((a, b) => a - b);
    return {
      ok: detectorWorks && ran.length === 0 && report.dangerous.length === 0 && report.csp.length === 0 && count >= payloads.length,
      payloads: payloads.length,
      detectorWorks,
      entries: count,
      pagesLooked: report.pages,
      ran: ran.length,
      ranPayloads: ran.map((n) => payloads[n - 1]!.slice(0, 60)),
      dangerousNodes: report.dangerous.length,
      dangerous: report.dangerous.slice(0, 10),
      cspViolations: report.csp.length,
      csp: report.csp.slice(0, 10),
    };
  } finally {
    await browser.close();
    await server.stop();
  }
});
