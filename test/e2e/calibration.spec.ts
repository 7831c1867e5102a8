// The ECAL calibration as the expert does it, against the real server on the simulated NA64: a beam scan
// of two cells picked on the map, the fits on screen (spectrum, fit curve, residuals, parameters), the
// draft approved and activated through the reason dialog, the new set active for the core too. A shifter
// sees the same screen with every calibration control disabled and told why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base, type Page } from '@playwright/test';
import type { CalibrationSetView } from '../../src-main/shared/api/calibration';
import { api, runCli, startServe, type ServeProcess } from '../support/serve-process';

const test = base.extend<{ server: ServeProcess; dir: string }>({
  dir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-calibration-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  server: async ({ dir }, use) => {
    // ×25 as the calibration integration test: a spill brings ≈ 4000 events on the aimed cell.
    const server = await startServe(dir, ['--sim', '--time-scale', '25']);
    await use(server);
    await server.stop();
  },
});

async function token(dir: string, user: string, role: string): Promise<string> {
  const r = await runCli(['ctl', '--data', dir, '--json', 'user', 'add', user, '--role', role]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { token: string }).token;
}

async function openCalibration(page: Page, server: ServeProcess, t: string): Promise<void> {
  await page.goto(`${server.info.url}/#token=${t}`);
  await page.getByTestId('nav-calibration').click();
  await expect(page.getByTestId('cal-set-invisible-e-nominal-v1')).toBeVisible({ timeout: 15_000 });
}

test('an expert scans two cells, inspects a fit, approves and activates the set; a shifter may not', async ({ page, browser, server, dir }) => {
  test.setTimeout(90_000);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  await openCalibration(page, server, await token(dir, 'erin', 'expert'));
  await expect(page.getByTestId('cal-map-set-status')).toContainText('ACTIVE');

  // Pick (3,3) and (2,3) on the map, few events per cell: one spill each.
  await page.getByTestId('cal-scan-pick').click();
  await page.getByTestId('cal-map-cell-3-3').click();
  await page.getByTestId('cal-map-cell-2-3').click();
  await expect(page.getByTestId('cal-scan-picks')).toHaveText('(3,3) (2,3)');
  await page.getByTestId('cal-scan-events').fill('500');
  const started = Date.now();
  await page.getByTestId('cal-scan-start').click();
  await expect(page.getByTestId('cal-scan-status')).toContainText(/RUNNING|FITTING|DONE/);
  await expect(page.getByTestId('cal-scan')).toHaveAttribute('data-status', 'done', { timeout: 45_000 });
  const scanMs = Date.now() - started;
  for (const cell of ['3-3', '2-3']) await expect(page.getByTestId(`cal-scan-cell-${cell}`)).toHaveAttribute('data-status', 'ok');
  await expect(page.getByTestId('cal-scan-message')).toContainText('2 of 2 cells calibrated into draft');

  // The map now shows the draft; a cell's fit: spectrum with the curve and residuals, parameters.
  await expect(page.getByTestId('cal-map-set-status')).toContainText('DRAFT');
  const version = (await page.getByTestId('cal-map-panel').getAttribute('data-version'))!;
  expect(version).toMatch(/^invisible-e-scan-r\d+$/);
  await expect(page.getByTestId('cal-map-cell-3-3')).toHaveAttribute('data-text', /^0\.0\d{4}\n[+−]\d+\.\d %$/);
  await page.getByTestId('cal-map-cell-3-3').click();
  const fit = page.getByTestId('cal-fit');
  await expect(fit).toHaveAttribute('data-status', 'ok');
  await expect(fit.getByTestId('cal-fit-status')).toContainText('OK');
  await expect(fit.locator('.fit-chart')).toHaveAttribute('data-bins', '60');
  await expect(fit.locator('.fit-chart')).toHaveAttribute('data-curve-points', '201');
  await expect(fit.locator('.fit-chart canvas')).toBeVisible();
  await expect(fit.locator('[data-param="μ"]')).toContainText(/(99|100)\.\d+ ± 0\.\d+/);
  await expect(fit.getByTestId('cal-fit-converged')).toContainText('converged');
  await expect(fit.getByTestId('cal-fit-chi2')).toContainText(/\d+\.\d \/ 57 =/);
  await expect(page.getByTestId('cal-led')).toContainText('ECAL1-3-3');
  await page.getByTestId('cal-mode-quality').click();
  await expect(page.getByTestId('cal-map-cell-3-3')).toHaveAttribute('data-text', /^[✓!✕] \d+\.\d\d$/);
  await expect(page.getByTestId('cal-map-cell-0-0')).toHaveAttribute('data-text', '—');
  await page.screenshot({ path: test.info().outputPath('calibration-fit.png') });

  // Approve, then activate, each through the reason dialog.
  const row = page.getByTestId(`cal-set-${version}`);
  await row.getByTestId('cal-set-approve').click();
  await page.getByTestId('reason-text').fill('e2e: fits of (3,3) and (2,3) checked');
  await page.getByTestId('reason-confirm').click();
  await expect(row).toHaveAttribute('data-status', 'approved');
  await row.getByTestId('cal-set-activate').click();
  await page.getByTestId('reason-confirm').click();
  await expect(row).toHaveAttribute('data-status', 'active');
  await expect(row.getByTestId('cal-set-status')).toContainText('ACTIVE');
  await expect(page.getByTestId('cal-set-invisible-e-nominal-v1')).toHaveAttribute('data-status', 'retired');
  await expect(row).toContainText('erin');
  const sets = await api<CalibrationSetView[]>(server.info, '/api/v1/calibration/sets');
  expect(sets.body.find((s) => s.status === 'active')).toMatchObject({ version, approvedBy: 'erin', activatedBy: 'erin' });
  // The diff shows what the activation changed: the two scanned towers, no outliers at the twin's nominal gains.
  await expect(page.getByTestId('cal-diff-to')).toHaveValue(version);
  await expect(page.getByTestId('cal-diff')).toContainText('no outliers');
  await page.getByTestId('cal-mode-coefficient').click();
  await page.screenshot({ path: test.info().outputPath('calibration-active.png') });

  // A shifter: the same screen, every calibration control disabled, and why.
  const shifter = await browser.newPage({ viewport: { width: 1500, height: 950 } });
  await openCalibration(shifter, server, await token(dir, 'sam', 'shifter'));
  await expect(shifter.getByTestId('cal-scan-start')).toBeDisabled();
  await expect(shifter.getByTestId('cal-scan-pick')).toBeDisabled();
  await expect(shifter.getByTestId('cal-scan-fit')).toBeDisabled();
  await expect(shifter.getByTestId('cal-scan-extend')).toBeDisabled();
  await expect(shifter.getByTestId('cal-scan-denied')).toContainText('needs the expert role; you are sam (shifter)');
  await expect(shifter.getByTestId('cal-set-invisible-e-nominal-v1').getByTestId('cal-set-rollback')).toBeDisabled();
  await expect(shifter.getByTestId('cal-import-file')).toBeDisabled();
  await expect(shifter.getByTestId('cal-sets-denied')).toContainText('needs the expert role; you are sam (shifter)');
  // Reading stays open to the shifter: the fit of the active set.
  await shifter.getByTestId('cal-map-cell-2-3').click();
  await expect(shifter.getByTestId('cal-fit')).toHaveAttribute('data-status', 'ok');
  await shifter.screenshot({ path: test.info().outputPath('calibration-shifter.png') });
  await shifter.close();

  test.info().annotations.push({ type: 'scan of 2 cells (ms)', description: String(scanMs) });
  expect(problems).toEqual([]);
});
