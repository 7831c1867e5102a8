// High voltage's part of the API. Reading is open to every session; every write is checked against the
// caller's role inside the HV service (so that refused attempts are audited too, per channel in the HV audit
// table), and each command is one row of the audit trail of every domain (src-main/audit).
import { ORPCError } from '@orpc/server';
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited, type AuditOutcome } from '../audit/audited';
import type { HvAction, HvCommand, HvLiveEvent, HvRestoreResult } from '../shared/api/hv';
import { UnknownChannelError } from './history';
import { HvForbiddenError, HvNotFoundError } from './hv-service';
import { compare, restore } from './restore';
import { SnapshotExistsError } from './snapshots';

export function hvRouter(core: Core) {
  const hv = core.hv;
  const snapshot = (id: number, notFound: (m: string) => Error) => {
    const s = core.hvSnapshots.get(id);
    if (!s || s.setup !== core.setup.name) throw notFound(`no HV snapshot ${id} for setup ${core.setup.name}`);
    return s;
  };
  const mapErrors = (error: unknown, errors: { NOT_FOUND: (o: { message: string }) => Error }) => {
    if (error instanceof HvNotFoundError || error instanceof UnknownChannelError) throw errors.NOT_FOUND({ message: error.message });
    if (error instanceof HvForbiddenError) throw new ORPCError('FORBIDDEN', { message: error.message });
    throw error;
  };
  /** "vset 1100" of one channel; "S1 on; S2 off" of several (what the command replaces). */
  const oldValues = (names: readonly string[], action: HvAction) =>
    names.length === 1 ? hv.currentValue(names[0]!, action) : names.map((n) => `${n} ${hv.currentValue(n, action) ?? '?'}`).join('; ');
  const words = (action: HvAction) =>
    action.kind === 'set'
      ? { action: `set ${action.parameter}`, new: String(action.value) }
      : action.kind === 'switch'
        ? { action: 'switch', new: action.on ? 'on' : 'off' }
        : { action: 'clear alarms', new: null };
  /** A command returns with each channel's phase: one a supply refused makes it refused, one unreachable failed. */
  const commandOutcome = (command: HvCommand): AuditOutcome => {
    const bad = command.channels.filter((c) => c.phase === 'refused' || c.phase === 'failed');
    if (!bad.length) return {};
    return { result: bad.some((c) => c.phase === 'refused') ? 'refused' : 'failed', detail: bad.map((c) => `${c.channel}: ${c.message}`).join('; ') };
  };
  const restoreOutcome = (r: HvRestoreResult): AuditOutcome => {
    const failed = r.channels.filter((c) => c.result === 'failed');
    const restored = r.channels.filter((c) => c.result === 'restored').length;
    return failed.length
      ? { result: 'failed', detail: `${restored} restored, ${failed.length} failed: ${failed.map((c) => `${c.channel}: ${c.message}`).join('; ')}` }
      : { detail: `${restored} channels restored` };
  };
  const snapshotName = (id: number) => core.hvSnapshots.get(id)?.name ?? `snapshot ${id}`;
  return {
    hv: {
      overview: os.hv.overview.handler(() => hv.overview()),
      live: os.hv.live.handler(async function* ({ signal }) {
        const updates = hv.live.subscribe('hv', { signal });
        yield { type: 'overview', overview: hv.overview() } satisfies HvLiveEvent;
        for (const command of [...hv.recentCommands()].reverse()) yield { type: 'command', command: structuredClone(command) } satisfies HvLiveEvent;
        for await (const event of updates) yield event;
      }),
      command: os.hv.command
        .use(
          audited(core.audit, {
            domain: 'hv',
            action: 'write',
            about: (input) => ({ ...words(input.action), target: input.channels.join(' '), old: oldValues(input.channels, input.action), reason: input.reason }),
            outcome: commandOutcome,
          }),
        )
        .handler(async ({ input, context, errors }) => {
          try {
            return await hv.command(context.session, input.channels, input.action, input.reason);
          } catch (error) {
            return mapErrors(error, errors);
          }
        }),
      history: os.hv.history.handler(({ input, errors }) => {
        try {
          return hv.history.query(input.channel, input.from, input.to, input.points);
        } catch (error) {
          return mapErrors(error, errors);
        }
      }),
      historyCsv: os.hv.historyCsv.handler(({ input, errors }) => {
        try {
          return { filename: `hv-${input.channel}-${input.from}-${input.to}.csv`, content: hv.history.csv(input.channel, input.from, input.to) };
        } catch (error) {
          return mapErrors(error, errors);
        }
      }),
      audit: os.hv.audit.handler(({ input }) => hv.audit.list(input)),
      snapshots: {
        list: os.hv.snapshots.list.handler(() => core.hvSnapshots.list(core.setup.name)),
        save: os.hv.snapshots.save
          .use(
            audited(core.audit, {
              domain: 'hv',
              action: 'save snapshot',
              about: (input) => ({ target: `snapshot "${input.name}"`, new: 'the present settings', reason: input.comment }),
              outcome: (saved: { channels: number }) => ({ new: `the present settings of ${saved.channels} channels` }),
            }),
          )
          .use(requires('hv.snapshot'))
          .handler(({ input, context, errors }) => {
          const values = hv.liveSettings();
          if (values.length === 0) throw errors.CONFLICT({ message: 'no HV channel has been read yet: nothing to save' });
          try {
            return core.hvSnapshots.save(core.setup.name, input.name, context.session.user, input.comment, values, Date.now());
          } catch (error) {
            if (error instanceof SnapshotExistsError) throw errors.CONFLICT({ message: error.message });
            throw error;
          }
        }),
        values: os.hv.snapshots.values.handler(({ input, errors }) => {
          snapshot(input.id, (message) => errors.NOT_FOUND({ message }));
          return core.hvSnapshots.values(input.id);
        }),
        compare: os.hv.snapshots.compare.handler(({ input, errors }) => {
          const left = snapshot(input.left, (message) => errors.NOT_FOUND({ message }));
          const right = input.right === undefined ? null : snapshot(input.right, (message) => errors.NOT_FOUND({ message }));
          return compare(
            hv,
            { label: left.name, values: core.hvSnapshots.values(left.id) },
            right ? { label: right.name, values: core.hvSnapshots.values(right.id) } : { label: 'live', values: hv.liveSettings() },
          );
        }),
        markGolden: os.hv.snapshots.markGolden
          .use(audited(core.audit, { domain: 'hv', action: 'mark golden', about: (input) => ({ target: `snapshot "${snapshotName(input.id)}"`, new: 'golden' }) }))
          .use(requires('hv.golden'))
          .handler(({ input, errors, context }) => {
            const s = snapshot(input.id, (message) => errors.NOT_FOUND({ message }));
            core.hvSnapshots.markGolden(core.setup.name, s.id);
            core.options.log.info({ snapshot: s.name, user: context.session.user }, 'golden HV snapshot marked');
            return core.hvSnapshots.get(s.id)!;
          }),
        restore: os.hv.snapshots.restore
          .use(audited(core.audit, { domain: 'hv', action: 'restore', about: (input) => ({ target: `snapshot "${snapshotName(input.id)}"`, reason: input.reason }), outcome: restoreOutcome }))
          .handler(async ({ input, context, errors }) => {
            const s = snapshot(input.id, (message) => errors.NOT_FOUND({ message }));
            try {
              return await restore(hv, context.session, s, core.hvSnapshots.values(s.id), input.reason);
            } catch (error) {
              return mapErrors(error, errors);
            }
          }),
      },
    },
  };
}
