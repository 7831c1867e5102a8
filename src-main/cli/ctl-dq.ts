// `na64rc ctl dq …`: data quality, EOT and e/π of a running server; bad-spill export, references, unblinding.
import { writeFileSync } from 'node:fs';
import { badSpillsCsv } from '../dq/bad-spills-csv';
import { describeSignOffMoves } from '../shared/sign-off-words';
import type { DqSpill, EotStatus, Reach, ReachCurve } from '../shared/api/dq';
import type { RunSummary } from '../shared/api/runs';
import type { SpillDq } from '../shared/api/schemas';
import { withApi, output, time, type CtlContext } from './ctl';
import { CliError } from './errors';

const WORD = { good: '✓ Good', medium: '! Medium', bad: '✕ Bad', null: '– no data' } as const;
const pct = (x: number | null, digits = 1) => (x === null ? '—' : `${(100 * x).toFixed(digits)} %`);
const eot = (n: number) => (n >= 1e4 ? n.toExponential(3) : n.toFixed(0));

export function describeEot(e: EotStatus): string {
  const line = `${e.unit} ${e.run === null ? '' : `run ${e.run}: ${eot(e.runEot)}, `}total ${eot(e.totalEot)} of the ${eot(e.goal)} goal (${((100 * e.totalEot) / e.goal).toPrecision(3)} %), setup ${e.setup}`;
  const run = e.run === null ? null : describeSignOffMoves(e.signOffs.run, eot, e.unit);
  const total = describeSignOffMoves(e.signOffs.total, eot, e.unit);
  const k = e.kaons;
  const kaons = k ? `${k.unit} ${e.run === null ? '' : `run ${e.run}: ${eot(k.runKot)}, `}total ${eot(k.totalKot)} of the ${eot(k.goal)} goal (${((100 * k.totalKot) / k.goal).toPrecision(3)} %)` : null;
  return [line, ...(run ? [`  run ${e.run}: ${run}`] : []), ...(total ? [`  total: ${total}`] : []), ...(kaons ? [kaons] : [])].join('\n');
}

/** A spill's verdict and figures; `unit`: what its `eot` counts (the run's setup's EOT, MOT or POT), with the kaons (KOT) where counted. */
export function describeSpillDq(d: SpillDq, unit = 'EOT'): string {
  const detectors = Object.entries(d.detectors)
    .map(([name, v]) => `${name} ${WORD[v]}`)
    .join(' · ');
  const suppression = d.hadronSuppression === null ? '—' : `${d.suppressionIsLimit ? '> ' : ''}${d.hadronSuppression.toFixed(0)}`;
  return [
    `verdict ${WORD[d.verdict]}  (${detectors})`,
    `${unit} ${eot(d.eot)}${d.kot === undefined || d.kot === null ? '' : ` · KOT ${eot(d.kot)}`} · purity ${pct(d.purity, 2)} · hadrons ${pct(d.hadronFraction, 2)} · SRD efficiency ${pct(d.electronEfficiency)} · hadron suppression ${suppression}`,
    `beam energy ${d.beamEnergyGeV === null ? '—' : `${d.beamEnergyGeV.toFixed(1)} GeV`} · calibration ${d.calibrationVersion} · reference ${d.referenceVersion === null ? 'none' : `v${d.referenceVersion}`} · signal region ${d.signalCandidates === null ? 'blinded' : d.signalCandidates}`,
  ].join('\n');
}

export async function ctlDqEot(ctx: CtlContext, run: number | undefined): Promise<void> {
  const e = await withApi(ctx, (api) => api.dq.eot(run === undefined ? {} : { run }));
  output(ctx, e, describeEot(e));
}

const sci = (x: number) => x.toExponential(2);
const mev = (gev: number) => (gev >= 1 ? `${Number(gev.toPrecision(3))} GeV` : `${Number((gev * 1000).toPrecision(3))} MeV`);
/** Masses a line's limit is quoted at: each decade from 1 MeV to 1 GeV (the model's grid has them exactly). */
const DECADES = [1e-3, 1e-2, 1e-1, 1];
const X17_GEV = 0.0167;

function describeCurve(c: ReachCurve): string {
  const head = `${c.label} (${c.exposure > 0 ? sci(c.exposure) : '0'} ${c.unit})`;
  if (!c.points.length) return `${head}: ${c.note ?? 'no points'}`;
  const at = (m: number) => c.points.filter((p) => Math.abs(p.mass - m) <= 1e-9 * m);
  if (c.shape === 'line')
    return `${head}: ${DECADES.flatMap((m) => at(m).slice(0, 1).map((p) => `${sci(p.value)} at ${mev(m)}`)).join(', ')}`;
  if (c.shape === 'band') {
    const masses = c.points.map((p) => p.mass);
    const x17 = at(X17_GEV).map((p) => p.value);
    const band = x17.length >= 2 ? `${sci(Math.min(...x17))} … ${sci(Math.max(...x17))} at ${mev(X17_GEV)}` : `nothing at ${mev(X17_GEV)}`;
    return `${head}: ${band}; excluded from ${mev(Math.min(...masses))} to ${mev(Math.max(...masses))}`;
  }
  return `${head}: ${c.points.map((p) => `${p.label ?? mev(p.mass)} ${sci(p.value)}`).join(', ')}`;
}

/** The reach in words: what is plotted, the efficiency and whether it is assumed, then one line per curve. */
export function describeReach(r: Reach): string {
  const eff = `signal efficiency ${(100 * r.efficiency.value).toFixed(0)} % (${r.efficiency.measured ? 'measured' : 'assumed'}: ${r.efficiency.source})`;
  const kinds: [ReachCurve['kind'], string][] = [['run', 'projected'], ['year', 'projected'], ['total', 'projected'], ['target', 'programme'], ['published', 'published']];
  return [
    `Reach of ${r.setup}: ${r.title}, ${r.yLabel} vs ${r.xLabel}, 90 % CL`,
    eff,
    ...(r.counted.note ? [`! ${r.counted.note}`] : []),
    `model: ${r.model}`,
    ...kinds.flatMap(([kind, word]) => r.curves.filter((c) => c.kind === kind).map((c) => `  ${word.padEnd(9)} ${describeCurve(c)}${kind === 'published' && c.source ? ` [${c.source}]` : ''}`)),
  ].join('\n');
}

export async function ctlDqReach(ctx: CtlContext, run: number | undefined): Promise<void> {
  const r = await withApi(ctx, (api) => api.dq.reach(run === undefined ? {} : { run }));
  output(ctx, r, describeReach(r));
}

export async function ctlDqSpill(ctx: CtlContext, run: number, spill: number): Promise<void> {
  // The run's summary says what its setup counts on target; the spill's answer does not carry it.
  const [s, r] = await withApi(ctx, (api): Promise<[DqSpill, RunSummary]> => Promise.all([api.dq.spill({ run, spill }), api.runs.summary({ run })]));
  const checks = s.checks.map((c) => `  ${WORD[c.verdict].padEnd(9)} ${c.detector.padEnd(8)} ${c.reason}`);
  output(ctx, s, [`run ${run} spill ${spill}`, describeSpillDq(s.dq, r.unit ?? 'on target'), ...checks].join('\n'));
}

export async function ctlDqRun(ctx: CtlContext, run: number): Promise<void> {
  const t = await withApi(ctx, (api) => api.dq.run({ run }));
  const kaons = Boolean(t.eot.kaons);
  const rows = t.spills.map(
    (s) =>
      `${String(s.spill).padStart(5)}  ${time(s.endedAt)}  ${WORD[s.dq.verdict].padEnd(9)} ${eot(s.dq.eot).padStart(10)}${kaons ? `  ${(s.dq.kot === undefined || s.dq.kot === null ? '—' : eot(s.dq.kot)).padStart(10)}` : ''}  ${pct(s.dq.purity, 2).padStart(8)}  ${pct(s.dq.electronEfficiency).padStart(7)}`,
  );
  const head = `spill  ended                verdict   ${t.eot.unit.padStart(10)}${kaons ? '         KOT' : ''}    purity  SRD eff`;
  output(ctx, t, [describeEot(t.eot), `${t.blinded ? 'signal region blinded' : 'unblinded'}`, head, ...rows].join('\n'));
}

export async function ctlDqBadSpills(ctx: CtlContext, o: { run?: number; format: string; out?: string }): Promise<void> {
  if (o.format !== 'csv' && o.format !== 'json' && o.format !== 'text') throw new CliError(`unknown format "${o.format}"; use text, csv or json`);
  const rows = await withApi(ctx, (api) => api.dq.badSpills(o.run === undefined ? {} : { run: o.run }));
  const text =
    o.format === 'csv'
      ? badSpillsCsv(rows)
      : o.format === 'json' || ctx.json
        ? JSON.stringify(rows, null, 2) + '\n'
        : rows.length
          ? rows.map((r) => `run ${r.run} spill ${r.spill}  ${WORD[r.verdict]}${r.verdict === r.automatic ? '' : ` (DQ: ${WORD[r.automatic]})`}${r.inEot ? '' : '  not in EOT'}  ${r.reasons}`).join('\n') + '\n'
          : 'no Bad or Medium spills\n';
  if (o.out) {
    try {
      writeFileSync(o.out, text);
    } catch (error) {
      throw new CliError(`cannot write ${o.out}: ${(error as Error).message}`);
    }
    ctx.print(`${rows.length} spills written to ${o.out}`);
  } else ctx.print(text.trimEnd());
}

export async function ctlDqReferences(ctx: CtlContext): Promise<void> {
  const list = await withApi(ctx, (api) => api.dq.references.list());
  output(
    ctx,
    list,
    list.length
      ? list.map((r) => `${r.active ? '★' : ' '} v${r.version}  run ${r.run} ${r.scope === 'run' ? `whole run (through spill ${r.spill})` : `spill ${r.spill}`}  ${time(r.createdAt)}  ${r.createdBy}${r.comment ? `  ${r.comment}` : ''}`).join('\n')
      : 'no reference yet: promote a good spill (na64rc ctl dq promote RUN SPILL)',
  );
}

export async function ctlDqPromote(ctx: CtlContext, run: number, spill: number | undefined, comment: string): Promise<void> {
  const r = await withApi(ctx, (api) => api.dq.references.promote({ run, ...(spill === undefined ? {} : { spill }), comment }));
  output(ctx, r, `reference v${r.version} of ${r.setup}: run ${r.run} ${r.scope === 'run' ? `(whole run, through spill ${r.spill})` : `spill ${r.spill}`}`);
}

export async function ctlDqUnblind(ctx: CtlContext, run: number, reason: string): Promise<void> {
  const r = await withApi(ctx, (api) => api.dq.unblind({ run, reason }));
  output(ctx, r, `run ${r.run} unblinded: ${r.signalCandidates} signal-region candidates${r.kaonTagged === null ? '' : `, ${r.kaonTagged} of them CEDAR-tagged kaons`} (logged in the logbook)`);
}

export async function ctlDqEfficiency(ctx: CtlContext): Promise<void> {
  const list = await withApi(ctx, (api) => api.dq.signalEfficiency.list());
  const lines = list.length
    ? list.map(
        (m) =>
          `m_A′ ${m.massMeV} MeV: ${(100 * m.efficiency).toFixed(1)} ± ${(100 * m.error).toFixed(1)} % (${m.selected} of ${m.generated} generated, ${m.triggered} triggered) — ${m.method}, by ${m.recordedBy} ${time(m.recordedAt)}`,
      )
    : ['no signal efficiency measured with the cuts in use: na64rc signal-efficiency --mass 1,10,100 --record'];
  output(ctx, list, lines.join('\n'));
}
