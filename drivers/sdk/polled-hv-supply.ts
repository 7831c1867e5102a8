// What every polled HV driver does the same way, whatever its protocol: open the link when needed, keep
// the lifecycle (connecting → online → degraded → offline) and the reconnect backoff, and turn link and
// protocol failures into HvCommandError with a sentence. A vendor driver supplies connect, read, write.
import {
  HvCommandError,
  type DeviceIdentity,
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
  private seenAt: number | null = null;
  /** Set by `connect` from what the device said (model, serial, firmware). */
  protected identified: DeviceIdentity | null = null;

  constructor(
    readonly id: string,
    /** Where the device is, as people read it (the link's address). */
    readonly address: string,
    readonly pollMs: number,
    protected readonly context: DriverContext,
  ) {
    this.life = new DeviceLifecycle(context.now);
  }

  /** Open the link and identify the device (model, channel count, `identified`); throw on failure. */
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

  lastSeenAt(): number | null {
    return this.seenAt;
  }

  identity(): DeviceIdentity | null {
    return this.identified;
  }

  async identify(timeoutMs: number): Promise<DeviceIdentity> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.ensureConnected(), late]);
    } finally {
      clearTimeout(timer);
    }
    return this.identified ?? { model: this.model, serial: null, firmware: null, detail: 'connected; the device did not say more' };
  }

  reconnect(): void {
    this.life.retryNow();
    if (!this.connected) return;
    this.connected = false;
    this.life.connecting('reconnecting on request');
    void this.disconnect().catch(() => undefined);
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
        this.seenAt = this.context.now();
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
      this.seenAt = this.context.now();
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
    // A command to a device that is down is refused at once with the reason: never queued, never silently lost.
    if (this.life.state() === 'offline') throw new HvCommandError(`${this.id} is offline: ${this.life.why()}`, 'unreachable');
    await this.ensureConnected();
    try {
      await this.write(channel, op);
      this.seenAt = this.context.now();
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
