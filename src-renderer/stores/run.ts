// Run state as the core reports it, and the shifter's run commands with their visible lifecycle.
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { RunType, Status } from '@shared/api/schemas';
import { useConnectionStore } from './connection';
import type { EndReason } from '@shared/run-end';
import type { AutoStop } from '@shared/api/run-transition';

/** requested → sent → acknowledged (the core answered) or failed with the core's reason. */
export type CommandPhase = 'idle' | 'sent' | 'acknowledged' | 'failed';

export const useRunStore = defineStore('run', () => {
  const status = shallowRef<Status | null>(null);
  /** Offset between the core's clock and ours, so countdowns are right even if the clocks differ. */
  const clockOffsetMs = ref(0);
  // Each status gives serverTime − arrival = offset − latency ≤ offset; the largest recent sample is the
  // best estimate (NTP's minimum-delay filter).
  const offsetSamples: number[] = [];
  /** `field`: the start prompt a refusal is about (the core's BAD_REQUEST says which). */
  const command = ref<{ what: string; phase: CommandPhase; message: string; field?: string }>({ what: '', phase: 'idle', message: '' });

  const state = computed(() => status.value?.run.state ?? null);
  const busy = computed(() => command.value.phase === 'sent' || ['starting', 'pausing', 'resuming', 'stopping'].includes(state.value ?? ''));

  function setStatus(next: Status): void {
    status.value = Object.freeze(next);
    offsetSamples.push(next.serverTime - Date.now());
    if (offsetSamples.length > 20) offsetSamples.shift();
    clockOffsetMs.value = Math.max(...offsetSamples);
  }

  async function send(what: string, call: () => Promise<unknown>): Promise<boolean> {
    command.value = { what, phase: 'sent', message: '' };
    try {
      await call();
      command.value = { what, phase: 'acknowledged', message: '' };
      return true;
    } catch (error) {
      const field = (error as { data?: { field?: unknown } } | null)?.data?.field;
      command.value = { what, phase: 'failed', message: error instanceof Error ? error.message : String(error), ...(typeof field === 'string' && field ? { field } : {}) };
      return false;
    }
  }

  function api() {
    const client = useConnectionStore().api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  const startRun = (type: RunType, comment: string, options: { prompts?: Record<string, string | number>; autoStop?: AutoStop } = {}) =>
    send(`start ${type} run`, () => api().run.start({ type, comment, prompts: options.prompts ?? {}, ...(options.autoStop ? { autoStop: options.autoStop } : {}) }));
  const stopRun = (reason: string, endReason: EndReason) => send('stop run', () => api().run.stop({ reason, endReason }));
  const pauseRun = (reason: string) => send('pause run', () => api().run.pause({ reason }));
  const resumeRun = () => send('resume run', () => api().run.resume({}));
  /** Call off a start or resume that a participant holds back. */
  const cancelTransition = () => send('call off', () => api().run.cancel({}));

  return { status, clockOffsetMs, command, state, busy, setStatus, startRun, stopRun, pauseRun, resumeRun, cancelTransition };
});
