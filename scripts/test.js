#!/usr/bin/env node
// `npm test`: everything, in the order that fails fastest — build, type check, lint, unit + integration +
// browser tests (vitest), end-to-end tests (Playwright driving `na64rc serve` in Chromium), and the short form of
// the robustness suite (kill -9 durability, API fuzzing, XSS in the browser, the fault matrix, load).
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './chromium.js';
import { ensureCommand } from './debian-packages.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);

let chromium;
try {
  chromium = ensureChromium();
  ensureCommand('socat', 'socat', 'The hardware-path test drives a serial device through a real pty pair made by socat');
} catch (error) {
  console.error(`\nnpm test: ${error.message}`);
  process.exit(1);
}

// The static checks are single-threaded: they run side by side, each on its own core.
const checks = [
  ['type check (node)', bin('typescript', 'bin/tsc'), ['--noEmit', '-p', 'tsconfig.node.json']],
  ['type check (renderer)', bin('vue-tsc', 'bin/vue-tsc.js'), ['--noEmit', '-p', 'tsconfig.web.json']],
  ['lint', bin('eslint', 'bin/eslint.js'), ['--max-warnings', '0', '.']],
];

const steps = [
  ['build', bin('electron-vite', 'bin/electron-vite.js'), ['build']],
  ['type check and lint', checks],
  ['unit, integration and browser tests', bin('vitest', 'vitest.mjs'), ['run']],
  ['end-to-end tests', bin('@playwright/test', 'cli.js'), ['test']],
  // The standing robustness suite in its short form (`npm run robustness` runs it in full).
  ['robustness (short form)', join(root, 'scripts', 'robustness.js'), ['--short']],
];

const env = { ...process.env, CHROMIUM_PATH: chromium, NA64RC_LOG_LEVEL: process.env.NA64RC_LOG_LEVEL ?? 'warn' };

/** Run checks side by side; print each one's output whole when it ends; the first failure's name, or null. */
async function sideBySide(list) {
  const results = await Promise.all(
    list.map(
      ([name, script, args]) =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, [script, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
          let output = '';
          child.stdout.on('data', (d) => (output += d));
          child.stderr.on('data', (d) => (output += d));
          child.on('close', (code, signal) => {
            console.log(`── ${name}: ${code === 0 ? 'ok' : `failed (exit ${code ?? signal})`}${output.trim() ? `\n${output.trimEnd()}` : ''}`);
            resolve(code === 0 ? null : name);
          });
        }),
    ),
  );
  return results.find((r) => r !== null) ?? null;
}

const timings = [];
for (const [name, script, args] of steps) {
  console.log(`\n━━ ${name} ━━`);
  const started = Date.now();
  let failed = null;
  if (Array.isArray(script)) failed = await sideBySide(script);
  else {
    const result = spawnSync(process.execPath, [script, ...args], { cwd: root, stdio: 'inherit', env });
    if (result.status !== 0) failed = `exit ${result.status ?? result.signal}`;
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  timings.push(`${name}: ${seconds} s`);
  if (failed !== null) {
    console.error(`\nnpm test: ${name} failed (${failed}) after ${seconds} s`);
    process.exit(1);
  }
}
console.log(`\nnpm test: all passed\n  ${timings.join('\n  ')}`);
