// `na64rc device-sim caen-n1470|iseg-scpi --port N [--channels K]`: one HV simulator on its own, for
// driver work and training. It speaks the same bytes on TCP as the simulators inside `serve --sim`.
import { CaenN1470Simulator, N1470 } from '../../drivers/caen-n1470/simulator';
import { EHS, IsegScpiSimulator } from '../../drivers/iseg-scpi/simulator';
import type { HvSimulatorBase } from '../../drivers/twin/hv-simulator';
import { CliError } from './errors';

export const DEVICE_SIMULATORS = ['caen-n1470', 'iseg-scpi'] as const;
export type DeviceSimulator = (typeof DEVICE_SIMULATORS)[number];

export interface DeviceSimOptions {
  port: number;
  host: string;
  channels?: number;
  seed: number;
  timeScale: number;
}

export async function deviceSim(kind: DeviceSimulator, o: DeviceSimOptions, print: (line: string) => void): Promise<{ port: number; sim: HvSimulatorBase }> {
  const caen = kind === 'caen-n1470';
  const channels = o.channels ?? (caen ? N1470.channels : 8);
  if (caen && channels > 32 * N1470.channels) throw new CliError(`a CAEN chain holds at most 32 boards, ${32 * N1470.channels} channels`);
  // Channels start off at a PMT-like 1000 V setpoint and a 300 µA limit, as a bench supply would.
  const specs = Array.from({ length: caen ? Math.ceil(channels / N1470.channels) * N1470.channels : channels }, () => ({
    maxVolts: caen ? N1470.maxVolts : EHS.nominalVolts,
    maxMicroamps: caen ? N1470.maxMicroamps : EHS.nominalMicroamps,
    cell: null,
    vset: 1000,
    iset: 300,
    on: false,
  }));
  const options = { simulatorId: kind, seed: o.seed, timeScale: o.timeScale, now: Date.now, pmt: null };
  const sim = caen ? new CaenN1470Simulator(options, specs) : new IsegScpiSimulator(options, specs);
  sim.start();
  let port: number;
  try {
    port = await sim.listenTcp(o.port, o.host);
  } catch (error) {
    await sim.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${o.port} on ${o.host} is in use; choose another with --port`);
    throw error;
  }
  print(`${sim.simulatorDescription}: listening on ${o.host}:${port}`);
  print(caen ? `  try: printf '$BD:00,CMD:MON,CH:${N1470.channels},PAR:VMON\\r\\n' | nc ${o.host} ${port}` : `  try: printf '*IDN?\\r\\n' | nc ${o.host} ${port}`);
  return { port, sim };
}
