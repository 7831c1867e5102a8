// The site's devices as the core reports them: each one's state, identity and health, the site file in use
// and the device log; and the calls the Devices and Runs views make (reconnect, check and load a site file,
// the hardware of a run). Lists are frozen snapshots in shallowRefs, handed to the view at a display rate.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { DeviceChange, DeviceLogEntry, DeviceStatus, RunSite, SiteCheck, SiteInfo } from '@shared/api/devices';
import { useConnectionStore } from './connection';

/** How often the table is redrawn at most, ms. */
const DISPLAY_MS = 250;
/** How often the device log is fetched again at most while devices change, ms (a flapping link changes 4×/s). */
const LOG_MS = 1000;
/** Entries of the device log shown. */
export const LOG_ENTRIES = 50;

export type SiteFormat = 'json' | 'yaml';

export const useDevicesStore = defineStore('devices', () => {
  const devices = shallowRef<readonly DeviceStatus[]>([]);
  const site = shallowRef<SiteInfo | null>(null);
  const log = shallowRef<readonly DeviceLogEntry[]>([]);
  /** The core's clock minus ours, ms: ages are computed against the core's clock. */
  const serverOffset = ref(0);
  let incoming: readonly DeviceStatus[] | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let logTimer: ReturnType<typeof setTimeout> | null = null;
  let following: ApiClient | null = null;

  function api(): ApiClient {
    const client = useConnectionStore().api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  function flush(): void {
    timer = null;
    if (incoming) devices.value = incoming;
    incoming = null;
  }

  /** A new list of every device; `at` is the core's time of it, when known. */
  function setDevices(list: readonly DeviceStatus[], at: number | null = null, immediately = false): void {
    incoming = Object.freeze(list.map((d) => Object.freeze(d)));
    if (at !== null) serverOffset.value = at - Date.now();
    if (immediately) flush();
    else timer ??= setTimeout(flush, DISPLAY_MS);
  }

  function setSite(next: SiteInfo): void {
    site.value = Object.freeze(next);
  }

  async function loadLog(client: ApiClient = api()): Promise<void> {
    log.value = Object.freeze((await client.devices.log({ limit: LOG_ENTRIES })).map((e) => Object.freeze(e)));
  }

  function logLater(client: ApiClient): void {
    logTimer ??= setTimeout(() => {
      logTimer = null;
      void loadLog(client).catch(() => undefined);
    }, LOG_MS);
  }

  /** Follow the live stream of one connection until it ends or another connection takes over. */
  async function follow(client: ApiClient): Promise<void> {
    if (following === client) return;
    following = client;
    void loadLog(client).catch(() => undefined);
    try {
      let first = true;
      for await (const e of await client.devices.live()) {
        if (following !== client) return;
        if (e.type === 'site') setSite(e.site);
        else {
          setDevices(e.devices, e.at, first);
          first = false;
          // Every state change and every operator's act is a log entry: the log follows the devices.
          logLater(client);
        }
      }
    } catch {
      // the stream ends with the connection; the next connection follows again
    } finally {
      if (following === client) following = null;
    }
  }

  async function reconnect(id: string, reason: string): Promise<DeviceStatus> {
    const client = api();
    const d = await client.devices.reconnect({ id, reason });
    setDevices(
      (incoming ?? devices.value).map((x) => (x.id === d.id ? d : x)),
      null,
      true,
    );
    logLater(client);
    return d;
  }

  function checkSite(text: string, format: SiteFormat, name: string): Promise<SiteCheck> {
    return api().devices.site.check({ text, format, name });
  }

  async function loadSite(text: string, format: SiteFormat, name: string, reason: string): Promise<DeviceChange[]> {
    const client = api();
    const result = await client.devices.site.load({ text, format, name, reason });
    setSite(result.site);
    logLater(client);
    return result.changes;
  }

  async function ofRun(run: number): Promise<RunSite> {
    return Object.freeze(await api().devices.ofRun({ run }));
  }

  return { devices, site, log, serverOffset, follow, setDevices, setSite, loadLog, reconnect, checkSite, loadSite, ofRun };
});
