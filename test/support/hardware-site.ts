// A site of devices in processes of their own, as hardware would be: `na64rc device-sim` for the DAQ, one
// CAEN chain and one iseg module (the HV simulators link their voltages to the DAQ simulator's twin), an
// HV map that puts the setup's cells on those two supplies, and a site file that names only addresses
// (no simulator control channels: `serve --site` sees hardware). The iseg module can sit behind a real pty
// (socat bridges the pty to its TCP port, the simulator echoes as iseg's serial port does), so the driver
// talks to it through `serialport` like to a USB virtual COM port. Each simulator can be killed and started
// again on the same ports.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type StartedSimulator } from '../../src-main/cli/simulators/simulated-site';
import { silentLogger } from '../../src-main/log';
import { ROOT } from './serve-process';

export interface SimulatedDevice {
  id: string;
  port: number;
  control: number;
  process: StartedSimulator;
  /** `kill -9`: the device is gone, nothing is closed cleanly. */
  kill(): void;
  /** Start it again on the same ports. */
  restart(): Promise<void>;
}

export interface HardwareSite {
  file: string;
  hvMap: string;
  devices: Map<string, SimulatedDevice>;
  /** The iseg module's pty (when it is on serial). */
  pty: string | null;
  stop(): Promise<void>;
}

/** invisible-e's HV map with its 124 channels on two supplies: ECAL cells 0–47 on the iseg module, the rest on the CAEN chain. */
function twoSupplyMap(): string {
  const lines = readFileSync(join(ROOT, 'setups', 'invisible-e.hv.map'), 'utf8').split('\n');
  let iseg = 0;
  let caen = 0;
  const out = ['# invisible-e on two supplies (hardware-path test): ECAL cells 0–47 on hv-iseg-0, the rest on hv-caen-0'];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (!line.trim() || line.startsWith('#')) continue;
    const [det, cell, , , volts, iset] = f as [string, string, string, string, string, string];
    const onIseg = det === 'ECAL' && iseg < 48;
    out.push([det, cell, onIseg ? 'hv-iseg-0' : 'hv-caen-0', String(onIseg ? iseg++ : caen++), volts, iset].join(' '));
  }
  return `${out.join('\n')}\n`;
}

function waitForFile(path: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (existsSync(path)) resolve();
      else if (Date.now() > until) reject(new Error(`${path} did not appear`));
      else setTimeout(check, 20);
    };
    check();
  });
}

export async function startHardwareSite(dir: string, o: { timeScale: number; seed: number; isegOnSerial: boolean }): Promise<HardwareSite> {
  const hvMap = join(dir, 'two-supplies.hv.map');
  writeFileSync(hvMap, twoSupplyMap());
  const log = silentLogger();
  const devices = new Map<string, SimulatedDevice>();
  const common = ['--setup', 'invisible-e', '--hv-map', hvMap, '--time-scale', String(o.timeScale), '--seed', String(o.seed)];
  const start = async (id: string, args: (ports: { port: string; control: string }) => string[], ports = { port: '0', control: '0' }) => {
    const process = await startSimulator(id, args(ports), log);
    const device: SimulatedDevice = {
      id,
      port: process.port,
      control: process.control,
      process,
      kill: () => device.process.child.kill('SIGKILL'),
      restart: async () => {
        device.process = await startSimulator(id, args({ port: String(device.port), control: String(device.control) }), log);
      },
    };
    devices.set(id, device);
    return device;
  };
  const stop = async () => {
    bridge?.kill();
    for (const d of devices.values()) if (d.process.child.exitCode === null) d.process.child.kill();
  };
  let bridge: ChildProcess | null = null;
  try {
    const daq = await start('daq', (p) => ['na64-daq', '--port', p.port, '--control', p.control, ...common]);
    const twin = ['--twin', `127.0.0.1:${daq.control}`];
    await start('hv-caen-0', (p) => ['caen-n1470', '--port', p.port, '--control', p.control, '--device', 'hv-caen-0', ...twin, ...common]);
    const iseg = await start('hv-iseg-0', (p) => ['iseg-scpi', '--port', p.port, '--control', p.control, '--device', 'hv-iseg-0', ...twin, ...common, ...(o.isegOnSerial ? ['--serial-echo'] : [])]);
    let pty: string | null = null;
    if (o.isegOnSerial) {
      if (spawnSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' }).status !== 0) {
        throw new Error('the serial test needs socat for its pty pair (npm test installs it where it can): sudo apt-get install -y socat');
      }
      pty = join(dir, 'ttyISEG0');
      // A real pty pair: the driver opens the slave end through serialport; socat carries the master's bytes
      // to the module's TCP port and back.
      bridge = spawn('socat', [`PTY,link=${pty},raw,echo=0`, `TCP:127.0.0.1:${iseg.port}`], { stdio: 'ignore' });
      await waitForFile(pty, 5000);
    }
    const site = {
      name: 'hardware-path test bench',
      description: 'Three devices in processes of their own at loopback addresses, the iseg module behind a pty.',
      setup: 'invisible-e',
      hvMap: 'two-supplies.hv.map',
      devices: [
        { id: 'daq', plugin: 'na64-daq', transport: { kind: 'tcp', host: '127.0.0.1', port: daq.port }, options: { spillMs: 4800 / o.timeScale, cycleMs: 16_800 / o.timeScale } },
        { id: 'hv-caen-0', plugin: 'caen-n1470', transport: { kind: 'tcp', host: '127.0.0.1', port: devices.get('hv-caen-0')!.port }, options: { boards: 19, pollMs: 1000 } },
        {
          id: 'hv-iseg-0',
          plugin: 'iseg-scpi',
          transport: pty ? { kind: 'serial', path: pty, baudRate: 9600, framing: '8N1' } : { kind: 'tcp', host: '127.0.0.1', port: iseg.port },
          options: { channels: 48, pollMs: 1000 },
        },
      ],
    };
    const file = join(dir, 'bench-site.json');
    writeFileSync(file, `${JSON.stringify(site, null, 2)}\n`);
    return { file, hvMap, devices, pty, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
