// The Devices view against the real server with its devices in processes of their own (a site file, no
// --sim): every device is listed with its address and identity; a simulator killed with SIGKILL turns its
// row OFFLINE (word, icon and the bad colour) with the reason, and ONLINE again when it is started on the
// same port; the device log shows both changes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base } from '@playwright/test';
import { startHardwareSite, type HardwareSite } from '../support/hardware-site';
import { startServe, type ServeProcess } from '../support/serve-process';

const test = base.extend<{ bench: { site: HardwareSite; server: ServeProcess } }>({
  bench: async ({}, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-devices-'));
    const site = await startHardwareSite(dir, { timeScale: 20, seed: 5, isegOnSerial: false });
    const server = await startServe(join(dir, 'data'), ['--site', site.file], 30_000);
    await use({ site, server });
    await server.stop();
    await site.stop();
    rmSync(dir, { recursive: true, force: true });
  },
});

test('every device is shown; a killed simulator goes offline on screen (word and colour) and comes back', async ({ page, bench }) => {
  const { site, server } = bench;
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto(`${server.info.url}/#token=${server.info.token}`);
  await page.keyboard.press('Alt+8');
  await expect(page.getByTestId('devices-view')).toBeVisible();
  const rows = page.getByTestId('device-row');
  await expect(rows).toHaveCount(3);
  for (const id of ['daq', 'hv-caen-0', 'hv-iseg-0']) {
    await expect(page.locator(`[data-testid="device-row"][data-device="${id}"]`)).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  }
  const caen = page.locator('[data-testid="device-row"][data-device="hv-caen-0"]');
  await expect(caen).toContainText(`tcp 127.0.0.1:${site.devices.get('hv-caen-0')!.port}`);
  await expect(caen.getByTestId('device-identity')).toContainText('N1470 (19 boards)');
  await expect(page.getByTestId('site-name')).toHaveText('hardware-path test bench');

  site.devices.get('hv-caen-0')!.kill();
  await expect(caen).toHaveAttribute('data-state', 'offline', { timeout: 5000 });
  const badge = caen.getByTestId('device-state');
  await expect(badge).toContainText('OFFLINE');
  await expect(badge).toContainText('✕');
  await expect(badge).toHaveClass(/\bbad\b/);
  await expect(caen.getByTestId('device-reason')).toContainText(/retrying in/);
  await page.screenshot({ path: test.info().outputPath('devices-offline.png') });

  await site.devices.get('hv-caen-0')!.restart();
  await expect(caen).toHaveAttribute('data-state', 'online', { timeout: 20_000 });
  await expect(caen.getByTestId('device-state')).toContainText('ONLINE');
  await expect(caen.getByTestId('device-state')).toHaveClass(/\bgood\b/);
  await expect(caen.getByTestId('device-reconnects')).toHaveText('1');
  await expect(page.locator('[data-testid="device-log-entry"][data-event="state"]').first()).toBeVisible();
  expect(problems).toEqual([]);
});
