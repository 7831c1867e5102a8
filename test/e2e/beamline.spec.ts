// The beam-line screens against the real `na64rc serve --sim` (its simulated digitizers, scaler and SPS timing
// behind their real drivers): the Digitizers view (Alt+9) draws at least one digitizer's persistence display
// from the spills' triggers; during a run the Counters view (Alt+0) shows S1's counts of the last spill and
// its rate, the timing source and the cross-check with the DAQ; the Shift view's strip and the Devices
// view's USB line follow the same live stream.
import { existsSync } from 'node:fs';
import { expect } from '@playwright/test';
import { open, test } from '../support/e2e-fixtures';

test('digitizers draw their persistence display, the counters count S1 per spill and are checked against the DAQ', async ({ page, server, problems }) => {
  test.setTimeout(120_000);
  await open(page, server);
  await expect(page.getByTestId('connection')).toContainText('CONNECTED');

  await page.keyboard.press('Alt+9');
  await expect(page.getByTestId('digitizers-view')).toBeVisible();
  await expect(page.getByTestId('digitizer-card').first()).toBeVisible({ timeout: 20_000 });
  // Waveforms arrive with the triggers of a spill: the plot of some digitizer is drawn within a minute.
  // The card is chosen first, then held by its device: both digitizers may have drawn by the time the card is
  // asked for, and the display keeps its traces through a spill that reads none.
  const first = page
    .getByTestId('digitizer-card')
    .filter({ has: page.locator('[data-testid="persistence-plot"]:not([data-waveforms="0"])') })
    .first();
  await expect(first).toBeVisible({ timeout: 60_000 });
  const device = await first.getByTestId('persistence-plot').getAttribute('data-device');
  const card = page.getByTestId('digitizer-card').filter({ has: page.locator(`[data-testid="persistence-plot"][data-device="${device}"]`) });
  const drawn = card.getByTestId('persistence-plot');
  await expect(drawn).toHaveAttribute('data-waveforms', /^[1-9]\d*$/);
  await expect(drawn.locator('canvas').first()).toBeVisible();
  await expect(drawn.getByTestId('persistence-channel').first()).toBeVisible();
  await expect(card.getByTestId('digitizer-state')).toContainText('ONLINE');
  await expect(card.getByTestId('digitizer-channel').first()).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('digitizers.png') });

  // A run, so that every spill is counted and checked against the DAQ's end of burst.
  await page.keyboard.press('Alt+1');
  await page.getByTestId('run-type').selectOption('physics');
  await page.getByTestId('run-comment').fill('e2e: beam-line counters');
  await page.getByTestId('prompt-crew').fill('e2e crew');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('run-state')).toContainText('RUNNING');
  await expect(page.getByTestId('spill-number')).toHaveText(/Spill [2-9]|Spill \d{2,}/, { timeout: 30_000 });
  await expect(page.getByTestId('strip-rate-S1')).toContainText(/\d \/s/);

  await page.keyboard.press('Alt+0');
  await expect(page.getByTestId('counters-view')).toBeVisible();
  await expect(page.getByTestId('scaler-card').first()).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('counter-spill-S1')).toHaveText(/^[1-9]\d*$|^\d\.\d+e\d+$/, { timeout: 30_000 });
  await expect(page.getByTestId('counter-rate-S1')).toContainText('/s');
  await expect(page.getByTestId('timing-source')).not.toBeEmpty();
  await expect(page.getByTestId('counter-trend').first()).toHaveAttribute('data-spills', /^[1-9]\d*$/);
  await expect(page.getByTestId('crosscheck-row').first()).toBeVisible({ timeout: 30_000 });
  await page.screenshot({ path: test.info().outputPath('counters.png') });

  await page.keyboard.press('Alt+8');
  await expect(page.getByTestId('usb-line')).toContainText(/^⌁ USB: /);
  await expect(page.getByTestId('usb-line')).not.toContainText('not reported yet');
  // Where the machine has no USB (containers, CI), one line says so, and everything above ran regardless.
  if (!existsSync('/sys/bus/usb')) await expect(page.getByTestId('usb-line')).toContainText('no USB bus on this machine (/sys/bus/usb absent)');
  expect(problems).toEqual([]);
});
