// Playwright fixtures shared by the end-to-end specs: a real `na64rc serve --sim` per test (its own data
// directory) and the page's console problems (errors, CSP violations, failed requests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { startServe, type ServeProcess } from './serve-process';

export const test = base.extend<{ timeScale: string; serveArgs: string[]; server: ServeProcess; problems: string[] }>({
  timeScale: ['20', { option: true }],
  /** More `na64rc serve` options for a spec (e.g. `--workers 1`). */
  serveArgs: [[], { option: true }],
  server: async ({ timeScale, serveArgs }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-'));
    // A generous start: the simulators and the core start together on a machine that may be busy.
    const server = await startServe(dir, ['--sim', '--time-scale', timeScale, ...serveArgs], 60_000);
    await use(server);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  },
  // Console errors include CSP violations and failed requests: a clean page has none.
  problems: async ({ page }, use) => {
    const problems: string[] = [];
    page.on('console', (m) => (m.type() === 'error' ? problems.push(m.text()) : undefined));
    page.on('pageerror', (e) => problems.push(String(e)));
    await use(problems);
  },
});

export async function open(page: Page, server: ServeProcess, token = server.info.token): Promise<void> {
  await page.goto(`${server.info.url}/#token=${token}`);
}
