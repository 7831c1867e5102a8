// The core thread's handle on the DAQ simulator running in a worker thread (simulator.worker.ts): the same
// Simulator API (faults checked here, synchronously, with the same sentences), the beam steering of a
// calibration scan, and the PMT voltages the HV simulators output, forwarded as they change.
import { Worker } from 'node:worker_threads';
import type { ActiveFault, DriverContext, FaultSpec, Simulator } from '../sdk/index';
import { setupCells } from '../twin/cells';
import { SAMPLES } from '../twin/defaults';
import type { PmtVoltages } from '../twin/pmt-voltages';
import type { TwinSetup } from '../twin/setup';
import type { SpsCycleConfig } from '../twin/sps-cycle';
import { cellGainFactors } from '../twin/twin';
import { TwinEncoder } from './encoder';
import type { ChannelMapEntry } from './format/channel-map';
import { checkFault, DAQ_SIMULATOR_FAULTS } from './simulator';
import type { FromSimulator, ToSimulator } from './simulator-protocol';

export interface DaqSimulatorThreadOptions {
  /** The built worker file (or the TypeScript loader with `workerData.tsEntry`), found by the host. */
  entry: { file: string; workerData?: unknown };
  setup: TwinSetup;
  channelMap: readonly ChannelMapEntry[];
  seed: number;
  cellGains?: ReadonlyMap<string, number>;
  /** The voltages the twin's PMT gains follow (written by the HV simulators on this thread). */
  pmt: PmtVoltages;
  nominalVolts: ReadonlyMap<string, number>;
  cycle: Omit<SpsCycleConfig, 'timeScale'>;
  timeScale: number;
  run: number;
}

/** How long the worker may take to open its TCP port. */
const START_TIMEOUT_MS = 30_000;

export class DaqSimulatorThread implements Simulator {
  readonly simulatorId = 'daq';
  readonly simulatorDescription = 'the simulated SPS beam and NA64 DAQ monitoring stream (digital twin, DATE over TCP, in its own thread)';
  private readonly worker: Worker;
  private readonly sources: number[];
  private readonly cellNames: string[];
  private readonly faultsOn = new Map<string, ActiveFault>();
  private readonly stopFollowingVolts: () => void;
  private closing: Promise<void> | null = null;
  address: { host: string; port: number } | null = null;

  constructor(
    private readonly options: DaqSimulatorThreadOptions,
    private readonly context: DriverContext,
  ) {
    const cells = setupCells(options.setup);
    this.cellNames = cells.map((c) => c.name);
    // Checked here, so a wrong gains file is refused when the server starts, in one readable line.
    if (options.cellGains) cellGainFactors(cells, options.cellGains);
    this.sources = new TwinEncoder(this.cellNames, options.channelMap, SAMPLES).sourceIds();
    this.worker = new Worker(options.entry.file, { workerData: options.entry.workerData, name: 'daq-simulator' });
    this.worker.on('error', (error) => context.log.error('the DAQ simulator thread failed', { err: String(error) }));
    this.worker.on('message', (m: FromSimulator) => {
      if (m.type === 'log') context.log[m.level](m.message, m.fields);
    });
    this.stopFollowingVolts = options.pmt.onChange((cell, volts) => this.post({ type: 'volts', cell, volts }));
  }

  private post(m: ToSimulator): void {
    if (!this.closing) this.worker.postMessage(m);
  }

  /** Front-end source ids in every physics event. */
  sourceIds(): number[] {
    return [...this.sources];
  }

  async start(): Promise<{ host: string; port: number }> {
    const o = this.options;
    const address = new Promise<{ host: string; port: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the DAQ simulator thread did not open its port')), START_TIMEOUT_MS);
      const done = () => clearTimeout(timer);
      this.worker.on('message', (m: FromSimulator) => {
        if (m.type === 'listening') {
          done();
          resolve({ host: m.host, port: m.port });
        } else if (m.type === 'failed') {
          done();
          reject(new Error(`the DAQ simulator did not start: ${m.message}`));
        }
      });
      this.worker.once('exit', (code) => {
        done();
        reject(new Error(`the DAQ simulator thread stopped (exit code ${code})`));
      });
    });
    this.post({
      type: 'start',
      setup: o.setup,
      channelMap: o.channelMap,
      seed: o.seed,
      cellGains: o.cellGains ? [...o.cellGains] : null,
      nominalVolts: [...o.nominalVolts],
      volts: this.cellNames.flatMap((cell) => {
        const v = o.pmt.get(cell);
        return v === undefined ? [] : [[cell, v] as [string, number]];
      }),
      cycle: o.cycle,
      timeScale: o.timeScale,
      run: o.run,
    });
    this.address = await address;
    return this.address;
  }

  // ── Simulator ──────────────────────────────────────────────────────────────────────────────────────

  faults(): readonly FaultSpec[] {
    return DAQ_SIMULATOR_FAULTS;
  }

  inject(fault: string, channel: number | null): void {
    checkFault(fault, channel, this.sources, this.cellNames.length);
    this.faultsOn.set(`${fault}:${channel ?? ''}`, { fault, channel, since: this.context.now() });
    this.post({ type: 'inject', fault, channel });
  }

  clear(): void {
    this.faultsOn.clear();
    this.post({ type: 'clear' });
  }

  active(): readonly ActiveFault[] {
    return [...this.faultsOn.values()];
  }

  /** Steer the simulated beam onto an ECAL tower (null: back onto the beam axis), from its next event. */
  steer(tower: readonly [number, number] | null): void {
    this.post({ type: 'steer', tower: tower ? [tower[0], tower[1]] : null });
  }

  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.stopFollowingVolts();
    this.worker.postMessage({ type: 'close' } satisfies ToSimulator);
    this.closing = new Promise<void>((resolve) => {
      const timer = setTimeout(() => void this.worker.terminate().then(() => resolve()), 5_000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.closing;
  }
}
