// The HV service: the site's HV supplies (from the drivers host), polled at each supply's rate; the latest
// readback per channel of the HV map with its status words and how fresh it is; every write with its
// lifecycle (requested → sent → acknowledged → confirmed by readback, or refused / timed out), its role
// check and its audit row; the history writer; snapshots.
import { EventPublisher } from '@orpc/server';
import { HvCommandError, type Device, type HvBoardStatus, type HvReadback, type HvSupply } from '../../drivers/sdk/index';
import type { HvMap, HvMapChannel } from '../../setups/hv-map';
import type { Db } from '../archive/database';
import type { Logger } from '../log';
import { allowed, PERMISSIONS, type Permission, type Session } from '../shared/auth';
import type { HvAction, HvChannel, HvCommand, HvCommandPhase, HvLiveEvent, HvOverview, HvSupplyStatus, Staleness } from '../shared/api/hv';
import { HvAudit } from './audit';
import { HvHistory } from './history';

/**
 * A readback counts as stuck when VMON and IMON came back bit-identical this many times in a row while the
 * channel is on: with ADC noise of a few LSB that happens by chance about once in 10⁸ channel-polls, and a
 * frozen monitor is caught within two poll periods.
 */
export const STUCK_AFTER_REPEATS = 2;
/** A reading older than this many poll periods is "not updated" (the poll is late, slow or failing). */
export const STALE_AFTER_POLLS = 2.5;
/** How long a write may take to show in the readback before its command is "timed out". */
export function confirmTimeoutMs(pollMs: number): number {
  return Math.max(5000, 4 * pollMs);
}

export class HvNotFoundError extends Error {}
export class HvForbiddenError extends Error {}

interface ChannelState {
  spec: HvMapChannel;
  board: number;
  boardChannel: number;
  reading: HvReadback | null;
  readAt: number | null;
  repeats: number;
  staleness: Staleness;
  /** Last conditions published on `events`, to announce changes only. */
  announced: string;
}

interface SupplyState {
  id: string;
  driver: HvSupply;
  timer: NodeJS.Timeout | null;
  polling: boolean;
  lastPollAt: number | null;
  boards: HvBoardStatus[];
  /** Channel index on the supply → state (spare channels are absent). */
  byChannel: Map<number, ChannelState>;
}

interface Watch {
  command: HvCommand;
  index: number;
  channel: ChannelState;
  done: (r: HvReadback) => boolean;
  deadline: number;
}

/** What other domains (the alarm system) react to. */
export interface HvEvents {
  /** A channel's status words or freshness changed (trip, over-current, interlock, stale, …). */
  'channel-conditions': { channel: string; detector: string; conditions: string[]; latched: string[]; staleness: Staleness; vmon: number | null; vset: number | null; at: number };
}

export interface HvServiceOptions {
  setup: string;
  map: HvMap;
  /** The site's HV supplies, by device id (the HV map names them). */
  supplies: readonly HvSupply[];
  db: Db;
  log: Logger;
  now?: () => number;
  /** Overrides the poll period of every supply (tests). */
  pollMs?: number;
}

const TOLERANCE: Record<string, number> = { vset: 0.051, iset: 0.011, rampUp: 0.51, rampDown: 0.51, tripTime: 0.051, maxV: 0.51 };

export class HvService {
  readonly live = new EventPublisher<{ hv: HvLiveEvent }>({ maxBufferedEvents: 200 });
  readonly events = new EventPublisher<HvEvents>({ maxBufferedEvents: 1000 });
  readonly history: HvHistory;
  readonly audit: HvAudit;
  private readonly supplies: SupplyState[] = [];
  private readonly channels = new Map<string, ChannelState>();
  private readonly order: ChannelState[] = [];
  private readonly recent: HvCommand[] = [];
  private watches: Watch[] = [];
  private nextCommand = 1;
  private closed = false;
  private readonly now: () => number;

  private constructor(private readonly options: HvServiceOptions) {
    this.now = options.now ?? Date.now;
    this.history = new HvHistory(options.db, options.map.channels.map((c) => c.name));
    this.audit = new HvAudit(options.db);
  }

  static open(options: HvServiceOptions): HvService {
    const service = new HvService(options);
    for (const driver of options.supplies) service.addSupply(driver);
    for (const s of service.supplies) service.schedule(s, 0);
    return service;
  }

  private addSupply(driver: HvSupply): void {
    const state: SupplyState = { id: driver.id, driver, timer: null, polling: false, lastPollAt: null, boards: [], byChannel: new Map() };
    for (const c of this.options.map.channels.filter((m) => m.device === driver.id)) {
      const info = driver.channels()[c.channel];
      const ch: ChannelState = {
        spec: c,
        board: info?.board ?? 0,
        boardChannel: info?.boardChannel ?? c.channel,
        reading: null,
        readAt: null,
        repeats: 0,
        staleness: 'no-reading',
        announced: '',
      };
      state.byChannel.set(c.channel, ch);
      this.channels.set(c.name, ch);
      this.order.push(ch);
    }
    this.supplies.push(state);
  }

  /**
   * A site load replaced a supply (its address or options changed): its channels keep their history and
   * follow the new device from its first poll. Adding or removing a supply the HV map names is refused
   * before this (the map cannot change while the app runs).
   */
  replaceSupply(id: string, next: Device | null): void {
    const s = this.supplies.find((x) => x.id === id);
    if (!s) return;
    if (s.timer) clearTimeout(s.timer);
    if (!next) {
      this.supplies.splice(this.supplies.indexOf(s), 1);
      return;
    }
    s.driver = next as HvSupply;
    s.boards = [];
    for (const ch of s.byChannel.values()) {
      const info = s.driver.channels()[ch.spec.channel];
      ch.board = info?.board ?? 0;
      ch.boardChannel = info?.boardChannel ?? ch.spec.channel;
    }
    this.schedule(s, 0);
  }

  private pollMs(s: SupplyState): number {
    return this.options.pollMs ?? s.driver.pollMs;
  }

  private schedule(s: SupplyState, delay: number): void {
    if (this.closed) return;
    s.timer = setTimeout(() => {
      const started = this.now();
      const driver = s.driver;
      void this.pollSupply(s).finally(() => {
        // A replaced supply's old poll loop ends here; the new device has its own.
        if (s.driver === driver && this.supplies.includes(s)) this.schedule(s, Math.max(0, this.pollMs(s) - (this.now() - started)));
      });
    }, delay);
  }

  private async pollSupply(s: SupplyState): Promise<void> {
    if (s.polling || this.closed) return;
    s.polling = true;
    try {
      const poll = await s.driver.poll();
      const at = this.now();
      s.lastPollAt = at;
      s.boards = poll.boards;
      const n = this.order.length;
      const vmon = new Float64Array(n).fill(NaN);
      const imon = new Float64Array(n).fill(NaN);
      const status = new Int32Array(n);
      for (const r of poll.channels) {
        const ch = s.byChannel.get(r.channel);
        if (!ch) continue;
        const prev = ch.reading;
        const same = prev !== null && prev.vmon === r.vmon && prev.imon === r.imon && r.on && r.vmon > 0;
        ch.repeats = same ? ch.repeats + 1 : 0;
        ch.reading = r;
        ch.readAt = at;
        const k = this.order.indexOf(ch);
        vmon[k] = r.vmon;
        imon[k] = r.imon;
        status[k] = r.rawStatus;
      }
      if (!this.closed) this.history.transaction(() => this.history.record(at, vmon, imon, status));
    } catch (error) {
      if (!(error instanceof HvCommandError)) this.options.log.error({ err: error, supply: s.id }, 'HV poll failed');
    } finally {
      s.polling = false;
    }
    if (this.closed) return;
    this.refresh(s);
    this.checkWatches();
    this.live.publish('hv', { type: 'channels', serverTime: this.now(), supply: this.supplyStatus(s), channels: [...s.byChannel.values()].map((c) => this.view(c)) });
  }

  /** Recompute freshness of a supply's channels and announce changed conditions. */
  private refresh(s: SupplyState): void {
    const now = this.now();
    const state = s.driver.state();
    for (const ch of s.byChannel.values()) {
      let st: Staleness = 'fresh';
      if (!ch.reading || ch.readAt === null) st = 'no-reading';
      else if (state === 'offline' || state === 'connecting') st = 'supply-offline';
      else if (now - ch.readAt > STALE_AFTER_POLLS * this.pollMs(s)) st = 'not-updated';
      else if (ch.repeats >= STUCK_AFTER_REPEATS) st = 'readback-stuck';
      ch.staleness = st;
      const conditions = ch.reading?.conditions ?? [];
      const latched = ch.reading?.latched ?? [];
      const key = `${conditions.join(',')}|${latched.join(',')}|${st}`;
      if (key !== ch.announced) {
        ch.announced = key;
        this.events.publish('channel-conditions', {
          channel: ch.spec.name,
          detector: ch.spec.detector,
          conditions: [...conditions],
          latched: [...latched],
          staleness: st,
          vmon: ch.reading?.vmon ?? null,
          vset: ch.reading?.vset ?? null,
          at: now,
        });
      }
    }
  }

  private supplyStatus(s: SupplyState): HvSupplyStatus {
    return {
      id: s.id,
      model: s.driver.model,
      address: s.driver.address,
      state: s.driver.state(),
      reason: s.driver.stateReason(),
      pollMs: this.pollMs(s),
      lastPollAt: s.lastPollAt,
      boards: s.boards,
    };
  }

  private view(ch: ChannelState): HvChannel {
    const r = ch.reading;
    return {
      name: ch.spec.name,
      detector: ch.spec.detector,
      supply: ch.spec.device,
      channel: ch.spec.channel,
      board: ch.board,
      boardChannel: ch.boardChannel,
      nominalVolts: ch.spec.nominalVolts,
      vset: r?.vset ?? null,
      vmon: r?.vmon ?? null,
      iset: r?.iset ?? null,
      imon: r?.imon ?? null,
      rampUp: r?.rampUp ?? null,
      rampDown: r?.rampDown ?? null,
      tripTime: r?.tripTime ?? null,
      maxV: r?.maxV ?? null,
      on: r?.on ?? null,
      conditions: r ? [...r.conditions] : [],
      latched: r ? [...r.latched] : [],
      rawStatus: r?.rawStatus ?? null,
      updatedAt: ch.readAt,
      staleness: ch.staleness,
    };
  }

  overview(): HvOverview {
    for (const s of this.supplies) this.refresh(s);
    return {
      setup: this.options.setup,
      serverTime: this.now(),
      supplies: this.supplies.map((s) => this.supplyStatus(s)),
      channels: this.order.map((c) => this.view(c)),
    };
  }

  recentCommands(): readonly HvCommand[] {
    return this.recent;
  }

  channel(name: string): HvChannel {
    const ch = this.channels.get(name);
    if (!ch) throw new HvNotFoundError(`no HV channel "${name}" in setup ${this.options.setup}`);
    return this.view(ch);
  }

  // ── Commands ──

  static permissionFor(action: HvAction): Permission {
    return action.kind === 'set' ? 'hv.set' : 'hv.switch';
  }

  private describe(action: HvAction, count: number, first: string): string {
    const what = action.kind === 'switch' ? `switch ${action.on ? 'on' : 'off'}` : action.kind === 'clear' ? 'clear alarms of' : `set ${action.parameter} = ${action.value} on`;
    return `${what} ${count === 1 ? first : `${count} channels`}`;
  }

  /**
   * Write to channels as `session`. The role is checked here for every write (a refused attempt is audited
   * too); `permission` overrides the action's own (restoring the golden snapshot is a shifter's action).
   */
  async command(session: Session, names: readonly string[], action: HvAction, reason: string, permission = HvService.permissionFor(action)): Promise<HvCommand> {
    const parameter = action.kind === 'set' ? action.parameter : action.kind === 'switch' ? 'on' : 'clear-alarms';
    const newValue = action.kind === 'set' ? String(action.value) : action.kind === 'switch' ? (action.on ? 'on' : 'off') : null;
    // The role first: a refused caller learns nothing about the channels, not even which exist.
    this.authorize(session, permission, names, { parameter, new: newValue, old: (ch) => this.oldValue(ch, action) }, reason);
    const targets = names.map((n) => {
      const ch = this.channels.get(n);
      if (!ch) throw new HvNotFoundError(`no HV channel "${n}" in setup ${this.options.setup}`);
      return ch;
    });
    const at = this.now();
    const command: HvCommand = {
      id: this.nextCommand++,
      at,
      user: session.user,
      action,
      description: this.describe(action, targets.length, targets[0]!.spec.name),
      channels: targets.map((t) => ({ channel: t.spec.name, phase: 'requested' as HvCommandPhase, message: '' })),
    };
    this.recent.unshift(command);
    if (this.recent.length > 50) this.recent.pop();
    this.publishCommand(command);
    for (const [i, ch] of targets.entries()) {
      const supply = this.supplies.find((s) => s.id === ch.spec.device)!;
      const entry = command.channels[i]!;
      entry.phase = 'sent';
      const old = this.oldValue(ch, action);
      try {
        if (action.kind === 'set') await supply.driver.set(ch.spec.channel, action.parameter, action.value);
        else if (action.kind === 'switch') await supply.driver.switch(ch.spec.channel, action.on);
        else await supply.driver.clearAlarms(ch.spec.channel);
        entry.phase = 'acknowledged';
        this.audit.append({ at: this.now(), user: session.user, role: session.role, channel: ch.spec.name, parameter, old, new: newValue, reason, result: 'acknowledged', detail: '' });
        this.watches.push({ command, index: i, channel: ch, done: this.confirmation(action), deadline: this.now() + confirmTimeoutMs(this.pollMs(supply)) });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const unreachable = error instanceof HvCommandError && error.reason === 'unreachable';
        entry.phase = unreachable ? 'failed' : 'refused';
        entry.message = message;
        this.audit.append({ at: this.now(), user: session.user, role: session.role, channel: ch.spec.name, parameter, old, new: newValue, reason, result: unreachable ? 'unreachable' : 'refused', detail: message });
      }
    }
    this.publishCommand(command);
    return structuredClone(command);
  }

  /**
   * Refuse `session` unless its role allows `permission`, before anything is read or compared; the refusal
   * is audited on each named channel, with its present value.
   */
  authorize(
    session: Session,
    permission: Permission,
    names: readonly string[],
    what: { parameter: string; new: string | null; old?: (ch: ChannelState) => string | null },
    reason: string,
  ): void {
    if (allowed(session.role, permission)) return;
    const message = `${permission} needs the ${PERMISSIONS[permission]} role; ${session.user} is ${session.role}`;
    const at = this.now();
    // Channels that exist, or the first name given when none does: names made up by the caller do not fill the trail.
    const known = names.filter((n) => this.channels.has(n));
    for (const name of known.length ? known : names.slice(0, 1)) {
      const ch = this.channels.get(name);
      const old = ch && what.old ? what.old(ch) : null;
      this.audit.append({ at, user: session.user, role: session.role, channel: name, parameter: what.parameter, old, new: what.new, reason, result: 'forbidden', detail: message });
    }
    throw new HvForbiddenError(message);
  }

  /** What `action` would replace on channel `name` as last read (null: unknown channel or no reading yet). */
  currentValue(name: string, action: HvAction): string | null {
    const ch = this.channels.get(name);
    return ch ? this.oldValue(ch, action) : null;
  }

  private oldValue(ch: ChannelState, action: HvAction): string | null {
    const r = ch.reading;
    if (!r) return null;
    if (action.kind === 'set') return String(r[action.parameter]);
    if (action.kind === 'switch') return r.on ? 'on' : 'off';
    return r.latched.join(' ') || null;
  }

  private confirmation(action: HvAction): (r: HvReadback) => boolean {
    if (action.kind === 'set') return (r) => Math.abs(r[action.parameter] - action.value) <= TOLERANCE[action.parameter]!;
    if (action.kind === 'switch') return (r) => r.on === action.on;
    return (r) => !r.conditions.includes('trip') && r.latched.length === 0;
  }

  private checkWatches(): void {
    const now = this.now();
    const touched = new Set<HvCommand>();
    this.watches = this.watches.filter((w) => {
      const entry = w.command.channels[w.index]!;
      const r = w.channel.reading;
      if (r && w.channel.staleness === 'fresh' && w.done(r)) {
        entry.phase = 'confirmed';
      } else if (now > w.deadline) {
        entry.phase = 'timed-out';
        entry.message = 'the readback did not show the new value in time';
      } else return true;
      touched.add(w.command);
      return false;
    });
    for (const c of touched) this.publishCommand(c);
  }

  private publishCommand(command: HvCommand): void {
    this.live.publish('hv', { type: 'command', command: structuredClone(command) });
  }

  /** The settings to save in a snapshot: every channel that has a reading. */
  liveSettings() {
    return this.order
      .filter((c) => c.reading)
      .map((c) => {
        const r = c.reading!;
        return { channel: c.spec.name, on: r.on, vset: r.vset, iset: r.iset, rampUp: r.rampUp, rampDown: r.rampDown, tripTime: r.tripTime };
      });
  }

  detectorOf(name: string): string {
    return this.channels.get(name)?.spec.detector ?? '?';
  }

  channelNames(): string[] {
    return this.order.map((c) => c.spec.name);
  }

  /** Stop polling (the drivers host closes the devices). */
  close(): void {
    this.closed = true;
    for (const s of this.supplies) if (s.timer) clearTimeout(s.timer);
  }
}
