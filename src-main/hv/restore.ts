// Comparing and restoring HV configurations: snapshot against snapshot or against the live settings, and
// a restore that writes only what differs, channel by channel, through the normal audited command path.
import type { Session } from '../shared/auth';
import type { HvComparison, HvRestoreResult, HvSnapshot, HvSnapshotValue } from '../shared/api/hv';
import type { HvService } from './hv-service';

const FIELDS = ['vset', 'iset', 'rampUp', 'rampDown', 'tripTime'] as const;
const TOLERANCE: Record<(typeof FIELDS)[number], number> = { vset: 0.05, iset: 0.01, rampUp: 0.5, rampDown: 0.5, tripTime: 0.05 };

type Field = (typeof FIELDS)[number];

function changedFields(a: HvSnapshotValue, b: HvSnapshotValue): Field[] {
  return FIELDS.filter((f) => Math.abs(a[f] - b[f]) > TOLERANCE[f]);
}

export function differences(a: HvSnapshotValue | null, b: HvSnapshotValue | null): string[] {
  if (!a || !b) return [a ? 'missing on the right' : 'missing on the left'];
  const out: string[] = changedFields(a, b);
  if (a.on !== b.on) out.push('on');
  return out;
}

export function compare(
  hv: HvService,
  left: { label: string; values: HvSnapshotValue[] },
  right: { label: string; values: HvSnapshotValue[] },
): HvComparison {
  const l = new Map(left.values.map((v) => [v.channel, v]));
  const r = new Map(right.values.map((v) => [v.channel, v]));
  const names = [...new Set([...hv.channelNames(), ...l.keys(), ...r.keys()])].filter((n) => l.has(n) || r.has(n));
  return {
    left: left.label,
    right: right.label,
    rows: names.map((channel) => {
      const a = l.get(channel) ?? null;
      const b = r.get(channel) ?? null;
      return { channel, detector: hv.detectorOf(channel), left: a, right: b, differences: differences(a, b) };
    }),
  };
}

/**
 * Restore: for each channel of the snapshot, write the settings that differ from the live ones, then
 * switch on or off as saved. Restoring the golden snapshot is a shifter's action; any other needs hv.set.
 */
export async function restore(hv: HvService, session: Session, snapshot: HvSnapshot, values: HvSnapshotValue[], reason: string): Promise<HvRestoreResult> {
  const permission = snapshot.golden ? 'hv.restore-golden' : 'hv.set';
  const why = `restore "${snapshot.name}"${reason ? `: ${reason}` : ''}`;
  // Refused before anything is compared: a caller without the role gets FORBIDDEN even when nothing differs.
  hv.authorize(session, permission, values.map((v) => v.channel), { parameter: 'restore', new: snapshot.name }, why);
  const live = new Map(hv.liveSettings().map((v) => [v.channel, v]));
  const channels: HvRestoreResult['channels'] = [];
  for (const v of values) {
    const now = live.get(v.channel) ?? null;
    const fields = now ? changedFields(v, now) : [...FIELDS];
    const switching = !now || now.on !== v.on;
    if (fields.length === 0 && !switching) {
      channels.push({ channel: v.channel, result: 'unchanged', message: '' });
      continue;
    }
    const failures: string[] = [];
    for (const f of fields) {
      const cmd = await hv.command(session, [v.channel], { kind: 'set', parameter: f, value: v[f] }, why, permission);
      const c = cmd.channels[0]!;
      if (c.phase === 'refused' || c.phase === 'failed') failures.push(`${f}: ${c.message}`);
    }
    if (switching) {
      const cmd = await hv.command(session, [v.channel], { kind: 'switch', on: v.on }, why, permission);
      const c = cmd.channels[0]!;
      if (c.phase === 'refused' || c.phase === 'failed') failures.push(`${v.on ? 'on' : 'off'}: ${c.message}`);
    }
    channels.push(
      failures.length
        ? { channel: v.channel, result: 'failed', message: failures.join('; ') }
        : { channel: v.channel, result: 'restored', message: [...fields, ...(switching ? [v.on ? 'on' : 'off'] : [])].join(', ') },
    );
  }
  return { snapshot, channels };
}
