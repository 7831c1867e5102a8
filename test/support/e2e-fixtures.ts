// Playwright fixtures shared by the end-to-end specs: a real `na64rc serve --sim` per test (its own data
// directory) and the page's console problems (errors, CSP violations, failed requests).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base, type Page } from '@playwright/test';
import { startServe, type ServeProcess } from './serve-process';

export const test = base.extend<{ timeScale: string; server: ServeProcess; problems: string[] }>({
  timeScale: ['20', { option: true }],
  server: async ({ timeScale }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-'));
    const server = await startServe(dir, ['--sim', '--time-scale', timeScale]);
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
