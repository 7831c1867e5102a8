// A plugin of the driver contract (drivers/sdk) whose devices do what a test tells them: the mock of the
// one typed declaration, for testing the drivers host and the services without sockets.
import { z } from 'zod';
import type { Device, DeviceIdentity, DriverPlugin, DriverState } from '../../drivers/sdk/index';

export class MockDevice implements Device {
  readonly kind = 'hv-supply' as const;
  private current: DriverState = 'connecting';
  private why = 'not connected yet';
  private readonly listeners = new Set<(s: DriverState, r: string) => void>();
  seenAt: number | null = null;
  said: DeviceIdentity | null = null;
  reconnects = 0;
  closed = false;

  constructor(
    readonly id: string,
    readonly address: string,
  ) {}

  /** The test moves the device through its lifecycle. */
  go(state: DriverState, reason: string): void {
    this.current = state;
    this.why = reason;
    if (state === 'online') this.seenAt = Date.now();
    for (const l of this.listeners) l(state, reason);
  }

  state(): DriverState {
    return this.current;
  }
  stateReason(): string {
    return this.why;
  }
  onState(listener: (s: DriverState, r: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  lastSeenAt(): number | null {
    return this.seenAt;
  }
  identity(): DeviceIdentity | null {
    return this.said;
  }
  async identify(): Promise<DeviceIdentity> {
    if (!this.said) throw new Error(this.why);
    return this.said;
  }
  reconnect(): void {
    this.reconnects++;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export const MockOptions = z.strictObject({ channels: z.number().int().min(1).max(8).default(4) });

/** The devices it made, by id, newest last. */
export const made: MockDevice[] = [];

export const mockPlugin: DriverPlugin<z.infer<typeof MockOptions>, MockDevice> = {
  manifest: {
    id: 'mock-hv',
    kind: 'hv-supply',
    version: '0.0.1',
    description: 'a device a test drives',
    transports: ['tcp'],
    options: MockOptions,
    capabilities: ['hv-supply'],
    channels: (o) => o.channels,
  },
  create: (entry) => {
    const d = new MockDevice(entry.id, entry.transport.kind === 'tcp' ? `tcp ${entry.transport.host}:${entry.transport.port}` : '?');
    made.push(d);
    return d;
  },
};
