// Two test projects: `node` (core, drivers, database, server, CLI, lint rule, Electron shell with electron
// mocked) and `browser` (renderer components and stores in real Chromium via Playwright).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
// @ts-expect-error plain JavaScript helper shared with the test runner script
import { CHROMIUM_ARGS, findChromium } from './scripts/chromium.js';

const alias = { '@shared': resolve(import.meta.dirname, 'src-main/shared') };
const chromium = (findChromium() as string | null) ?? '/usr/bin/chromium';

export default defineConfig({
  test: {
    // One more worker than cores (vitest's default is one fewer): the integration tests wait on real sockets,
    // child processes and the simulated SPS cycle more than they compute. On 2 cores, 3 workers kept 1.4
    // cores busy and ran the suite in 364 s; vitest's default there is one worker.
    maxWorkers: availableParallelism() + 1,
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/lint/**/*.test.ts'],
          globalSetup: ['test/support/build-once.ts'],
          // A guard against hangs, not a speed limit: with a worker more than cores, a test that waits on the
          // simulated SPS took up to 17 s here (2 cores), and a CI machine may be half as fast again.
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        plugins: [vue()],
        resolve: { alias },
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: { executablePath: chromium, args: CHROMIUM_ARGS } }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
