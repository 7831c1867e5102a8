// The alarm system of the core: the engine with the setup's definitions, its sources, a one-second tick,
// annunciation with flood handling, and per-class muting. Everything a screen needs comes out of `live`.
import { EventPublisher } from '@orpc/server';
import type { Db } from '../archive/database';
import type { Logger } from '../log';
import { PRIORITIES, type Priority } from '../shared/alarms';
import type { SpillSummary, Status } from '../shared/api/schemas';
import type { Actor } from './record';
import { AlarmStore } from './alarm-store';
import { Annunciator, type Announcement } from './annunciator';
import { parseDefinitions, RunTypeProfiles, type AlarmDefinitionInput } from './definitions';
import { AlarmEngine, AlarmError, type AlarmView } from './engine';
import type { AlarmKpi } from '../shared/api/alarms';
import { alarmKpi } from './kpi';
import { DaqAlarmSource } from './sources/daq-source';
import { SystemAlarmSource, type SystemCounters } from './sources/system-source';

export interface Mute {
  user: string;
  reason: string;
  at: number;
}
export type MuteState = Record<Priority, Mute | null>;

export type AlarmLiveEvent =
  | { type: 'snapshot'; alarms: AlarmView[]; muted: MuteState; at: number }
  | { type: 'changed'; alarms: AlarmView[]; at: number }
  | { type: 'announce'; announcement: Announcement }
  | { type: 'muted'; muted: MuteState }
  | { type: 'heartbeat'; at: number };

/** An operator action the shift's memory (the logbook) should keep: acknowledgements and shelving. */
export interface AlarmAction {
  action: 'acknowledged' | 'shelved';
  /** With when each last became active (its `since` is now the action's time). */
  alarms: (AlarmView & { raisedAt: number | null })[];
  actor: Actor;
  reason: string;
  /** When the operator acted (the logbook links the run and spill of that moment). */
  at: number;
  until?: number;
}

export interface AlarmServiceOptions {
  db: Db;
  dataDir: string;
  definitions: readonly AlarmDefinitionInput[];
  profiles: RunTypeProfiles;
  /** Alarm ids, groups and id prefixes suppressed by design while there is no beam (the SPS is off). */
  beamOffSuppress?: readonly string[];
  counters: SystemCounters;
  /** The core's status now: the tick follows the beam and the run between status changes. */
  status: () => Status;
  /** Told of every acknowledgement and shelving after it is stored (the logbook writes it down). */
  recordAction?: (action: AlarmAction) => void;
  log: Logger;
  now?: () => number;
}

export class AlarmService {
  readonly engine: AlarmEngine;
  readonly store: AlarmStore;
  readonly live = new EventPublisher<{ alarms: AlarmLiveEvent }>({ maxBufferedEvents: 200 });
  private readonly annunciator: Annunciator;
  private readonly daq: DaqAlarmSource;
  private readonly system: SystemAlarmSource;
  private readonly timer: NodeJS.Timeout;
  private muted: MuteState = Object.fromEntries(PRIORITIES.map((p) => [p, null])) as MuteState;
  private readonly now: () => number;

  constructor(private readonly options: AlarmServiceOptions) {
    this.now = options.now ?? Date.now;
    this.store = new AlarmStore(options.db);
    this.annunciator = new Annunciator((announcement) => this.live.publish('alarms', { type: 'announce', announcement }));
    this.engine = new AlarmEngine(
      parseDefinitions(options.definitions),
      RunTypeProfiles.parse(options.profiles),
      this.store,
      {
        changed: (alarms) => this.live.publish('alarms', { type: 'changed', alarms, at: this.now() }),
        annunciate: (a) => this.annunciator.push(a),
      },
      this.now,
    );
    this.engine.beamOffSuppress = options.beamOffSuppress ?? [];
    const send = (values: Record<string, number | boolean | null>) => this.engine.update(values);
    this.daq = new DaqAlarmSource(send);
    this.system = new SystemAlarmSource(options.dataDir, options.counters, send);
    this.timer = setInterval(() => this.tick(), 1000);
    this.timer.unref();
  }

  private tick(): void {
    try {
      const now = this.now();
      this.status(this.options.status());
      this.system.sample(now);
      this.engine.tick();
      this.live.publish('alarms', { type: 'heartbeat', at: now });
    } catch (error) {
      // The alarm system must keep running: a failed tick is logged and the next one tries again.
      this.options.log.error({ err: error }, 'alarm tick failed');
    }
  }

  /** Feed of the core: status changes (and every tick) and stored spills. */
  status(s: Status): void {
    this.engine.setRunType(s.run.state === 'idle' ? null : (s.run.current?.type ?? null));
    this.engine.setBeamOff(s.beam.noBeam);
    this.daq.status(s, this.now());
  }

  /** The DAQ stream began (WE) or ended (EE) a spill: what the no-spill alarm counts. */
  daqSignal(signal: 'WE' | 'EE', at: number): void {
    this.daq.daqSignal(signal, at);
  }

  spill(summary: SpillSummary): void {
    this.daq.spill(summary);
  }

  /** Values from a domain that owns its own alarm inputs (HV, data quality…). */
  update(values: Record<string, number | boolean | null>): void {
    this.engine.update(values);
  }

  acknowledge(ids: readonly string[], actor: Actor, reason: string): AlarmView[] {
    const before = new Set(this.engine.list().filter((v) => v.state === 'unack' || v.state === 'rtn-unack').map((v) => v.id));
    const views = this.engine.acknowledge(ids, actor, reason);
    const acknowledged = views.filter((v) => before.has(v.id));
    if (acknowledged.length) this.record({ action: 'acknowledged', alarms: this.raised(acknowledged), actor, reason, at: this.now() });
    return views;
  }

  shelve(id: string, actor: Actor, reason: string, until: number): AlarmView {
    const view = this.engine.shelve(id, actor, reason, until);
    this.record({ action: 'shelved', alarms: this.raised([view]), actor, reason, at: this.now(), until });
    return view;
  }

  private raised(views: readonly AlarmView[]): AlarmAction['alarms'] {
    const now = this.now();
    return views.map((v) => ({ ...v, raisedAt: this.store.lastActivation(v.id, now) }));
  }

  private record(action: AlarmAction): void {
    try {
      this.options.recordAction?.(action);
    } catch (error) {
      // The action itself is stored in the alarm log; a failed logbook entry must not undo or hide it.
      this.options.log.error({ err: error, action: action.action }, 'could not write the alarm action to the logbook');
    }
  }

  snapshot(): AlarmLiveEvent {
    return { type: 'snapshot', alarms: this.engine.list(), muted: { ...this.muted }, at: this.now() };
  }

  mutedState(): MuteState {
    return { ...this.muted };
  }

  /** Mute or unmute the sound of one priority class for every screen. Critical alarms cannot be muted. */
  mute(priority: Priority, muted: boolean, actor: Actor, reason: string): MuteState {
    if (priority === 'critical' && muted) throw new AlarmError('critical alarms cannot be muted');
    if (muted && !reason.trim()) throw new AlarmError('muting needs a reason');
    const now = this.now();
    const was = this.muted[priority] !== null;
    this.store.append([
      {
        at: now,
        alarm: `sound:${priority}`,
        kind: muted ? 'muted' : 'unmuted',
        from: was ? 'suppressed' : 'normal',
        to: muted ? 'suppressed' : 'normal',
        priority,
        value: null,
        user: actor.user,
        role: actor.role,
        reason: reason.trim() || null,
      },
    ]);
    this.muted = { ...this.muted, [priority]: muted ? { user: actor.user, reason: reason.trim(), at: now } : null };
    this.options.log.warn({ priority, muted, user: actor.user, reason }, 'alarm sound muting changed');
    this.live.publish('alarms', { type: 'muted', muted: this.mutedState() });
    return this.mutedState();
  }

  kpi(from: number, to: number): AlarmKpi {
    const log = this.store.log({ from, to, kinds: ['activated', 'escalated'], limit: 100_000 });
    const shelved = this.engine
      .list()
      .filter((v) => v.shelved)
      .map((v) => ({ alarm: v.id, user: v.shelved!.user, reason: v.shelved!.reason, until: v.shelved!.until }));
    return alarmKpi(log, from, to, shelved, { acknowledgeDelaysMs: this.store.acknowledgeDelays(from, to), standing: this.store.standingAt(to) });
  }

  close(): void {
    clearInterval(this.timer);
    this.annunciator.close();
    this.system.close();
  }
}
