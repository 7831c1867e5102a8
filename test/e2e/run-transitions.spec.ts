// Run transitions against the real `na64rc serve --sim`: a start with its prompts answered, held back by the HV participant while a
// channel ramps to its new setpoint (the Shift view shows each participant's answer, then the run starts by
// itself), a run that will stop by itself showing its countdown, a pause between spills and the resume, a
// stop with its reason; the Audit view filtered to run control shows each of these actions.
import { expect } from '@playwright/test';
import { connect } from '../../src-main/api/node-client';
import { open, test } from '../support/e2e-fixtures';
import { waitFor } from '../support/serve-process';

test('a start waits for the HV, the run pauses and resumes between spills, stops with a reason, and the audit shows it all', async ({ page, server, problems }) => {
  test.setTimeout(150_000);
  const admin = await connect(server.info.url, server.info.token);
  try {
    await waitFor('ECAL1-3-3 read', async () => (await admin.api.hv.overview()).channels.find((c) => c.name === 'ECAL1-3-3')?.staleness === 'fresh', 30_000);
    // A slow ramp (2 V/s, 40 V/s at this time scale): 200 V take 5 s.
    await admin.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'rampUp', value: 2 }, reason: 'slow ramp' });
    await waitFor('the ramp rate confirmed', async () => (await admin.api.hv.overview()).channels.find((c) => c.name === 'ECAL1-3-3')?.rampUp === 2, 30_000);
    await open(page, server);
    await expect(page.getByTestId('connection')).toContainText('CONNECTED');
    await admin.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 1300 }, reason: 'gain matching' });
  } finally {
    admin.close();
  }

  await page.getByTestId('run-type').selectOption('physics');
  await page.getByTestId('run-comment').fill('e2e: transitions');
  // The run type's start prompts: the beam filled from the setup, the crew asked.
  await expect(page.getByTestId('prompt-beamEnergy')).toHaveValue('100');
  await page.getByTestId('prompt-crew').fill('A. Petrova, B. Oduya');
  await page.getByTestId('auto-stop-on').check();
  await page.getByTestId('auto-stop-spills').fill('0');
  await expect(page.getByTestId('auto-stop-problem')).toContainText('a whole number from 1 to 4095');
  await expect(page.getByTestId('start-run')).toBeDisabled();
  await page.getByTestId('auto-stop-spills').fill('500');
  await expect(page.getByTestId('start-run')).toBeEnabled();
  await page.getByTestId('start-run').click();

  // The HV participant holds the start back while ECAL1-3-3 ramps; the others wait their turn.
  const hv = page.locator('[data-testid="participant"][data-participant="HV at setpoint"]');
  await expect(hv).toHaveAttribute('data-state', 'deferred', { timeout: 10_000 });
  await expect(hv).toContainText(/HV (not at setpoint: 1 channel \(ECAL1-3-3 at \d+ V of 1300 V\)|command not yet confirmed)/);
  await expect(hv).toContainText(/refused in \d+\.\d s/);
  await expect(page.locator('[data-testid="participant"][data-participant="DAQ stream"]')).toHaveAttribute('data-state', 'ready');
  await expect(page.locator('[data-testid="participant"][data-participant="Calibration set"]')).toHaveAttribute('data-state', 'pending');
  await expect(page.getByTestId('run-state')).toContainText('STARTING');
  await expect(page.getByTestId('cancel-transition')).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('start-held-back.png') });

  // At its setpoint the start goes on by itself.
  await expect(page.getByTestId('run-state')).toContainText('RUNNING', { timeout: 60_000 });
  await expect(page.getByTestId('auto-stop-countdown')).toContainText(/stops by itself: \d+ of 500 spills left/);
  await expect(page.getByTestId('spill-number')).toHaveText(/Spill [1-9]/, { timeout: 30_000 });

  await page.getByTestId('pause-reason').fill('beam tuning upstream');
  await page.getByTestId('pause-run').click();
  await expect(page.getByTestId('run-state')).toContainText('PAUSED', { timeout: 30_000 });
  await expect(page.getByTestId('pending')).toContainText(/paused after spill \d+: beam tuning upstream/);
  await page.screenshot({ path: test.info().outputPath('paused.png') });
  await page.getByTestId('resume-run').click();
  await expect(page.getByTestId('run-state')).toContainText('RUNNING', { timeout: 30_000 });

  await page.getByTestId('end-reason').selectOption('configuration change');
  await page.getByTestId('stop-reason').fill('new trigger settings');
  await page.getByTestId('stop-run').click();
  await expect(page.getByTestId('run-state')).toContainText('IDLE', { timeout: 30_000 });

  await page.keyboard.press('Alt+u');
  await expect(page.getByTestId('audit-view')).toBeVisible();
  await page.getByTestId('audit-domain').selectOption('run');
  const rows = page.getByTestId('audit-row');
  await expect(rows).toHaveCount(4);
  await expect(rows.nth(0)).toContainText('stop');
  await expect(rows.nth(0)).toContainText('new trigger settings');
  await expect(rows.nth(1)).toContainText('resume');
  await expect(rows.nth(2)).toContainText('pause');
  await expect(rows.nth(2)).toContainText('beam tuning upstream');
  await expect(rows.nth(3)).toContainText('start');
  await expect(rows.nth(3)).toContainText('stop after 500 spills');
  await expect(rows.nth(3)).toContainText('crew A. Petrova, B. Oduya');
  await page.screenshot({ path: test.info().outputPath('audit-run-control.png') });
  expect(problems).toEqual([]);
});
