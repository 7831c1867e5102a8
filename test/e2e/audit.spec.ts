// The Audit view against the real server: a run started from this browser page, an HV write and a start
// refused to a viewer's script, a setpoint above the channel's limit; the view lists them with who, from
// where and how each ended; filtered by domain it shows only that domain's rows (and says so in the URL);
// filtered by result only the refused ones; the export downloads the same rows as CSV.
import { readFileSync } from 'node:fs';
import { expect } from '@playwright/test';
import { connect } from '../../src-main/api/node-client';
import { open, test } from '../support/e2e-fixtures';
import { userToken, waitFor } from '../support/serve-process';

test('the Audit view lists every control action, filters by domain and result, and exports CSV', async ({ page, server, problems }) => {
  const viewer = await connect(server.info.url, await userToken(server.info.dataDir, 'vera', 'viewer'));
  const admin = await connect(server.info.url, server.info.token);
  try {
    await waitFor('ECAL1-3-3 read', async () => (await admin.api.hv.overview()).channels.find((c) => c.name === 'ECAL1-3-3')?.staleness === 'fresh', 30_000);
    await open(page, server);
    await expect(page.getByTestId('connection')).toContainText('CONNECTED');
    // A run started here: the browser is where it came from.
    await page.getByTestId('run-type').selectOption('physics');
    await page.getByTestId('run-comment').fill('e2e: audited start');
    await page.getByTestId('prompt-crew').fill('e2e crew');
    await page.getByTestId('start-run').click();
    await expect(page.getByTestId('run-state')).toContainText('RUNNING');
    await expect(viewer.api.run.stop({ reason: 'just looking' })).rejects.toThrow(/run.control needs the shifter role; vera is viewer/);
    const high = await admin.api.hv.command({ channels: ['ECAL1-3-3'], action: { kind: 'set', parameter: 'vset', value: 99_999 }, reason: 'fat finger' });
    expect(high.channels[0]!.phase).toBe('refused');
    await admin.api.hv.command({ channels: ['S1'], action: { kind: 'switch', on: false }, reason: 'counter check' });
  } finally {
    viewer.close();
    admin.close();
  }

  await page.keyboard.press('Alt+u');
  await expect(page.getByTestId('audit-view')).toBeVisible();
  const rows = page.getByTestId('audit-row');
  // vera's own creation (`ctl user add`) is audited too: users 1, run 2, HV 2.
  await expect(rows).toHaveCount(5);

  await page.getByTestId('audit-domain').selectOption('run');
  await expect(rows).toHaveCount(2);
  await expect(page).toHaveURL(/#\/audit\?domain=run$/);
  const refused = rows.first();
  await expect(refused).toHaveAttribute('data-result', 'refused');
  await expect(refused).toContainText('vera (viewer)');
  await expect(refused).toContainText('stop');
  await expect(refused).toContainText('REFUSED');
  await expect(refused).toContainText('run.control needs the shifter role; vera is viewer');
  const started = rows.nth(1);
  await expect(started).toContainText(/browser 127\.0\.0\.1/);
  await expect(started).toContainText('run 1 (physics)');
  await expect(started).toContainText('idle → running');
  await expect(started).toContainText('e2e: audited start');
  await expect(started.getByRole('status')).toHaveText('✓OK');
  await expect(page.getByTestId('audit-count')).toHaveText('1–2 of 2 actions');
  await page.screenshot({ path: test.info().outputPath('audit-run.png') });

  await page.getByTestId('audit-domain').selectOption('');
  await page.getByTestId('audit-result').selectOption('refused');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('set vset');
  await expect(rows.nth(0)).toContainText('1100 → 99999');
  await expect(rows.nth(0)).toContainText(/ECAL1-3-3: .*between 0 and 3000/);
  await expect(rows.nth(1)).toContainText('vera (viewer)');
  await page.screenshot({ path: test.info().outputPath('audit-refused.png') });

  const download = page.waitForEvent('download');
  await page.getByTestId('audit-export').click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('audit.csv');
  const csv = readFileSync((await file.path())!, 'utf8').trimEnd().split('\n');
  expect(csv[0]).toBe('id,time_utc,user,role,via,address,domain,action,target,old,new,reason,result,detail');
  expect(csv).toHaveLength(3);
  expect(csv.slice(1).every((l) => l.includes(',refused,'))).toBe(true);
  expect(problems).toEqual([]);
});
