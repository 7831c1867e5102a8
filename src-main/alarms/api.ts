// The alarm system's part of the API.
import type { Core } from '../core/core';
import { os, requires } from '../api/implementer';
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
        .use(requires('alarm.ack'))
        .handler(({ input, context, errors }) => guard(() => alarms().acknowledge(input.ids, actor(context.session), input.comment), errors)),
      shelve: os.alarms.shelve
        .use(requires('alarm.shelve'))
        .handler(({ input, context, errors }) =>
          guard(() => alarms().shelve(input.id, actor(context.session), input.reason, Date.now() + input.durationMs), errors),
        ),
      unshelve: os.alarms.unshelve
        .use(requires('alarm.shelve'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.unshelve(input.id, actor(context.session), input.comment), errors)),
      reset: os.alarms.reset
        .use(requires('alarm.ack'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.reset(input.id, actor(context.session), input.comment), errors)),
      outOfService: os.alarms.outOfService
        .use(requires('alarm.service'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.removeFromService(input.id, actor(context.session), input.reason), errors)),
      inService: os.alarms.inService
        .use(requires('alarm.service'))
        .handler(({ input, context, errors }) => guard(() => alarms().engine.returnToService(input.id, actor(context.session), input.comment), errors)),
      mute: os.alarms.mute
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
