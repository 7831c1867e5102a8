// Start the real `na64rc serve` (the built CLI, bin/na64rc.js) in a child process for integration and
// end-to-end tests, and wait for its server.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'na64rc.js');

export interface ServerInfo {
  url: string;
  port: number;
  pid: number;
  token: string;
  dataDir: string;
}

export interface ServeProcess {
  info: ServerInfo;
  child: ChildProcess;
  output: () => string;
  /** Milliseconds from spawn until server.json appeared and the server answered. */
  startupMs: number;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(dataDir: string, args: string[] = [], timeoutMs = 15_000): Promise<ServeProcess> {
  const started = Date.now();
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, NA64RC_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const file = join(dataDir, 'server.json');
  for (;;) {
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`na64rc serve did not start within ${timeoutMs} ms:\n${output}`);
    }
    if (child.exitCode !== null) throw new Error(`na64rc serve exited with ${child.exitCode}:\n${output}`);
    if (existsSync(file)) {
      const info = JSON.parse(readFileSync(file, 'utf8')) as ServerInfo;
      if (info.pid === child.pid) {
        const res = await fetch(`${info.url}/healthz`).catch(() => null);
        if (res?.ok) {
          const startupMs = Date.now() - started;
          // `--start-run` starts its run through the run's participants (the DAQ stream, the first HV reading),
          // a moment after the server answers: the tests that ask for it begin once that run is on.
          if (args.includes('--start-run')) {
            for (;;) {
              if (Date.now() - started > timeoutMs) {
                child.kill('SIGKILL');
                throw new Error(`na64rc serve --start-run had no run on within ${timeoutMs} ms:\n${output}`);
              }
              const status = await fetch(`${info.url}/api/v1/status`, { headers: { Authorization: `Bearer ${info.token}` } }).catch(() => null);
              const body = status?.ok ? ((await status.json()) as { run?: { current?: unknown } }) : null;
              if (body?.run?.current) break;
              await new Promise((r) => setTimeout(r, 100));
            }
          }
          return {
            info,
            child,
            output: () => output,
            startupMs,
            stop: async (signal = 'SIGTERM') => {
              if (child.exitCode === null) child.kill(signal);
              return exited;
            },
          };
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A personal token for `name` with `role`, made as an admin would (`na64rc ctl user add`) on the server of `dataDir`. */
export async function userToken(dataDir: string, name: string, role: string): Promise<string> {
  const r = await runCli(['ctl', '--data', dataDir, '--json', 'user', 'add', name, '--role', role]);
  if (r.code !== 0) throw new Error(`ctl user add ${name} failed: ${r.stderr}`);
  return JSON.parse(r.stdout).token as string;
}

export async function api<T = unknown>(info: ServerInfo, path: string, token = info.token): Promise<{ status: number; body: T }> {
  const res = await fetch(`${info.url}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

/**
 * `api`, waiting out the server's back-pressure: a 429 (too many requests) or a 503 BUSY (the live data
 * first) says "retry in N s", and a client that watches the server as a shifter's screen would does so.
 */
export async function apiAdmitted<T = unknown>(info: ServerInfo, path: string, timeoutMs = 15_000): Promise<{ status: number; body: T }> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${info.url}${path}`, { headers: { Authorization: `Bearer ${info.token}` } });
    const text = await res.text();
    if ((res.status !== 429 && res.status !== 503) || Date.now() > until) return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    const seconds = Number(res.headers.get('retry-after'));
    await new Promise((r) => setTimeout(r, Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 2000) : 500));
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
