// `na64rc device-sim na64-daq|caen-n1470|iseg-scpi --port N`: one device simulator in its own process,
// speaking its device's bytes on TCP, with its control channel (fault injection, beam steering, the twin
// link) on a second port. `serve --sim` starts one per device of the simulated site; driver work, training
// and the hardware-path tests start them by hand. With `--setup` and `--device` an HV simulator holds the
// channels the setup's HV map gives that supply (at their working points) and, with `--twin`, tells the
// DAQ simulator's twin the voltages it outputs, so the PMT gains follow the HV across processes.
import { readFileSync } from 'node:fs';
import { CaenN1470Simulator, N1470 } from '../../../drivers/caen-n1470/simulator';
import { EHS, IsegScpiSimulator } from '../../../drivers/iseg-scpi/simulator';
import { DaqSimulator } from '../../../drivers/na64-daq/simulator';
import type { DriverContext } from '../../../drivers/sdk/index';
import { SimControlServer, type ControlledSimulator } from '../../../drivers/sdk/sim-control';
import type { SimHvChannelSpec } from '../../../drivers/twin/hv-channel';
import type { HvSimulatorBase } from '../../../drivers/twin/hv-simulator';
import { PmtVoltages } from '../../../drivers/twin/pmt-voltages';
import { DEFAULT_SPS_CYCLE } from '../../../drivers/twin/sps-cycle';
import { Twin } from '../../../drivers/twin/twin';
import { TwinLink } from '../../../drivers/twin/twin-link';
import { HvMapError, nominalVolts } from '../../../setups/hv-map';
import { DAQ_MAP_RUN, defaultHvMapFile, loadHvMap, loadSetup, SetupError } from '../../../setups/load';
import { CliError } from '../errors';

export type DeviceSimulatorKind = 'na64-daq' | 'caen-n1470' | 'iseg-scpi';

export interface DeviceSimOptions {
  port: number;
  host: string;
  /** The control channel's port (0: a free one). */
  control: number;
  /** The experiment setup: the DAQ simulator's beam and detector, an HV simulator's channels (with `device`). */
  setup?: string;
  /** The site device id this simulator stands for (its HV map channels, its name in messages). */
  device?: string;
  /** The HV map file (default: the setup's). */
  hvMap?: string;
  /** An HV simulator sends its output voltages to the DAQ simulator's control channel here (host:port). */
  twin?: string;
  /** Channels of an HV module without a setup (CAEN: whole boards of four). */
  channels?: number;
  /** Echo every byte received, as the device's serial port does (to be bridged to a pty). */
  serialEcho?: boolean;
  seed: number;
  timeScale: number;
  /** The DAQ simulator's twin with known per-cell gain factors (a JSON file {"ECAL1-3-3": 1.12, …}). */
  simGains?: string;
}

export interface RunningSimulator {
  port: number;
  control: number;
  describe: string;
  close(): Promise<void>;
}

const context = (log: (line: string) => void): DriverContext => ({
  now: Date.now,
  log: {
    info: () => undefined,
    warn: (m, f) => log(`warn: ${m}${f ? ` ${JSON.stringify(f)}` : ''}`),
    error: (m, f) => log(`error: ${m}${f ? ` ${JSON.stringify(f)}` : ''}`),
  },
});

function setupOf(name: string) {
  try {
    return loadSetup(name);
  } catch (error) {
    if (error instanceof SetupError) throw new CliError(error.message);
    throw error;
  }
}

function hvMapOf(o: DeviceSimOptions) {
  const setup = setupOf(o.setup!);
  try {
    return loadHvMap(o.hvMap ?? defaultHvMapFile(setup.name), setup);
  } catch (error) {
    if (error instanceof HvMapError || error instanceof SetupError) throw new CliError(error.message);
    throw error;
  }
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

function daqSimulator(o: DeviceSimOptions, log: (line: string) => void): DaqSimulator {
  if (!o.setup) throw new CliError('the DAQ simulator needs --setup (its beam, detector and channel map)');
  const setup = setupOf(o.setup);
  const pmt = new PmtVoltages(nominalVolts(hvMapOf(o)));
  let twin: Twin;
  try {
    twin = new Twin(setup, {
      seed: o.seed,
      pmt,
      spillMs: DEFAULT_SPS_CYCLE.spillMs,
      cycleMs: DEFAULT_SPS_CYCLE.cycleMs,
      ...(o.simGains ? { cellGains: readSimGains(o.simGains) } : {}),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new CliError(`${o.simGains}: ${error.message}`);
    throw error;
  }
  return new DaqSimulator({ twin, channelMap: setup.channelMap, cycle: DEFAULT_SPS_CYCLE, timeScale: o.timeScale, run: DAQ_MAP_RUN, host: o.host, port: o.port }, context(log));
}

/** The channels of an HV simulator: those the HV map gives its device, or a bench module's. */
function hvChannels(kind: 'caen-n1470' | 'iseg-scpi', o: DeviceSimOptions): SimHvChannelSpec[] {
  const caen = kind === 'caen-n1470';
  const module = caen ? { maxVolts: N1470.maxVolts, maxMicroamps: N1470.maxMicroamps } : { maxVolts: EHS.nominalVolts, maxMicroamps: EHS.nominalMicroamps };
  const round = (n: number) => (caen ? Math.ceil(n / N1470.channels) * N1470.channels : n);
  if (o.setup && o.device) {
    const mapped = hvMapOf(o).channels.filter((c) => c.device === o.device);
    if (mapped.length === 0) throw new CliError(`the HV map of ${o.setup} has no channel on ${o.device}`);
    const count = round(Math.max(o.channels ?? 0, ...mapped.map((c) => c.channel + 1)));
    // The channels the map uses start on at their working points, as the previous shift left them.
    return Array.from({ length: count }, (_, ch) => {
      const c = mapped.find((m) => m.channel === ch);
      return { ...module, cell: c?.name ?? null, vset: c?.nominalVolts ?? 0, iset: c?.iset ?? 0, on: c !== undefined };
    });
  }
  const channels = o.channels ?? (caen ? N1470.channels : 8);
  if (caen && channels > 32 * N1470.channels) throw new CliError(`a CAEN chain holds at most 32 boards, ${32 * N1470.channels} channels`);
  // A bench supply: channels off at a PMT-like 1000 V setpoint and a 300 µA limit.
  return Array.from({ length: round(channels) }, () => ({ ...module, cell: null, vset: 1000, iset: 300, on: false }));
}

function twinAddress(text: string): { host: string; port: number } {
  const m = /^([^:]+):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535) throw new CliError(`--twin must be host:port (the DAQ simulator's control channel), not "${text}"`);
  return { host: m[1]!, port };
}

function listenError(error: unknown, what: string, port: number, host: string): never {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') throw new CliError(`${what} port ${port} on ${host} is in use; choose another`);
  throw error;
}

export async function deviceSim(kind: DeviceSimulatorKind, o: DeviceSimOptions, log: (line: string) => void): Promise<RunningSimulator> {
  let simulator: ControlledSimulator;
  let port: number;
  let stopTwin = () => {};
  const id = o.device ?? kind;
  if (kind === 'na64-daq') {
    const daq = daqSimulator(o, log);
    try {
      port = (await daq.start()).port;
    } catch (error) {
      listenError(error, 'the DAQ stream', o.port, o.host);
    }
    simulator = daq;
    const close = () => daq.close();
    return serveControl(simulator, port, o, close, `NA64 DAQ simulator (${o.setup}, time ×${o.timeScale})`);
  }
  const specs = hvChannels(kind, o);
  const pmt = o.twin ? new PmtVoltages() : null;
  const options = { simulatorId: id, seed: o.seed, timeScale: o.timeScale, now: Date.now, pmt };
  const hv: HvSimulatorBase = kind === 'caen-n1470' ? new CaenN1470Simulator(options, specs) : new IsegScpiSimulator(options, specs);
  hv.start();
  try {
    port = await hv.listenTcp(o.port, o.host, o.serialEcho ?? false);
  } catch (error) {
    await hv.close();
    listenError(error, 'the device', o.port, o.host);
  }
  if (o.twin && pmt) {
    const to = twinAddress(o.twin);
    const link = new TwinLink(to.host, to.port, pmt, context(log).log);
    // The channels' present outputs, so the twin starts from them.
    for (const c of hv.channels) if (c.spec.cell) pmt.set(c.spec.cell, c.vout);
    stopTwin = () => link.close();
  }
  simulator = hv;
  return serveControl(simulator, port, o, async () => {
    stopTwin();
    await hv.close();
  }, hv.simulatorDescription);
}

async function serveControl(simulator: ControlledSimulator, port: number, o: DeviceSimOptions, close: () => Promise<void>, describe: string): Promise<RunningSimulator> {
  const control = new SimControlServer(simulator);
  let controlPort: number;
  try {
    controlPort = await control.listen(o.control, o.host);
  } catch (error) {
    await close();
    listenError(error, 'the control', o.control, o.host);
  }
  return {
    port,
    control: controlPort,
    describe,
    close: async () => {
      await control.close();
      await close();
    },
  };
}
