#!/usr/bin/env node
// The na64rc command: runs the build of src-main/cli (made by `npm install` through `prepare`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (!existsSync(cli)) {
  console.error('na64rc: the application is not built yet; run `npm install` (or `npm run build`) in the project folder first');
  process.exit(1);
}
await import(cli);
