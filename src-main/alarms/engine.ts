// The alarm engine: definitions in, inputs in, ISA-18.2 states out. Every change is persisted with its log
// entries before it is announced; operator actions carry user, role and reason. Time comes from `now`, so
// the scenario tests drive it without waiting.
import { ALARM_STATES, CHATTER, MAX_SHELVE_MS, type AlarmState, type Guidance, type Priority } from '../shared/alarms';
import type { RunType } from '../shared/api/schemas';
import type { AlarmStore } from './alarm-store';
import { filterLevel, newFilter, rawLevel, type FilterState } from './condition';
import { matchesAny, suppressedBy, type AlarmDefinition, type RunTypeProfiles } from './definitions';
import {
  acknowledge,
  applyLevel,
  newRecord,
  removeFromService,
  reset,
  returnToService,
  setValidity,
  shelve,
  shownPriority,
  shownState,
  unshelve,
  type Actor,
  type AlarmRecord,
  type Change,
  type LogEntry,
} from './record';


export class AlarmError extends Error {}

export interface AlarmView {
  id: string;
  name: string;
  group: AlarmDefinition['group'];
  input: string;
  state: AlarmState;
  priority: Priority | null;
  /** The priority the alarm has when in alarm at its highest level (for sorting the idle list). */
  maxPriority: Priority;
  value: number | null;
  unit: string;
  /** A status-bit alarm (trip, offline…): its value is only true/false and is not worth showing. */
  flag: boolean;
  since: number;
  guidance: Guidance;
  view: string;
  sound: 'priority' | 'none';
  latching: boolean;
  shelved: { user: string; reason: string; until: number } | null;
  outOfService: { user: string; reason: string; at: number } | null;
  invalid: string | null;
  chattering: boolean;
}

export interface Annunciation {
  alarm: string;
  name: string;
  priority: Priority;
  at: number;
  sound: 'priority' | 'none';
}

export interface EngineHooks {
  changed(views: AlarmView[]): void;
  annunciate(annunciation: Annunciation): void;
}

interface InputValue {
  value: number | boolean | null;
  at: number;
}

export class AlarmEngine {
  private readonly defs = new Map<string, AlarmDefinition>();
  private readonly byInput = new Map<string, AlarmDefinition[]>();
  private readonly records: Map<string, AlarmRecord>;
  private readonly filters = new Map<string, FilterState>();
  private readonly inputs = new Map<string, InputValue>();
  private readonly activations = new Map<string, number[]>();
  private runType: RunType | null = null;
  /** No beam (the SPS is off): the alarms of `beamOffSuppress` are suppressed by design meanwhile. */
  private beamOff = false;
  /** Alarm ids or groups ("daq.no-spill", "dq", "beamline.counters*") that mean nothing without beam. */
  beamOffSuppress: readonly string[] = [];
  private readonly startedAt: number;
  /** When the engine last evaluated (its watchdog reads this). */
  lastTick: number;

  constructor(
    definitions: readonly AlarmDefinition[],
    private readonly profiles: RunTypeProfiles,
    private readonly store: AlarmStore,
    private readonly hooks: EngineHooks,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
    this.lastTick = this.startedAt;
    this.records = new Map();
    this.addDefinitions(definitions);
  }

  /** Watch more alarms (a device added by a site load); ids already known are kept as they are. */
  addDefinitions(definitions: readonly AlarmDefinition[]): void {
    const stored = this.store.load();
    for (const def of definitions) {
      if (this.defs.has(def.id)) continue;
      this.defs.set(def.id, def);
      this.byInput.set(def.input, [...(this.byInput.get(def.input) ?? []), def]);
      this.records.set(def.id, stored.get(def.id) ?? newRecord(def.id, this.now()));
      this.filters.set(def.id, newFilter());
    }
  }

  definitions(): AlarmDefinition[] {
    return [...this.defs.values()];
  }

  private suppressed(def: AlarmDefinition): boolean {
    return suppressedBy(this.profiles, this.runType, def) || (this.beamOff && matchesAny(this.beamOffSuppress, def));
  }

  private view(def: AlarmDefinition, r: AlarmRecord, now = this.now()): AlarmView {
    const recent = (this.activations.get(def.id) ?? []).filter((t) => t >= now - CHATTER.withinMs);
    const levels = def.condition.kind === 'true' ? [def.condition.priority] : def.condition.levels.map((l) => l.priority);
    return {
      id: def.id,
      name: def.name,
      group: def.group,
      input: def.input,
      state: shownState(r, this.suppressed(def)),
      priority: shownPriority(r),
      maxPriority: levels.at(-1)!,
      value: r.value,
      unit: def.unit,
      flag: def.condition.kind === 'true',
      since: r.since,
      guidance: def.guidance,
      view: def.view,
      sound: def.sound,
      latching: def.latch,
      shelved: r.shelved ? { user: r.shelved.user, reason: r.shelved.reason, until: r.shelved.until } : null,
      outOfService: r.outOfService ? { user: r.outOfService.user, reason: r.outOfService.reason, at: r.outOfService.at } : null,
      invalid: r.invalid,
      chattering: recent.length >= CHATTER.times,
    };
  }

  list(): AlarmView[] {
    const now = this.now();
    return [...this.defs.values()].map((d) => this.view(d, this.records.get(d.id)!, now));
  }

  get(id: string): AlarmView {
    const def = this.defs.get(id);
    if (!def) throw new AlarmError(`no alarm "${id.slice(0, 128)}"`);
    return this.view(def, this.records.get(id)!);
  }

  /** Apply changes: persist records and log in one transaction, then update memory and tell the hooks. */
  private commit(pending: { def: AlarmDefinition; changes: Change[] }[]): void {
    const now = this.now();
    const writes: { record: AlarmRecord; log: LogEntry[] }[] = [];
    const announce: Annunciation[] = [];
    for (const { def, changes } of pending) {
      if (changes.length === 0) continue;
      const suppressed = this.suppressed(def);
      let before = shownState(this.records.get(def.id)!, suppressed);
      const first = before;
      const log: LogEntry[] = [];
      for (const c of changes) {
        const after = shownState(c.record, suppressed);
        log.push({
          at: now,
          alarm: def.id,
          kind: c.kind,
          from: before,
          to: after,
          priority: shownPriority(c.record),
          value: c.record.value,
          user: c.actor?.user ?? null,
          role: c.actor?.role ?? null,
          reason: c.reason ?? null,
        });
        if (c.kind === 'activated') this.activations.set(def.id, [...(this.activations.get(def.id) ?? []).filter((t) => t >= now - CHATTER.withinMs), now]);
        before = after;
      }
      const record = changes.at(-1)!.record;
      writes.push({ record, log });
      if (before === 'unack' && (first !== 'unack' || changes.some((c) => c.kind === 'escalated'))) {
        announce.push({ alarm: def.id, name: def.name, priority: shownPriority(record)!, at: now, sound: def.sound });
      }
    }
    if (writes.length === 0) return;
    this.store.save(writes);
    for (const w of writes) this.records.set(w.record.id, w.record);
    this.hooks.changed(writes.map((w) => this.view(this.defs.get(w.record.id)!, w.record, now)));
    for (const a of announce) this.hooks.annunciate(a);
  }

  private evaluate(def: AlarmDefinition, now: number): Change[] {
    const changes: Change[] = [];
    let r = this.records.get(def.id)!;
    const push = (c: Change | null) => {
      if (c) {
        changes.push(c);
        r = c.record;
      }
    };
    const input = this.inputs.get(def.input);
    const age = now - (input?.at ?? this.startedAt);
    let invalid: string | null = null;
    if (input && input.value === null) invalid = `${def.input} has no value`;
    else if (def.staleAfterMs !== null && age > def.staleAfterMs) invalid = `no update of ${def.input} for ${Math.round(age / 1000)} s`;
    push(setValidity(r, invalid, now));
    if (invalid === null && input && input.value !== null) {
      const filter = this.filters.get(def.id)!;
      const level = filterLevel(def, filter, rawLevel(def.condition, input.value, filter.raw), r.active, now);
      push(applyLevel(r, level, typeof input.value === 'boolean' ? Number(input.value) : input.value, def.latch, now));
    }
    return changes;
  }

  /** New values of inputs (a source sends what it measured; null means it could not measure). */
  update(values: Readonly<Record<string, number | boolean | null>>): void {
    const now = this.now();
    const touched = new Set<AlarmDefinition>();
    for (const [key, value] of Object.entries(values)) {
      if (typeof value === 'number' && !Number.isFinite(value)) continue;
      this.inputs.set(key, { value, at: now });
      for (const def of this.byInput.get(key) ?? []) touched.add(def);
    }
    this.commit([...touched].map((def) => ({ def, changes: this.evaluate(def, now) })));
  }

  /** Delays, stale inputs and shelving expiries: called about once a second. */
  tick(): void {
    const now = this.now();
    this.lastTick = now;
    const pending: { def: AlarmDefinition; changes: Change[] }[] = [];
    for (const def of this.defs.values()) {
      const changes = this.evaluate(def, now);
      const r = changes.at(-1)?.record ?? this.records.get(def.id)!;
      if (r.shelved && r.shelved.until <= now) {
        const c = unshelve(r, undefined, 'the shelving expired', now);
        if (c) changes.push(c);
      }
      pending.push({ def, changes });
    }
    this.commit(pending);
  }

  /** The run type changed: suppression by design follows it, and is logged. */
  setRunType(runType: RunType | null): void {
    if (runType === this.runType) return;
    this.recontext(() => (this.runType = runType), `run type ${runType ?? 'none'}`);
  }

  /** The SPS went off or came back: the beam alarms are suppressed by design while there is no beam, and that is logged. */
  setBeamOff(off: boolean): void {
    if (off === this.beamOff) return;
    this.recontext(() => (this.beamOff = off), off ? 'no beam: the SPS is off' : 'beam back');
  }

  private recontext(change: () => void, reason: string): void {
    const now = this.now();
    const before = new Map([...this.defs.values()].map((d) => [d.id, this.suppressed(d)]));
    change();
    const pending = [];
    for (const def of this.defs.values()) {
      const was = before.get(def.id)!;
      const is = this.suppressed(def);
      if (was === is) continue;
      const r = this.records.get(def.id)!;
      const from = shownState(r, was);
      const to = shownState(r, is);
      if (from === to) continue;
      // Logged directly: the record itself does not change, the context around it does.
      pending.push({ def, r, from, to });
    }
    if (pending.length === 0) return;
    const writes = pending.map(({ def, r, from, to }) => ({
      record: { ...r, since: now },
      log: [
        {
          at: now,
          alarm: def.id,
          kind: to === 'suppressed' ? ('suppressed' as const) : ('unsuppressed' as const),
          from,
          to,
          priority: shownPriority(r),
          value: r.value,
          user: null,
          role: null,
          reason,
        },
      ],
    }));
    this.store.save(writes);
    for (const w of writes) this.records.set(w.record.id, w.record);
    this.hooks.changed(writes.map((w) => this.view(this.defs.get(w.record.id)!, w.record, now)));
    for (const { def, to } of pending) {
      const r = this.records.get(def.id)!;
      if (to === 'unack') this.hooks.annunciate({ alarm: def.id, name: def.name, priority: shownPriority(r)!, at: now, sound: def.sound });
    }
  }

  private operate(ids: readonly string[], op: (r: AlarmRecord, now: number) => Change | null): AlarmView[] {
    const now = this.now();
    const defs = ids.map((id) => {
      const def = this.defs.get(id);
      if (!def) throw new AlarmError(`no alarm "${id.slice(0, 128)}"`);
      return def;
    });
    this.commit(
      defs.map((def) => {
        const c = op(this.records.get(def.id)!, now);
        return { def, changes: c ? [c] : [] };
      }),
    );
    return defs.map((d) => this.view(d, this.records.get(d.id)!, now));
  }

  acknowledge(ids: readonly string[], actor: Actor, reason: string): AlarmView[] {
    return this.operate(ids, (r, now) => acknowledge(r, actor, reason, now));
  }

  reset(id: string, actor: Actor, reason: string): AlarmView {
    const r = this.records.get(id);
    if (r && !r.latchHeld) throw new AlarmError(`alarm "${id}" is not latched: there is nothing to reset`);
    return this.operate([id], (rec, now) => reset(rec, actor, reason, now))[0]!;
  }

  shelve(id: string, actor: Actor, reason: string, until: number): AlarmView {
    const now = this.now();
    if (!reason.trim()) throw new AlarmError('shelving needs a reason');
    if (!(until > now)) throw new AlarmError('a shelving must end in the future');
    if (until - now > MAX_SHELVE_MS) throw new AlarmError('an alarm can be shelved for at most 7 days');
    return this.operate([id], (r, t) => shelve(r, actor, reason.trim(), until, t))[0]!;
  }

  unshelve(id: string, actor: Actor, reason: string): AlarmView {
    return this.operate([id], (r, now) => unshelve(r, actor, reason, now))[0]!;
  }

  removeFromService(id: string, actor: Actor, reason: string): AlarmView {
    if (!reason.trim()) throw new AlarmError('taking an alarm out of service needs a reason');
    return this.operate([id], (r, now) => removeFromService(r, actor, reason.trim(), now))[0]!;
  }

  returnToService(id: string, actor: Actor, reason: string): AlarmView {
    return this.operate([id], (r, now) => returnToService(r, actor, reason, now))[0]!;
  }

  /** Counts of alarms per shown state (for the banner and the status bar). */
  summary(): Record<AlarmState, number> {
    const counts = Object.fromEntries(ALARM_STATES.map((s) => [s, 0])) as Record<AlarmState, number>;
    for (const v of this.list()) counts[v.state] += 1;
    return counts;
  }
}
