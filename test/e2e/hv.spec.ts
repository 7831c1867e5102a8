// The HV screen against the real server and its simulated supplies: a trip, a stuck readback and a
// disconnect injected in the simulators each show on screen as such within two poll periods (plus the
// screen's display interval), and the driver recovers when the fault clears. A viewer can control nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base, type Page } from '@playwright/test';
import { runCli, startServe, type ServeProcess } from '../support/serve-process';

/** The HV poll period of every supply (the setup's 1 Hz default) and the table's redraw interval. */
const POLL_MS = 1000;
const DISPLAY_MS = 250;
/** Two poll periods, the redraw, and the time the browser needs to render under a loaded CI machine. */
const WITHIN = 2 * POLL_MS + DISPLAY_MS + 750;

const test = base.extend<{ server: ServeProcess; dir: string }>({
  dir: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-hv-'));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  server: async ({ dir }, use) => {
    const server = await startServe(dir, ['--sim', '--time-scale', '20']);
    await use(server);
    await server.stop();
  },
});

async function openHv(page: Page, server: ServeProcess, token = server.info.token) {
  await page.goto(`${server.info.url}/#token=${token}`);
  await page.getByTestId('nav-hv').click();
  for (const id of ['hv-iseg-0', 'hv-iseg-1', 'hv-iseg-2', 'hv-caen-0']) {
    await expect(page.getByTestId(`hv-supply-${id}`)).toHaveAttribute('data-state', 'online', { timeout: 15_000 });
  }
}

async function fault(dir: string, ...args: string[]): Promise<number> {
  const r = await runCli(['ctl', '--data', dir, 'sim', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return Date.now();
}

test('a trip, a stuck readback and a disconnect each show as such, and everything recovers', async ({ page, server, dir }) => {
  await openHv(page, server);

  // Trip: a breakdown on HCAL0-0-0 (CAEN BD 0 channel 0) trips it after its trip time.
  await page.getByTestId('hv-tab-HCAL').click();
  const hcal = page.getByTestId('hv-channel-HCAL0-0-0');
  await expect(hcal).toHaveAttribute('data-conditions', 'on');
  let t = await fault(dir, 'fault', 'hv-caen-0', 'trip', '0');
  await expect(hcal).toHaveAttribute('data-conditions', /trip/, { timeout: WITHIN });
  const tripMs = Date.now() - t;
  await expect(hcal.getByTestId('hv-state')).toContainText('TRIP');
  await page.screenshot({ path: test.info().outputPath('hv-trip.png') });
  await fault(dir, 'clear', 'hv-caen-0');
  // Recovery is the shifter's: select the channel, switch it on, confirm; the command is confirmed by readback.
  await hcal.getByRole('checkbox').check();
  await page.getByTestId('hv-on').click();
  await expect(page.getByTestId('hv-confirm')).toContainText('Switch on — HCAL0-0-0');
  await page.getByTestId('hv-confirm-yes').click();
  await expect(page.getByTestId('hv-commands').locator('li').first()).toContainText('1 confirmed', { timeout: 10_000 });
  await expect(hcal).toHaveAttribute('data-conditions', /^on/, { timeout: 10_000 });

  // Stuck readback on ECAL0-0-5 (hv-iseg-0 channel 5).
  await page.getByTestId('hv-tab-ECAL').click();
  const ecal = page.getByTestId('hv-channel-ECAL0-0-5');
  await expect(ecal).toHaveAttribute('data-staleness', 'fresh');
  t = await fault(dir, 'fault', 'hv-iseg-0', 'stuck-readback', '5');
  await expect(ecal).toHaveAttribute('data-staleness', 'readback-stuck', { timeout: WITHIN });
  const stuckMs = Date.now() - t;
  await expect(ecal.getByTestId('hv-state')).toContainText('READBACK STUCK');
  await fault(dir, 'clear', 'hv-iseg-0');
  await expect(ecal).toHaveAttribute('data-staleness', 'fresh', { timeout: 5000 });

  // Disconnect of the module feeding the second third of the ECAL.
  const supply = page.getByTestId('hv-supply-hv-iseg-1');
  const other = page.getByTestId('hv-channel-ECAL0-4-0');
  t = await fault(dir, 'fault', 'hv-iseg-1', 'disconnect');
  await expect(supply).toHaveAttribute('data-state', 'offline', { timeout: WITHIN });
  await expect(other).toHaveAttribute('data-staleness', 'supply-offline', { timeout: WITHIN });
  const disconnectMs = Date.now() - t;
  await expect(supply).toContainText('OFFLINE');
  await expect(other.getByTestId('hv-state')).toContainText('SUPPLY OFFLINE');
  await page.screenshot({ path: test.info().outputPath('hv-disconnect.png') });
  await fault(dir, 'clear', 'hv-iseg-1');
  await expect(supply).toHaveAttribute('data-state', 'online', { timeout: 15_000 });
  await expect(other).toHaveAttribute('data-staleness', 'fresh', { timeout: 5000 });
  test.info().annotations.push({ type: 'shown after (ms)', description: JSON.stringify({ tripMs, stuckMs, disconnectMs }) });
});

test('a viewer sees the HV but every control is disabled, and the HTTP API takes no writes', async ({ page, server, dir }) => {
  const add = await runCli(['ctl', '--data', dir, '--json', 'user', 'add', 'vic', '--role', 'viewer']);
  const token = JSON.parse(add.stdout).token as string;
  // A clean page logs no error (a reactive watch on the API client once sent a call named "catch").
  const problems: string[] = [];
  page.on('console', (m) => (m.type() === 'error' ? problems.push(m.text()) : undefined));
  page.on('pageerror', (e) => problems.push(String(e)));
  await openHv(page, server, token);
  await expect(page.getByTestId('hv-on')).toBeDisabled();
  await expect(page.getByTestId('hv-off')).toBeDisabled();
  await expect(page.getByTestId('hv-actions').getByRole('button', { name: /ramp up/ })).toBeDisabled();
  await expect(page.getByTestId('hv-actions')).toContainText('need the expert role; you are viewer');
  expect(problems).toEqual([]);
  const refused = await page.evaluate(async (t) => {
    const res = await fetch('/api/v1/hv', { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
    return res.status;
  }, token);
  expect(refused).toBe(405);
});
