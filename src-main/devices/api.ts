// The devices' part of the API: reading is open to every session; reconnecting a device needs an expert,
// loading another site file an admin (both written to the device log, and to the audit trail of src-main/audit).
import type { Core } from '../core/core';
import { SiteLoadError } from '../core/core';
import { os, requires } from '../api/implementer';
import { audited } from '../audit/audited';
import type { DeviceChange, DevicesLiveEvent } from '../shared/api/devices';
import { DeviceNotFoundError } from './drivers-host';

export function devicesRouter(core: Core) {
  const host = core.devices;
  /** A site load's changes, device by device, as the audit's detail (unchanged devices left out). */
  const changed = (changes: readonly DeviceChange[]) =>
    changes
      .filter((c) => c.action !== 'unchanged')
      .map((c) => `${c.device} ${c.action}${c.result === 'failed' ? ` (failed: ${c.message})` : ''}`)
      .join('; ') || 'no device changed';
  return {
    devices: {
      list: os.devices.list.handler(() => host.list()),
      reconnect: os.devices.reconnect
        .use(
          audited(core.audit, {
            domain: 'devices',
            action: 'reconnect',
            about: (input) => ({ target: input.id, old: host.list().find((d) => d.id === input.id)?.state ?? null, new: 'reconnecting', reason: input.reason }),
          }),
        )
        .use(requires('devices.reconnect'))
        .handler(({ input, context, errors }) => {
          try {
            return host.reconnect(input.id, context.session, input.reason);
          } catch (error) {
            if (error instanceof DeviceNotFoundError) throw errors.NOT_FOUND({ message: error.message });
            throw error;
          }
        }),
      log: os.devices.log.handler(({ input }) => core.deviceStore.list(input.device ?? null, input.limit)),
      live: os.devices.live.handler(async function* ({ signal }) {
        const updates = host.live.subscribe('devices', { signal });
        yield { type: 'site', site: host.siteInfo() } satisfies DevicesLiveEvent;
        yield { type: 'devices', devices: host.list(), at: Date.now() } satisfies DevicesLiveEvent;
        for await (const event of updates) yield event;
      }),
      ofRun: os.devices.ofRun.handler(({ input, errors }) => {
        if (!core.archive.getRun(input.run)) throw errors.NOT_FOUND({ message: `no run ${input.run}` });
        return core.deviceStore.runSite(input.run);
      }),
      site: {
        get: os.devices.site.get.handler(() => host.siteInfo()),
        check: os.devices.site.check.handler(({ input }) => core.checkSite(input.text, input.format, input.name)),
        load: os.devices.site.load
          .use(
            audited(core.audit, {
              domain: 'site',
              action: 'load',
              // The new site's name is known once its file is read: the outcome says it.
              about: (input) => ({ target: `site file ${input.name}`, old: host.siteInfo().name, reason: input.reason }),
              outcome: (done: { site: { name: string }; changes: DeviceChange[] }) => ({
                new: done.site.name,
                detail: changed(done.changes),
                ...(done.changes.some((c) => c.result === 'failed') ? { result: 'failed' as const } : {}),
              }),
            }),
          )
          .use(requires('site.load'))
          .handler(async ({ input, context, errors }) => {
            try {
              const changes = await core.loadSite(input.text, input.format, input.name, context.session, input.reason);
              return { site: host.siteInfo(), changes };
            } catch (error) {
              if (error instanceof SiteLoadError) {
                throw error.kind === 'invalid' ? errors.BAD_REQUEST({ message: error.message }) : errors.CONFLICT({ message: error.message });
              }
              throw error;
            }
          }),
      },
    },
  };
}
