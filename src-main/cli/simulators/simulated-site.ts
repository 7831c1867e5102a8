// `serve --sim`: the simulated NA64 as a site like any other. Every device of the setup's simulated site
// (sites/simulated.json, sites/simulated-<setup>.json) is started as its own process (`na64rc device-sim`)
// on free loopback ports, all at once, the HV simulators linking their voltages to the DAQ simulator's
// twin; then the equivalent site, with those ports, is written into the data directory, and the server
// runs exactly the code it runs on hardware. The simulators end with the server (or when it dies: each
// one exits when its stdin closes).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../../../setups/load';
import type { SiteInput } from '../../devices/site-schema';
import type { Logger } from '../../log';
import { CliError } from '../errors';

export interface SimulatedSiteOptions {
  setup: string;
  dataDir: string;
  seed: number;
  timeScale: number;
  /** Known per-cell gains of the twin (a JSON file), handed to the DAQ simulator. */
  simGains?: string;
  log: Logger;
}

export interface SimulatedSite {
  /** The site file written into the data directory. */
  file: string;
  /** The simulator processes, by device id. */
  processes: ReadonlyMap<string, ChildProcess>;
  stop(): Promise<void>;
}

/** How long one simulator may take to open its ports. */
const START_TIMEOUT_MS = 30_000;
/** The SPS cycle the twin runs (sps-cycle.ts), for the DAQ entry's beam display at the chosen time scale. */
const SPS_CYCLE = { spillMs: 4800, cycleMs: 16_800 };

export function simulatedSiteTemplate(setup: string): string {
  return join(packageRoot(), 'sites', setup === 'invisible-e' ? 'simulated.json' : `simulated-${setup}.json`);
}

function readTemplate(setup: string): SiteInput {
  const file = simulatedSiteTemplate(setup);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SiteInput;
  } catch (error) {
    throw new CliError(`no simulated site for setup ${setup} (${file}): ${(error as Error).message}`);
  }
}

export interface StartedSimulator {
  child: ChildProcess;
  port: number;
  control: number;
}

/** A TCP port free on loopback now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Start one `na64rc device-sim` (its own process) and wait for the line that gives its ports. */
export function startSimulator(device: string, args: string[], log: Logger): Promise<StartedSimulator> {
  const bin = join(packageRoot(), 'bin', 'na64rc.js');
  // In the Electron shell, process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it plain Node.
  const child = spawn(process.execPath, [bin, 'device-sim', ...args, '--json', '--with-parent'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  return new Promise((resolve, reject) => {
    let said = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new CliError(`the simulator of ${device} did not start within ${START_TIMEOUT_MS / 1000} s${said ? `: ${said}` : ''}`));
    }, START_TIMEOUT_MS);
    let started = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!started && line.startsWith('{')) {
        try {
          const m = JSON.parse(line) as { port: number; control: number };
          started = true;
          clearTimeout(timer);
          resolve({ child, port: m.port, control: m.control });
          return;
        } catch {
          // not the ports line; logged below
        }
      }
      log.info({ device }, line);
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      said = said ? `${said}; ${line}` : line;
      log.warn({ device }, line);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!started) reject(new CliError(`the simulator of ${device} stopped before it started (${signal ?? `exit ${code}`})${said ? `: ${said}` : ''}`));
      else log.warn({ device, code, signal }, 'a device simulator stopped');
    });
  });
}

export async function startSimulatedSite(o: SimulatedSiteOptions): Promise<SimulatedSite> {
  const template = readTemplate(o.setup);
  const processes = new Map<string, ChildProcess>();
  const stop = async () => {
    await Promise.all(
      [...processes.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
  };
  const common = ['--time-scale', String(o.timeScale), '--setup', o.setup];
  // Each simulator its own seed: its readback noise and its serial number differ from the others'.
  const seed = (i: number) => ['--seed', String((o.seed + i * 7919) >>> 0)];
  try {
    const devices = template.devices;
    const daq = devices.find((d) => d.plugin === 'na64-daq');
    if (!daq) throw new CliError(`${simulatedSiteTemplate(o.setup)} has no DAQ stream`);
    const started = new Map<string, StartedSimulator>();
    // All at once: the DAQ simulator's control port is chosen here, so the HV simulators can be told where
    // to link their voltages before it listens (their twin link retries until it does).
    const daqControl = await freePort();
    const launched = await Promise.allSettled(
      devices.map(async (d, i) => {
        const args =
          d === daq
            ? ['na64-daq', '--port', '0', '--control', String(daqControl), ...(o.simGains ? ['--sim-gains', o.simGains] : [])]
            : [d.plugin, '--port', '0', '--control', '0', '--twin', `127.0.0.1:${daqControl}`];
        const s = await startSimulator(d.id, [...args, '--device', d.id, ...seed(i), ...common], o.log);
        processes.set(d.id, s.child);
        started.set(d.id, s);
      }),
    );
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const site: SiteInput = {
      ...template,
      simulation: { timeScale: o.timeScale },
      devices: devices.map((d) => {
        const s = started.get(d.id)!;
        const options = d.plugin === 'na64-daq' ? { ...d.options, spillMs: SPS_CYCLE.spillMs / o.timeScale, cycleMs: SPS_CYCLE.cycleMs / o.timeScale } : d.options;
        return { ...d, options, transport: { kind: 'tcp', host: '127.0.0.1', port: s.port }, simulator: { control: { host: '127.0.0.1', port: s.control } } };
      }),
    };
    const file = join(o.dataDir, 'site.json');
    writeFileSync(file, `${JSON.stringify(site, null, 2)}\n`, { mode: 0o600 });
    return { file, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
