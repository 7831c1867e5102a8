// A shifter's first run, end to end: real server, real sockets, real SQLite, real browser.
import { expect, type WebSocketRoute } from '@playwright/test';
import { open, test } from '../support/e2e-fixtures';
import { nominalReading } from '../support/twin-truth';
import { loadSetup } from '../../setups/load';

test('start a run, watch spills arrive and the ECAL histogram draw, stop it, find it in the run list', async ({ page, server, problems }) => {
  await open(page, server);
  await expect(page.getByTestId('connection')).toContainText('CONNECTED');
  await expect(page.getByTestId('run-state')).toContainText('IDLE');
  await expect(page.getByTestId('simulation')).toContainText('SIMULATION ×20');
  await expect(page.getByTestId('session')).toContainText('admin');
  // The token left the address bar.
  expect(page.url()).not.toContain('token=');

  await page.getByTestId('run-type').selectOption('physics');
  await page.getByTestId('run-comment').fill('e2e: first beam of the night');
  // The physics run's start prompts, begun with the defaults (the setup's beam); the crew has none.
  await expect(page.getByTestId('run-prompts')).toContainText('defaults');
  await expect(page.getByTestId('prompt-beamEnergy')).toHaveValue('100');
  await expect(page.getByTestId('prompt-beamParticle')).toHaveValue('e-');
  await expect(page.getByTestId('prompt-crew')).toHaveValue('');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('prompt-error-crew')).toHaveText('✕ cannot start a physics run: crew is required');
  await expect(page.getByTestId('run-state')).toContainText('IDLE');
  await page.getByTestId('prompt-beamEnergy').fill('120');
  await page.getByTestId('prompt-crew').fill('Anna Petrova, Ben Oduya');
  await page.getByTestId('prompt-target').fill('Pb target, 5 X0');
  await page.getByTestId('run-panel').screenshot({ path: test.info().outputPath('start-prompts.png') });
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-state')).toContainText('RUNNING');
  await expect(page.getByTestId('run-number')).toHaveText('Run 1');

  // Spills arrive and the histogram is drawn with entries around the 100 GeV beam peak.
  await expect(page.getByTestId('live-spill')).toHaveText(/run 1 spill [3-9]/, { timeout: 20_000 });
  const chart = page.getByTestId('live-histogram').locator('[data-histogram="ecal_energy"]');
  await expect(chart.locator('canvas')).toBeVisible();
  await expect(chart).toHaveAttribute('data-entries', /^[1-9]\d{2,}$/);
  const peak = Number(await chart.locator('[data-stat="peak"]').textContent());
  // Around where the twin's electrons peak at the nominal calibration (≈ 98.6 GeV: its own containment and pulse).
  expect(Math.abs(peak - nominalReading(loadSetup('invisible-e')))).toBeLessThan(2);
  await expect(page.getByTestId('spill-table').locator('tbody tr').first()).toContainText('100.0 %');
  await page.screenshot({ path: test.info().outputPath('shift-running.png') });
  if (process.env['NA64RC_README_SCREENSHOT']) await page.screenshot({ path: process.env['NA64RC_README_SCREENSHOT'] });

  // A stop says why: the run type's list first (no beam reason for an LED run, "end of the period" for physics).
  await page.getByTestId('stop-reason').fill('end of e2e test');
  await expect(page.getByTestId('stop-run')).toBeDisabled();
  await expect(page.getByTestId('end-reason').locator('option')).toContainText(['choose…', 'completed as planned', 'beam lost or degraded', 'end of the period', 'other']);
  await page.getByTestId('end-reason').selectOption('test');
  await page.getByTestId('stop-run').click();
  await expect(page.getByTestId('run-state')).toContainText('IDLE', { timeout: 10_000 });

  await page.getByTestId('nav-runs').click();
  const row = page.getByTestId('runs-table').locator('tbody tr').first();
  await expect(row).toContainText('physics');
  await expect(row).toContainText('■ ended');
  await expect(row).toContainText('e2e: first beam of the night · test · end of e2e test');
  await row.click();
  // The answers are stored with the run: its conditions' start section.
  await page.getByTestId('run-tab-conditions').click();
  const startSection = page.getByTestId('conditions-section-start');
  await expect(startSection).toContainText('120');
  await expect(startSection).toContainText('Anna Petrova');
  await expect(startSection).toContainText('Pb target, 5 X0');
  await expect(startSection).toContainText('entered');
  await page.getByTestId('run-tab-spills').click();
  // A spill row, not the "no spills yet" row shown while the run's spills load.
  await page.getByTestId('spill-table').locator('tbody tr.clickable').first().click();
  await expect(page).toHaveURL(/#\/histograms\?run=1&spill=1/);
  await expect(page.locator('[data-histogram="ecal_energy"] canvas')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('histograms.png') });

  // The next physics run begins with this one's answers.
  await page.getByTestId('nav-shift').click();
  await expect(page.getByTestId('run-prompts')).toContainText('filled from run 1');
  await expect(page.getByTestId('prompt-beamEnergy')).toHaveValue('120');
  await expect(page.getByTestId('prompt-crew')).toHaveValue('Anna Petrova, Ben Oduya');

  await page.getByTestId('nav-calibration').click();
  await expect(page.getByTestId('calibration-view')).toBeVisible();
  expect(problems).toEqual([]);
});

test('a page without a valid token says what to do instead of showing stale numbers', async ({ page, server }) => {
  await open(page, server, 'not-the-token');
  await expect(page.getByTestId('connection')).toContainText('TOKEN REFUSED');
  await expect(page.getByTestId('connection-notice')).toContainText('refused the access token');
  await expect(page.getByTestId('start-run')).toBeDisabled();

  await page.evaluate(() => (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear());
  await page.goto(`${server.info.url}/`);
  await expect(page.getByTestId('connection')).toContainText('NO ACCESS TOKEN');
  await expect(page.getByTestId('connection-notice')).toContainText('na64rc serve');
});

test('the page reconnects by itself when the connection drops, and live updates resume', async ({ page, server }) => {
  const sockets: WebSocketRoute[] = [];
  await page.routeWebSocket(/\/rpc/, (ws) => {
    ws.connectToServer();
    sockets.push(ws);
  });
  await open(page, server);
  await expect(page.getByTestId('connection')).toContainText('CONNECTED');
  await sockets[0]!.close({ code: 1006, reason: 'cable pulled' });
  await expect(page.getByTestId('connection')).toContainText('RECONNECTING');
  await expect(page.getByTestId('connection-notice')).toContainText('not live');
  await expect(page.getByTestId('connection')).toContainText('CONNECTED', { timeout: 15_000 });
  expect(sockets.length).toBe(2);
  // The live stream is back: a run started elsewhere shows up.
  await page.getByTestId('prompt-crew').fill('e2e');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-state')).toContainText('RUNNING');
  await expect(page.getByTestId('spill-number')).toHaveText(/Spill [1-9]/, { timeout: 20_000 });
});

test.describe('at a slower time scale', () => {
  test.use({ timeScale: '2' });

  test('stopping during a spill shows the pending state until the spill has ended', async ({ page, server }) => {
    await open(page, server);
    await page.getByTestId('prompt-crew').fill('e2e');
    await page.getByTestId('start-run').click();
    await expect(page.getByTestId('run-state')).toContainText('RUNNING');
    // 2.4 s spills: stop while the first one is being taken. A run started during a spill leaves that spill
    // to the beam and takes the next one (8.4 s cycles): wait for the DAQ's first spill, not the beam's.
    await expect(page.getByTestId('spill-number')).toHaveText('Spill 1', { timeout: 20_000 });
    await page.getByTestId('end-reason').selectOption('completed as planned');
    await expect(page.getByTestId('beam-phase')).toContainText('SPILL');
    await page.getByTestId('stop-run').click();
    await expect(page.getByTestId('run-state')).toContainText('STOPPING');
    await expect(page.getByTestId('run-pending')).toHaveText('waiting for the end of spill 1');
    await expect(page.getByTestId('stop-run')).toBeDisabled();
    await expect(page.getByTestId('run-state')).toContainText('IDLE', { timeout: 10_000 });
    await expect(page.getByTestId('live-spill')).toHaveText('run 1 spill 1');
  });
});
