// `na64rc replay` as a person runs it (the built command): a recorded file replayed headless into a data
// directory with its summary, and a file that is not DATE refused with why (exit 1, no run).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplayStatus } from '../../src-main/shared/api/replay';
import { runCli } from '../support/serve-process';

let dir: string;
// The built command (the node project's global setup builds it when a source is newer).
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-replay-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('na64rc replay', () => {
  it('replays a raw file headless and prints progress and a summary', { timeout: 180_000 }, async () => {
    const file = join(dir, 'cdr01001-000002.dat');
    expect((await runCli(['sim', '--spills', '2', '--seed', '3', '--out', file])).code).toBe(0);
    const data = join(dir, 'data');
    const lines = await runCli(['replay', file, '--data', data, '--workers', '1']);
    expect(lines.code, lines.stderr).toBe(0);
    expect(lines.stdout).toMatch(/replaying .*cdr01001-000002\.dat as run 1 \(speed max/);
    expect(lines.stdout).toMatch(/replay done: run 1 \(origin replay/);
    expect(lines.stdout).toMatch(/2 spills, [\d,]+ events in [\d.]+ s: [\d,]+ events\/s, \d+ s of data, speed-up [\d.]+× real time/);
    expect(lines.stdout).toMatch(/nothing skipped/);
    const json = await runCli(['replay', file, '--data', data, '--workers', '1', '--json']);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout.trim().split('\n').at(-1)!) as ReplayStatus;
    expect(status).toMatchObject({ state: 'done', run: 2, kind: 'replay', spills: 2 });
    expect(status.report!.unprocessedEvents).toBe(0);
  });

  it('refuses a file that is not DATE, and a bad speed', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello\n');
    const r = await runCli(['replay', text, '--data', join(dir, 'data2')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/notes\.txt is not a DATE raw file.*no run was made/);
    const s = await runCli(['replay', text, '--speed', 'fast', '--data', join(dir, 'data2')]);
    expect(s.code).not.toBe(0);
    expect(s.stderr).toMatch(/expected "max" or a number/);
  });
});
