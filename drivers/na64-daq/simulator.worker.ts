// The DAQ simulator in its own thread: the twin generates and encodes ≈ 8000 events a spill (≈ 0.5 s of CPU),
// which on the core thread would compete with the driver, the database and the API, and at a high time
// scale fall behind the SPS cycle. The core thread keeps a DaqSimulatorThread that forwards faults, beam
// steering and PMT voltages here.
import { parentPort } from 'node:worker_threads';
import type { DriverContext } from '../sdk/index';
import { PmtVoltages } from '../twin/pmt-voltages';
import { Twin } from '../twin/twin';
import { DaqSimulator } from './simulator';
import type { FromSimulator, SimulatorStart, ToSimulator } from './simulator-protocol';

const port = parentPort!;
const post = (m: FromSimulator) => port.postMessage(m);
const context: DriverContext = {
  now: Date.now,
  log: {
    info: (message, fields) => post({ type: 'log', level: 'info', message, fields }),
    warn: (message, fields) => post({ type: 'log', level: 'warn', message, fields }),
    error: (message, fields) => post({ type: 'log', level: 'error', message, fields }),
  },
};

let simulator: DaqSimulator | null = null;
let pmt: PmtVoltages | null = null;

async function start(m: SimulatorStart): Promise<void> {
  pmt = new PmtVoltages(new Map(m.nominalVolts));
  for (const [cell, volts] of m.volts) pmt.set(cell, volts);
  const twin = new Twin(m.setup, { seed: m.seed, pmt, spillMs: m.cycle.spillMs, cycleMs: m.cycle.cycleMs, ...(m.cellGains ? { cellGains: new Map(m.cellGains) } : {}) });
  simulator = new DaqSimulator({ twin, channelMap: m.channelMap, cycle: m.cycle, timeScale: m.timeScale, run: m.run, host: m.host, port: m.port }, context);
  const address = await simulator.start();
  post({ type: 'listening', ...address });
}

port.on('message', (m: ToSimulator) => {
  try {
    switch (m.type) {
      case 'start':
        start(m).catch((error: unknown) => post({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
        break;
      case 'inject':
        simulator?.inject(m.fault, m.channel);
        break;
      case 'clear':
        simulator?.clear();
        break;
      case 'steer':
        simulator?.steer(m.tower);
        break;
      case 'volts':
        pmt?.set(m.cell, m.volts);
        break;
      case 'close':
        void (simulator?.close() ?? Promise.resolve()).finally(() => {
          post({ type: 'closed' });
          port.close();
        });
        break;
    }
  } catch (error) {
    // The core thread checked the request already; anything else is a bug worth a line in the log.
    post({ type: 'log', level: 'error', message: `DAQ simulator: ${m.type} failed: ${error instanceof Error ? error.message : String(error)}` });
  }
});
