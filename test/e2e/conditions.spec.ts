// The conditions of two runs against the real server (simulated NA64): an HV setpoint is changed between two
// physics runs; /conditions?run=2 shows what run 2 was taken with, "Diff with…" run 1 lists the change
// (old → new, colour, icon and word) and marks it in the HV table, and "Since last good run" finds run 1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base } from '@playwright/test';
import type { HvOverview } from '../../src-main/shared/api/hv';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { promptArgs } from '../support/prompts';

const CELL = 'ECAL1-3-3';

const test = base.extend<{ server: ServeProcess; dir: string }>({
  dir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-conditions-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  server: async ({ dir }, use) => {
    const server = await startServe(dir, ['--sim', '--time-scale', '20'], 60_000);
    await use(server);
    await server.stop();
  },
});

test('an HV setpoint changed between two runs shows in the conditions diff, by run and since the last good run', async ({ page, server, dir }) => {
  test.setTimeout(180_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('console', (m) => (m.type() === 'error' ? problems.push(m.text()) : undefined));
  const ctl = async (...args: string[]) => {
    const r = await runCli(['ctl', '--data', dir, ...args]);
    expect(r.code, r.stderr).toBe(0);
  };
  const channel = async () => (await api<HvOverview>(server.info, '/api/v1/hv')).body.channels.find((c) => c.name === CELL)!;
  const before = await waitFor('the HV read', async () => (await channel()).vset);

  // Run 1: long enough to be a good run (more good spills than bad by the automatic verdicts).
  await ctl('run', 'start', 'physics', '--comment', 'reference conditions', ...promptArgs('physics'));
  await waitFor(
    'good spills in run 1',
    async () => {
      const spills = (await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body;
      const n = (v: string) => spills.filter((s) => s.dq?.verdict === v).length;
      return n('good') >= 2 && n('good') > n('bad');
    },
    60_000,
  );
  await ctl('run', 'stop', '--reason', 'HV change');
  await ctl('hv', 'set', 'vset', String(before + 40), CELL, '--reason', 'gain matching');
  await waitFor('the new setpoint ramped', async () => {
    const c = await channel();
    return c.vset === before + 40 && Math.abs(c.vmon! - c.vset) < 1.5;
  });
  await ctl('run', 'start', 'physics', '--comment', 'after the HV change', ...promptArgs('physics'));
  await ctl('run', 'stop', '--reason', 'done');

  await page.goto(`${server.info.url}/#token=${server.info.token}`);
  await page.goto(`${server.info.url}/#/conditions?run=2`);
  const view = page.getByTestId('run-conditions');
  await expect(view).toHaveAttribute('data-run', '2');
  await expect(page.getByTestId('conditions-head')).toContainText('physics run · setup invisible-e');
  await expect(page.getByTestId('conditions-section-start')).toContainText('after the HV change');

  // Diff with run 1: the setpoint's change is listed, old → new, with its word and icon.
  await page.getByTestId('conditions-diff-pick').selectOption('1');
  await expect(page).toHaveURL(/#\/conditions\?run=2&diff=1$/);
  const summary = page.getByTestId('conditions-diff-summary');
  await expect(summary).toContainText('run 1 → run 2');
  const vset = page.locator(`[data-testid="conditions-change"][data-path='hv.channels["${CELL}"].vset']`);
  await expect(vset).toContainText('~ CHANGED');
  await expect(vset).toContainText(`${before} → ${before + 40}`);
  await expect(vset.locator('.old')).toHaveText(String(before));
  await expect(vset.locator('.new')).toHaveText(String(before + 40));
  // …and in place: the HV section opened by itself, the channel first, its VSET cell marked.
  const hv = page.getByTestId('conditions-section-hv');
  await expect(hv).toHaveAttribute('open', '');
  await expect(hv.getByTestId('section-changes')).toContainText(/~ \d+ changes?/);
  const row = page.getByTestId('conditions-hv').locator('tbody tr').first();
  await expect(row).toHaveAttribute('data-channel', CELL);
  const cell = row.locator('td[data-col="vset"]');
  await expect(cell).toHaveClass(/\bchanged\b/);
  await expect(cell).toContainText(`${before.toFixed(1)} → ${(before + 40).toFixed(1)}`);
  await summary.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('conditions-diff.png') });
  await hv.scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath('conditions-hv.png') });

  // Since the last good run: run 1, and why.
  await page.getByTestId('conditions-no-diff').click();
  await expect(summary).toHaveCount(0);
  await page.getByTestId('conditions-last-good').click();
  await expect(page).toHaveURL(/diff=last-good$/);
  await expect(summary).toContainText('run 1 → run 2');
  await expect(summary).toContainText('run 1 is the last physics run of setup invisible-e before run 2');
  await expect(vset).toContainText(`${before} → ${before + 40}`);

  // Run 1 has nothing good before it: said so, and its conditions stay shown.
  await page.goto(`${server.info.url}/#/conditions?run=1&diff=last-good`);
  await expect(page.getByTestId('conditions-diff-error')).toContainText('no good physics run of setup invisible-e before run 1');
  await expect(page.getByTestId('conditions-section-start')).toContainText('reference conditions');
  // A run that does not exist.
  await page.goto(`${server.info.url}/#/conditions?run=77`);
  await expect(page.getByTestId('conditions-error')).toContainText('run 77 does not exist');

  // The same from the Runs view: run 2's Conditions tab, diffed with run 1 in one click.
  await page.getByTestId('nav-runs').click();
  await page.getByTestId('runs-table').locator('tr[data-run="2"]').click();
  await page.getByTestId('run-tab-conditions').click();
  await expect(page).toHaveURL(/run=2&tab=conditions/);
  await expect(page.getByTestId('run-conditions')).toHaveAttribute('data-run', '2');
  await page.getByTestId('conditions-diff-pick').selectOption('1');
  await expect(page.getByTestId('conditions-diff-summary')).toContainText('run 1 → run 2');
  await expect(vset).toContainText(`${before} → ${before + 40}`);
  await page.screenshot({ path: test.info().outputPath('runs-conditions-tab.png') });
  expect(problems).toEqual([]);
});
