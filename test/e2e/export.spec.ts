// Export for analysis as a reviewer does it in the Runs view: pick a run, download its spills as Parquet and
// CSV, its histograms as a zip, and the listed runs; each download is read back and agrees with the lists.
import { strFromU8, unzipSync } from 'fflate';
import { parquetReadObjects } from 'hyparquet';
import { readFileSync } from 'node:fs';
import { expect, type Download, type Page } from '@playwright/test';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, waitFor } from '../support/serve-process';
import { open, test } from '../support/e2e-fixtures';
import { promptArgs } from '../support/prompts';

async function download(page: Page, testId: string): Promise<{ name: string; bytes: Uint8Array }> {
  const pending = page.waitForEvent('download');
  await page.getByTestId(testId).click();
  const d: Download = await pending;
  return { name: d.suggestedFilename(), bytes: new Uint8Array(readFileSync((await d.path())!)) };
}

const parquetRows = (b: Uint8Array) => parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer }) as Promise<Record<string, unknown>[]>;

test('the Runs view exports a run’s spills (Parquet, CSV), its histograms (zip) and the listed runs', async ({ page, server, problems }) => {
  test.setTimeout(120_000);
  expect((await api(server.info, '/api/v1/runs/1')).status).toBe(404);
  // A run with a few spills, started as a shifter would from the command line.
  expect((await runCli(['ctl', '--data', server.info.dataDir, 'run', 'start', 'physics', '--comment', '=export test, "quoted"', ...promptArgs('physics')])).code).toBe(0);
  await open(page, server);
  await waitFor('2 spills of run 1', async () => {
    const r = await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills');
    return r.status === 200 && r.body.length >= 2;
  }, 60_000);

  await page.getByTestId('nav-runs').click();
  await page.getByTestId('runs-table').locator('tbody tr').first().click();
  await expect(page.getByTestId('export-buttons')).toContainText('run 1');

  const parquet = await download(page, 'export-spills-parquet');
  expect(parquet.name).toBe('run1-spills.parquet');
  expect(Buffer.from(parquet.bytes.subarray(0, 4)).toString()).toBe('PAR1');
  const rows = await parquetRows(parquet.bytes);
  const listed = (await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills')).body;
  expect(rows.length).toBeGreaterThanOrEqual(2);
  for (const r of rows) {
    const s = listed.find((x) => x.spill === Number(r['spill']))!;
    expect(Number(r['events_seen'])).toBe(s.eventsSeen);
    expect(r['signal_candidates']).toBeNull();
  }
  await expect(page.getByTestId('export-done')).toContainText('run1-spills.parquet');

  const csv = await download(page, 'export-spills-csv');
  expect(csv.name).toBe('run1-spills.csv');
  expect(strFromU8(csv.bytes).split('\n')[0]).toMatch(/^run,spill,started_at,/);

  const zip = await download(page, 'export-histograms');
  expect(zip.name).toBe('run1-histograms.zip');
  const files = unzipSync(zip.bytes);
  expect(Object.keys(files)).toEqual(expect.arrayContaining(['manifest.json', 'run/ecal_energy.json', 'spill-0001/ecal_vs_hcal.json']));

  const runs = await download(page, 'export-runs-parquet');
  expect(runs.name).toBe('runs.parquet');
  expect((await parquetRows(runs.bytes)).map((r) => r['run'])).toEqual([1n]);

  await page.screenshot({ path: 'test-results/e2e/export-runs-view.png' });
  expect(problems).toEqual([]);
});
