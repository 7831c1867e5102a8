// What every module behind the VME bridge does the same way: take a handle on the shared bridge, set the
// module up when connecting, keep the lifecycle (connecting → online → degraded → offline) and the
// reconnect backoff, and tell a silent bridge (offline at once: nothing behind it can answer) from a failed
// VME cycle (degraded, and offline only after FAILURES_BEFORE_RECONNECT in a row).
import { describeTransport, type DeviceIdentity, type DriverContext, type DriverState, type TransportSpec } from '../sdk/index';
import { DeviceLifecycle } from '../sdk/lifecycle';
import { vmeBridge, VmeTimeoutError, type VmeBridge } from './bridge';

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export abstract class VmeDevice {
  readonly address: string;
  protected readonly life: DeviceLifecycle;
  protected bridge: VmeBridge | null = null;
  private connecting: Promise<VmeBridge> | null = null;
  private busy: Promise<void> = Promise.resolve();
  private seenAt: number | null = null;
  protected identified: DeviceIdentity | null = null;
  protected closed = false;

  constructor(
    readonly id: string,
    protected readonly transport: TransportSpec,
    protected readonly context: DriverContext,
  ) {
    this.address = describeTransport(transport);
    this.life = new DeviceLifecycle(context.now);
  }

  /** Identify and set the module up on a fresh handle; throw with why not. */
  protected abstract configure(bridge: VmeBridge): Promise<DeviceIdentity>;
  /** The capability's own error class, with the device's name in the message. */
  protected abstract problem(message: string): Error;

  state(): DriverState {
    return this.life.state();
  }

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
      await Promise.race([this.connected(), late]);
    } finally {
      clearTimeout(timer);
    }
    return this.identified!;
  }

  reconnect(): void {
    this.life.retryNow();
    if (!this.bridge) return;
    this.life.connecting('reconnecting on request');
    void this.drop();
  }

  private async drop(): Promise<void> {
    const b = this.bridge;
    this.bridge = null;
    await b?.close();
  }

  protected async connected(): Promise<VmeBridge> {
    if (this.closed) throw this.problem(`${this.id} is closed`);
    if (this.bridge) return this.bridge;
    if (!this.life.mayConnect()) throw this.problem(`${this.id} is offline (${this.life.why()})`);
    this.connecting ??= (async () => {
      this.life.connecting('connecting');
      const handle = vmeBridge(this.transport, this.context);
      try {
        this.identified = await this.configure(handle);
        this.seenAt = this.context.now();
        this.bridge = handle;
        this.life.succeeded('set up');
        return handle;
      } catch (error) {
        await handle.close();
        this.life.lost(messageOf(error));
        throw this.problem(`${this.id} cannot be set up: ${messageOf(error)}`);
      } finally {
        this.connecting = null;
      }
    })();
    return this.connecting;
  }

  /**
   * Run cycles on the module, within `deadlineMs` when given. A silent bridge (or the deadline) is the
   * connection lost; a failed cycle counts towards FAILURES_BEFORE_RECONNECT.
   */
  protected async use<T>(work: (bridge: VmeBridge) => Promise<T>, deadlineMs?: number): Promise<T> {
    const bridge = await this.connected();
    let timer: NodeJS.Timeout | undefined;
    try {
      // One piece of work at a time, even past a caller's deadline: a read is several transactions (trigger,
      // event count, MEB blocks), and two interleaved reads took each other's MEB words.
      const run = this.busy.then(() => work(bridge));
      this.busy = run.then(
        () => undefined,
        () => undefined,
      );
      // Past the deadline its outcome no longer matters, but it must not go unhandled.
      run.catch(() => undefined);
      const result = deadlineMs
        ? await Promise.race([
            run,
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new VmeTimeoutError(`no answer within ${deadlineMs} ms`)), deadlineMs);
            }),
          ])
        : await run;
      if (this.closed) throw this.problem(`${this.id} is closed`);
      this.seenAt = this.context.now();
      this.life.succeeded();
      return result;
    } catch (error) {
      if (this.closed) throw this.problem(`${this.id} is closed`);
      const message = `${bridge.address}: ${messageOf(error)}`;
      if (error instanceof VmeTimeoutError) {
        this.life.lost(message);
        await this.drop();
      } else if (this.life.failed(message)) await this.drop();
      throw this.problem(`${this.id}: ${messageOf(error)}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
    this.life.closed();
  }
}
