// `serve --sim`: the simulated NA64 as a site like any other. Every device of the setup's simulated site
// (sites/simulated.json, sites/simulated-<setup>.json) is started as its own process (`na64rc device-sim`)
// on free loopback ports, all at once, the HV simulators linking their voltages to the DAQ simulator's
// twin; then the equivalent site, with those ports, is written into the data directory, and the server
// runs exactly the code it runs on hardware. The simulators end with the server (or when it dies: each
// one exits when its stdin closes).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { loadSetup, packageRoot } from '../../../setups/load';
import { signalMesonProblem } from '../../../setups/setup-schema';
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
  /** A′ → invisible events per electron on target, injected by the DAQ simulator's twin. */
  simSignal?: number;
  /** The injected A′'s mass, MeV. */
  simSignalMass?: number;
  /** Hadron beams: the meson whose charge exchange the injected M⁰ comes from. */
  simSignalMeson?: 'pion' | 'kaon';
  /**
   * The beam line too (digitizers, counters, SPS timing; default true). A test of something else may leave
   * it out: the site is then the DAQ and the HV, and the spill clock follows the DAQ.
   */
  beamline?: boolean;
  log: Logger;
}

/** The plugins of the beam line: their simulators follow the DAQ simulator's beam. */
const BEAMLINE_PLUGINS = new Set(['scpi-scope', 'psi-drs4', 'caen-v830', 'vme-timing']);
/** Modules in the simulated VME crate: one simulator process for all entries at the crate's address. */
const CRATE_PLUGINS = new Set(['caen-v830', 'vme-timing']);

type TemplateDevice = SiteInput['devices'][number];

/** The arguments of one simulator process standing for `group` (entries at one address of the template). */
function simulatorArgs(group: TemplateDevice[], daqControl: number, o: SimulatedSiteOptions): { kind: string; args: string[] } {
  const d = group[0]!;
  const twin = ['--twin', `127.0.0.1:${daqControl}`];
  if (d.plugin === 'na64-daq') return { kind: d.plugin, args: ['na64-daq', '--port', '0', '--control', String(daqControl), ...(o.simGains ? ['--sim-gains', o.simGains] : []), ...(o.simSignal ? ['--signal', String(o.simSignal)] : []), ...(o.simSignalMass ? ['--signal-mass', String(o.simSignalMass)] : []), ...(o.simSignalMeson ? ['--signal-meson', o.simSignalMeson] : [])] };
  if (CRATE_PLUGINS.has(d.plugin)) {
    const modules: Record<string, unknown> = {};
    for (const m of group) {
      const options = m.options as { base: number | string; inputs?: unknown };
      if (m.plugin === 'caen-v830') modules['v830'] = { base: Number(options.base) };
      if (m.plugin === 'vme-timing') modules['v977'] = { base: Number(options.base), inputs: options.inputs };
    }
    return { kind: 'vme-crate', args: ['vme-crate', '--port', '0', '--control', '0', ...twin, '--modules', JSON.stringify(modules)] };
  }
  if (d.plugin === 'scpi-scope' || d.plugin === 'psi-drs4') {
    const channels = (d.options as { channels?: { input: number; name: string }[] }).channels ?? [];
    const wiring = [1, 2, 3, 4].map((input) => channels.find((c) => c.input === input)?.name ?? '-');
    if (d.plugin === 'psi-drs4') for (let i = 0; i < 4; i++) if (wiring[i] === '-') wiring[i] = 'trigger';
    return { kind: d.plugin, args: [d.plugin, '--port', '0', '--control', '0', ...twin, '--wiring', wiring.join(',')] };
  }
  // An HV module has the channels its site entry says (an iseg module's spares too), not only the mapped ones.
  const channels = (d.options as { channels?: unknown } | undefined)?.channels;
  return { kind: d.plugin, args: [d.plugin, '--port', '0', '--control', '0', ...twin, ...(typeof channels === 'number' ? ['--channels', String(channels)] : [])] };
}

/** The template entry's address, with the port the simulator got. */
function simulatedTransport(d: TemplateDevice, port: number): TemplateDevice['transport'] {
  switch (d.transport.kind) {
    case 'usbip':
      return { kind: 'usbip', host: '127.0.0.1', port, busid: d.transport.busid };
    case 'udp':
      return { kind: 'udp', host: '127.0.0.1', port };
    default:
      return { kind: 'tcp', host: '127.0.0.1', port };
  }
}

export interface SimulatedSite {
  /** The site file written into the data directory. */
  file: string;
  /** The simulator processes, by device id (the ids of one simulator standing for several entries, joined by "+"). */
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
export function startSimulator(device: string, args: string[], log: Logger, spawned?: (child: ChildProcess) => void): Promise<StartedSimulator> {
  const bin = join(packageRoot(), 'bin', 'na64rc.js');
  // In the Electron shell, process.execPath is Electron: ELECTRON_RUN_AS_NODE makes it plain Node.
  const child = spawn(process.execPath, [bin, 'device-sim', ...args, '--json', '--with-parent'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  spawned?.(child);
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

/**
 * The DAQ simulator's control port is chosen before it listens (see below): another process may take it in
 * between. Then the whole launch is tried again with another port, at most this many times.
 */
const LAUNCH_ATTEMPTS = 3;

export async function startSimulatedSite(o: SimulatedSiteOptions): Promise<SimulatedSite> {
  const mesonProblem = signalMesonProblem(loadSetup(o.setup), o.simSignalMeson);
  if (mesonProblem) throw new CliError(mesonProblem);
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchSimulatedSite(o);
    } catch (error) {
      const taken = error instanceof CliError && /control port \d+ on [^ ]+ is in use/.test(error.message);
      if (!taken || attempt >= LAUNCH_ATTEMPTS) throw error;
      o.log.warn({ attempt, error: error.message }, 'the DAQ simulator control port was taken meanwhile; starting the simulators again');
    }
  }
}

async function launchSimulatedSite(o: SimulatedSiteOptions): Promise<SimulatedSite> {
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
    const beamline = o.beamline ?? true;
    const devices = template.devices.filter((d) => beamline || !BEAMLINE_PLUGINS.has(d.plugin));
    const daq = devices.find((d) => d.plugin === 'na64-daq');
    if (!daq) throw new CliError(`${simulatedSiteTemplate(o.setup)} has no DAQ stream`);
    // One simulator per address of the template: the modules of one VME crate share one.
    const groups = new Map<string, TemplateDevice[]>();
    for (const d of devices) {
      const key = JSON.stringify(d.transport);
      groups.set(key, [...(groups.get(key) ?? []), d]);
    }
    const started = new Map<string, StartedSimulator>();
    // All at once: the DAQ simulator's control port is chosen here, so the HV simulators can be told where
    // to link their voltages, and the beam-line simulators where to follow the beam, before it listens
    // (their links retry until it does).
    const daqControl = await freePort();
    // The first that fails stops them all at once (each child is known from its spawn): the beam-line
    // simulators would otherwise wait for a DAQ simulator that already said why it cannot start.
    await Promise.all(
      [...groups.values()].map(async (group, i) => {
        const { args } = simulatorArgs(group, daqControl, o);
        const name = group.map((d) => d.id).join('+');
        const s = await startSimulator(name, [...args, '--device', group[0]!.id, ...seed(i), ...common], o.log, (child) => processes.set(name, child));
        for (const d of group) started.set(d.id, s);
      }),
    );
    const site: SiteInput = {
      ...template,
      ...(beamline ? {} : { timing: 'daq' }),
      simulation: { timeScale: o.timeScale },
      devices: devices.map((d) => {
        const s = started.get(d.id)!;
        const options = d.plugin === 'na64-daq' ? { ...d.options, spillMs: SPS_CYCLE.spillMs / o.timeScale, cycleMs: SPS_CYCLE.cycleMs / o.timeScale } : d.options;
        return { ...d, options, transport: simulatedTransport(d, s.port), simulator: { control: { host: '127.0.0.1', port: s.control } } };
      }),
    };
    const file = join(o.dataDir, 'site.json');
    writeFileSync(file, `${JSON.stringify(site, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // a site.json left by an older version keeps its mode through a rewrite
    return { file, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
