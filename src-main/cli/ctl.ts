// `na64rc ctl …`: commands to a running server, for shifters' scripts. Human-readable output by default,
// `--json` for machines.
import { ORPCError } from '@orpc/client';
import { connect } from '../api/node-client';
import { readServerFile } from '../server/server-file';
import type { Run, RunType, Status } from '../shared/api/schemas';
import type { ApiClient } from '../shared/api/contract';
import type { Role } from '../shared/auth';
import type { SimDevice } from '../shared/api/sim';
import { CliError } from './errors';

export interface CtlContext {
  data: string;
  json: boolean;
  print: (line: string) => void;
}

const time = (ms: number | null) => (ms === null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19));

export function describeRun(run: Run): string {
  const lines = [
    `run ${run.number} (${run.type}, setup ${run.setup}): ${run.end}`,
    `  started ${time(run.startedAt)}${run.startComment ? `: ${run.startComment}` : ''}`,
  ];
  if (run.stoppedAt !== null) lines.push(`  stopped ${time(run.stoppedAt)}${run.stopReason ? `: ${run.stopReason}` : ''}`);
  lines.push(`  ${run.spills} spills, ${run.events} events`);
  return lines.join('\n');
}

export function describeStatus(s: Status): string {
  const r = s.run;
  const run = r.current ? `run ${r.current.number} (${r.current.type}) ${r.state}, spill ${r.spill}` : `${r.state} (last run ${r.lastRunNumber || 'none'})`;
  const lines = [
    `NA64 Run Control ${s.version}${s.simulation ? ` (simulation ×${s.timeScale})` : ''}, setup ${s.setup}`,
    `  run   ${run}${r.pending ? `: ${r.pending}` : ''}`,
    `  beam  ${s.beam.energyGeV} GeV ${s.beam.particle}, ${s.beam.phase}, next change in ${Math.max(0, (s.beam.phaseEndsAt - s.serverTime) / 1000).toFixed(1)} s`,
  ];
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

export async function ctlRunStart(ctx: CtlContext, type: RunType, comment: string): Promise<void> {
  const run = await withApi(ctx, (api) => api.run.start({ type, comment }));
  output(ctx, run, `started ${describeRun(run)}`);
}

export async function ctlRunStop(ctx: CtlContext, reason: string): Promise<void> {
  const run = await withApi(ctx, (api) => api.run.stop({ reason }));
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
  output(ctx, result, `revoked the token of ${user}`);
}

function describeSim(d: SimDevice): string {
  const active = d.active.length
    ? d.active.map((a) => `${a.fault}${a.channel === null ? '' : ` on channel ${a.channel}`} since ${time(a.since)}`).join(', ')
    : 'no faults';
  const faults = d.faults.map((f) => `    ${f.id}${f.perChannel ? ' <channel>' : ''}: ${f.description}`).join('\n');
  return `${d.device}: ${d.description}\n  now: ${active}\n  faults:\n${faults}`;
}

export async function ctlSimList(ctx: CtlContext): Promise<void> {
  const devices = await withApi(ctx, (api) => api.sim.list());
  output(ctx, devices, devices.map(describeSim).join('\n'));
}

export async function ctlSimFault(ctx: CtlContext, device: string, fault: string, channel: number | null): Promise<void> {
  const d = await withApi(ctx, (api) => api.sim.fault({ device, fault, channel }));
  output(ctx, d, describeSim(d));
}

export async function ctlSimClear(ctx: CtlContext, device: string): Promise<void> {
  const d = await withApi(ctx, (api) => api.sim.clear({ device }));
  output(ctx, d, describeSim(d));
}
