// `na64rc ctl …`: commands to a running server, for shifters' scripts. Human-readable output by default,
// `--json` for machines.
import { ORPCError } from '@orpc/client';
import { connect } from '../api/node-client';
import { readServerFile } from '../server/server-file';
import type { Run, RunType, Status } from '../shared/api/schemas';
import type { ApiClient } from '../shared/api/contract';
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

async function withApi<T>(ctx: CtlContext, fn: (api: ApiClient) => Promise<T>): Promise<T> {
  let server;
  try {
    server = readServerFile(ctx.data);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
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

function output(ctx: CtlContext, value: unknown, text: string): void {
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
