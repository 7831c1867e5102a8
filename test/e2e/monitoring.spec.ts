// Live monitoring as the shifter sees it, against the real server on the simulated NA64: EOT grows, every
// detector has a verdict, a dead ECAL cell turns the ECAL Bad with its name on the Shift view; the
// Histograms view browses by detector, overlays the reference, draws 2D maps, switches to log scale and
// exports ROOT JSON that parses back to the same bins.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base } from '@playwright/test';
import { runCli, startServe, type ServeProcess } from '../support/serve-process';

const test = base.extend<{ server: ServeProcess; dir: string }>({
  dir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-dq-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  server: async ({ dir }, use) => {
    const server = await startServe(dir, ['--sim', '--time-scale', '20', '--start-run', 'physics']);
    await use(server);
    await server.stop();
  },
});

test('the Shift view shows EOT, e/π and data quality per detector; a dead cell turns the ECAL Bad', async ({ page, server, dir }) => {
  await page.goto(`${server.info.url}/#token=${server.info.token}`);
  await expect(page.getByTestId('eot-run')).toHaveText(/×10/, { timeout: 20_000 });
  await expect(page.getByTestId('dq-panel').locator('[data-detector="ECAL"]')).toContainText(/GOOD|NO DATA/);
  await expect(page.getByTestId('purity')).toHaveText(/9\d\.\d\d %/);
  await expect(page.getByTestId('trigger-rates')).toContainText('beam');
  await expect(page.getByTestId('spill-table').locator('[data-testid="spill-dq"]').first()).toContainText(/GOOD|MEDIUM|BAD|NO DATA/);

  // A good spill becomes the reference: the key histograms get their dashed overlay.
  const spill = Number((await page.getByTestId('live-spill').textContent())!.match(/spill (\d+)/)![1]);
  expect((await runCli(['ctl', '--data', dir, 'dq', 'promote', '1', String(spill)])).code).toBe(0);
  await expect(page.locator('[data-plot="ecal"] [data-reference="shown"]')).toBeVisible({ timeout: 10_000 });

  expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'dead-channel', '65'])).code).toBe(0);
  await expect(page.getByTestId('dq-panel').locator('[data-detector="ECAL"]')).toContainText('✕BAD', { timeout: 15_000 });
  await expect(page.getByTestId('dq-problems')).toContainText('ECAL dead: ECAL1-3-3');
  await expect(page.getByTestId('dq-verdict')).toContainText('BAD');
});

test('the Histograms view browses by detector, overlays the reference, draws 2D maps and exports ROOT JSON', async ({ page, server, dir }) => {
  await page.goto(`${server.info.url}/#token=${server.info.token}`);
  await expect(page.getByTestId('live-spill')).toHaveText(/spill [2-9]/, { timeout: 20_000 });
  expect((await runCli(['ctl', '--data', dir, 'dq', 'promote', '1', '1'])).code).toBe(0);

  await page.getByTestId('nav-histograms').click();
  await page.getByTestId('detector-ECAL').click();
  const ecal = page.locator('[data-histogram="ecal_energy"]');
  await expect(ecal.locator('canvas')).toBeVisible();
  await expect(ecal).toHaveAttribute('data-reference', 'shown', { timeout: 10_000 });
  await expect(page.locator('[data-histogram="ecal_occupancy"]')).toHaveAttribute('data-kind', 'TH2D');
  await expect(page.locator('[data-histogram="ecal_vs_hcal"]')).toHaveAttribute('data-kind', 'TH2D');
  await page.getByTestId('pick-log').check();

  await page.getByTestId('detector-Channels').click();
  await expect(page.locator('[data-histogram="pedestals"]')).toHaveAttribute('data-kind', 'TH2D');

  // Run accumulated: more entries than any one spill.
  await page.getByTestId('detector-ECAL').click();
  await page.getByTestId('pick-source').selectOption('run');
  await page.getByTestId('pick-run').fill('1');
  await page.getByTestId('pick-run').dispatchEvent('change');
  await expect(page.getByTestId('histograms-target')).toContainText('run 1, all spills so far');
  await expect(page.locator('[data-histogram="ecal_energy"]')).toHaveAttribute('data-entries', /^[1-9]\d{4,}$/, { timeout: 10_000 });

  const download = page.waitForEvent('download');
  await page.locator('[data-histogram="ecal_energy"]').getByTestId('export-root').click();
  const file = await (await download).path();
  const root = JSON.parse(readFileSync(file, 'utf8')) as { _typename: string; fXaxis: { fNbins: number }; fArray: number[] };
  expect(root._typename).toBe('TH1D');
  expect(root.fArray).toHaveLength(root.fXaxis.fNbins + 2);

  // The plot's snapshot still goes to the logbook.
  await page.locator('[data-histogram="ecal_energy"]').getByTestId('snapshot-plot').click();
  await expect(page.getByTestId('composer')).toBeVisible({ timeout: 5000 });
});
