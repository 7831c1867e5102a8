// `na64rc ctl …`: commands to a running server, for shifters' scripts. Human-readable output by default,
// `--json` for machines.
import { ORPCError } from '@orpc/client';
import { connect } from '../api/node-client';
import { readServerFile } from '../server/server-file';
import type { Run, RunType, Status } from '../shared/api/schemas';
import { daqStreamWords } from '../shared/daq-stream';
import type { ApiClient } from '../shared/api/contract';
import type { Role } from '../shared/auth';
import type { SimDevice } from '../shared/api/sim';
import type { AlarmView } from '../shared/api/alarms';
import type { EndReason } from '../shared/run-end';
import type { AutoStop } from '../shared/api/run-transition';
import { autoStopWords } from '../run-control/auto-stop';
import { fieldName } from '../shared/run-prompts';
import { kpiEndLines } from '../shared/alarm-figures';
import { CliError } from './errors';

export interface CtlContext {
  data: string;
  json: boolean;
  print: (line: string) => void;
}

export const time = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

export function describeRun(run: Run): string {
  const lines = [
    `run ${run.number} (${run.type}, setup ${run.setup}): ${run.end}`,
    `  started ${time(run.startedAt)}${run.startComment ? `: ${run.startComment}` : ''}`,
  ];
  if (run.stoppedAt !== null) lines.push(`  stopped ${time(run.stoppedAt)}${run.endReason ? ` (${run.endReason})` : ''}${run.stopReason ? `: ${run.stopReason}` : ''}`);
  lines.push(`  ${run.spills} spills, ${run.events} events`);
  return lines.join('\n');
}

export function describeStatus(s: Status): string {
  const r = s.run;
  const run = r.current ? `run ${r.current.number} (${r.current.type}) ${r.state}, spill ${r.spill}` : `${r.state} (last run ${r.lastRunNumber || 'none'})`;
  const lines = [
    `NA64 Run Control ${s.version}${s.simulation ? ` (simulation ×${s.timeScale})` : ''}, setup ${s.setup}`,
    `  run   ${run}${r.pending ? `: ${r.pending}` : ''}`,
    `  beam  ${s.beam.energyGeV} GeV ${s.beam.particle}, ${daqStreamWords(s.beam, s.serverTime) ?? `${s.beam.phase}, next change in ${Math.max(0, (s.beam.phaseEndsAt - s.serverTime) / 1000).toFixed(1)} s`}`,
  ];
  const t = r.transition;
  if (t && (t.outcome !== 'done' || r.state === 'starting' || r.state === 'resuming')) {
    lines.push(`  ${t.kind} ${t.outcome}: ${t.participants.map((p) => `${p.sequence} ${p.name} ${p.state}${p.detail ? ` (${p.detail})` : ''}`).join('; ')}`);
  }
  if (r.autoStop) {
    const a = r.autoStop;
    const left = [
      a.limits.spills === undefined ? null : `${Math.max(0, a.limits.spills - a.spills)} of ${a.limits.spills} spills left`,
      a.limits.units === undefined ? null : `${a.units.toExponential(2)} of ${a.limits.units.toExponential(2)} ${a.unit}`,
      a.endsAt === null ? null : `${Math.max(0, (a.endsAt - s.serverTime) / 60_000).toFixed(1)} min left`,
    ].filter((x) => x !== null);
    lines.push(`  auto-stop  ${left.join(', ')}${a.restart ? `, then the next run (run ${a.chain} of this chain)` : ''}`);
  }
  if (s.lastSpill) {
    const l = s.lastSpill;
    lines.push(
      `  last spill  run ${l.run} spill ${l.spill}: ${l.eventsSeen} events, ${(100 * l.processedFraction).toFixed(1)} % processed, ` +
        `ECAL peak ${l.ecalPeakGeV?.toFixed(1) ?? '—'} GeV`,
    );
  }
  return lines.join('\n');
}

function readServerFileOrExit(ctx: CtlContext) {
  try {
    return readServerFile(ctx.data);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

export async function withApi<T>(ctx: CtlContext, fn: (api: ApiClient) => Promise<T>): Promise<T> {
  const server = readServerFileOrExit(ctx);
  let connection;
  try {
    connection = await connect(server.url, server.token);
  } catch (error) {
    throw new CliError(`${(error as Error).message} (server.json in ${ctx.data} may be stale)`);
  }
  try {
    return await fn(connection.api);
  } catch (error) {
    if (error instanceof ORPCError) {
      // Errors the contract defines carry a message for people; others get their code in front.
      throw new CliError(error.defined ? error.message : `${error.code}: ${error.message}`);
    }
    throw error;
  } finally {
    connection.close();
  }
}

export function output(ctx: CtlContext, value: unknown, text: string): void {
  ctx.print(ctx.json ? JSON.stringify(value, null, 2) : text);
}

export async function ctlStatus(ctx: CtlContext): Promise<void> {
  const status = await withApi(ctx, (api) => api.status());
  output(ctx, status, describeStatus(status));
}

export async function ctlRunStart(ctx: CtlContext, type: RunType, comment: string, prompts: Record<string, string> = {}, autoStop?: AutoStop): Promise<void> {
  const { run, unit } = await withApi(ctx, async (api) => {
    let started: Run;
    try {
      started = await api.run.start({ type, comment, prompts, ...(autoStop ? { autoStop } : {}) });
    } catch (error) {
      // A refused prompt: the server's sentence, and how to give the field here.
      const field = error instanceof ORPCError && error.code === 'BAD_REQUEST' ? (error.data as { field?: unknown } | undefined)?.field : undefined;
      if (typeof field === 'string' && field) throw new CliError(`${(error as Error).message} (give it with --prompt ${field}=…; see na64rc ctl run prompts --type ${type})`);
      throw error;
    }
    return { run: started, unit: autoStop ? ((await api.status()).run.autoStop?.unit ?? 'on target') : '' };
  });
  output(ctx, run, `started ${describeRun(run)}${autoStop ? `; it will ${autoStopWords(autoStop, unit)}` : ''}`);
}

export async function ctlRunPause(ctx: CtlContext, reason: string): Promise<void> {
  const run = await withApi(ctx, (api) => api.run.pause({ reason }));
  output(ctx, run, `paused run ${run.number} after spill ${run.spills}`);
}

export async function ctlRunResume(ctx: CtlContext): Promise<void> {
  const run = await withApi(ctx, (api) => api.run.resume({}));
  output(ctx, run, `resumed run ${run.number}: data from the next spill`);
}

export async function ctlRunCancel(ctx: CtlContext): Promise<void> {
  const done = await withApi(ctx, (api) => api.run.cancel({}));
  output(ctx, done, 'called off: the transition stops waiting and nothing is started');
}

/** The start prompts of one run type or of each: the fields, and what a start form would begin with. */
export async function ctlRunPrompts(ctx: CtlContext, types: readonly RunType[]): Promise<void> {
  const answers = await withApi(ctx, (api) => Promise.all(types.map((type) => api.run.prompts({ type }))));
  const text = answers.map((a) => {
    const head = `${a.type} (prompts v${a.version}${a.last ? `; last run ${a.last.run}` : ''}):`;
    if (a.fields.length === 0) return `${head} no prompts`;
    const lines = a.fields.map((f) => {
      const kind =
        f.type === 'number' ? `number${f.min !== undefined || f.max !== undefined ? ` ${f.min ?? '…'}–${f.max ?? '…'}` : ''}` : f.type === 'choice' ? `one of ${f.choices!.join(', ')}` : f.type;
      const initial = a.initial[f.key];
      const shown = initial === undefined ? '' : ` [${Array.isArray(initial) ? initial.join(', ') : initial}]`;
      return `  --prompt ${f.key}=…  ${fieldName(f)}: ${kind}${f.required ? ', required' : ''}${shown}`;
    });
    return [head, ...lines].join('\n');
  });
  output(ctx, answers, text.join('\n'));
}

export async function ctlRunStop(ctx: CtlContext, reason: string, endReason?: EndReason): Promise<void> {
  const run = await withApi(ctx, (api) => api.run.stop({ reason, ...(endReason ? { endReason } : {}) }));
  output(ctx, run, `stopped ${describeRun(run)}`);
}

export async function ctlUserAdd(ctx: CtlContext, user: string, role: Role): Promise<void> {
  const server = readServerFileOrExit(ctx);
  const added = await withApi(ctx, (api) => api.users.add({ user, role }));
  const link = `${server.url}/#token=${added.token}`;
  output(ctx, { ...added, link }, `${added.user} (${added.role}): give them this link, it is shown only once:\n  ${link}`);
}

export async function ctlUserList(ctx: CtlContext): Promise<void> {
  const users = await withApi(ctx, (api) => api.users.list());
  const text = users.length
    ? users.map((u) => `${u.user.padEnd(16)} ${u.role.padEnd(8)} created ${time(u.createdAt)} by ${u.createdBy}${u.revokedAt ? `, revoked ${time(u.revokedAt)}` : ''}`).join('\n')
    : 'no personal tokens (the start token in server.json is the local administrator)';
  output(ctx, users, text);
}

export async function ctlUserRevoke(ctx: CtlContext, user: string): Promise<void> {
  const result = await withApi(ctx, (api) => api.users.revoke({ user }));
  output(ctx, result, `revoked the token of ${user}; their open sessions were closed`);
}

export async function ctlUserRole(ctx: CtlContext, user: string, role: Role): Promise<void> {
  const result = await withApi(ctx, (api) => api.users.role({ user, role }));
  output(ctx, result, `${user} is now ${role}; their open sessions were closed and reconnect as ${role}`);
}

function describeSim(d: SimDevice): string {
  if (!d.reachable) return `${d.device}: not reachable: ${d.description}`;
  const active = d.active.length
    ? d.active.map((a) => `${a.fault}${a.channel === null ? '' : ` on channel ${a.channel}`} since ${time(a.since)}`).join(', ')
    : 'no faults';
  if (d.sameSimulatorAs !== null) return `${d.device}: the simulator of ${d.sameSimulatorAs} (its faults act on both)\n  now: ${active}`;
  const faults = d.faults.map((f) => `    ${f.id}${f.perChannel ? ' <channel>' : ''}: ${f.description}`).join('\n');
  return `${d.device}: ${d.description}\n  now: ${active}\n  faults:\n${faults}`;
}

export async function ctlSimList(ctx: CtlContext): Promise<void> {
  const devices = await withApi(ctx, (api) => api.sim.list());
  output(ctx, devices, devices.length ? devices.map(describeSim).join('\n') : 'no simulated devices');
}

export async function ctlSimFault(ctx: CtlContext, device: string, fault: string, channel: number | null): Promise<void> {
  const d = await withApi(ctx, (api) => api.sim.fault({ device, fault, channel }));
  output(ctx, d, describeSim(d));
}

export async function ctlSimClear(ctx: CtlContext, device: string): Promise<void> {
  const d = await withApi(ctx, (api) => api.sim.clear({ device }));
  output(ctx, d, describeSim(d));
}

const ago = (ms: number) => {
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s} s` : s < 7200 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
};

function describeAlarm(a: AlarmView): string {
  const value = a.value === null || a.flag ? '' : ` = ${+a.value.toPrecision(4)}${a.unit ? ` ${a.unit}` : ''}`;
  return `${a.state.padEnd(15)} ${(a.priority ?? '-').padEnd(8)} ${a.id}: ${a.name}${value} (for ${ago(a.since)})`;
}

export async function ctlAlarmList(ctx: CtlContext, all: boolean): Promise<void> {
  const alarms = (await withApi(ctx, (api) => api.alarms.list())).filter((a) => all || a.state !== 'normal');
  output(ctx, alarms, alarms.length ? alarms.map(describeAlarm).join('\n') : 'no alarms');
}

export async function ctlAlarmLog(ctx: CtlContext, alarm: string | undefined, limit: number): Promise<void> {
  const log = await withApi(ctx, (api) => api.alarms.log({ alarm, limit }));
  const text = log
    .map((e) => `${time(e.at)}  ${e.alarm}  ${e.kind}  ${e.from} → ${e.to}${e.user ? `  by ${e.user} (${e.role})` : ''}${e.reason ? `: ${e.reason}` : ''}`)
    .join('\n');
  output(ctx, log, text || 'the alarm log is empty');
}

export async function ctlAlarmAck(ctx: CtlContext, ids: string[], comment: string): Promise<void> {
  const views = await withApi(ctx, (api) => api.alarms.acknowledge({ ids, comment }));
  output(ctx, views, views.map(describeAlarm).join('\n'));
}

export async function ctlAlarmShelve(ctx: CtlContext, id: string, durationMs: number, reason: string): Promise<void> {
  const view = await withApi(ctx, (api) => api.alarms.shelve({ id, durationMs, reason }));
  output(ctx, view, `${describeAlarm(view)}\n  shelved until ${time(view.shelved?.until ?? null)}`);
}

export async function ctlAlarmReset(ctx: CtlContext, id: string, comment: string): Promise<void> {
  const view = await withApi(ctx, (api) => api.alarms.reset({ id, comment }));
  output(ctx, view, describeAlarm(view));
}

export async function ctlAlarmKpi(ctx: CtlContext, hours: number): Promise<void> {
  const to = Date.now();
  const k = await withApi(ctx, (api) => api.alarms.kpi({ from: to - hours * 3_600_000, to }));
  const p = k.priorities;
  const text = [
    `alarms in the last ${hours} h: ${k.alarms} (per 10 min: average ${k.per10Min.average.toFixed(2)}, max ${k.per10Min.max})`,
    `time in flood: ${k.floodPercent.toFixed(1)} %`,
    `priorities: low ${p.low}, medium ${p.medium}, high ${p.high}, critical ${p.critical}`,
    `most frequent: ${k.topAlarms.map((t) => `${t.alarm} ×${t.count}`).join(', ') || 'none'}`,
    `shelved now: ${k.shelved.map((s) => `${s.alarm} by ${s.user} until ${time(s.until)}`).join(', ') || 'none'}`,
    ...kpiEndLines(k).map((line) => line.charAt(0).toLowerCase() + line.slice(1, -1)),
  ].join('\n');
  output(ctx, k, text);
}
