// Alarms as a shifter meets them: the beam is lost, the banner says what to do and it sounds; the shifter
// acknowledges from the keyboard with a comment; the beam returns; the history shows it all. And a flood of
// 500 alarms in one second is announced once and leaves the screen responsive.
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test as base } from '@playwright/test';
// @ts-expect-error plain JavaScript helper
import { CHROMIUM_ARGS, findChromium } from '../../scripts/chromium.js';
import { api, runCli, startServe, type ServeProcess } from '../support/serve-process';

const test = base.extend<{ extraArgs: string[]; timeScale: number; dir: string; server: ServeProcess }>({
  extraArgs: [[], { option: true }],
  timeScale: [20, { option: true }],
  dir: async ({}, use, testInfo) => {
    const dir = mkdtempSync(join(tmpdir(), 'na64rc-e2e-alarms-'));
    await use(dir);
    // A failed run keeps the server's log and database: an alarm that should not have been raised says why in them.
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const file of ['na64rc.log', 'na64rc.sqlite']) if (existsSync(join(dir, file))) copyFileSync(join(dir, file), testInfo.outputPath(file));
    }
    rmSync(dir, { recursive: true, force: true });
  },
  server: async ({ dir, extraArgs, timeScale }, use) => {
    // ×20: at ×40 a 2-core machine running Chromium cannot simulate every spill in time with full reconstruction,
    // and the late spills raise the no-spill alarm on their own.
    const server = await startServe(dir, ['--sim', '--time-scale', String(timeScale), '--start-run', 'physics', ...extraArgs]);
    await use(server);
    await server.stop();
  },
});

// Alarm sounds need no click in this browser (as in the desktop window).
test.use({
  launchOptions: {
    executablePath: (findChromium() as string | null) ?? '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--autoplay-policy=no-user-gesture-required'],
  },
});

/**
 * As a shifter taking over: wait until the run has three spills, then acknowledge what the start-up raised.
 * On a loaded 2-core machine the start (eight simulators, the workers, Chromium) can stall the core or miss
 * the first end-of-burst read; those alarms are real, but not the one under test.
 */
async function acknowledgeStartUp(server: ServeProcess, dir: string): Promise<void> {
  await expect.poll(async () => (await api<unknown[]>(server.info, '/api/v1/runs/1/spills')).body.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
  const { body: current } = await api<{ id: string; state: string }[]>(server.info, '/api/v1/alarms');
  const raised = current.filter((a) => a.state === 'unack' || a.state === 'rtn-unack').map((a) => a.id);
  if (raised.length) expect((await runCli(['ctl', '--data', dir, 'alarm', 'ack', ...raised, '--comment', 'start-up, seen'])).code).toBe(0);
}

test.describe('the beam', () => {
  // ×10: at ×20 a 2-core machine running Chromium polled the timing late (event loop 0.5 s behind at start-up),
  // one end-of-burst read held two spills and the next none, and the cross-check rightly raised its own alarm.
  test.use({ timeScale: 10 });

  test('beam lost: the alarm shows with guidance and sound, is acknowledged with a comment, returns to normal, and is logged', async ({ page, server, dir }) => {
    await page.goto(`${server.info.url}/#token=${server.info.token}`);
    await expect(page.getByTestId('connection')).toContainText('CONNECTED');
    await acknowledgeStartUp(server, dir);
    await expect(page.getByTestId('alarm-banner')).toHaveCount(0);

    expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'beam-off'])).code).toBe(0);
    const banner = page.getByTestId('alarm-banner');
    await expect(banner).toBeVisible({ timeout: 15_000 });
    await expect(banner).toContainText('No spill from the SPS');
    await expect(banner).toContainText('call the CCC');
    await expect(page.getByTestId('last-announcement')).toContainText('No spill from the SPS');
    await expect(page.getByTestId('alarm-sound-note')).toHaveCount(0);
    // The count is every unacknowledged alarm: a spill cut short by the beam loss can also be a bad spill.
    const unacknowledged = async () => (await api<{ state: string }[]>(server.info, '/api/v1/alarms')).body.filter((a) => a.state === 'unack' || a.state === 'rtn-unack').length;
    await expect.poll(async () => (await page.getByTestId('nav-alarm-count').textContent()) === String(await unacknowledged())).toBe(true);
    await page.screenshot({ path: test.info().outputPath('alarm-banner.png') });

    // It escalates to high after 5 SPS cycles without a spill (8.4 s at ×10): acknowledge it then.
    await expect(banner).toContainText('HIGH', { timeout: 15_000 });
    // Alt+K acknowledges the banner's alarm, asking for a comment.
    await page.keyboard.press('Alt+K');
    await page.getByTestId('reason-text').fill('SPS down after a magnet trip, CCC informed');
    await page.keyboard.press('Enter');
    await expect(page.locator('[data-testid="alarm-banner"][data-alarm="daq.no-spill"]')).toHaveCount(0);
    await page.getByTestId('nav-alarms').click();
    const row = page.getByTestId('alarm-table').locator('[data-alarm="daq.no-spill"]');
    await expect(row).toHaveAttribute('data-state', 'ack');

    expect((await runCli(['ctl', '--data', dir, 'sim', 'clear', 'daq'])).code).toBe(0);
    await expect(row).toHaveCount(0, { timeout: 15_000 });

    await page.getByTestId('alarm-tab-history').click();
    const history = page.getByTestId('alarm-history');
    // On a loaded machine the simulated DAQ can send a spill more than two cycles late before the fault
    // (measured: 0.79 of 1.19 spills/s idle), a genuine short no-spill episode of its own: look for this one's rows.
    const noSpill = (kind: string) => history.locator(`tr[data-kind="${kind}"]`).filter({ hasText: 'daq.no-spill' });
    await expect(noSpill('cleared').filter({ hasText: 'ack → normal' })).toHaveCount(1);
    await expect(noSpill('acknowledged').filter({ hasText: 'SPS down after a magnet trip, CCC informed' })).toHaveCount(1);
    // Activated from normal: to unack, or to suppressed where the loaded machine's timing read the SPS as off then.
    await expect(history.locator('tr[data-kind="activated"]').filter({ hasText: /normal → (unack|suppressed)/ }).first()).toBeVisible();
    await page.screenshot({ path: test.info().outputPath('alarm-history.png') });

    // The shift's figures: the acknowledgement's delay is counted; nothing stands once the beam is back.
    await page.getByTestId('alarm-tab-figures').click();
    await expect(page.getByTestId('alarm-kpi-ack')).toContainText(/median \d/);
    await expect(page.getByTestId('alarm-kpi-standing')).not.toContainText('daq.no-spill');
    await page.screenshot({ path: test.info().outputPath('alarm-figures.png') });
  });
});

test.describe('a flood', () => {
  // 500 alarms that all follow the same root cause (as when a crate interlock trips every channel).
  const flood = Array.from({ length: 500 }, (_, i) => ({
    id: `flood.${String(i).padStart(3, '0')}`,
    name: `Flood test alarm ${i}`,
    group: 'daq',
    input: 'daq:cycles-without-spill',
    condition: { kind: 'above', levels: [{ priority: i === 250 ? 'high' : 'medium', set: 1 }] },
    guidance: { cause: 'test flood', consequence: 'none', action: 'acknowledge all' },
  }));
  const file = join(tmpdir(), `na64rc-flood-${process.pid}.json`);
  writeFileSync(file, JSON.stringify(flood));
  // ×5: what is measured is the page drawing 500 alarms, not a 2-core machine shared with a simulation at ×20.
  test.use({ extraArgs: ['--alarms', file], timeScale: 5 });

  test('500 alarms at once are announced once, summarised, and the screen stays responsive', async ({ page, server, dir }) => {
    await page.goto(`${server.info.url}/#token=${server.info.token}`);
    await expect(page.getByTestId('connection')).toContainText('CONNECTED');
    await page.getByTestId('nav-alarms').click();
    // Record frame times from now on.
    await page.evaluate(() => {
      // Runs in the page (this file is type-checked without the DOM library).
      const w = globalThis as unknown as { frames_: number[]; requestAnimationFrame(cb: (t: number) => void): number };
      w.frames_ = [];
      let last = performance.now();
      const loop = (t: number) => {
        w.frames_.push(t - last);
        last = t;
        w.requestAnimationFrame(loop);
      };
      w.requestAnimationFrame(loop);
    });
    expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'daq', 'beam-off'])).code).toBe(0);
    // The flood, and the no-spill alarm and the counters' disagreement with the DAQ (the beam counters still
    // count the beam the DAQ lost) as they come on their own.
    await expect(page.getByTestId('nav-alarm-count')).toHaveText(/^50[012]$/, { timeout: 15_000 });
    await expect(page.getByTestId('alarm-more')).toContainText(/\+(499|500|501) more unacknowledged/);
    const heard = page.getByTestId('last-announcement');
    await expect(heard).toContainText(/and (499|500|501) more/);
    // One announcement for the flood (plus at most those two on their own).
    expect(Number(await heard.getAttribute('data-count'))).toBeLessThanOrEqual(3);
    await page.waitForTimeout(1500);
    const frames = await page.evaluate(() => (globalThis as unknown as { frames_: number[] }).frames_);
    frames.sort((a, b) => a - b);
    const p95 = frames[Math.floor(frames.length * 0.95)]!;
    const worst = frames.at(-1)!;
    test.info().annotations.push({ type: 'frame times', description: `${frames.length} frames, p95 ${p95.toFixed(1)} ms, worst ${worst.toFixed(1)} ms` });
    // Responsive: frames keep coming (60 Hz is 17 ms); one long frame while 500 rows are first drawn is allowed.
    expect(frames.length).toBeGreaterThan(60);
    expect(p95).toBeLessThan(100);
    expect(worst).toBeLessThan(1500);
    await page.screenshot({ path: test.info().outputPath('alarm-flood.png') });

    // Acknowledge all in one action.
    await page.getByTestId('ack-all').click();
    await page.getByTestId('reason-text').fill('flood from the beam loss');
    await page.getByTestId('reason-confirm').click();
    await expect(page.getByTestId('nav-alarm-count')).toHaveCount(0, { timeout: 10_000 });
  });
});

// An LED run: its data-quality and beam alarms are suppressed by design, so the banner and the sound are the
// trip's own (in a physics run the dead HCAL cell raises the data-quality alarms right after it).
test.describe('in an LED run', () => {
  test.use({ extraArgs: ['--start-run', 'led'] });

  test('an HV trip raises its alarm with sound and guidance; acknowledged with a comment; the channel back on clears it; the log shows it all', async ({ page, server, dir }) => {
    await page.goto(`${server.info.url}/#token=${server.info.token}`);
    await expect(page.getByTestId('connection')).toContainText('CONNECTED');
    await page.getByTestId('nav-hv').click();
    await expect(page.getByTestId('hv-supply-hv-caen-0')).toHaveAttribute('data-state', 'online', { timeout: 15_000 });
    // No HV alarm before the trip (a loaded machine's beam-line alarm may come on its own: not this test's).
    const hvBanner = page.locator('[data-testid="alarm-banner"][data-alarm^="hv."]');
    await expect(hvBanner).toHaveCount(0);

    // A breakdown on HCAL0-0-0 (CAEN board 0, channel 0) trips it.
    expect((await runCli(['ctl', '--data', dir, 'sim', 'fault', 'hv-caen-0', 'trip', '0'])).code).toBe(0);
    const banner = page.getByTestId('alarm-banner');
    await expect(banner).toHaveAttribute('data-alarm', 'hv.trip:HCAL0-0-0', { timeout: 15_000 });
    await expect(banner).toContainText('HIGH');
    await expect(banner).toContainText('clear the trip and switch the channel on');
    await expect(page.getByTestId('last-announcement')).toContainText('high: HV trip HCAL0-0-0');
    await page.screenshot({ path: test.info().outputPath('hv-trip-alarm.png') });

    await page.getByTestId('banner-ack').click();
    await page.getByTestId('reason-text').fill('HCAL0-0-0 tripped during the spill, switching it back on');
    await page.getByTestId('reason-confirm').click();
    await expect(hvBanner).toHaveCount(0);

    // The shifter clears the trip and switches the channel back on from the HV view.
    expect((await runCli(['ctl', '--data', dir, 'sim', 'clear', 'hv-caen-0'])).code).toBe(0);
    await page.getByTestId('hv-tab-HCAL').click();
    const channel = page.getByTestId('hv-channel-HCAL0-0-0');
    await channel.getByRole('checkbox').check();
    await page.getByTestId('hv-on').click();
    await page.getByTestId('hv-confirm-yes').click();
    await expect(channel).toHaveAttribute('data-conditions', /^on/, { timeout: 15_000 });

    await page.getByTestId('nav-alarms').click();
    await expect(page.getByTestId('alarm-table').locator('[data-alarm="hv.trip:HCAL0-0-0"]')).toHaveCount(0, { timeout: 10_000 });
    await page.getByTestId('alarm-tab-history').click();
    const history = page.getByTestId('alarm-history');
    const rows = history.locator('tr', { hasText: 'hv.trip:HCAL0-0-0' });
    await expect(rows.filter({ hasText: 'activated' })).toContainText('normal → unack');
    await expect(rows.filter({ hasText: 'acknowledged' })).toContainText('switching it back on');
    await expect(rows.filter({ hasText: 'cleared' })).toContainText('ack → normal');
    await page.screenshot({ path: test.info().outputPath('hv-trip-history.png') });
  });
});
