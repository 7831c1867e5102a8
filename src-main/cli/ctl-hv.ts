// `na64rc ctl hv …`: read and set HV channels, history, audit and snapshots of a running server.
import type { HvChannel, HvCommand, HvComparison, HvParameterName, HvSnapshot } from '../shared/api/hv';
import { withApi, output, type CtlContext } from './ctl';
import { CliError } from './errors';

const fmt = (v: number | null, digits: number) => (v === null ? '—' : v.toFixed(digits));
const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function stateWord(c: HvChannel): string {
  const words = c.conditions.filter((w) => w !== 'on');
  const stale = c.staleness === 'fresh' ? [] : [c.staleness.toUpperCase()];
  return [c.on === null ? '?' : c.on ? 'ON' : 'OFF', ...words, ...c.latched.map((l) => `latched:${l}`), ...stale].join(' ');
}

export function describeChannels(channels: readonly HvChannel[], now: number): string {
  const head = `${'channel'.padEnd(12)} ${'detector'.padEnd(9)} ${'supply/ch'.padEnd(14)} ${'VSET'.padStart(7)} ${'VMON'.padStart(7)} ${'ISET'.padStart(7)} ${'IMON'.padStart(7)}  age    status`;
  const rows = channels.map((c) =>
    [
      c.name.padEnd(12),
      c.detector.padEnd(9),
      `${c.supply}/${c.channel}`.padEnd(14),
      fmt(c.vset, 1).padStart(7),
      fmt(c.vmon, 1).padStart(7),
      fmt(c.iset, 1).padStart(7),
      fmt(c.imon, 2).padStart(7),
      ` ${c.updatedAt === null ? '—' : `${((now - c.updatedAt) / 1000).toFixed(1)}s`}`.padEnd(7),
      stateWord(c),
    ].join(' '),
  );
  return [head, ...rows].join('\n');
}

export function describeCommand(c: HvCommand): string {
  return [`command ${c.id}: ${c.description} (by ${c.user})`, ...c.channels.map((ch) => `  ${ch.channel.padEnd(12)} ${ch.phase}${ch.message ? `: ${ch.message}` : ''}`)].join('\n');
}

/** Channel names from the arguments, or every channel of `--detector`. */
async function resolve(ctx: CtlContext, names: string[], detector: string | undefined): Promise<string[]> {
  if (!detector) {
    if (names.length === 0) throw new CliError('name the channels (e.g. ECAL1-3-3 S0) or give --detector');
    return names;
  }
  const overview = await withApi(ctx, (api) => api.hv.overview());
  const chosen = overview.channels.filter((c) => c.detector.toLowerCase() === detector.toLowerCase()).map((c) => c.name);
  if (chosen.length === 0) {
    const known = [...new Set(overview.channels.map((c) => c.detector))].join(', ');
    throw new CliError(`no HV channels of detector "${detector}"; this setup has ${known}`);
  }
  return [...chosen, ...names];
}

export async function ctlHvList(ctx: CtlContext, detector: string | undefined): Promise<void> {
  const o = await withApi(ctx, (api) => api.hv.overview());
  const channels = detector ? o.channels.filter((c) => c.detector.toLowerCase() === detector.toLowerCase()) : o.channels;
  const supplies = o.supplies.map((s) => `${s.id}: ${s.state}${s.state === 'online' ? '' : ` (${s.reason})`}`).join('\n');
  output(ctx, { ...o, channels }, `${supplies}\n${describeChannels(channels, o.serverTime)}`);
}

export async function ctlHvCommand(
  ctx: CtlContext,
  names: string[],
  detector: string | undefined,
  action: { kind: 'switch'; on: boolean } | { kind: 'clear' } | { kind: 'set'; parameter: HvParameterName; value: number },
  reason: string,
): Promise<void> {
  const channels = await resolve(ctx, names, detector);
  const command = await withApi(ctx, (api) => api.hv.command({ channels, action, reason }));
  output(ctx, command, describeCommand(command));
  if (command.channels.some((c) => c.phase === 'refused' || c.phase === 'failed')) throw new CliError('the supply refused some of it (see above)');
}

/** "2h", "30m", "7d" before now, or an ISO date/time. */
export function parseWhen(text: string, now: number): number {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text);
  if (rel) return now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new CliError(`"${text}" is not a time: use e.g. 2h, 30m, 7d (before now) or 2026-05-01T12:00`);
  return t;
}

export async function ctlHvHistory(ctx: CtlContext, channel: string, o: { from: string; to?: string; points: number }): Promise<void> {
  const now = Date.now();
  const from = Math.round(parseWhen(o.from, now));
  const to = Math.round(o.to ? parseWhen(o.to, now) : now);
  const h = await withApi(ctx, (api) => api.hv.history({ channel, from, to, points: o.points }));
  const rows = h.points.map((p) => `${time(p.t)}  VMON ${p.vmon.mean.toFixed(2)} [${p.vmon.min.toFixed(1)}, ${p.vmon.max.toFixed(1)}]  IMON ${p.imon.mean.toFixed(2)}  n=${p.n}`);
  output(ctx, h, [`${channel}: ${h.points.length} points at the ${h.level} level, ${time(from)} → ${time(to)}`, ...rows].join('\n'));
}

export async function ctlHvAudit(ctx: CtlContext, o: { channel?: string; limit: number }): Promise<void> {
  const entries = await withApi(ctx, (api) => api.hv.audit({ limit: o.limit, ...(o.channel ? { channel: o.channel } : {}) }));
  const text = entries.length
    ? entries.map((e) => `${time(e.at)} ${e.user}(${e.role}) ${e.channel} ${e.parameter}: ${e.old ?? '—'} → ${e.new ?? '—'} ${e.result}${e.reason ? ` "${e.reason}"` : ''}${e.detail ? ` (${e.detail})` : ''}`).join('\n')
    : 'no HV writes yet';
  output(ctx, entries, text);
}

const describeSnapshot = (s: HvSnapshot) => `${String(s.id).padStart(4)}  ${s.golden ? '★ golden ' : '         '}${s.name}  (${s.channels} channels, ${time(s.createdAt)} by ${s.createdBy})${s.comment ? `: ${s.comment}` : ''}`;

export async function ctlHvSnapshotSave(ctx: CtlContext, name: string, comment: string): Promise<void> {
  const s = await withApi(ctx, (api) => api.hv.snapshots.save({ name, comment }));
  output(ctx, s, `saved ${describeSnapshot(s)}`);
}

export async function ctlHvSnapshotList(ctx: CtlContext): Promise<void> {
  const list = await withApi(ctx, (api) => api.hv.snapshots.list());
  output(ctx, list, list.length ? list.map(describeSnapshot).join('\n') : 'no HV snapshots for this setup');
}

export async function ctlHvSnapshotCompare(ctx: CtlContext, left: number, right: number | undefined): Promise<void> {
  const c: HvComparison = await withApi(ctx, (api) => api.hv.snapshots.compare({ left, ...(right === undefined ? {} : { right }) }));
  const diff = c.rows.filter((r) => r.differences.length);
  const text = diff.length
    ? diff.map((r) => `${r.channel.padEnd(12)} ${r.differences.join(', ')}: VSET ${fmt(r.left?.vset ?? null, 1)} vs ${fmt(r.right?.vset ?? null, 1)}, ${r.left?.on ? 'on' : 'off'} vs ${r.right?.on ? 'on' : 'off'}`).join('\n')
    : 'no differences';
  output(ctx, c, `${c.left} ↔ ${c.right}: ${diff.length} of ${c.rows.length} channels differ\n${text}`);
}

export async function ctlHvSnapshotRestore(ctx: CtlContext, id: number, reason: string): Promise<void> {
  const r = await withApi(ctx, (api) => api.hv.snapshots.restore({ id, reason }));
  const counts = { unchanged: 0, restored: 0, failed: 0 };
  for (const c of r.channels) counts[c.result]++;
  const failed = r.channels.filter((c) => c.result === 'failed').map((c) => `  ${c.channel}: ${c.message}`);
  output(ctx, r, [`restored "${r.snapshot.name}": ${counts.restored} restored, ${counts.unchanged} unchanged, ${counts.failed} failed`, ...failed].join('\n'));
  if (counts.failed) throw new CliError(`${counts.failed} channels could not be restored`);
}

export async function ctlHvSnapshotGolden(ctx: CtlContext, id: number): Promise<void> {
  const s = await withApi(ctx, (api) => api.hv.snapshots.markGolden({ id }));
  output(ctx, s, `golden: ${describeSnapshot(s)}`);
}
