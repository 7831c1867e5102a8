// `na64rc serve`: the core headless, the renderer over HTTP, the API over WebSocket and HTTP. The devices
// come from a site file (`--site`); without one (or with `--sim`) the simulated NA64's devices are started
// as processes of their own and their site is written into the data directory: the same code runs either way.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Core } from '../core/core';
import { loadSiteFile, SiteError, type LoadedSite } from '../devices/site-file';
import { createLogger } from '../log';
import { tightenDataDir } from '../security/private-files';
import { NoServerError, processAlive, readServerFile, removeServerFile, writeServerFile } from '../server/server-file';
import type { RunType } from '../shared/api/schemas';
import { VERSION } from '../version';
import { CliError } from './errors';
import { rendererDir } from './paths';
import { setupOf } from './setup-of';
import { resolveSignalRate } from './simulators/signal-rate';
import { startSimulatedSite, type SimulatedSite } from './simulators/simulated-site';

export interface ServeOptions {
  /** A site file: the setup and every device (hardware or simulators). Without one, the simulated NA64. */
  site?: string;
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
  /** Simulation: a JSON file of known per-cell gain factors for the twin ({"ECAL1-3-3": 1.12, …}): a calibration truth. */
  simGains?: string;
  /** Simulation: A′ → invisible events injected per electron on target. */
  simSignal?: number;
  /** Simulation: the injected A′'s mass, MeV. */
  simSignalMass?: number;
  simSignalMeson?: 'pion' | 'kaon';
  /** Simulation: the coupling (ε; the muon's g) whose rate the yield model gives, instead of `simSignal`. */
  simSignalEpsilon?: number;
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

const SERVE_FLAGS = { rate: '--sim-signal', epsilon: '--sim-signal-epsilon' };

export interface Served {
  url: string;
  token: string;
  stop(reason?: string): Promise<void>;
}

export async function serve(options: ServeOptions, print: (line: string) => void = console.log): Promise<Served> {
  const dataDir = resolve(options.data);
  const tightened = tightenDataDir(dataDir);
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

  if (options.site && options.sim) throw new CliError('--site and --sim exclude each other: a site file names its devices, --sim starts the simulated ones');
  if (options.site && options.simGains) throw new CliError('--sim-gains sets the simulated twin; with --site the devices are whatever the site file names');
  if (options.site && (options.simSignal || options.simSignalMass || options.simSignalMeson || options.simSignalEpsilon)) throw new CliError('--sim-signal sets the simulated twin; with --site the devices are whatever the site file names');
  const coupled = options.simSignalEpsilon === undefined ? null : resolveSignalRate(setupOf(options.setup), { ...(options.simSignal !== undefined ? { rate: options.simSignal } : {}), epsilon: options.simSignalEpsilon, ...(options.simSignalMass ? { massMeV: options.simSignalMass } : {}) }, SERVE_FLAGS);
  const simSignal = coupled ? coupled.rate : options.simSignal;
  const extraAlarms = options.alarms ? readAlarmFile(options.alarms) : [];
  const log = createLogger({ file: join(dataDir, 'na64rc.log') });
  if (tightened.length) log.warn({ dataDir, changed: tightened }, 'the data directory was open to other users; made owner-only');
  let simulated: SimulatedSite | null = null;
  let site: LoadedSite;
  // The core and the server are loaded while the simulators start (their own processes).
  const modules = Promise.all([import('../core/core'), import('../server/http-server'), import('../alarms/definitions')]);
  modules.catch(() => undefined);
  try {
    if (options.site) site = loadSiteFile(options.site);
    else {
      simulated = await startSimulatedSite({
        setup: options.setup,
        dataDir,
        seed: options.seed,
        timeScale: options.timeScale,
        log,
        ...(options.simGains ? { simGains: resolve(options.simGains) } : {}),
        ...(simSignal ? { simSignal } : {}),
        ...(options.simSignalMass ? { simSignalMass: options.simSignalMass } : {}),
        ...(options.simSignalMeson ? { simSignalMeson: options.simSignalMeson } : {}),
      });
      site = loadSiteFile(simulated.file);
    }
  } catch (error) {
    await simulated?.stop();
    if (error instanceof SiteError) throw new CliError(error.message);
    throw error;
  }
  const [{ Core }, { startServer }, { AlarmDefinitionError }] = await modules;
  let core: Core;
  try {
    core = await Core.open({
      dataDir,
      site,
      log,
      extraAlarms,
      ...(options.workers ? { monitorWorkers: options.workers } : {}),
      ...(options.logEditMinutes !== undefined ? { logbookEditWindowMs: options.logEditMinutes * 60_000 } : {}),
    });
  } catch (error) {
    await simulated?.stop();
    if (error instanceof AlarmDefinitionError) throw new CliError(error.message);
    throw error;
  }
  const token = core.startToken;
  const ui = rendererDir();
  let server;
  try {
    server = await startServer(core, { host: options.host, port: options.port, rendererDir: ui, log });
  } catch (error) {
    await core.close('the server could not start');
    await simulated?.stop();
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
    site: site.file,
    simulation: site.simulation !== null,
  });
  log.info({ url: server.url, dataDir, site: site.file, setup: core.setup.name }, 'serving');

  const what = simulated
    ? `simulated NA64 (${options.sim ? '--sim' : 'no site file given'}), setup ${core.setup.name}, time ×${options.timeScale}`
    : `site "${site.name}" (${site.devices.length} devices), setup ${core.setup.name}`;
  print(`NA64 Run Control ${VERSION}: ${what}`);
  print(`  open  ${server.url}/#token=${token}`);
  print(`  data  ${dataDir}`);
  print(`  site  ${site.file}`);
  if (coupled) print(`  signal  ${coupled.describe}`);
  if (!existsSync(join(ui, 'index.html'))) print('  note  the renderer is not built (npm run build): the API works, the UI does not');

  if (options.startRun) await core.runControl.start(options.startRun, 'started with --start-run');

  let stopping: Promise<void> | null = null;
  const stop = (reason = 'the server was shut down') =>
    (stopping ??= (async () => {
      await server.close();
      await core.close(reason);
      await simulated?.stop();
      removeServerFile(dataDir);
    })());
  return { url: server.url, token, stop };
}
