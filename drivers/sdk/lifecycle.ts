// The driver lifecycle every device shares: connecting → online → degraded → offline, and reconnecting with
// exponential backoff and jitter, so a device that is gone is not hammered (and a device that is back is
// found again within the longest backoff), and devices that went down together (a crate's power, a
// network switch) do not all retry in the same millisecond.
import type { DriverState } from './index';

/** Named defaults: first retry after 0.5 s, doubling up to 10 s (a restarted crate is back within 10 s). */
export const BACKOFF = { firstMs: 500, maxMs: 10_000 } as const;
/** Each wait is stretched or shrunk at random by up to this share (±20 %). */
export const BACKOFF_JITTER = 0.2;

export interface BackoffOptions {
  firstMs: number;
  maxMs: number;
  /** A number in [0, 1): Math.random by default (tests give their own). */
  random?: () => number;
}
/** Consecutive failed polls on an open connection before it is dropped and reopened. */
export const FAILURES_BEFORE_RECONNECT = 3;

export class DeviceLifecycle {
  private current: DriverState = 'connecting';
  private reason = 'not connected yet';
  private readonly listeners = new Set<(state: DriverState, reason: string) => void>();
  private failures = 0;
  private retryAt = 0;
  private backoffMs: number;
  private readonly backoff: BackoffOptions;

  constructor(
    private readonly now: () => number,
    backoff: BackoffOptions = BACKOFF,
  ) {
    this.backoff = backoff;
    this.backoffMs = backoff.firstMs;
  }

  state(): DriverState {
    return this.current;
  }

  why(): string {
    return this.reason;
  }

  onState(listener: (state: DriverState, reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(state: DriverState, reason: string): void {
    if (state === this.current && reason === this.reason) return;
    this.current = state;
    this.reason = reason;
    for (const l of this.listeners) l(state, reason);
  }

  /** May a connection attempt be made now, or is the backoff still running? */
  mayConnect(): boolean {
    return this.now() >= this.retryAt;
  }

  /** Milliseconds until the next connection attempt is allowed. */
  retryInMs(): number {
    return Math.max(0, this.retryAt - this.now());
  }

  connecting(reason: string): void {
    this.set('connecting', reason);
  }

  /** An operator asked for a reconnect: the next attempt may be made at once, with the backoff reset. */
  retryNow(): void {
    this.retryAt = 0;
    this.backoffMs = this.backoff.firstMs;
  }

  /** A full, clean poll (or connect): online, backoff reset. */
  succeeded(reason = 'answering'): void {
    this.failures = 0;
    this.backoffMs = this.backoff.firstMs;
    this.retryAt = 0;
    this.set('online', reason);
  }

  /** The device answered, but not everything: garbage, a timeout, a refused read. */
  partial(reason: string): void {
    this.set('degraded', reason);
  }

  /**
   * A poll on an open connection failed. Returns true when the connection should be dropped and reopened
   * (after FAILURES_BEFORE_RECONNECT in a row).
   */
  failed(reason: string): boolean {
    this.failures++;
    if (this.failures >= FAILURES_BEFORE_RECONNECT) {
      this.lost(reason);
      return true;
    }
    this.set('degraded', reason);
    return false;
  }

  /** The connection is gone or could not be made: offline until the backoff allows the next attempt. */
  lost(reason: string): void {
    this.failures = 0;
    const random = this.backoff.random ?? Math.random;
    const wait = Math.round(this.backoffMs * (1 + BACKOFF_JITTER * (2 * random() - 1)));
    this.retryAt = this.now() + wait;
    this.set('offline', `${reason}; retrying in ${(wait / 1000).toFixed(1)} s`);
    this.backoffMs = Math.min(this.backoff.maxMs, this.backoffMs * 2);
  }

  /** Closed on purpose (or the source ended): offline with no retry. */
  closed(reason = 'closed'): void {
    this.set('offline', reason);
  }
}
