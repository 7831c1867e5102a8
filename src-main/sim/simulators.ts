// The device simulators of this server and the faults they can be told to show (training, development,
// tests). Each simulated driver registers its simulator here; the API and `na64rc ctl sim` reach them.
import type { Simulator } from '../../drivers/sdk/index';
import type { SimDevice } from '../shared/api/sim';

export class SimulatorError extends Error {}

export class Simulators {
  private readonly devices = new Map<string, Simulator>();

  register(simulator: Simulator): void {
    if (this.devices.has(simulator.simulatorId)) throw new Error(`simulator ${simulator.simulatorId} is registered twice`);
    this.devices.set(simulator.simulatorId, simulator);
  }

  list(): SimDevice[] {
    return [...this.devices.values()].map(describe);
  }

  private get(id: string): Simulator {
    const device = this.devices.get(id);
    if (!device) {
      const known = [...this.devices.keys()].join(', ') || 'none';
      throw new SimulatorError(`no simulated device "${id}"; this server has: ${known}`);
    }
    return device;
  }

  inject(id: string, fault: string, channel: number | null): SimDevice {
    const device = this.get(id);
    try {
      device.inject(fault, channel);
    } catch (error) {
      if (error instanceof RangeError) throw new SimulatorError(error.message);
      throw error;
    }
    return describe(device);
  }

  clear(id: string): SimDevice {
    const device = this.get(id);
    device.clear();
    return describe(device);
  }
}

function describe(s: Simulator): SimDevice {
  return {
    device: s.simulatorId,
    description: s.simulatorDescription,
    faults: s.faults().map((f) => ({ ...f })),
    active: s.active().map((a) => ({ ...a })),
  };
}
