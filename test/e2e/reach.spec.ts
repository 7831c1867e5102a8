// The Reach view as a shifter or run coordinator opens it during a run: after a few spills it shows the
// projected ε limits of this run, this year, the total and the programme's 5×10¹² EOT with PRD 97's published
// points on log–log axes, says the 50 % efficiency is assumed, follows the next spill's EOT, and exports the
// plot as PNG and the curves as CSV (read back against the API). A run that does not exist is said so.
import { readFileSync } from 'node:fs';
import { expect, type Download, type Page } from '@playwright/test';
import sharp from 'sharp';
import type { Reach } from '../../src-main/shared/api/dq';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { REACH_CSV_HEADER } from '../../src-main/shared/reach-csv';
import { api, runCli, waitFor } from '../support/serve-process';
import { open, test } from '../support/e2e-fixtures';
import { promptArgs } from '../support/prompts';

async function download(page: Page, testId: string): Promise<{ name: string; bytes: Buffer }> {
  const pending = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  const d: Download = await pending;
  return { name: d.suggestedFilename(), bytes: readFileSync((await d.path())!) };
}

test('the Reach view draws the curves of a running run, follows its EOT and exports PNG and CSV', async ({ page, server, problems }, info) => {
  test.setTimeout(180_000);
  expect((await runCli(['ctl', '--data', server.info.dataDir, 'run', 'start', 'physics', '--comment', 'reach', ...promptArgs('physics')])).code).toBe(0);
  const judged = (n: number) =>
    waitFor(
      `${n} judged spills of run 1`,
      async () => {
        const r = await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills');
        return r.status === 200 && r.body.filter((s) => s.dq).length >= n;
      },
      90_000,
    );
  await judged(3);
  await open(page, server);
  await page.getByTestId('nav-reach').click();
  await expect(page).toHaveURL(/#\/reach$/);

  await expect(page.getByTestId('reach-summary')).toContainText('A′ → invisible (missing energy) · ε vs m_A′ [GeV] · 90 % CL, background free · setup invisible-e · run 1');
  const efficiency = page.getByTestId('reach-efficiency');
  await expect(efficiency).toHaveAttribute('data-measured', 'false');
  await expect(efficiency).toContainText('! assumed signal efficiency 50 %');
  await expect(page.getByTestId('reach-counted')).toHaveCount(0);
  const chart = page.getByTestId('reach-chart');
  await expect(chart.locator('canvas')).toBeVisible({ timeout: 10_000 });
  // Run, year, total, the programme's target and the published result: five series, each with its points.
  await expect(chart).toHaveAttribute('data-series', '5');
  const expected: [string, string][] = [['run', '31'], ['year', '31'], ['total', '31'], ['target-1', '31'], ['published-1', '2']];
  for (const [id, points] of expected) await expect(page.getByTestId(`reach-curve-${id}`)).toHaveAttribute('data-points', points);
  await expect(page.getByTestId('reach-curve-target-1')).toContainText('5.00×10¹² EOT');
  await expect(page.getByTestId('reach-curve-published-1')).toContainText('PRD 97 072002 (2018), arXiv:1710.00971');
  const runRow = page.getByTestId('reach-curve-run');
  await expect(runRow).toContainText(/^Run 1this run\d\.\d\d×10[⁰¹²³⁴⁵⁶⁷⁸⁹]+ EOT31/);
  await expect(page.getByTestId('reach-model')).toContainText('normalised to PRD 97 072002 (2018), arXiv:1710.00971: ε = 10⁻² at 1 GeV with 4.3×10¹⁰ EOT');

  // The next judged spill moves the run's EOT, and the curve with it.
  const before = await runRow.locator('td').nth(2).textContent();
  await judged(5);
  await expect(runRow.locator('td').nth(2)).not.toHaveText(before!, { timeout: 30_000 });

  await page.screenshot({ path: info.outputPath('reach.png') });

  const png = await download(page, 'reach-export-png');
  expect(png.name).toBe('reach-invisible-e-run1.png');
  const meta = await sharp(png.bytes).metadata();
  expect(meta.format).toBe('png');
  const box = (await chart.boundingBox())!;
  // Twice the plot's width (pixelRatio 2); the box may be fractional where the canvas is whole pixels.
  expect(Math.abs(meta.width! - 2 * box.width)).toBeLessThanOrEqual(2);
  // A drawn plot, not an empty canvas: the lines and labels make the image vary.
  const stats = await sharp(png.bytes).stats();
  expect(stats.channels[0]!.stdev).toBeGreaterThan(5);

  const csv = await download(page, 'reach-export-csv');
  expect(csv.name).toBe('reach-invisible-e-run1.csv');
  const lines = csv.bytes.toString('utf8').trimEnd().split('\n');
  expect(lines[0]).toBe(REACH_CSV_HEADER);
  const rows = lines.slice(1).map((l) => l.split(','));
  expect(rows).toHaveLength(4 * 31 + 2);
  const col = (name: string) => REACH_CSV_HEADER.split(',').indexOf(name);
  const target = rows.filter((r) => r[col('curve')] === 'target-1');
  expect(target.every((r) => r[col('exposure')] === '5000000000000' && r[col('unit')] === 'EOT' && r[col('efficiency')] === '0.5' && r[col('efficiency_measured')] === 'false')).toBe(true);
  // The target's line is the API's, point for point (it does not move with the spills).
  const fromApi = (await api<Reach>(server.info, '/api/v1/dq/reach?run=1')).body.curves.find((c) => c.id === 'target-1')!;
  expect(target.map((r) => [Number(r[col('mass_gev')]), Number(r[col('value')])])).toEqual(fromApi.points.map((p) => [p.mass, p.value]));
  const published = rows.filter((r) => r[col('kind')] === 'published');
  expect(published.map((r) => [r[col('mass_gev')], r[col('value')], r[col('efficiency')]])).toEqual([
    ['0.001', '0.00001', ''],
    ['1', '0.01', ''],
  ]);

  // A run that does not exist: said, nothing drawn.
  await page.getByTestId('reach-run').fill('99');
  await page.getByTestId('reach-go').click();
  await expect(page).toHaveURL(/#\/reach\?run=99$/);
  await expect(page.getByTestId('reach-error')).toContainText('run 99 does not exist');
  expect(problems).toEqual([]);
});
