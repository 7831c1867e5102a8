// The `na64rc device-sim` command: its arguments, and what it prints. Defined once for the full `na64rc`
// program and for the light entry the simulator processes start with (device-sim-main.ts).
import { Argument, Option, type Command } from 'commander';
import { setupNames } from '../../../setups/load';
import { integer, positiveNumber, probability } from '../arguments';
import type { DeviceSimOptions, DeviceSimulatorKind } from './device-sim';

/** The plugins a device simulator exists for (device-sim.ts). */
const DEVICE_SIMULATORS: readonly DeviceSimulatorKind[] = ['na64-daq', 'caen-n1470', 'iseg-scpi', 'scpi-scope', 'psi-drs4', 'vme-crate'];

export function addDeviceSimCommand(program: Command, print: (line: string) => void): void {
  program
    .command('device-sim')
    .description('run one device simulator in its own process: its device protocol on --port, its control channel (faults, steering, twin link) on --control')
    .addArgument(new Argument('<device>', 'the plugin it simulates').choices([...DEVICE_SIMULATORS]))
    .requiredOption('--port <n>', 'TCP port of the device protocol (0 picks a free one)', integer(0, 65535))
    .option('--control <n>', 'TCP port of the control channel (0 picks a free one)', integer(0, 65535), 0)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .addOption(new Option('--setup <name>', "experiment setup: the DAQ's beam and detector; an HV supply's channels with --device").choices(setupNames()))
    .option('--device <id>', "the site device it stands for (an HV supply's channels in the setup's HV map)")
    .option('--hv-map <file>', "HV channel map (default: the setup's)")
    .option('--twin <host:port>', "the DAQ simulator's control channel: HV sends it the output voltages (the PMT gains follow them); the beam-line simulators follow its beam")
    .option('--wiring <signals>', 'scpi-scope, psi-drs4: the beam-line signal on each input, e.g. S1,S2,SRD,trigger')
    .option('--modules <json>', 'vme-crate: its modules, e.g. {"v830":{"base":1048576},"v977":{"base":2097152,"inputs":{"WWE":0,"WE":1,"EE":2,"spsOn":3}}}')
    .option('--channels <k>', 'HV: channels (with a setup, at least those its HV map uses; CAEN: rounded up to whole 4-channel boards)', integer(1, 128))
    .option('--serial-echo', "HV: echo every byte received, as the device's serial port does (for a TCP port bridged to a pty)", false)
    .option('--seed <n>', 'seed of the simulation', integer(0, 2 ** 32 - 1), 64)
    .option('--time-scale <x>', 'run simulated time this many times faster than real time', positiveNumber(1000), 1)
    .option('--sim-gains <file>', 'DAQ: JSON object of known per-cell gain factors of the twin, e.g. {"ECAL1-3-3": 1.12}')
    .option('--signal <fraction>', 'DAQ: inject A′ → invisible events, this many per electron on target', probability)
    .option('--signal-mass <MeV>', "DAQ: the injected A′'s mass (its energy spectrum depends on it; default 20)", positiveNumber(100_000))
    .addOption(new Option('--signal-meson <meson>', 'DAQ, hadron beam: the meson whose charge exchange the injected M⁰ comes from (default pion)').choices(['pion', 'kaon']))
    .option('--json', 'print the ports as one JSON line', false)
    .option('--with-parent', 'exit when stdin closes (the process that started it is gone)', false)
    .action(async (device: DeviceSimulatorKind, o: DeviceSimOptions & { json: boolean; withParent: boolean }) => {
      const { deviceSim } = await import('./device-sim');
      const sim = await deviceSim(device, o, (line) => console.error(line));
      if (o.json) print(JSON.stringify({ device: o.device ?? device, port: sim.port, control: sim.control }));
      else {
        print(`${sim.describe}: listening on ${o.host}:${sim.port}, control channel on ${o.host}:${sim.control}`);
        if (device === 'caen-n1470') print(`  try: printf '$BD:00,CMD:MON,CH:4,PAR:VMON\\r\\n' | nc ${o.host} ${sim.port}`);
        if (device === 'iseg-scpi') print(`  try: printf '*IDN?\\r\\n' | nc ${o.host} ${sim.port}`);
        print(`  faults: echo '{"op":"describe"}' | nc ${o.host} ${sim.control}`);
      }
      const stop = () => void sim.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (o.withParent) {
        process.stdin.on('end', stop);
        process.stdin.on('close', stop);
        process.stdin.resume();
      }
    });
}
