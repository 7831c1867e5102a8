// `na64rc ctl run list|show|signoff`: the run registry from the command line: runs with filters, one run's
// summary, and an expert's sign-off of a run or a spill. Each run's count on target is printed with its
// setup's unit (EOT, MOT, POT), and a hadron run's kaons (KOT) beside it.
import type { RunListing, RunPage, RunQuery, RunSummary } from '../shared/api/runs';
import type { SignOffVerdict } from '../shared/api/schemas';
import { describeSignOffBy, describeSignOffMoves } from '../shared/sign-off-words';
import { output, time, withApi, type CtlContext } from './ctl';

const eot = (n: number) => (n >= 1e4 ? n.toExponential(3) : n.toFixed(0));

function duration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  const m = Math.round(ms / 60_000);
  return m >= 60 ? `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min` : `${m} min`;
}

const STATE = { running: '▶ running', ended: '■ ended', aborted: '⚠ aborted' } as const;

/** "3.000e+6 POT": a run's count with its unit ("?" for a setup this installation does not know). */
const onTarget = (n: number, unit: string | null) => `${eot(n)} ${unit ?? '?'}`;

function row(r: RunListing, kaons: boolean): string {
  const verdicts = `${r.verdicts.good}/${r.verdicts.medium}/${r.verdicts.bad}`;
  const signOff = r.signOff ? `run ${r.signOff}` : r.signedSpills ? `${r.signedSpills} spills` : '';
  return [
    String(r.number).padStart(6),
    r.type.padEnd(11),
    r.setup.padEnd(14),
    STATE[r.end].padEnd(10),
    time(r.startedAt),
    duration(r.durationMs).padStart(12),
    String(r.spills).padStart(6),
    onTarget(r.eot, r.unit).padStart(14),
    ...(kaons ? [(r.kot === null ? '—' : eot(r.kot)).padStart(10)] : []),
    verdicts.padStart(11),
    signOff.padEnd(14),
    [r.startComment, r.stopReason].filter(Boolean).join(' · ').slice(0, 60),
  ].join('  ');
}

export function describeRunPage(page: RunPage): string {
  // The KOT column only where a listed run counts kaons.
  const kaons = page.runs.some((r) => r.kot !== null);
  const head = `   run  type         setup           state       started               duration  spills       on target${kaons ? '         KOT' : ''}  good/m/bad  sign-off`;
  const shown = page.runs.length ? `runs ${page.offset + 1}–${page.offset + page.runs.length} of ${page.total}` : `no runs match (${page.total} in all pages)`;
  return [shown, ...(page.runs.length ? [head, ...page.runs.map((r) => row(r, kaons))] : [])].join('\n');
}

export async function ctlRunList(ctx: CtlContext, query: RunQuery): Promise<void> {
  const page = await withApi(ctx, (api) => api.runs.list(query));
  output(ctx, page, describeRunPage(page));
}

const who = (a: RunSummary['run']['startedBy']) => (a ? `${a.user} (${a.role}${a.via ? `, ${a.via}` : ''})` : 'not recorded');

export function describeRunSummary(s: RunSummary): string {
  const r = s.run;
  const lines = [
    `run ${r.number} (${r.type}, setup ${r.setup}): ${STATE[r.end]}, ${duration(s.durationMs)}`,
    `  started ${time(r.startedAt)} by ${who(r.startedBy)}${r.startComment ? `: ${r.startComment}` : ''}`,
  ];
  for (const p of s.pauses) {
    lines.push(
      `  paused ${time(p.pausedAt)} after spill ${p.afterSpill} by ${who(p.pausedBy)}${p.reason ? `: ${p.reason}` : ''}; ${p.resumedAt === null ? 'never resumed' : `resumed ${time(p.resumedAt)} by ${who(p.resumedBy)}`}`,
    );
  }
  if (r.stoppedAt !== null) lines.push(`  stopped ${time(r.stoppedAt)} by ${who(r.stoppedBy)}${r.endReason ? ` (${r.endReason})` : ''}${r.stopReason ? `: ${r.stopReason}` : ''}`);
  const unit = s.unit ?? 'on target (unit unknown)';
  const kaons = s.kot ? `, KOT ${eot(s.kot.counted)} counted (${eot(s.kot.automatic)} automatic)` : '';
  lines.push(
    `  ${r.spills} spills, ${r.events} events, ${unit} ${eot(s.eot.counted)} counted (${eot(s.eot.automatic)} automatic)${kaons}`,
    `  DQ: ${s.verdicts.good} good, ${s.verdicts.medium} medium, ${s.verdicts.bad} bad, ${s.verdicts.null} not judged; ${s.logbookEntries} logbook entries`,
  );
  const moved = describeSignOffMoves(s.eot, eot, s.unit ?? 'on target');
  if (moved) lines.push(`  ${moved}`);
  lines.push(`  run sign-off: ${s.signOff ? describeSignOffBy(s.signOff) : 'none'}`);
  if (s.badSpills.length) {
    lines.push('  bad spills:');
    for (const b of s.badSpills) lines.push(`    spill ${String(b.spill).padStart(4)}  ${b.verdict.padEnd(6)} (DQ ${b.automatic})${b.inEot ? '' : ` not in ${s.unit ?? 'the count'}`}  ${b.reasons}`);
  }
  if (s.history.length) {
    lines.push('  sign-offs, newest first:');
    for (const h of s.history) lines.push(`    ${time(h.at)}  ${h.spill === null ? 'run      ' : `spill ${String(h.spill).padStart(4)}`}  ${describeSignOffBy(h)}`);
  }
  return lines.join('\n');
}

export async function ctlRunShow(ctx: CtlContext, run: number): Promise<void> {
  const s = await withApi(ctx, (api) => api.runs.summary({ run }));
  output(ctx, s, describeRunSummary(s));
}

export async function ctlRunSignOff(ctx: CtlContext, run: number, spill: number | undefined, verdict: SignOffVerdict, reason: string): Promise<void> {
  const s = await withApi(ctx, (api) => api.runs.signOff({ run, verdict, reason, ...(spill === undefined ? {} : { spill }) }));
  output(ctx, s, `run ${run}${spill === undefined ? '' : ` spill ${spill}`} ${describeSignOffBy(s)}`);
}
