// A shifter's logbook, end to end (real server, sockets, SQLite, browser): the automatic run-start entry,
// an entry with a plot snapshot attached by one click, a reply, an edit whose first revision is kept, and
// finding it again by search. Screenshots go to test-results/e2e for people to look at.
import { expect } from '@playwright/test';
import { runCli } from '../support/serve-process';
import { open, test } from '../support/e2e-fixtures';

test('a shifter logs a plot, replies, edits (revision kept), finds it, and sees the run-start entry', async ({ page, server, problems }) => {
  const added = await runCli(['ctl', '--data', server.info.dataDir, '--json', 'user', 'add', 'alice', '--role', 'shifter']);
  expect(added.code, added.stderr).toBe(0);
  await open(page, server, JSON.parse(added.stdout).token as string);
  await expect(page.getByTestId('session')).toContainText('alice');

  // A run: its automatic start entry, and a spill's ECAL energy to take a snapshot of.
  await page.getByTestId('run-comment').fill('e2e: logbook test');
  await page.getByTestId('prompt-crew').fill('e2e crew');
  await page.getByTestId('start-run').click();
  await expect(page.getByTestId('live-spill')).toHaveText(/run 1 spill [1-9]/, { timeout: 20_000 });
  await page.getByTestId('live-histogram').locator('[data-histogram="ecal_energy"]').getByTestId('snapshot-plot').click();

  // One click: the logbook opens with a new entry that has the plot attached.
  await expect(page).toHaveURL(/#\/logbook/);
  const composer = page.getByTestId('composer');
  await expect(composer.getByTestId('logbook-notice')).toContainText(/Snapshot ecal_energy-run1-spill\d+-.*\.png attached to a new entry/);
  const snapshot = composer.getByTestId('attachment');
  await expect(snapshot).toHaveAttribute('data-kind', 'image');
  await expect(snapshot.locator('img')).toBeVisible();
  await composer.getByTestId('entry-title').fill('ECAL peak at the beam energy');
  await composer.getByTestId('entry-body').fill('Peak at **100 GeV** in the first spills.\n\n- processed fraction 100 %\n- see [the SPS page](https://home.cern)');
  await composer.getByTestId('entry-tags').fill('ecal, beam');
  await composer.getByTestId('entry-run').fill('1');
  await composer.getByTestId('save-entry').click();

  const thread = page.getByTestId('thread');
  const root = thread.getByTestId('log-entry').first();
  await expect(root).toContainText('ECAL peak at the beam energy');
  await expect(root.locator('.markdown strong')).toHaveText('100 GeV');
  await expect(root.locator('.markdown a')).toHaveAttribute('rel', 'noopener noreferrer');
  await expect(root.getByTestId('attachment').locator('img')).toBeVisible();
  await expect(root).toContainText('→ run 1');

  // A reply in the thread, with a picture of the screen (Alt+S) under the app's strict CSP.
  await root.getByTestId('reply').click();
  await expect(composer).toContainText('Reply to #');
  await composer.getByTestId('entry-body').fill('Checked again three spills later: still at 100 GeV.');
  await page.keyboard.press('Alt+s');
  await expect(composer.getByTestId('logbook-notice')).toContainText(/Snapshot screen-logbook-.*\.png attached to your reply/, { timeout: 15_000 });
  await expect(composer.getByTestId('attachment').locator('img')).toBeVisible();
  await composer.getByTestId('save-entry').click();
  await expect(thread.getByTestId('log-entry')).toHaveCount(2);
  await expect(thread.getByTestId('log-entry').nth(1)).toContainText('↳ reply to #');
  await expect(thread.getByTestId('log-entry').nth(1).getByTestId('attachment')).toHaveCount(1);

  // An edit: a new revision, the first one kept and shown on request.
  await root.getByTestId('edit').click();
  await composer.getByTestId('entry-title').fill('ECAL peak at the beam energy (100 GeV)');
  await composer.getByTestId('save-entry').click();
  await expect(root).toContainText('ECAL peak at the beam energy (100 GeV)');
  await root.getByTestId('show-revisions').click();
  await expect(root.getByTestId('revision')).toHaveCount(1);
  await expect(root.getByTestId('revision')).toContainText('revision 1');
  await expect(root.getByTestId('revision')).toContainText('ECAL peak at the beam energy');
  await page.screenshot({ path: test.info().outputPath('logbook-thread.png') });

  // Found by search, with the term highlighted; a broken query gets a sentence, not an error page.
  const search = page.getByTestId('log-search');
  await search.fill('peak');
  await search.press('Enter');
  const hits = page.getByTestId('log-hits');
  await expect(hits.locator('li')).toHaveCount(2);
  await expect(hits.locator('mark').first()).toHaveText(/peak/i);
  await page.screenshot({ path: test.info().outputPath('logbook-search.png') });
  await search.fill('"peak');
  await search.press('Enter');
  await expect(page.getByTestId('search-error')).toContainText('without its closing "');

  // The automatic entry of the run start, written by the system.
  await search.fill('');
  await page.getByTestId('filters-toggle').click();
  await page.getByTestId('filter-origin').selectOption('system');
  await page.getByTestId('log-search-go').click();
  const start = hits.locator('li').first();
  await expect(start).toContainText('Run 1 started (physics)');
  await expect(start).toContainText('⚙ system');
  await start.locator('button').click();
  await expect(thread.getByTestId('log-entry').first()).toContainText('comment: e2e: logbook test');
  await page.screenshot({ path: test.info().outputPath('logbook-run-start.png') });

  expect(problems).toEqual([]);
});

test('a viewer reads the logbook but cannot write in it', async ({ page, server }) => {
  const added = await runCli(['ctl', '--data', server.info.dataDir, '--json', 'user', 'add', 'victor', '--role', 'viewer']);
  await open(page, server, JSON.parse(added.stdout).token as string);
  await page.getByTestId('nav-logbook').click();
  await expect(page.getByTestId('new-entry')).toBeDisabled();
  await expect(page.getByTestId('snapshot-screen')).toBeDisabled();
  await expect(page.getByText('read only: writing needs the shifter role')).toBeVisible();
});
