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

  /** Follow the live stream of one connection until it ends or `current()` says a newer one took over. */
  async function follow(client: ApiClient, current: () => boolean): Promise<void> {
    try {
      for await (const s of await client.replay.live()) {
        if (!current()) return;
        set(s);
      }
    } catch {
      // The stream ends with the connection (or the view); the next one follows again.
    }
  }

  return { status, set, follow };
});
