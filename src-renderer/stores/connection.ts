// The connection to the core and the live stream that keeps the other stores current.
import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import { allowed, type Permission, type Session } from '@shared/auth';
import { connectShell, connectSocket, takeToken, type ConnectionState, type SocketConnection } from '../api/connection';
import { useAlarmStore } from './alarms';
import { useDqStore } from './dq';
import { useRunStore } from './run';
import { useSpillStore } from './spill';

export const useConnectionStore = defineStore('connection', () => {
  const state = ref<ConnectionState>('connecting');
  const detail = ref('');
  const api = shallowRef<ApiClient | null>(null);
  /** Who this window acts as; null until the core has said. Controls are enabled from this. */
  const session = shallowRef<Session | null>(null);
  let started = false;
  let socket: SocketConnection | null = null;

  async function follow(client: ApiClient): Promise<void> {
    const run = useRunStore();
    const spill = useSpillStore();
    try {
      session.value = Object.freeze(await client.session());
      for await (const event of await client.live()) {
        if (api.value !== client) return; // a newer connection took over
        if (event.type === 'status') run.setStatus(event.status);
        else spill.addSpill(event.summary, event.histograms);
      }
    } catch {
      // The stream ends when the connection drops; the transport reconnects and calls connected() again.
    }
  }

  function start(): void {
    if (started) return;
    started = true;
    const events = {
      state: (s: ConnectionState, d: string) => {
        state.value = s;
        detail.value = d;
        if (s !== 'connected') api.value = null;
      },
      connected: (client: ApiClient) => {
        api.value = markRaw(client);
        void follow(client);
        void useAlarmStore().follow(client, () => api.value === client);
        void useDqStore().follow(client, () => api.value === client);
      },
    };
    if (window.na64rcShell) connectShell(events);
    else socket = connectSocket(events, takeToken(window.location, window.sessionStorage, window.history));
  }

  /** After the server ended the session because the role changed: connect again, with the new role. */
  function reconnect(): void {
    session.value = null;
    socket?.reconnect();
  }

  /** May this session do `permission`? False while unknown or disconnected. */
  function can(permission: Permission): boolean {
    return state.value === 'connected' && session.value !== null && allowed(session.value.role, permission);
  }

  return { state, detail, api, session, can, start, reconnect };
});
