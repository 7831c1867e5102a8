// End-to-end tests: the real `na64rc serve` (built CLI, simulated NA64) driven in Debian's Chromium.
import { availableParallelism } from 'node:os';
import { defineConfig } from '@playwright/test';
// @ts-expect-error plain JavaScript helper shared with the test runner script
import { CHROMIUM_ARGS, findChromium } from './scripts/chromium.js';

export default defineConfig({
  testDir: 'test/e2e',
  globalSetup: './test/support/build-once.ts',
  outputDir: 'test-results/e2e',
  fullyParallel: false,
  // Each test has its own `na64rc serve` (own data directory, port 0) and browser: two run side by side even
  // on 2 cores (the 27 tests took 157 s with two workers), as much of their time is the simulated SPS cycle.
  workers: Math.max(2, Math.ceil(availableParallelism() / 2)),
  retries: 0,
  timeout: 60_000,
  reporter: [['list']],
  use: {
    viewport: { width: 1500, height: 950 },
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: (findChromium() as string | null) ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
  },
});
