// The devices' part of the API: reading is open to every session; reconnecting a device needs an expert,
// loading another site file an admin (both written to the device log).
import type { Core } from '../core/core';
import { SiteLoadError } from '../core/core';
import { os, requires } from '../api/implementer';
import type { DevicesLiveEvent } from '../shared/api/devices';
import { DeviceNotFoundError } from './drivers-host';

export function devicesRouter(core: Core) {
  const host = core.devices;
  return {
    devices: {
      list: os.devices.list.handler(() => host.list()),
      reconnect: os.devices.reconnect.use(requires('devices.reconnect')).handler(({ input, context, errors }) => {
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
        load: os.devices.site.load.use(requires('site.load')).handler(async ({ input, context, errors }) => {
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
