// The alarm system's section of a run's conditions: every alarm definition in force at the run's start, by
// id, with its limits as one line, its on-delay, and whether it was in service, shelved (by whom, until when,
// why) or out of service. Guidance and names stay in the definitions: they do not change what is watched.
import type { AlarmConditions } from '../shared/api/conditions';
import type { AlarmDefinition } from './definitions';
import type { AlarmEngine } from './engine';

/** "above 5 high, 10 critical (deadband 0.5 V)", "below 0.9 medium", "true: high". */
export function limitsLine(def: AlarmDefinition): string {
  const c = def.condition;
  if (c.kind === 'true') return `true: ${c.priority}`;
  const unit = def.unit ? ` ${def.unit}` : '';
  const levels = c.levels.map((l) => `${l.set}${unit} ${l.priority}`).join(', ');
  return `${c.kind} ${levels}${c.deadband ? ` (deadband ${c.deadband}${unit})` : ''}`;
}

export function alarmConditions(engine: Pick<AlarmEngine, 'definitions' | 'list'>): Record<string, AlarmConditions> {
  const views = new Map(engine.list().map((v) => [v.id, v]));
  const out: Record<string, AlarmConditions> = {};
  for (const def of [...engine.definitions()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const view = views.get(def.id);
    const entry: AlarmConditions = {
      group: def.group,
      limits: limitsLine(def),
      delayMs: def.delayMs,
      service: view?.outOfService ? 'out of service' : view?.shelved ? 'shelved' : 'in service',
    };
    if (def.count) entry.count = `${def.count.times} times in ${def.count.withinMs / 1000} s`;
    if (def.latch) entry.latch = true;
    if (view?.shelved) entry.shelved = { by: view.shelved.user, until: view.shelved.until, reason: view.shelved.reason };
    if (view?.outOfService) entry.outOfService = { by: view.outOfService.user, at: view.outOfService.at, reason: view.outOfService.reason };
    out[def.id] = entry;
  }
  return out;
}
