// What the alarm system leaves in the logbook: an entry for every acknowledgement and shelving (with the
// reason, linked to the alarms, to the run and spill in which the operator acted, and to the runs and spills
// the alarms were raised in), and the alarm section of the end-of-shift summary (ISA-18.2 figures).
import type { Logbook } from '../logbook/logbook';
import type { EntryLink } from '../shared/api/logbook';
import type { SummarySectionSource } from '../logbook/shift-summary';
import type { AlarmAction, AlarmService } from './alarm-service';
import { kpiEndLines } from '../shared/alarm-figures';

/** Links an entry carries at most; a flood acknowledged at once is listed in the body. */
const MAX_LINKS = 50;
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

/** The live run and spill at a moment (null outside every live run): where an alarm was raised. */
export type SpillAt = (ms: number) => { run: number; spill: number | null } | null;

export function alarmActionEntry(logbook: Logbook, a: AlarmAction, spillAt: SpillAt): void {
  const first = a.alarms[0]!;
  const title =
    a.alarms.length === 1
      ? `Alarm ${a.action}: ${first.name}`
      : `${a.alarms.length} alarms ${a.action}, most urgent ${first.name}`;
  // Where each listed alarm was raised, looked up once for the body and the links.
  const listed = a.alarms.slice(0, 200);
  const where = listed.map((v) => (v.raisedAt === null ? null : spillAt(v.raisedAt)));
  // Where the shift was when it acted: a reader of the run finds the action beside its data.
  const during = spillAt(a.at);
  const lines = [
    `${a.action === 'acknowledged' ? 'Acknowledged' : 'Shelved'} by **${a.actor.user}** (${a.actor.role})` +
      (during ? ` during run ${during.run}${during.spill === null ? ' before its first spill' : `, spill ${during.spill}`}` : '') +
      (a.until ? ` until ${when(a.until)} UTC` : '') +
      (a.reason ? `: ${a.reason}` : ', no comment given.'),
    '',
    ...listed.map((v, i) => {
      const w = where[i];
      const raised = w ? `, raised in run ${w.run}${w.spill === null ? ' before its first spill' : `, spill ${w.spill}`}` : '';
      return `- ${v.priority ?? 'normal'} · ${v.name} (\`${v.id}\`)${v.value === null || v.flag ? '' : ` = ${+v.value.toPrecision(4)} ${v.unit}`}${raised}`;
    }),
  ];
  if (a.alarms.length > 200) lines.push(`- … and ${a.alarms.length - 200} more`);
  logbook.addSystemEntry({
    kind: a.action === 'acknowledged' ? 'alarm-acknowledged' : 'alarm-shelved',
    title,
    body: lines.join('\n'),
    tags: ['alarm'],
    links: [...a.alarms.slice(0, MAX_LINKS).map((v) => ({ kind: 'alarm' as const, alarm: v.id })), ...runsAndSpills([during, ...where.slice(0, MAX_LINKS)])],
    facts: { alarm: { id: first.id, name: first.name, action: a.action, reason: a.reason, ...(a.until ? { until: a.until } : {}) } },
  });
}

export function alarmSummarySection(alarms: AlarmService): SummarySectionSource {
  return ({ from, to }) => {
    const k = alarms.kpi(from, to);
    const p = k.priorities;
    return {
      title: 'Alarms',
      lines: [
        `${k.alarms} alarms (per 10 min: average ${k.per10Min.average.toFixed(2)}, max ${k.per10Min.max}); ` +
          `time in flood ${k.floodPercent.toFixed(1)} % (guideline under 1 %).`,
        `Annunciated by priority: low ${p.low}, medium ${p.medium}, high ${p.high}, critical ${p.critical}.`,
        `Most frequent: ${k.topAlarms.map((t) => `${t.alarm} ×${t.count}`).join(', ') || 'none'}.`,
        `Shelved now: ${k.shelved.map((s) => `${s.alarm} (${s.user}: ${s.reason})`).join(', ') || 'none'}.`,
        ...kpiEndLines(k),
      ],
    };
  };
}

/** The runs and spills of the action and of the alarms' raising, each once: a reader of the entry jumps to the data. */
function runsAndSpills(places: readonly ReturnType<SpillAt>[]): EntryLink[] {
  const links = new Map<string, EntryLink>();
  for (const where of places) {
    if (!where) continue;
    links.set(`run ${where.run}`, { kind: 'run', run: where.run });
    if (where.spill !== null) links.set(`spill ${where.run}/${where.spill}`, { kind: 'spill', run: where.run, spill: where.spill });
  }
  return [...links.values()];
}
