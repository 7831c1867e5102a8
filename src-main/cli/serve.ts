// `na64rc serve`: the core headless, the renderer over HTTP, the API over WebSocket and HTTP.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AlarmDefinitionError } from '../alarms/definitions';
import { Core } from '../core/core';
import { createLogger } from '../log';
import { startServer } from '../server/http-server';
import { NoServerError, processAlive, readServerFile, removeServerFile, writeServerFile } from '../server/server-file';
import type { RunType } from '../shared/api/schemas';
import { VERSION } from '../version';
import { CliError } from './errors';
import { rendererDir } from './paths';

export interface ServeOptions {
  sim: boolean;
  setup: string;
  host: string;
  port: number;
  data: string;
  timeScale: number;
  seed: number;
  startRun?: RunType;
  workers?: number;
  logEditMinutes?: number;
  /** A JSON file with an array of extra alarm definitions. */
  alarms?: string;
  /** A JSON file of known per-cell gain factors for the twin ({"ECAL1-3-3": 1.12, …}): a calibration truth. */
  simGains?: string;
}

/** The twin's known per-cell gains from a file: an object of cell name → positive factor (at most 10,000). */
export function readSimGains(file: string): Map<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the simulated gains ${file}: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new CliError(`${file} must hold a JSON object of cell name → gain factor`);
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length > 10_000) throw new CliError(`${file} lists ${entries.length} cells; a setup has at most a few hundred`);
  const gains = new Map<string, number>();
  for (const [cell, g] of entries) {
    if (typeof g !== 'number' || !Number.isFinite(g) || g <= 0 || g > 100) throw new CliError(`${file}: the gain of ${cell.slice(0, 40)} must be a number above 0 (and at most 100)`);
    gains.set(cell, g);
  }
  return gains;
}

function readAlarmFile(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read the alarm definitions ${file}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed)) throw new CliError(`${file} must hold a JSON array of alarm definitions`);
  return parsed;
}

export interface Served {
  url: string;
  token: string;
  stop(reason?: string): Promise<void>;
}

export async function serve(options: ServeOptions, print: (line: string) => void = console.log): Promise<Served> {
  const dataDir = resolve(options.data);
  mkdirSync(dataDir, { recursive: true });
  try {
    const other = readServerFile(dataDir);
    if (other.pid !== process.pid && processAlive(other.pid)) {
      throw new CliError(
        `another NA64 Run Control server (pid ${other.pid}) is already serving ${dataDir} at ${other.url}; ` +
          'stop it first or choose another --data directory',
      );
    }
  } catch (error) {
    if (!(error instanceof NoServerError)) throw error;
  }

  const extraAlarms = options.alarms ? readAlarmFile(options.alarms) : [];
  const simCellGains = options.simGains ? readSimGains(options.simGains) : undefined;
  const log = createLogger({ file: join(dataDir, 'na64rc.log') });
  // No hardware configuration exists yet, so every start is the built-in simulation; --sim makes it explicit.
  let core: Core;
  try {
    core = await Core.open({
      dataDir,
      setup: options.setup,
      timeScale: options.timeScale,
      seed: options.seed,
      log,
      extraAlarms,
      ...(simCellGains ? { simCellGains } : {}),
      ...(options.workers ? { monitorWorkers: options.workers } : {}),
      ...(options.logEditMinutes !== undefined ? { logbookEditWindowMs: options.logEditMinutes * 60_000 } : {}),
    });
  } catch (error) {
    if (error instanceof AlarmDefinitionError) throw new CliError(error.message);
    if (error instanceof RangeError && simCellGains) throw new CliError(`${options.simGains}: ${error.message}`);
    throw error;
  }
  const token = core.startToken;
  const ui = rendererDir();
  let server;
  try {
    server = await startServer(core, { host: options.host, port: options.port, rendererDir: ui, log });
  } catch (error) {
    await core.close('the server could not start');
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${options.port} on ${options.host} is in use; choose another with --port`);
    if (code === 'EADDRNOTAVAIL') throw new CliError(`cannot listen on ${options.host}: no such local address`);
    throw error;
  }
  writeServerFile(dataDir, {
    url: server.url,
    port: server.port,
    pid: process.pid,
    token,
    version: VERSION,
    startedAt: Date.now(),
    dataDir,
    setup: core.setup.name,
    simulation: true,
  });
  log.info({ url: server.url, dataDir, setup: core.setup.name, timeScale: options.timeScale }, 'serving');

  print(`NA64 Run Control ${VERSION}: simulated NA64 (${options.sim ? '--sim' : 'no hardware configured'}), setup ${core.setup.name}, time ×${options.timeScale}`);
  print(`  open  ${server.url}/#token=${token}`);
  print(`  data  ${dataDir}`);
  if (!existsSync(join(ui, 'index.html'))) print('  note  the renderer is not built (npm run build): the API works, the UI does not');

  if (options.startRun) await core.runControl.start(options.startRun, 'started with --start-run');

  let stopping: Promise<void> | null = null;
  const stop = (reason = 'the server was shut down') =>
    (stopping ??= (async () => {
      await server.close();
      await core.close(reason);
      removeServerFile(dataDir);
    })());
  return { url: server.url, token, stop };
}
