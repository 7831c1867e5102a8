// Comparison and trends as an offline reviewer uses them, against the real server on the simulated NA64
// with two stored runs: overlay the two runs normalised with the ratio pad and the KS / χ² numbers, switch to
// the difference pad; make a run the reference with a reason; open a trend of the ECAL peak with both runs
// marked, click its first point to land on that spill's histograms, and from there "Compare…" the histogram
// on screen; the blinded 2D histogram says so. Screenshots of each screen are attached to the report.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base } from '@playwright/test';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, startServe, waitFor, type ServeProcess } from '../support/serve-process';
import { promptArgs } from '../support/prompts';

const test = base.extend<{ server: ServeProcess; dir: string }>({
  dir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-compare-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  server: async ({ dir }, use) => {
    const server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics'], 60_000);
    await use(server);
    await server.stop();
  },
});

/** Wait for `n` judged spills of `run`. */
async function judged(server: ServeProcess, run: number, n: number): Promise<void> {
  await waitFor(
    `${n} judged spills of run ${run}`,
    async () => {
      const r = await api<SpillSummary[]>(server.info, `/api/v1/runs/${run}/spills`);
      return r.status === 200 && r.body.filter((s) => s.dq).length >= n;
    },
    90_000,
  );
}

test('overlay two runs with the ratio pad, make a run the reference, open a trend and click a point to its spill', async ({ page, server, dir }, info) => {
  test.setTimeout(300_000);
  const ctl = (...args: string[]) => runCli(['ctl', '--data', dir, ...args]);
  await judged(server, 1, 3);
  expect((await ctl('run', 'stop', '--reason', 'first run done')).code).toBe(0);
  expect((await ctl('run', 'start', 'physics', '--comment', 'second run', ...promptArgs('physics'))).code).toBe(0);
  await judged(server, 2, 3);
  // Kept in the test's output folder, like every spec's screenshots, to be looked at.
  const shot = async (name: string) => void (await page.screenshot({ path: info.outputPath(`${name}.png`) }));
  // Console errors include CSP violations (an inline style in a tooltip) and failed requests: none allowed.
  const problems: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? problems.push(m.text()) : undefined));
  page.on('pageerror', (e) => problems.push(String(e)));

  await page.goto(`${server.info.url}/#token=${server.info.token}`);
  await page.getByTestId('nav-compare').click();
  await page.getByTestId('source-run-0').fill('1');
  await page.getByTestId('source-run-1').fill('2');
  await page.getByTestId('compare-name').selectOption('ecal_energy');
  await page.getByTestId('compare-normalise').selectOption('area');
  await page.getByTestId('compare-pad').selectOption('ratio');
  await page.getByTestId('compare-go').click();
  await expect(page).toHaveURL(/#\/compare\?name=ecal_energy&s=run(:|%3A)1&s=run(:|%3A)2&norm=area&pad=ratio$/);
  const chart = page.getByTestId('compare-chart');
  await expect(chart.locator('canvas')).toBeVisible({ timeout: 10_000 });
  await expect(chart).toHaveAttribute('data-series', '2');
  await expect(chart).toHaveAttribute('data-pad', 'ratio');
  await expect(chart).toHaveAttribute('data-pad-points', /^[1-9]\d+$/);
  const second = page.getByTestId('compare-row-1');
  await expect(second).toContainText('run 2 (accumulated)');
  await expect(second.locator('[data-stat="ks"]')).toHaveText(/^(\d\.\d+|\d\.\de-\d+|< 1e-15)$/);
  await expect(second.locator('[data-stat="chi2"]')).toContainText(/\d+(\.\d+)? \/ \d+\s*\(UU\)/);
  await expect(second.getByTestId('compare-verdict')).toHaveText(/^(✓ compatible|! tension|✕ differs)$/);
  await expect(page.getByTestId('compare-row-0')).toContainText('the others are tested against this one');
  await shot('compare-ratio');
  await page.getByTestId('compare-pad').selectOption('difference');
  await page.getByTestId('compare-go').click();
  await expect(chart).toHaveAttribute('data-pad', 'difference');

  // The local administrator makes run 1 the reference, with a reason; it can then be picked as a source.
  await page.getByTestId('make-reference-1').click();
  await page.getByTestId('reason-text').fill('stable beam, every detector good');
  await page.getByTestId('reason-confirm').click();
  await expect(page.getByTestId('compare-promoted')).toContainText(/★ run 1 is now reference v1 of invisible-e \(whole run, through spill \d+\)/);
  expect((await ctl('dq', 'references')).stdout).toMatch(/★ v1 {2}run 1 whole run \(through spill \d+\) .* root {2}stable beam, every detector good/);
  await page.getByTestId('source-kind-0').selectOption('reference');
  await page.getByTestId('source-ref-0').selectOption('1');
  await page.getByTestId('compare-go').click();
  await expect(page.getByTestId('compare-row-0')).toContainText('reference invisible-e v1 (run 1, whole run)');

  // The blinded 2D histogram stays blinded, and says so.
  await page.getByTestId('compare-name').selectOption('ecal_vs_hcal');
  await page.getByTestId('compare-go').click();
  await expect(page.getByTestId('compare-row-1')).toContainText('⊘ signal box blinded');
  await expect(page.getByTestId('compare-row-0')).toContainText('⊘ signal box blinded');
  await shot('compare-2d-blinded');

  // A trend of the ECAL peak over both runs, the runs marked; a click on the first point opens that spill.
  await page.getByTestId('nav-trends').click();
  await page.getByTestId('trend-quantity').selectOption('ecal.peak');
  await page.getByTestId('trend-from').fill('1');
  await page.getByTestId('trend-to').fill('2');
  await page.getByTestId('trend-go').click();
  const trend = page.getByTestId('trend-chart');
  await expect(trend).toHaveAttribute('data-runs', '2', { timeout: 10_000 });
  await expect(trend).toHaveAttribute('data-points', /^([6-9]|\d\d+)$/);
  await expect(page.getByTestId('trend-summary')).toContainText(/ECAL peak \(fullest bin\) · \d+ spills in 2 runs/);
  await expect(page.getByTestId('trend-runs').locator('[data-run="1"]')).toContainText('run 1 · physics · spills 1–');
  await expect(trend).toHaveAttribute('data-first-point', /^\d+,\d+$/);
  await shot('trend');
  const canvas = trend.locator('canvas').first();
  const firstPoint = async () => {
    const [x, y] = (await trend.getAttribute('data-first-point'))!.split(',').map(Number);
    return { x: x!, y: y! };
  };
  await canvas.hover({ position: await firstPoint() });
  await expect(page.getByText('click: open this spill')).toBeVisible();
  // The alarm banner may come or go and move the page between reading the point and clicking it: try again.
  await expect(async () => {
    await canvas.click({ position: await firstPoint() });
    await expect(page).toHaveURL(/#\/histograms\?run=1&spill=1$/, { timeout: 3000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId('histograms-target')).toHaveText('run 1 spill 1');

  // "Compare…" on the histogram on screen: that spill against the active reference.
  await page.getByTestId('compare-ecal_energy').click();
  await expect(page).toHaveURL(/#\/compare\?name=ecal_energy&s=spill(:|%3A)1(\/|%2F)1&s=ref(:|%3A)1&/);
  await expect(page.getByTestId('compare-chart')).toHaveAttribute('data-series', '2', { timeout: 10_000 });
  await expect(page.getByTestId('compare-row-1')).toContainText('reference invisible-e v1 (run 1, whole run)');
  expect(problems).toEqual([]);
});
