// The persisted state of one alarm and the ISA-18.2 state it shows. Pure functions: the engine decides when
// to call them; the scenario tests drive them directly.
import { maxPriority, priorityRank, type AlarmState, type Priority } from '../shared/alarms';
import type { Role } from '../shared/auth';

export interface Actor {
  user: string;
  role: Role;
}

export interface Shelving extends Actor {
  reason: string;
  at: number;
  until: number;
}

export interface OutOfService extends Actor {
  reason: string;
  at: number;
}

export interface AlarmRecord {
  id: string;
  /** The alarm level the (filtered) condition is at now; null when the condition is clear. */
  active: Priority | null;
  /** Whether the current occurrence has been acknowledged (true when there is nothing to acknowledge). */
  acked: boolean;
  /** The highest priority seen since the last acknowledgement: severity latches until acknowledged. */
  latchedPriority: Priority | null;
  /** A latching alarm whose condition cleared: it waits for a reset. */
  latchHeld: boolean;
  shelved: Shelving | null;
  outOfService: OutOfService | null;
  /** Why the alarm cannot be evaluated (input missing or stale); null when it can. */
  invalid: string | null;
  value: number | null;
  /** When the shown state last changed. */
  since: number;
}

export type LogKind =
  | 'activated'
  | 'escalated'
  | 'deescalated'
  | 'cleared'
  | 'acknowledged'
  | 'reset'
  | 'shelved'
  | 'unshelved'
  | 'out-of-service'
  | 'in-service'
  | 'suppressed'
  | 'unsuppressed'
  | 'cannot-evaluate'
  | 'evaluating'
  | 'muted'
  | 'unmuted';

export interface LogEntry {
  at: number;
  alarm: string;
  kind: LogKind;
  from: AlarmState;
  to: AlarmState;
  priority: Priority | null;
  value: number | null;
  user: string | null;
  role: Role | null;
  reason: string | null;
}

export function newRecord(id: string, now: number): AlarmRecord {
  return {
    id,
    active: null,
    acked: true,
    latchedPriority: null,
    latchHeld: false,
    shelved: null,
    outOfService: null,
    invalid: null,
    value: null,
    since: now,
  };
}

/** The state shown: the overriding states first (maintenance, shelving, suppression, no input), then the alarm cycle. */
export function shownState(r: AlarmRecord, suppressed: boolean): AlarmState {
  if (r.outOfService) return 'out-of-service';
  if (r.shelved) return 'shelved';
  const base = cycleState(r);
  // Suppression hides what would ring; critical alarms always come through, whatever the run type.
  if (suppressed && base !== 'normal' && r.active !== 'critical') return 'suppressed';
  return base;
}

function cycleState(r: AlarmRecord): AlarmState {
  if (r.invalid !== null) return 'cannot-evaluate';
  if (r.active !== null) return r.acked ? 'ack' : 'unack';
  if (r.latchHeld) return 'latched';
  if (!r.acked) return 'rtn-unack';
  return 'normal';
}

/** The priority to show: the latched (highest unacknowledged) one, else the current level. */
export function shownPriority(r: AlarmRecord): Priority | null {
  return r.acked ? r.active : maxPriority(r.latchedPriority, r.active);
}

export interface Change {
  record: AlarmRecord;
  kind: LogKind;
  actor?: Actor | undefined;
  reason?: string | undefined;
}

/** The filtered condition moved to `level` (null = clear). */
export function applyLevel(r: AlarmRecord, level: Priority | null, value: number | null, latching: boolean, now: number): Change | null {
  const prev = r.active;
  if (level === prev) return null;
  const next: AlarmRecord = { ...r, active: level, value, since: now };
  if (prev === null) {
    // A new occurrence: it needs an acknowledgement, its severity latch starts afresh if the last was acknowledged.
    next.acked = false;
    next.latchHeld = false;
    next.latchedPriority = r.acked ? level : maxPriority(r.latchedPriority, level);
    return { record: next, kind: 'activated' };
  }
  if (level === null) {
    next.latchHeld = latching;
    return { record: next, kind: 'cleared' };
  }
  if (priorityRank(level) > priorityRank(prev)) {
    // Escalation asks for attention again, even if the lower level was acknowledged.
    next.acked = false;
    next.latchedPriority = maxPriority(r.acked ? prev : r.latchedPriority, level);
    return { record: next, kind: 'escalated' };
  }
  return { record: next, kind: 'deescalated' };
}

export function acknowledge(r: AlarmRecord, actor: Actor, reason: string, now: number): Change | null {
  if (r.acked) return null;
  return { record: { ...r, acked: true, latchedPriority: r.active, since: now }, kind: 'acknowledged', actor, reason };
}

export function reset(r: AlarmRecord, actor: Actor, reason: string, now: number): Change | null {
  if (!r.latchHeld) return null;
  return { record: { ...r, latchHeld: false, acked: true, latchedPriority: null, since: now }, kind: 'reset', actor, reason };
}

export function shelve(r: AlarmRecord, actor: Actor, reason: string, until: number, now: number): Change {
  return { record: { ...r, shelved: { ...actor, reason, at: now, until }, since: now }, kind: 'shelved', actor, reason };
}

export function unshelve(r: AlarmRecord, actor: Actor | undefined, reason: string, now: number): Change | null {
  if (!r.shelved) return null;
  return { record: { ...r, shelved: null, since: now }, kind: 'unshelved', actor, reason };
}

export function removeFromService(r: AlarmRecord, actor: Actor, reason: string, now: number): Change | null {
  if (r.outOfService) return null;
  return { record: { ...r, outOfService: { ...actor, reason, at: now }, since: now }, kind: 'out-of-service', actor, reason };
}

export function returnToService(r: AlarmRecord, actor: Actor, reason: string, now: number): Change | null {
  if (!r.outOfService) return null;
  return { record: { ...r, outOfService: null, since: now }, kind: 'in-service', actor, reason };
}

export function setValidity(r: AlarmRecord, invalid: string | null, now: number): Change | null {
  if (r.invalid === invalid || (r.invalid !== null && invalid !== null)) return null;
  return { record: { ...r, invalid, since: now }, kind: invalid === null ? 'evaluating' : 'cannot-evaluate', reason: invalid ?? undefined };
}
