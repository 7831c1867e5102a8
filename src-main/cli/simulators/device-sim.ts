// `na64rc device-sim na64-daq|caen-n1470|iseg-scpi|scpi-scope|psi-drs4|vme-crate --port N`: one device
// simulator in its own process, speaking its device's bytes (TCP; USB/IP for the USB digitizers; UDP for
// the VME crate's bridge), with its control channel (fault injection, beam steering, the twin link) on a
// second port. The beam-line simulators follow the DAQ simulator's beam (`--twin`). `serve --sim` starts one per device of the simulated site; driver work, training
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
import { DAQ_MAP_RUN, defaultHvMapFile, loadHvMap, SetupError } from '../../../setups/load';
import { signalMesonProblem } from '../../../setups/setup-schema';
import { CliError } from '../errors';
import { setupOf } from '../setup-of';
import { z } from 'zod';
import { startScpiScopeSimulator } from '../../../drivers/scpi-scope/simulator';
import { startDrs4Simulator } from '../../../drivers/psi-drs4/simulator';
import { startVmeCrateSimulator } from '../../../drivers/vme/simulator';
import { linkedTwinBeam, localTwinBeam, type TwinBeam } from '../../../drivers/twin/beam';
import { ANALOG_INPUTS, type AnalogInput } from '../../../drivers/twin/analog-signals';

export type DeviceSimulatorKind = 'na64-daq' | 'caen-n1470' | 'iseg-scpi' | 'scpi-scope' | 'psi-drs4' | 'vme-crate';

/** A VME crate simulator's modules (`--modules`), as the site's V830 and V977 entries give them. */
const CrateModules = z.strictObject({
  v830: z.strictObject({ base: z.number().int().min(0).max(0xffffffff) }).optional(),
  v977: z
    .strictObject({
      base: z.number().int().min(0).max(0xffffffff),
      inputs: z.strictObject({ WWE: z.number().int().min(0).max(15), WE: z.number().int().min(0).max(15), EE: z.number().int().min(0).max(15), spsOn: z.number().int().min(0).max(15).optional() }),
    })
    .optional(),
});

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
  /** The DAQ simulator's twin injects A′ → invisible events, this many per electron on target. */
  signal?: number;
  /** The injected A′'s mass in MeV (its energy spectrum depends on it). */
  signalMass?: number;
  /** Hadron beams: the meson whose charge exchange the injected M⁰ comes from. */
  signalMeson?: 'pion' | 'kaon';
  /** A digitizer's inputs: the beam-line signal on each, in input order ("S1,S2,SRD,trigger"; "-" for none). */
  wiring?: string;
  /** A VME crate's modules, JSON: {"v830": {"base": 1048576}, "v977": {"base": 2097152, "inputs": {"WWE": 0, "WE": 1, "EE": 2, "spsOn": 3}}}. */
  modules?: string;
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
  const mesonProblem = signalMesonProblem(setup, o.signalMeson);
  if (mesonProblem) throw new CliError(mesonProblem);
  const pmt = new PmtVoltages(nominalVolts(hvMapOf(o)));
  let twin: Twin;
  try {
    twin = new Twin(setup, {
      seed: o.seed,
      pmt,
      spillMs: DEFAULT_SPS_CYCLE.spillMs,
      cycleMs: DEFAULT_SPS_CYCLE.cycleMs,
      ...(o.simGains ? { cellGains: readSimGains(o.simGains) } : {}),
      ...(o.signal ? { signalPerElectron: o.signal } : {}),
      ...(o.signalMass ? { signalMassGeV: o.signalMass / 1000 } : {}),
      ...(o.signalMeson ? { signalMeson: o.signalMeson } : {}),
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
  if (kind === 'scpi-scope' || kind === 'psi-drs4' || kind === 'vme-crate') return beamlineSim(kind, o, log);
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

/**
 * The beam the beam-line simulators see: the DAQ simulator's (its control channel, `--twin`), so they count
 * and digitize the same spills; or, started by hand without it, a beam of their own from the setup.
 */
function beamFor(o: DeviceSimOptions, log: (line: string) => void): TwinBeam {
  if (o.twin) {
    const to = twinAddress(o.twin);
    return linkedTwinBeam(to.host, to.port, context(log).log);
  }
  return localTwinBeam({ setup: setupOf(o.setup ?? 'invisible-e'), seed: o.seed, timeScale: o.timeScale });
}

function wiringOf(text: string | undefined): (AnalogInput | null)[] | undefined {
  if (text === undefined) return undefined;
  const inputs = text.split(',').map((s) => s.trim());
  if (inputs.length > 4) throw new CliError(`--wiring names ${inputs.length} inputs; a digitizer here has 4`);
  return inputs.map((s) => {
    if (s === '-' || s === '') return null;
    if (!(ANALOG_INPUTS as readonly string[]).includes(s)) throw new CliError(`--wiring: "${s.slice(0, 20)}" is not a beam-line signal (${ANALOG_INPUTS.join(', ')}, or - for none)`);
    return s as AnalogInput;
  });
}

function modulesOf(text: string | undefined): z.infer<typeof CrateModules> {
  if (!text) throw new CliError('the VME crate simulator needs --modules (its V830 and V977 and their base addresses)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError('--modules must be JSON, e.g. {"v830": {"base": 1048576}}');
  }
  const r = CrateModules.safeParse(parsed);
  if (!r.success) throw new CliError(`--modules: ${r.error.issues.map((i) => `${i.path.join('.') || '(modules)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** How long a beam-line simulator waits for the beam's owner before it gives up. */
const BEAM_WAIT_MS = 15_000;

async function beamlineSim(kind: 'scpi-scope' | 'psi-drs4' | 'vme-crate', o: DeviceSimOptions, log: (line: string) => void): Promise<RunningSimulator> {
  const twin = beamFor(o, log);
  const id = o.device ?? kind;
  // Serving before the beam is known would show the SPS off (the V977's level low) and no pulses.
  let waited: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (waited = setTimeout(() => resolve('late'), BEAM_WAIT_MS)));
  const known = await Promise.race([twin.known().then(() => 'known' as const), late]);
  clearTimeout(waited);
  if (known === 'late') {
    twin.close();
    throw new CliError(`the beam simulator at ${o.twin} did not answer in ${BEAM_WAIT_MS / 1000} s (is the DAQ simulator running with --control there?)`);
  }
  try {
    if (kind === 'vme-crate') {
      const crate = await startVmeCrateSimulator({ port: o.port, host: o.host, seed: o.seed, twin, modules: modulesOf(o.modules) });
      return await serveControl(crate.simulator, crate.port, o, async () => (await crate.close(), twin.close()), `VME crate behind an MVLC (${crate.simulator.simulatorDescription}), UDP`);
    }
    const wiring = wiringOf(o.wiring);
    const energyGeV = setupOf(o.setup ?? 'invisible-e').beam.energyGeV;
    if (kind === 'scpi-scope') {
      const scope = await startScpiScopeSimulator({ port: o.port, host: o.host, seed: o.seed, twin, simulatorId: id, ...(wiring ? { inputs: wiring } : {}) });
      return await serveControl(scope.simulator, scope.port, o, async () => (await scope.close(), twin.close()), `${scope.simulator.simulatorDescription}, USB/IP bus ${scope.busid}`);
    }
    if (wiring?.includes(null)) throw new CliError('psi-drs4: every input of the board is wired to a signal in --wiring');
    const drs4 = await startDrs4Simulator({ port: o.port, host: o.host, seed: o.seed, twin, simulatorId: id, energyGeV, ...(wiring ? { wiring: wiring as AnalogInput[] } : {}) });
    return await serveControl(drs4.simulator, drs4.port, o, async () => (await drs4.close(), twin.close()), `${drs4.simulator.simulatorDescription}, USB/IP bus ${drs4.busid}`);
  } catch (error) {
    twin.close();
    if (error instanceof RangeError) throw new CliError(error.message);
    listenError(error, 'the device', o.port, o.host);
  }
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
