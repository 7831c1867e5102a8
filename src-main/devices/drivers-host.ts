// The drivers host: creates every device of the site from its plugin, owns the devices' lifecycle
// (connecting → online → degraded → offline; the drivers reconnect with backoff and jitter), and hands the
// services what they use by capability (the DAQ event stream, the HV supplies). It keeps each device's
// health (state since when, last error, last answer, reconnects, identity) for the API, the metrics and
// the alarms, and writes every state change and every operator action on a device to the device log.
// Nothing here knows whether a device is hardware or a simulator at a loopback address.
import { EventPublisher } from '@orpc/server';
import type { Capabilities, Capability, Device, DriverContext, DriverState, EventSource, HvSupply, SpsTiming } from '../../drivers/sdk/index';
import type { Logger } from '../log';
import type { DeviceChange, DeviceStatus, DevicesLiveEvent, SiteInfo } from '../shared/api/devices';
import type { Session } from '../shared/auth';
import type { DeviceStore } from './device-store';
import { optionsLine, type LoadedSite, type SiteDevice } from './site-file';

/** Live updates of the devices at most this often: a degraded stream can change its reason every event. */
const PUBLISH_MS = 250;
/** And at least this often, so the age of each device's last answer is current on every screen. */
const REFRESH_MS = 1000;

interface Tracked {
  entry: SiteDevice;
  device: Device;
  state: DriverState;
  reason: string;
  since: number;
  lastError: string | null;
  lastErrorAt: number | null;
  reconnects: number;
  everOnline: boolean;
  /** Offline and not back since: a retry's "connecting" keeps the alarm raised. */
  down: boolean;
  stop: () => void;
}

export class DeviceNotFoundError extends Error {}
export class SiteChangeError extends Error {}

export interface DriversHostOptions {
  store: DeviceStore;
  log: Logger;
  /** Alarm inputs: device:<id>:offline and device:<id>:degraded. */
  alarms: (values: Record<string, boolean>) => void;
  now?: () => number;
}

/** A service that holds a device of one kind swaps it for its replacement here (site loads, between runs). */
export type Replacer = (id: string, next: Device | null, previous: Device | null) => Promise<void> | void;

export class DriversHost {
  readonly live = new EventPublisher<{ devices: DevicesLiveEvent }>({ maxBufferedEvents: 100 });
  private readonly tracked = new Map<string, Tracked>();
  private currentSite: LoadedSite;
  private siteSince: { at: number; by: string };
  private readonly replacers = new Map<Capability, Replacer>();
  private publishTimer: NodeJS.Timeout | null = null;
  private readonly refreshTimer: NodeJS.Timeout;
  private readonly now: () => number;
  private closed = false;

  constructor(
    site: LoadedSite,
    private readonly options: DriversHostOptions,
    since: { at: number; by: string },
  ) {
    this.now = options.now ?? Date.now;
    this.currentSite = site;
    this.siteSince = since;
    for (const entry of site.devices) this.add(entry);
    this.refreshTimer = setInterval(() => this.schedulePublish(), REFRESH_MS);
    this.refreshTimer.unref();
  }

  private context(id: string): DriverContext {
    const log = this.options.log;
    return {
      now: this.now,
      log: {
        info: (m, f) => log.info({ device: id, ...f }, m),
        warn: (m, f) => log.warn({ device: id, ...f }, m),
        error: (m, f) => log.error({ device: id, ...f }, m),
      },
    };
  }

  private add(entry: SiteDevice): Tracked {
    const device = entry.plugin.create({ id: entry.id, transport: entry.transport, options: entry.options }, this.context(entry.id));
    const t: Tracked = {
      entry,
      device,
      state: device.state(),
      reason: device.stateReason(),
      since: this.now(),
      lastError: null,
      lastErrorAt: null,
      reconnects: 0,
      everOnline: false,
      down: false,
      stop: () => undefined,
    };
    t.stop = device.onState((state, reason) => this.changed(t, state, reason));
    this.tracked.set(entry.id, t);
    this.sendAlarm(t);
    return t;
  }

  private changed(t: Tracked, state: DriverState, reason: string): void {
    const now = this.now();
    const previous = t.state;
    t.reason = reason;
    if (state === 'offline' || state === 'degraded') {
      t.lastError = reason;
      t.lastErrorAt = now;
    }
    if (state !== previous) {
      // The attempts of a device that stays down (connecting, offline again, every backoff) are not news:
      // the log keeps the change to offline and the return, not one pair of lines per retry.
      const retrying = t.down && (state === 'connecting' || (state === 'offline' && previous === 'connecting'));
      t.state = state;
      if (!retrying) t.since = now;
      if (state === 'online' || state === 'degraded') {
        if (t.down && t.everOnline) t.reconnects++;
        t.everOnline = true;
        t.down = false;
      }
      if (state === 'offline') t.down = true;
      if (!this.closed && !retrying) {
        this.options.store.log({ at: now, device: t.entry.id, event: 'state', state, detail: reason, user: null, role: null });
        this.options.log.info({ device: t.entry.id, state, reason }, 'device state');
      }
      this.sendAlarm(t);
    }
    this.schedulePublish();
  }

  private sendAlarm(t: Tracked): void {
    if (this.closed) return;
    const id = t.entry.id;
    this.options.alarms({
      [`device:${id}:offline`]: t.state === 'offline' || (t.state === 'connecting' && t.down),
      [`device:${id}:degraded`]: t.state === 'degraded',
    });
  }

  private schedulePublish(): void {
    if (this.publishTimer || this.closed) return;
    this.publishTimer = setTimeout(() => {
      this.publishTimer = null;
      this.live.publish('devices', { type: 'devices', devices: this.list(), at: this.now() });
    }, PUBLISH_MS);
    this.publishTimer.unref();
  }

  private view(t: Tracked): DeviceStatus {
    return {
      id: t.entry.id,
      plugin: t.entry.plugin.manifest.id,
      kind: t.entry.kind,
      description: t.entry.description,
      address: t.entry.address,
      options: optionsLine(t.entry.options),
      state: t.state,
      reason: t.reason,
      since: t.since,
      lastError: t.lastError,
      lastErrorAt: t.lastErrorAt,
      lastSeenAt: t.device.lastSeenAt(),
      reconnects: t.reconnects,
      identity: t.device.identity(),
    };
  }

  list(): DeviceStatus[] {
    return [...this.tracked.values()].map((t) => this.view(t));
  }

  get(id: string): DeviceStatus {
    const t = this.tracked.get(id);
    if (!t) throw new DeviceNotFoundError(`no device "${id}" in the site; it has ${[...this.tracked.keys()].join(', ')}`);
    return this.view(t);
  }

  site(): LoadedSite {
    return this.currentSite;
  }

  siteInfo(): SiteInfo {
    const s = this.currentSite;
    return {
      name: s.name,
      description: s.description,
      file: s.file,
      format: s.format,
      hash: s.hash,
      setup: s.setup.name,
      hvMap: s.hvMap.file,
      hvChannels: s.hvMap.channels.length,
      simulation: s.simulation,
      text: s.text,
      since: this.siteSince.at,
      by: this.siteSince.by,
    };
  }

  /** The devices that offer a capability, in site order. */
  devicesWith<K extends Capability>(capability: K): Capabilities[K][] {
    return [...this.tracked.values()].filter((t) => t.entry.plugin.manifest.capabilities.includes(capability)).map((t) => t.device as Capabilities[K]);
  }

  /** The DAQ event stream (a valid site has exactly one). */
  eventSource(): EventSource {
    return this.devicesWith('event-source')[0]!;
  }

  hvSupplies(): HvSupply[] {
    return this.devicesWith('hv-supply');
  }

  /** The device the site names as its SPS timing source, null when the spill clock follows the DAQ stream. */
  timingSource(): SpsTiming | null {
    const id = this.currentSite.timing;
    return id === null ? null : ((this.tracked.get(id)?.device as SpsTiming | undefined) ?? null);
  }

  /** A service that holds devices of `capability` is told when a site load replaces, adds or removes one. */
  onReplace(capability: Capability, replacer: Replacer): void {
    this.replacers.set(capability, replacer);
  }

  /** An operator's reconnect: audited, then the device drops its connection and connects again at once. */
  reconnect(id: string, session: Session, reason: string): DeviceStatus {
    const t = this.tracked.get(id);
    if (!t) throw new DeviceNotFoundError(`no device "${id}" in the site; it has ${[...this.tracked.keys()].join(', ')}`);
    this.options.store.log({ at: this.now(), device: id, event: 'reconnect', state: t.state, detail: reason, user: session.user, role: session.role });
    this.options.log.warn({ device: id, user: session.user, reason }, 'device reconnect requested');
    t.device.reconnect();
    return this.view(t);
  }

  /** What loading `next` would do to each device (nothing is applied). */
  plan(next: LoadedSite): DeviceChange[] {
    const changes: DeviceChange[] = [];
    const nextIds = new Set(next.devices.map((d) => d.id));
    for (const d of next.devices) {
      const t = this.tracked.get(d.id);
      if (!t) {
        changes.push({ device: d.id, action: 'added', what: `${d.plugin.manifest.id} at ${d.address}`, result: 'planned', message: '' });
        continue;
      }
      const what: string[] = [];
      if (t.entry.plugin.manifest.id !== d.plugin.manifest.id) what.push(`plugin ${t.entry.plugin.manifest.id} → ${d.plugin.manifest.id}`);
      if (t.entry.address !== d.address) what.push(`address ${t.entry.address} → ${d.address}`);
      if (JSON.stringify(t.entry.options) !== JSON.stringify(d.options)) what.push(`options ${optionsLine(t.entry.options)} → ${optionsLine(d.options)}`);
      changes.push({ device: d.id, action: what.length ? 'replaced' : 'unchanged', what: what.join('; '), result: 'planned', message: '' });
    }
    for (const t of this.tracked.values()) {
      if (!nextIds.has(t.entry.id)) changes.push({ device: t.entry.id, action: 'removed', what: `${t.entry.plugin.manifest.id} at ${t.entry.address}`, result: 'planned', message: '' });
    }
    return changes;
  }

  /**
   * Apply another site device by device: unchanged devices keep their connection; replaced, added and
   * removed ones are swapped in the services that hold them (see `refusal` for what needs a restart).
   */
  /** Why `next` cannot be applied while the app runs (null when it can): the channels, alarms and histograms follow the setup and the HV map. */
  refusal(next: LoadedSite): string | null {
    const current = this.currentSite;
    if (next.setup.name !== current.setup.name) return `the setup cannot change while the app runs (${current.setup.name} → ${next.setup.name}); restart with the new site`;
    const mapOf = (s: LoadedSite) => JSON.stringify(s.hvMap.channels.map(({ line: _line, ...c }) => c));
    if (mapOf(next) !== mapOf(current)) return 'the HV channel map cannot change while the app runs; restart with the new site';
    return null;
  }

  async apply(next: LoadedSite, session: Session, reason: string): Promise<DeviceChange[]> {
    const refused = this.refusal(next);
    if (refused) throw new SiteChangeError(refused);
    const changes = this.plan(next);
    const byId = new Map(next.devices.map((d) => [d.id, d]));
    for (const change of changes) {
      const at = this.now();
      const audit = (event: 'added' | 'removed' | 'replaced', detail: string) =>
        this.options.store.log({ at, device: change.device, event, state: null, detail: `${detail}${reason ? ` (${reason})` : ''}`, user: session.user, role: session.role });
      try {
        if (change.action === 'unchanged') {
          this.tracked.get(change.device)!.entry = byId.get(change.device)!;
          change.result = 'done';
          continue;
        }
        const old = this.tracked.get(change.device) ?? null;
        const entry = byId.get(change.device) ?? null;
        const capability = (entry ?? old!.entry).plugin.manifest.capabilities[0]!;
        // The new device first: if it cannot be made, the old one stays as it was.
        const added = entry ? this.add(entry) : null;
        if (old) {
          old.stop();
          if (!added) this.tracked.delete(change.device);
          await old.device.close();
        }
        await this.replacers.get(capability)?.(change.device, added?.device ?? null, old?.device ?? null);
        if (!added) this.options.alarms({ [`device:${change.device}:offline`]: false, [`device:${change.device}:degraded`]: false });
        audit(change.action, change.what);
        change.result = 'done';
      } catch (error) {
        change.result = 'failed';
        change.message = error instanceof Error ? error.message : String(error);
        this.options.log.error({ err: error, device: change.device }, 'could not apply the site change to a device');
      }
    }
    this.currentSite = next;
    this.siteSince = { at: this.now(), by: session.user };
    this.live.publish('devices', { type: 'site', site: this.siteInfo() });
    this.schedulePublish();
    return changes;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.refreshTimer);
    if (this.publishTimer) clearTimeout(this.publishTimer);
    for (const t of this.tracked.values()) {
      t.stop();
      await t.device.close().catch(() => undefined);
    }
  }
}
