#!/usr/bin/env node
// The na64rc command: runs the build of src-main/cli (made by `npm install` through `prepare`). A device
// simulator has a light entry of its own: `serve --sim` starts five of them at once.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = process.argv[2] === 'device-sim' ? 'device-sim.js' : 'cli.js';
const cli = fileURLToPath(new URL(`../out/main/${entry}`, import.meta.url));
if (!existsSync(cli)) {
  console.error('na64rc: the application is not built yet; run `npm install` (or `npm run build`) in the project folder first');
  process.exit(1);
}
await import(cli);
