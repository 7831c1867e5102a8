// High voltage as the core reports it: supplies, channels, command lifecycles. Readbacks arrive every
// poll for a hundred-odd channels; they are kept in a plain Map (never deep-reactive) and handed to the
// view as frozen arrays at a display rate.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { HvAction, HvChannel, HvCommand, HvSupplyStatus } from '@shared/api/hv';
import { useConnectionStore } from './connection';

/** How often the table is redrawn at most, ms. */
const DISPLAY_MS = 250;

export const useHvStore = defineStore('hv', () => {
  const channels = shallowRef<readonly HvChannel[]>([]);
  const supplies = shallowRef<readonly HvSupplyStatus[]>([]);
  const commands = shallowRef<readonly HvCommand[]>([]);
  const serverOffset = ref(0);
  const byName = new Map<string, HvChannel>();
  const order: string[] = [];
  const supplyMap = new Map<string, HvSupplyStatus>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let following: ApiClient | null = null;

  function flush(): void {
    timer = null;
    channels.value = Object.freeze(order.map((n) => byName.get(n)!));
    supplies.value = Object.freeze([...supplyMap.values()]);
  }

  function later(): void {
    timer ??= setTimeout(flush, DISPLAY_MS);
  }

  function putCommand(c: HvCommand): void {
    const list = commands.value.filter((x) => x.id !== c.id);
    commands.value = Object.freeze([Object.freeze(c), ...list].sort((a, b) => b.id - a.id).slice(0, 20));
  }

  async function follow(client: ApiClient): Promise<void> {
    if (following === client) return;
    following = client;
    try {
      for await (const e of await client.hv.live()) {
        if (following !== client) return;
        if (e.type === 'overview') {
          byName.clear();
          order.length = 0;
          supplyMap.clear();
          for (const c of e.overview.channels) {
            byName.set(c.name, Object.freeze(c));
            order.push(c.name);
          }
          for (const s of e.overview.supplies) supplyMap.set(s.id, Object.freeze(s));
          serverOffset.value = e.overview.serverTime - Date.now();
          flush();
        } else if (e.type === 'channels') {
          for (const c of e.channels) byName.set(c.name, Object.freeze(c));
          supplyMap.set(e.supply.id, Object.freeze(e.supply));
          serverOffset.value = e.serverTime - Date.now();
          later();
        } else putCommand(e.command);
      }
    } catch {
      // the stream ends with the connection; the next connection follows again
    } finally {
      if (following === client) following = null;
    }
  }

  function api(): ApiClient {
    const client = useConnectionStore().api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  async function command(names: string[], action: HvAction, reason: string): Promise<HvCommand> {
    const c = await api().hv.command({ channels: names, action, reason });
    putCommand(c);
    return c;
  }

  return { channels, supplies, commands, serverOffset, follow, command, api };
});
