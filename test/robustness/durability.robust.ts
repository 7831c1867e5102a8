// Robustness, durability: `na64rc serve --sim` is killed with SIGKILL (the whole process group: the app and
// its simulators, as a power cut would) while it writes logbook entries for a client and spills of a run, and
// started again on the same data. After every kill the SQLite file must pass `PRAGMA integrity_check` and hold
// every write the app had acknowledged: each logbook entry whose `write` answered, each spill that the live
// stream announced (the live event follows the spill's commit). Full: 20 kills; short: 3.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connect, type Connection } from '../../src-main/api/node-client';
import { robustnessPart, SHORT } from '../support/robustness';
import { BIN, ROOT, type ServerInfo } from '../support/serve-process';
import { promptsFor } from '../support/prompts';

const KILLS = SHORT ? 3 : 20;
const WRITERS = 4;

interface Acknowledged {
  entries: Map<number, string>;
  spills: Set<string>;
}

async function start(dataDir: string): Promise<{ child: ChildProcess; info: ServerInfo; output: () => string }> {
  rmSync(join(dataDir, 'server.json'), { force: true });
  // Its own process group, so one kill reaches the app and every simulator it started.
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', '0', '--sim', '--time-scale', '20'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NA64RC_LOG_LEVEL: 'warn' },
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const until = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode} on restart:\n${output.slice(-2000)}`);
    if (Date.now() > until) throw new Error(`serve did not start within 60 s:\n${output.slice(-2000)}`);
    const file = join(dataDir, 'server.json');
    if (existsSync(file)) {
      const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
      if (info.pid === child.pid && (await fetch(`${info.url}/healthz`).catch(() => null))?.ok) return { child, info, output: () => output };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes until the connection dies; every answered write is recorded as acknowledged. */
async function writeEntries(connection: Connection, kill: number, writer: number, acknowledged: Acknowledged, stop: { now: boolean }): Promise<number> {
  let written = 0;
  for (let i = 0; !stop.now; i++) {
    const title = `durability kill ${kill} writer ${writer} entry ${i}`;
    try {
      const entry = await connection.api.logbook.write({ title, body: `body of ${title}\n`.repeat(1 + (i % 7)), tags: ['durability'] });
      acknowledged.entries.set(entry.id, title);
      written += 1;
      // A busy control room, not a flood: back-pressure (not this part's subject) would refuse a flood.
      await new Promise((r) => setTimeout(r, 5));
    } catch {
      return written; // the server died mid-write: this one was never acknowledged
    }
  }
  return written;
}

async function followSpills(connection: Connection, acknowledged: Acknowledged): Promise<void> {
  try {
    for await (const event of await connection.api.live()) {
      if (event.type === 'spill') acknowledged.spills.add(`${event.summary.run}/${event.summary.spill}`);
    }
  } catch {
    // the server died
  }
}

async function startRun(connection: Connection): Promise<void> {
  const status = await connection.api.status();
  if (status.run.state === 'running') return;
  await connection.api.run.start({ type: 'physics', comment: 'robustness: durability under kill -9', prompts: promptsFor('physics') });
}

function check(dataDir: string, acknowledged: Acknowledged): { integrity: string; missingEntries: number; missingSpills: number; wrongTitles: number } {
  const db = new Database(join(dataDir, 'na64rc.sqlite'), { fileMustExist: true });
  try {
    const integrity = (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
    const titles = new Map((db.prepare('SELECT id, title FROM logbook_entries').all() as { id: number; title: string }[]).map((r) => [r.id, r.title]));
    const spills = new Set((db.prepare('SELECT run, spill FROM spills').all() as { run: number; spill: number }[]).map((r) => `${r.run}/${r.spill}`));
    let missingEntries = 0;
    let wrongTitles = 0;
    for (const [id, title] of acknowledged.entries) {
      const stored = titles.get(id);
      if (stored === undefined) missingEntries += 1;
      else if (stored !== title) wrongTitles += 1;
    }
    const missingSpills = [...acknowledged.spills].filter((s) => !spills.has(s)).length;
    return { integrity, missingEntries, missingSpills, wrongTitles };
  } finally {
    db.close();
  }
}

await robustnessPart('durability', async (dataDir) => {
  const acknowledged: Acknowledged = { entries: new Map(), spills: new Set() };
  const problems: string[] = [];
  const restartMs: number[] = [];
  for (let kill = 1; kill <= KILLS; kill++) {
    const t0 = Date.now();
    const { child, info, output } = await start(dataDir);
    restartMs.push(Date.now() - t0);
    const connections = await Promise.all(Array.from({ length: WRITERS + 1 }, () => connect(info.url, info.token)));
    const [control, ...writers] = connections;
    await startRun(control!);
    void followSpills(control!, acknowledged);
    const stop = { now: false };
    const writing = writers.map((c, w) => writeEntries(c, kill, w, acknowledged, stop));
    // Die at a different moment each time, 0.3–2.3 s after the run's first stored spill: spills and entries are
    // being written then.
    const firstSpill = acknowledged.spills.size;
    const until = Date.now() + 20_000;
    while (acknowledged.spills.size === firstSpill && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300 + ((kill * 7919) % 2000)));
    process.kill(-child.pid!, 'SIGKILL');
    stop.now = true;
    await Promise.all(writing);
    for (const c of connections) c.close();
    await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const result = check(dataDir, acknowledged);
    if (result.integrity !== 'ok' || result.missingEntries || result.missingSpills || result.wrongTitles) {
      problems.push(`kill ${kill}: ${JSON.stringify(result)}; server output: ${output().slice(-500)}`);
    }
  }
  // The data must also open in the app after the last kill.
  const last = await start(dataDir);
  process.kill(-last.child.pid!, 'SIGKILL');
  restartMs.sort((a, b) => a - b);
  return {
    ok: problems.length === 0 && acknowledged.entries.size > 0 && acknowledged.spills.size > 0,
    kills: KILLS,
    acknowledgedEntries: acknowledged.entries.size,
    acknowledgedSpills: acknowledged.spills.size,
    lost: problems.length,
    restartMsMedian: restartMs[Math.floor(restartMs.length / 2)],
    problems: problems.slice(0, 5),
  };
});
