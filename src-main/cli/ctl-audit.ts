// `na64rc ctl audit`: the audit trail of every control action of a running server, newest first, filtered by
// domain, user, time and result; or the same rows as a CSV file.
import { writeFileSync } from 'node:fs';
import type { AuditDomain, AuditEntry, AuditResult } from '../shared/api/audit';
import { output, time, withApi, type CtlContext } from './ctl';
import { parseWhen } from './ctl-hv';
import { CliError } from './errors';

export interface AuditOptions {
  domain?: AuditDomain;
  user?: string;
  /** "2h", "30m", "7d" before now, or an ISO time. */
  since?: string;
  until?: string;
  result?: AuditResult;
  limit: number;
  /** Write every matching row to this CSV file instead of printing a page. */
  csv?: string;
}

/** One line: when, domain, who (role, from where), what on what (old → new), why, and how it ended. */
export function describeAuditEntry(e: AuditEntry): string {
  const from = e.address ? `${e.via} ${e.address}` : e.via;
  const change = e.old === null && e.new === null ? '' : `: ${e.old ?? '—'} → ${e.new ?? '—'}`;
  const result = e.result === 'ok' ? `ok${e.detail ? ` (${e.detail})` : ''}` : `${e.result.toUpperCase()}: ${e.detail}`;
  return `${time(e.at)}  ${e.domain.padEnd(11)} ${`${e.user} (${e.role}, ${from})`.padEnd(34)} ${e.action} ${e.target}${change}${e.reason ? ` "${e.reason}"` : ''}  ${result}`;
}

export async function ctlAudit(ctx: CtlContext, o: AuditOptions): Promise<void> {
  const now = Date.now();
  const filter = {
    ...(o.domain ? { domain: o.domain } : {}),
    ...(o.user ? { user: o.user } : {}),
    ...(o.since ? { from: Math.round(parseWhen(o.since, now)) } : {}),
    ...(o.until ? { to: Math.round(parseWhen(o.until, now)) } : {}),
    ...(o.result ? { result: o.result } : {}),
  };
  if (o.csv) {
    const file = await withApi(ctx, (api) => api.audit.csv(filter));
    try {
      writeFileSync(o.csv, file.content);
    } catch (error) {
      throw new CliError(`cannot write ${o.csv}: ${(error as Error).message}`);
    }
    const rows = file.content.split('\n').filter((l) => /^\d+,/.test(l)).length;
    output(ctx, { file: o.csv, rows }, `wrote the audit trail to ${o.csv}`);
    return;
  }
  const page = await withApi(ctx, (api) => api.audit.list({ ...filter, limit: o.limit }));
  const lines = page.entries.map(describeAuditEntry);
  if (page.total > page.entries.length) lines.push(`(${page.entries.length} of ${page.total} shown; --limit shows more)`);
  output(ctx, page, lines.join('\n') || 'no control actions match');
}
