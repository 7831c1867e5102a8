// The alarm system's part of the API. Every operator action is audited (src-main/audit), refused ones too.
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited, type AuditAbout } from '../audit/audited';
import { AlarmError } from './engine';

const EIGHT_HOURS = 8 * 3_600_000;

export function alarmsRouter(core: Core) {
  const alarms = () => core.alarms;
  /** Engine refusals become typed errors with the engine's sentence. */
  const guard = <T>(fn: () => T, errors: { BAD_REQUEST: (o: { message: string }) => Error; NOT_FOUND: (o: { message: string }) => Error }): T => {
    try {
      return fn();
    } catch (error) {
      if (error instanceof AlarmError) {
        throw error.message.startsWith('no alarm') ? errors.NOT_FOUND({ message: error.message }) : errors.BAD_REQUEST({ message: error.message });
      }
      throw error;
    }
  };
  const actor = (session: { user: string; role: 'viewer' | 'shifter' | 'expert' | 'admin' }) => ({ user: session.user, role: session.role });
  /** The audit of an action on alarms: their states before it ("unack", or "hv.trip:S0 unack; …" for several). */
  const audit = <I>(action: string, about: (input: I) => { ids: readonly string[]; new: string; reason: string }) =>
    audited(core.audit, {
      domain: 'alarms',
      action,
      about: (input: I): AuditAbout => {
        const a = about(input);
        const states = new Map(alarms().engine.list().map((v) => [v.id, v.state]));
        const old = a.ids.length === 1 ? (states.get(a.ids[0]!) ?? null) : a.ids.map((id) => `${id} ${states.get(id) ?? '?'}`).join('; ');
        return { target: a.ids.join(' '), old, new: a.new, reason: a.reason };
      },
    });

  return {
    alarms: {
      list: os.alarms.list.handler(() => alarms().engine.list()),
      current: os.alarms.current.handler(({ input }) => alarms().engine.list().filter((v) => input.all || v.state !== 'normal')),
      log: os.alarms.log.handler(({ input }) => alarms().store.log(input)),
      kpi: os.alarms.kpi.handler(({ input }) => {
        const to = input.to ?? Date.now();
        return alarms().kpi(input.from ?? to - EIGHT_HOURS, to);
      }),
      acknowledge: os.alarms.acknowledge
        .use(audit('acknowledge', (input: { ids: string[]; comment: string }) => ({ ids: input.ids, new: 'acknowledged', reason: input.comment })))
        .use(requires('alarm.ack'))
        .handler(({ input, context, errors }) => guard(() => alarms().acknowledge(input.ids, actor(context.session), input.comment), errors)),
      shelve: os.alarms.shelve
        .use(
          audit('shelve', (input: { id: string; reason: string; durationMs: number }) => ({
            ids: [input.id],
            new: `shelved until ${new Date(Date.now() + input.durationMs).toISOString()}`,
            reason: input.reason,
          })),
        )
        .use(requires('alarm.shelve'))
        .handler(({ input, context, errors }) =>
          guard(() => alarms().shelve(input.id, actor(context.session), input.reason, Date.now() + input.durationMs), errors),
        ),
      unshelve: os.alarms.unshelve
        .use(audit('unshelve', (input: { id: string; comment: string }) => ({ ids: [input.id], new: 'unshelved', reason: input.comment })))
        .use(requires('alarm.shelve'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.unshelve(input.id, actor(context.session), input.comment), errors)),
      reset: os.alarms.reset
        .use(audit('reset', (input: { id: string; comment: string }) => ({ ids: [input.id], new: 'reset', reason: input.comment })))
        .use(requires('alarm.ack'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.reset(input.id, actor(context.session), input.comment), errors)),
      outOfService: os.alarms.outOfService
        .use(audit('out of service', (input: { id: string; reason: string }) => ({ ids: [input.id], new: 'out of service', reason: input.reason })))
        .use(requires('alarm.service'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.removeFromService(input.id, actor(context.session), input.reason), errors)),
      inService: os.alarms.inService
        .use(audit('in service', (input: { id: string; comment: string }) => ({ ids: [input.id], new: 'in service', reason: input.comment })))
        .use(requires('alarm.service'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.returnToService(input.id, actor(context.session), input.comment), errors)),
      mute: os.alarms.mute
        .use(
          audited(core.audit, {
            domain: 'alarms',
            action: 'mute',
            about: (input) => ({ target: `${input.priority} alarm sound`, old: alarms().mutedState()[input.priority] ? 'muted' : 'sounding', new: input.muted ? 'muted' : 'sounding', reason: input.reason }),
          }),
        )
        .use(requires('alarm.mute'))
        .handler(({ input, context, errors }) => guard(() => alarms().mute(input.priority, input.muted, actor(context.session), input.reason), errors)),
      live: os.alarms.live.handler(async function* ({ signal }) {
        const updates = alarms().live.subscribe('alarms', { signal });
        yield alarms().snapshot();
        for await (const event of updates) yield event;
      }),
    },
  };
}
