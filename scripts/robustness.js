#!/usr/bin/env node
// `npm run robustness [-- --short] [-- NAME…]`: the standing robustness suite, test/robustness/NAME.robust.ts,
// in a fixed order (durability, fuzz, xss, faults, load). Each part builds on nothing but the built app, ends
// with one JSON line {"robustness": NAME, …, "ok": true|false} and exits non-zero when it failed. Every part
// runs even after one has failed, so a bad night shows all of its faults at once. `--short` is the form CI
// runs inside `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'test', 'robustness');
const ORDER = ['durability', 'fuzz', 'xss', 'faults', 'load'];
const all = ORDER.filter((name) => existsSync(join(dir, `${name}.robust.ts`)));
const args = process.argv.slice(2);
const short = args.includes('--short');
const wanted = args.filter((a) => a !== '--short');
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length) {
  console.error(`npm run robustness: unknown part ${unknown.join(', ')}; known: ${all.join(', ')}`);
  process.exit(2);
}
const failed = [];
for (const name of wanted.length ? wanted : all) {
  console.log(`\n━━ robustness ${name}${short ? ' (short)' : ''} ━━`);
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, `${name}.robust.ts`), ...(short ? ['--short'] : [])], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NA64RC_LOG_LEVEL: process.env.NA64RC_LOG_LEVEL ?? 'warn' },
  });
  console.log(`robustness ${name}: ${r.status === 0 ? 'ok' : `FAILED (exit ${r.status ?? r.signal})`} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (r.status !== 0) failed.push(name);
}
if (failed.length) {
  console.error(`\nnpm run robustness: ${failed.join(', ')} failed`);
  process.exit(1);
}
