// What every polled HV driver does the same way, whatever its protocol: open the link when needed, keep
// the lifecycle (connecting → online → degraded → offline) and the reconnect backoff, and turn link and
// protocol failures into HvCommandError with a sentence. A vendor driver supplies connect, read, write.
import {
  HvCommandError,
  type DriverContext,
  type DriverState,
  type HvChannelInfo,
  type HvLimits,
  type HvParameter,
  type HvPoll,
  type HvSupply,
} from './index';
import { DeviceLifecycle } from './lifecycle';

/** What a vendor's reading of all channels returns: the poll, and what could not be read (→ degraded). */
export interface PollResult {
  poll: HvPoll;
  problems: string[];
}

export type HvWrite = { kind: 'set'; parameter: HvParameter; value: number } | { kind: 'switch'; on: boolean } | { kind: 'clear' };

/** Errors that mean the link itself is gone (by name, so this file needs no transport). */
const LINK_LOST = new Set(['LinkClosedError']);

export abstract class PolledHvSupply implements HvSupply {
  readonly kind = 'hv-supply' as const;
  abstract readonly model: string;
  protected readonly life: DeviceLifecycle;
  private connected = false;
  private connecting: Promise<void> | null = null;

  constructor(
    readonly id: string,
    protected readonly context: DriverContext,
  ) {
    this.life = new DeviceLifecycle(context.now);
  }

  /** Open the link and identify the device (model, channel count); throw on failure. */
  protected abstract connect(): Promise<void>;
  protected abstract disconnect(): Promise<void>;
  protected abstract readAll(): Promise<PollResult>;
  /** Perform one write; throw HvCommandError('refused') with the device's reason if it says no. */
  protected abstract write(channel: number, op: HvWrite): Promise<void>;
  abstract channels(): readonly HvChannelInfo[];
  abstract limits(): HvLimits;

  state(): DriverState {
    return this.life.state();
  }

  /** Why the driver is in its state, e.g. "tcp 127.0.0.1:1470: connection refused; retrying in 2.0 s". */
  stateReason(): string {
    return this.life.why();
  }

  onState(listener: (state: DriverState, reason: string) => void): () => void {
    return this.life.onState(listener);
  }

  private async ensureConnected(): Promise<void> {
    if (this.connected) return;
    if (!this.life.mayConnect()) {
      throw new HvCommandError(`${this.id} is offline (${this.life.why()})`, 'unreachable');
    }
    this.connecting ??= (async () => {
      this.life.connecting('connecting');
      try {
        await this.connect();
        this.connected = true;
      } catch (error) {
        await this.disconnect().catch(() => undefined);
        this.life.lost(messageOf(error));
        throw new HvCommandError(`${this.id} cannot be reached: ${messageOf(error)}`, 'unreachable');
      } finally {
        this.connecting = null;
      }
    })();
    await this.connecting;
  }

  /** A failure on an open link: drop it when it is gone or failing repeatedly. */
  private async failure(error: unknown): Promise<HvCommandError> {
    if (error instanceof HvCommandError && error.reason !== 'unreachable') return error;
    const message = messageOf(error);
    const lost = error instanceof Error && LINK_LOST.has(error.name);
    if (lost) this.life.lost(message);
    const drop = lost || this.life.failed(message);
    if (drop) {
      this.connected = false;
      await this.disconnect().catch(() => undefined);
    }
    return new HvCommandError(`${this.id}: ${message}`, 'unreachable');
  }

  async poll(): Promise<HvPoll> {
    await this.ensureConnected();
    try {
      const { poll, problems } = await this.readAll();
      if (problems.length) this.life.partial(problems.join('; '));
      else this.life.succeeded();
      return poll;
    } catch (error) {
      throw await this.failure(error);
    }
  }

  private async run(channel: number, op: HvWrite): Promise<void> {
    if (!Number.isInteger(channel) || channel < 0 || channel >= this.channels().length) {
      throw new HvCommandError(`${this.id} has channels 0–${this.channels().length - 1}, not ${channel}`, 'refused');
    }
    await this.ensureConnected();
    try {
      await this.write(channel, op);
    } catch (error) {
      throw await this.failure(error);
    }
  }

  set(channel: number, parameter: HvParameter, value: number): Promise<void> {
    const range = this.limits()[parameter];
    if (!Number.isFinite(value) || value < range.min || value > range.max) {
      return Promise.reject(new HvCommandError(`${parameter} must be between ${range.min} and ${range.max}, not ${value}`, 'refused'));
    }
    return this.run(channel, { kind: 'set', parameter, value });
  }

  switch(channel: number, on: boolean): Promise<void> {
    return this.run(channel, { kind: 'switch', on });
  }

  clearAlarms(channel: number): Promise<void> {
    return this.run(channel, { kind: 'clear' });
  }

  async close(): Promise<void> {
    this.connected = false;
    await this.disconnect();
    this.life.closed();
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
