// Fault injection for training, development and tests: the site entries that name a simulator control
// channel (devices that are simulators in their own processes) take faults, and the DAQ simulator's twin
// takes beam steering, over that channel (drivers/sdk/sim-control.ts). Everything else in the core talks
// to these devices exactly as to hardware.
import { simControl, type SimControlReply, type SimControlRequest } from '../../drivers/sdk/sim-control';
import type { SiteDevice } from '../devices/site-file';
import type { SimDevice } from '../shared/api/sim';

export class SimulatorError extends Error {}

function toSimDevice(device: string, reply: SimControlReply, sameSimulatorAs: string | null): SimDevice {
  if (!reply.ok) throw new SimulatorError(reply.error);
  const { description, faults, active } = reply.simulator;
  return { device, description, faults, active, reachable: true, sameSimulatorAs };
}

export class Simulators {
  /** `devices`: the site's devices now (a site load can change them). */
  constructor(private readonly devices: () => readonly SiteDevice[]) {}

  private controlled(): SiteDevice[] {
    return this.devices().filter((d) => d.simulatorControl !== null);
  }

  private async ask(d: SiteDevice, request: SimControlRequest): Promise<SimControlReply> {
    const c = d.simulatorControl!;
    try {
      return await simControl(c.host, c.port, request);
    } catch (error) {
      throw new SimulatorError(`${d.id}: ${(error as Error).message}`);
    }
  }

  /** Devices that share an address (a VME bridge's modules) share one simulator: name the first. */
  private sameSimulatorAs(d: SiteDevice): string | null {
    const c = d.simulatorControl!;
    const first = this.controlled().find((x) => x.simulatorControl!.host === c.host && x.simulatorControl!.port === c.port);
    return first && first.id !== d.id ? first.id : null;
  }

  private get(id: string): SiteDevice {
    const d = this.controlled().find((x) => x.id === id);
    if (!d) {
      const known = this.controlled().map((x) => x.id).join(', ') || 'none';
      throw new SimulatorError(`no simulated device "${id}"; this site has: ${known}`);
    }
    return d;
  }

  /** Every simulated device with its faults; one that does not answer is listed as unreachable. */
  async list(): Promise<SimDevice[]> {
    return Promise.all(
      this.controlled().map(async (d) => {
        try {
          return toSimDevice(d.id, await this.ask(d, { op: 'describe' }), this.sameSimulatorAs(d));
        } catch (error) {
          return { device: d.id, description: (error as Error).message, faults: [], active: [], reachable: false, sameSimulatorAs: this.sameSimulatorAs(d) };
        }
      }),
    );
  }

  async inject(id: string, fault: string, channel: number | null): Promise<SimDevice> {
    const d = this.get(id);
    return toSimDevice(id, await this.ask(d, { op: 'inject', fault, channel }), this.sameSimulatorAs(d));
  }

  async clear(id: string): Promise<SimDevice> {
    const d = this.get(id);
    return toSimDevice(id, await this.ask(d, { op: 'clear' }), this.sameSimulatorAs(d));
  }

  /**
   * Beam steering, where the event source is a simulator whose twin can steer (calibration beam scans);
   * null at the experiment, where the beam line is steered by hand.
   */
  steering(): ((tower: readonly [number, number] | null) => Promise<void>) | null {
    const source = this.devices().find((d) => d.kind === 'event-source' && d.simulatorControl !== null);
    if (!source) return null;
    return async (tower) => {
      const reply = await this.ask(source, { op: 'steer', tower: tower ? [tower[0], tower[1]] : null });
      if (!reply.ok) throw new SimulatorError(reply.error);
    };
  }
}
