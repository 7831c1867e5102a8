#!/usr/bin/env node
// `npm start`: the desktop window where the Electron binary is installed; otherwise one line saying so,
// then the same core headless (the simulated NA64, or `npm start -- --site FILE`), and the address to open.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (!existsSync(join(root, 'out', 'main', 'cli.js'))) {
  console.error('npm start: the application is not built; run `npm install` (or `npm run build`) first');
  process.exit(1);
}

let electron = null;
try {
  // The electron package exports the path of its binary, and throws when the binary was never downloaded.
  const path = require('electron');
  if (typeof path === 'string' && existsSync(path)) electron = path;
} catch {
  electron = null;
}

const passthrough = process.argv.slice(2);
const child = electron
  ? spawn(electron, [root, ...passthrough], { stdio: 'inherit' })
  : (console.log('Electron is not installed on this machine (its binary cannot be downloaded here): starting the headless server on the simulated NA64 instead.'),
    spawn(process.execPath, [join(root, 'bin', 'na64rc.js'), 'serve', ...(passthrough.includes('--site') ? [] : ['--sim']), ...passthrough], { stdio: 'inherit' }));

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
