// The run registry end to end (real server, sockets, SQLite, browser): filter the runs (the filters go into
// the URL and a reload reproduces the view), open a run, sign off a spill with a reason as an expert, and see
// the sign-off beside the automatic verdict, in the bad-spill list, in the history and in the EOT; a shifter
// may look but not sign. Screenshots go to test-results/e2e for people to look at.
import { expect } from '@playwright/test';
import { api, runCli, waitFor } from '../support/serve-process';
import { open, test } from '../support/e2e-fixtures';
import { promptArgs } from '../support/prompts';

test('filter runs, open one, sign off a spill with a reason, see it beside the automatic verdict', async ({ page, server, problems }) => {
  test.setTimeout(150_000);
  const ctl = (...args: string[]) => runCli(['ctl', '--data', server.info.dataDir, ...args]);
  const token = async (name: string, role: string) => JSON.parse((await ctl('--json', 'user', 'add', name, '--role', role)).stdout).token as string;
  const spillsOf = async (run: number) => (await api<{ spill: number; dq?: { verdict: string } | null }[]>(server.info, `/api/v1/runs/${run}/spills`)).body;

  // Two runs from the command line: a physics run of a few spills, then a short calibration run.
  expect((await ctl('run', 'start', 'physics', '--comment', 'e2e: nominal beam', ...promptArgs('physics'))).code).toBe(0);
  await waitFor('three judged spills of run 1', async () => (await spillsOf(1)).filter((s) => s.dq).length >= 3, 60_000);
  expect((await ctl('run', 'stop', '--end', 'completed as planned', '--reason', 'end of fill')).code).toBe(0);
  expect((await ctl('run', 'start', 'calibration', '--comment', 'e2e: ECAL scan', ...promptArgs('calibration'))).code).toBe(0);
  await waitFor('a spill of run 2', async () => (await spillsOf(2)).length >= 1, 60_000);
  expect((await ctl('run', 'stop', '--reason', 'scan done')).code).toBe(0);
  const automatic = (await spillsOf(1)).find((s) => s.spill === 2)!.dq!.verdict;

  await open(page, server, await token('egor', 'expert'));
  await expect(page.getByTestId('session')).toContainText('egor');
  await page.getByTestId('nav-runs').click();
  await expect(page.getByTestId('runs-count')).toHaveText('runs 1–2 of 2');

  // Filters: by type, then by words in the comment or stop reason; both land in the URL.
  await page.getByTestId('filter-type').selectOption({ value: 'physics' });
  await expect(page).toHaveURL(/type=physics/);
  await expect(page.getByTestId('runs-count')).toHaveText('runs 1–1 of 1');
  await expect(page.getByTestId('runs-table').locator('tbody tr[data-run]')).toHaveCount(1);
  await page.getByTestId('filter-text').fill('scan');
  await page.getByTestId('filter-text').press('Enter');
  await expect(page.getByTestId('runs-table')).toContainText('no runs match these filters');
  await page.getByTestId('filter-text').fill('fill');
  await page.getByTestId('filter-text').press('Enter');
  await expect(page).toHaveURL(/text=fill/);
  await expect(page.getByTestId('runs-table').locator('tbody tr[data-run]')).toHaveCount(1);
  await page.getByTestId('sort-spills').click();
  await expect(page).toHaveURL(/sort=spills/);

  // Open the run: who started and stopped it, and why.
  await page.getByTestId('runs-table').locator('tr[data-run="1"]').click();
  const detail = page.getByTestId('run-detail');
  await expect(detail).toContainText('Run 1');
  await expect(detail.getByTestId('run-started-by')).toHaveText(/\(admin, cli\)$/);
  await expect(detail.getByTestId('run-end-reason')).toHaveText('completed as planned');
  await expect(detail.getByTestId('run-stop-reason')).toHaveText('end of fill');
  await expect(detail.getByTestId('signoff-history')).toContainText('not signed off yet');

  // Sign off spill 2 as bad, with a reason.
  await detail.getByTestId('run-tab-spills').click();
  await expect(page).toHaveURL(/tab=spills/);
  const row = detail.getByTestId('spill-table').locator('tbody tr').nth(1);
  await expect(row.getByTestId('spill-signoff')).toContainText('not signed');
  await row.getByTestId('spill-signoff-button').click();
  const dialog = page.getByTestId('signoff-dialog');
  await expect(dialog).toContainText('Sign off spill 2 of run 1');
  await dialog.getByTestId('signoff-bad').click();
  await expect(dialog.getByTestId('signoff-confirm')).toBeDisabled(); // no reason yet
  await dialog.getByTestId('signoff-reason').fill('HV trip in ECAL during the spill');
  await page.screenshot({ path: test.info().outputPath('runs-signoff-dialog.png') });
  await dialog.getByTestId('signoff-confirm').click();
  await expect(dialog).toBeHidden();

  // The sign-off beside the automatic verdict, the EOT struck through.
  await expect(row.getByTestId('spill-signoff')).toContainText('SIGNED BAD');
  await expect(row.getByTestId('spill-dq')).toContainText(automatic.toUpperCase());
  await expect(row.locator('td.out')).toHaveCount(1);
  await page.screenshot({ path: test.info().outputPath('runs-spills-signed.png') });

  // In the summary: the bad-spill list (automatic and signed), the EOT moved, the history.
  await detail.getByTestId('run-tab-summary').click();
  const bad = detail.getByTestId('bad-spills').locator('tr[data-spill="2"]');
  await expect(bad.getByTestId('bad-spill-signoff')).toContainText('SIGNED BAD');
  await expect(bad).toContainText(automatic.toUpperCase());
  await expect(bad).toContainText('left out');
  await expect(bad).toContainText('signed off bad by egor: HV trip in ECAL during the spill');
  await expect(detail.getByTestId('run-eot-moved')).toContainText('sign-offs: 1 spill signed off bad left out');
  await expect(detail.getByTestId('signoff-history')).toContainText('spill 2');
  await expect(detail.getByTestId('signoff-history')).toContainText('egor (expert)');
  await page.screenshot({ path: test.info().outputPath('runs-summary.png') });

  // A link reproduces the view: the filters and the run come back from the URL; the list says the run is signed.
  await page.reload();
  await expect(page.getByTestId('filter-type')).toHaveValue('physics');
  await expect(page.getByTestId('filter-text')).toHaveValue('fill');
  await expect(page.getByTestId('run-detail')).toContainText('Run 1');
  await page.getByTestId('filter-signoff').selectOption({ value: 'any' });
  await expect(page).toHaveURL(/signoff=any/);
  await expect(page.getByTestId('runs-count')).toHaveText('runs 1–1 of 1');
  await expect(page.getByTestId('runs-table').locator('tr[data-run="1"]')).toContainText('1 spill');
  await page.getByTestId('filter-signoff').selectOption({ value: 'none' });
  await expect(page.getByTestId('runs-table')).toContainText('no runs match these filters');
  await page.getByTestId('filter-signoff').selectOption({ value: 'any' });
  await page.screenshot({ path: test.info().outputPath('runs-list.png') });

  // A shifter sees it all but may not sign.
  const shifter = await page.context().newPage();
  await open(shifter, server, await token('sam', 'shifter'));
  await expect(shifter.getByTestId('session')).toContainText('sam');
  await shifter.goto(`${server.info.url}/#/runs?run=1&tab=spills`);
  const button = shifter.getByTestId('spill-table').locator('tbody tr').nth(1).getByTestId('spill-signoff-button');
  await expect(button).toBeDisabled();
  await expect(button).toHaveAttribute('title', /needs the expert role; you are sam \(shifter\)/);
  await expect(shifter.getByTestId('spill-table').locator('tbody tr').nth(1).getByTestId('spill-signoff')).toContainText('SIGNED BAD');
  await shifter.close();

  expect(problems).toEqual([]);
});
