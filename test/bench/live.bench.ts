// The live path end to end, from the end of a spill to pixels: `na64rc serve --sim` taking a physics run at a
// fixed time scale, its UI open in Chromium. For the Shift view and the Histograms view in turn, three phases
// of LIVE_PHASE_S seconds each:
// - quiet: the run paused (no spill flows; status still ticks): the page's own frame rate, the baseline;
// - idle: the run taking spills: end of spill → the spill in the DOM and → painted (p50, p90), frames per
//   second, long tasks (> 50 ms) per spill, the spill rate;
// - loaded: the same while LIVE_CLIENTS (200) HTTP clients hammer the read API (the load bench's mix).
// The reference of every latency is the spill's end-of-burst time as the server took it (`endedAt`, the
// same machine's clock as the page's). "DOM" is when the view shows the spill's histograms (the Shift view's
// last-spill label, the Histograms view's `data-shown`, both set in the same update as the charts' data);
// "painted" is the first task after the next animation frame, in which ECharts draws (it updates lazily,
// in its own frame callback, registered before ours). "Arrived" (Shift view) is when the spill's event reached
// the page's socket: the server's share ends there. One JSON line at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from '@playwright/test';
// @ts-expect-error plain JavaScript helper shared with the test runner script
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.js';
import buildOnce from '../support/build-once';
import { hammer, routeMix } from '../support/load-measure';
import { api, runCli, startServe, waitFor } from '../support/serve-process';

const PHASE_S = Number(process.env['LIVE_PHASE_S'] ?? 30);
const TIME_SCALE = Number(process.env['LIVE_TIME_SCALE'] ?? 5);
const CLIENTS = Number(process.env['LIVE_CLIENTS'] ?? 200);

interface SpillRow {
  spill: number;
  startedAt: number;
  endedAt: number;
}

/** What the page records, in epoch ms (performance.timeOrigin + now): frames, long tasks, spills shown. */
interface PageRecord {
  frames: number[];
  longTasks: { at: number; ms: number }[];
  arrived: number[];
  shown: { label: string; dom: number; painted: number | null }[];
}

declare global {
  interface Window {
    __live?: PageRecord & { selector: string };
  }
}

/**
 * Installed before the app's scripts: a frame counter, a long-task observer and a watch on the view's spill
 * label. A string, not a function: the bench runs through tsx, whose helpers would not exist in the page.
 */
const INSTRUMENT = `(() => {
  const now = () => performance.timeOrigin + performance.now();
  const rec = { frames: [], longTasks: [], shown: [], arrived: [], selector: '' };
  window.__live = rec;
  // A spill's event is the message with a spill summary and histograms: when it arrived, before the app's
  // own handler (registered after ours) parses it.
  const Socket = window.WebSocket;
  window.WebSocket = class extends Socket {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && e.data.includes('"eventsSeen"') && e.data.includes('"contents"')) rec.arrived.push(now());
      });
    }
  };
  const frame = (t) => {
    rec.frames.push(performance.timeOrigin + t);
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) rec.longTasks.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
  }).observe({ type: 'longtask', buffered: true });
  let last = '';
  const look = () => {
    if (!rec.selector) return;
    const el = document.querySelector(rec.selector);
    const label = el ? (el.getAttribute('data-shown') ?? el.textContent ?? '').trim() : '';
    if (!label || label === last) return;
    last = label;
    const entry = { label, dom: now(), painted: null };
    rec.shown.push(entry);
    requestAnimationFrame(() => setTimeout(() => (entry.painted = now()), 0));
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-shown'] });
})();`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The server's time per stage of a live spill's end so far (/metrics): { stage: [seconds, spills] }. */
async function stageTotals(url: string, token: string): Promise<Map<string, [number, number]>> {
  // Under the clients' load the server may shed this request too (429/503): ask again.
  let text = '';
  for (let attempt = 0; attempt < 50 && !text.includes('na64rc_spill_end_stage_seconds_sum'); attempt++) {
    const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } }).catch(() => null);
    text = res?.ok ? await res.text() : '';
    if (!text) await sleep(100);
  }
  const out = new Map<string, [number, number]>();
  for (const m of text.matchAll(/^na64rc_spill_end_stage_seconds_(sum|count)\{stage="(\w+)"\} (\S+)$/gm)) {
    const t = out.get(m[2]!) ?? [0, 0];
    t[m[1] === 'sum' ? 0 : 1] = Number(m[3]);
    out.set(m[2]!, t);
  }
  return out;
}

const pct = (xs: number[], p: number) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]!);
};

buildOnce();
const dir = mkdtempSync(join(tmpdir(), 'na64rc-live-bench-'));
const serve = await startServe(dir, ['--sim', '--time-scale', String(TIME_SCALE), '--seed', '1', '--start-run', 'physics'], 60_000);
const browser = await chromium.launch({ executablePath: (findChromium() as string | null) ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);
const status = async () => (await api<{ run: { state: string; spill: number; current: { number: number } | null } }>(serve.info, '/api/v1/status')).body.run;

try {
  const run = await waitFor('the run’s first spills', async () => {
    const r = await status();
    return r.current && r.spill >= 2 ? r.current.number : null;
  }, 60_000);
  const paths = await routeMix(serve.info, run);
  /** The run's spills (asked again while the clients' load has the server shed the request). */
  const spillsOf = () => waitFor('the run’s spills', async () => {
    const r = await api<SpillRow[]>(serve.info, `/api/v1/runs/${run}/spills`);
    return r.status === 200 ? r.body : null;
  });
  const cycleMs = (await api<{ beam: { cycleMs: number } }>(serve.info, '/api/v1/status')).body.beam.cycleMs;
  const windowMs = Math.max(1, Math.round((PHASE_S * 1000) / cycleMs)) * cycleMs;

  const views = [
    { name: 'shift', path: '/shift', selector: '[data-testid=live-spill]' },
    { name: 'histograms', path: '/histograms', selector: '[data-testid=histograms-shown]' },
  ];
  const results: Record<string, unknown> = {};
  for (const view of views) {
    const page: Page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.addInitScript({ content: INSTRUMENT });
    await page.goto(`${serve.info.url}/#token=${serve.info.token}`);
    // The token now in the session: the view by its route, as a click in the navigation would.
    await page.evaluate((p) => (location.hash = `#${p}`), view.path);
    await page.locator(view.selector).waitFor({ timeout: 30_000 });
    await page.evaluate((sel) => (window.__live!.selector = sel), view.selector);

    /** One phase: what the page recorded and the spills stored in the window. */
    const phase = async (name: string) => {
      await page.evaluate(() => {
        const r = window.__live!;
        r.frames.length = 0;
        r.longTasks.length = 0;
        r.shown.length = 0;
        r.arrived.length = 0;
      });
      // A window of whole SPS cycles from the middle of one (as the load bench): each holds one slot per
      // cycle, so a spill rate below the cycles' is spills lost, not where the window fell.
      const last = (await spillsOf()).at(-1)!;
      const from = last.startedAt + cycleMs / 2 + Math.ceil((Date.now() - last.startedAt - cycleMs / 2) / cycleMs) * cycleMs;
      await sleep(from - Date.now());
      const before = await stageTotals(serve.info.url, serve.info.token);
      const to = from + windowMs;
      await sleep(to - Date.now());
      // The last spill's paint lands a moment later.
      await sleep(500);
      const after = await stageTotals(serve.info.url, serve.info.token);
      // Mean ms per spill of each server stage over the phase.
      const server = Object.fromEntries(
        [...after].map(([stage, [sec, n]]) => {
          const [sec0, n0] = before.get(stage) ?? [0, 0];
          return [stage, n > n0 ? Math.round(((sec - sec0) * 1000) / (n - n0)) : null];
        }),
      );
      const rec = await page.evaluate(() => JSON.parse(JSON.stringify(window.__live!)) as PageRecord);
      const spills = await spillsOf();
      const ended = new Map(spills.map((s) => [`run ${run} spill ${s.spill}`, s.endedAt]));
      const dom: number[] = [];
      const painted: number[] = [];
      const arrived: number[] = [];
      for (const s of rec.shown) {
        const end = ended.get(s.label);
        if (end === undefined) continue;
        dom.push(s.dom - end);
        const at = rec.arrived.filter((t) => t >= end && t <= s.dom).at(-1);
        if (at !== undefined) arrived.push(at - end);
        if (s.painted !== null) painted.push(s.painted - end);
      }
      const inWindow = spills.filter((s) => s.startedAt >= from && s.startedAt < to).length;
      const frames = rec.frames.filter((t) => t >= from && t < to).length;
      const longTasks = rec.longTasks.filter((t) => t.at >= from && t.at < to);
      const figures = {
        spills: inWindow,
        spillRate: +(inWindow / ((to - from) / 1000)).toFixed(3),
        shown: dom.length,
        arrivedP50: pct(arrived, 0.5),
        domP50: pct(dom, 0.5),
        domP90: pct(dom, 0.9),
        paintedP50: pct(painted, 0.5),
        paintedP90: pct(painted, 0.9),
        fps: +(frames / ((to - from) / 1000)).toFixed(1),
        longTasks: longTasks.length,
        longTaskMs: Math.round(longTasks.reduce((a, t) => a + t.ms, 0)),
        longTasksPerSpill: dom.length ? +(longTasks.length / dom.length).toFixed(2) : null,
        serverMsPerSpill: server,
      };
      console.log(`${view.name} ${name}: ${JSON.stringify(figures)}`);
      return figures;
    };

    // Quiet: the run paused at the end of a spill, nothing flowing but the status.
    if ((await ctl('run', 'pause', '--reason', 'live bench: the page with no data flowing')).code !== 0) throw new Error('could not pause the run');
    await waitFor('the run paused', async () => (await status()).state === 'paused', 30_000);
    const quiet = await phase('quiet');
    if ((await ctl('run', 'resume')).code !== 0) throw new Error('could not resume the run');
    await waitFor('the run taking spills again', async () => (await status()).state === 'running', 30_000);
    await sleep(2000);
    const idle = await phase('idle');
    const h = hammer(serve.info, paths, new Array<string>(CLIENTS).fill(serve.info.token));
    await sleep(2000); // the clients' connection storm
    const loaded = await phase(`with ${CLIENTS} clients`);
    await h.stop();
    await sleep(2000);
    results[view.name] = {
      quiet: { fps: quiet.fps, longTasks: quiet.longTasks },
      idle,
      loaded,
      fpsRatio: quiet.fps ? +(idle.fps / quiet.fps).toFixed(3) : null,
      fpsRatioLoaded: quiet.fps ? +(loaded.fps / quiet.fps).toFixed(3) : null,
      spillRateRatio: idle.spillRate ? +(loaded.spillRate / idle.spillRate).toFixed(3) : null,
    };
    await page.close();
  }
  console.log(JSON.stringify({ bench: 'live', cores: availableParallelism(), timeScale: TIME_SCALE, phaseS: PHASE_S, clients: CLIENTS, ...results }));
} finally {
  await browser.close();
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
}
