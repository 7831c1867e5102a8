// The replay running on the server (or the last one): followed over its live stream, a frozen snapshot per
// update (at most 4 a second), never deep-reactive.
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { ReplayStatus } from '@shared/api/replay';

export const useReplayStore = defineStore('replay', () => {
  const status = shallowRef<ReplayStatus | null>(null);

  function set(s: ReplayStatus): void {
    status.value = Object.freeze(s);
  }

  let following: ApiClient | null = null;

  /**
   * Follow the live stream of a connection, once per connection: it ends with the connection (leaving it
   * early would cancel the stream under the client, so a view that closes does not stop it).
   */
  async function follow(client: ApiClient): Promise<void> {
    if (following === client) return;
    following = client;
    try {
      for await (const s of await client.replay.live()) {
        if (following === client) set(s);
      }
    } catch {
      // The stream ends with the connection; the next connection follows again.
    } finally {
      if (following === client) following = null;
    }
  }

  return { status, set, follow };
});
