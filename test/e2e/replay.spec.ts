// Replay from the Replay view, against the real server on the simulated NA64: a raw file written by
// `na64rc sim` replayed paced (so its progress can be watched), the progress bar, events/s and ETA moving,
// the run done and marked replay in the Runs view; a file that is not DATE refused with why, no run made.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from '@playwright/test';
import { open, test } from '../support/e2e-fixtures';
import { runCli } from '../support/serve-process';

test.use({ timeScale: '5', serveArgs: ['--workers', '1'] });

test('an expert replays a raw file from the Replay view, watches it and finds the run marked replay', async ({ page, server, problems }) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-replay-'));
  try {
    const file = join(dir, 'cdr01001-000007.dat');
    const sim = await runCli(['sim', '--spills', '3', '--seed', '7', '--out', file]);
    expect(sim.code, sim.stderr).toBe(0);
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'a logbook draft, not a raw file\n');

    await open(page, server);
    await page.getByTestId('nav-replay').click();
    // From here on the page must stay clean (the Shift view it opened on is another spec's business: on a
    // fresh server it may log a rejected "Not Found" before its first spill).
    await expect(page.getByTestId('replay-start')).toBeEnabled();
    await page.waitForTimeout(2000);
    problems.length = 0;

    // Not a DATE file: refused with why.
    await page.getByTestId('replay-files').fill(text);
    await page.getByTestId('replay-start').click();
    await expect(page.getByTestId('replay-error')).toContainText('is not a DATE raw file');

    // 10× the file's real time: about 5 s for its 3 spills.
    await page.getByTestId('replay-files').fill(file);
    await page.getByTestId('replay-speed').selectOption('paced');
    await page.getByTestId('replay-factor').fill('10');
    await page.getByTestId('replay-start').click();
    await expect(page.getByTestId('replay-state')).toContainText('running');
    const bar = page.getByTestId('replay-progress');
    await expect.poll(async () => Number(await bar.getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect.poll(async () => Number((await page.getByTestId('replay-rate').textContent())!.replace(/,/g, '')), { timeout: 30_000 }).toBeGreaterThan(0);
    await expect(page.getByTestId('replay-cancel')).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('replay-running.png') });

    await expect(page.getByTestId('replay-state')).toContainText('done', { timeout: 90_000 });
    await expect(bar).toHaveAttribute('aria-valuenow', '100');
    await expect(page.getByTestId('replay-spills')).toHaveText('3');
    await expect(page.getByTestId('replay-summary')).toContainText('nothing skipped');
    await page.screenshot({ path: test.info().outputPath('replay-done.png'), fullPage: true });

    const run = Number(await page.getByTestId('replay-run').textContent());
    await page.getByTestId('replay-run').click();
    await expect(page.getByTestId(`run-origin-${run}`)).toContainText('replay');
    await expect(page.getByTestId('runs-table')).toContainText(`replay of ${file}`);
    await page.screenshot({ path: test.info().outputPath('runs-replay.png') });
    expect(problems).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
