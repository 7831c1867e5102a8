// The run registry as the Runs view shows it: one page of the run list for the filters in the URL, the chosen
// run's summary and spills, and the experts' sign-offs. Answers are frozen snapshots in shallowRefs; an answer
// to an older question never overwrites a newer one.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { RunPage, RunQuery, RunSummary, SignOffInput } from '@shared/api/runs';
import type { SignOff, SpillSummary } from '@shared/api/schemas';
import { useConnectionStore } from './connection';

export const useRunsStore = defineStore('runs', () => {
  const page = shallowRef<RunPage | null>(null);
  const summary = shallowRef<RunSummary | null>(null);
  const spills = shallowRef<readonly SpillSummary[]>([]);
  const error = ref('');
  const runError = ref('');
  const loading = ref(false);
  let listAsked = 0;
  let runAsked = 0;

  function api(): ApiClient {
    const client = useConnectionStore().api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  async function list(query: RunQuery): Promise<void> {
    const asked = ++listAsked;
    loading.value = true;
    try {
      const answer = await api().runs.list(query);
      if (asked !== listAsked) return;
      page.value = Object.freeze(answer);
      error.value = '';
    } catch (e) {
      if (asked === listAsked) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (asked === listAsked) loading.value = false;
    }
  }

  async function open(run: number | null): Promise<void> {
    const asked = ++runAsked;
    if (run === null) {
      summary.value = null;
      spills.value = [];
      return;
    }
    if (summary.value?.run.number !== run) {
      summary.value = null;
      spills.value = [];
    }
    try {
      const client = api();
      const [s, list] = await Promise.all([client.runs.summary({ run }), client.runs.spills({ run })]);
      if (asked !== runAsked) return;
      summary.value = Object.freeze(s);
      spills.value = Object.freeze(list);
      runError.value = '';
    } catch (e) {
      if (asked === runAsked) runError.value = e instanceof Error ? e.message : String(e);
    }
  }

  /** Sign off a run or a spill; the run's summary is fetched again so the sign-off shows beside the verdict. */
  async function signOff(input: SignOffInput): Promise<SignOff> {
    const signed = await api().runs.signOff(input);
    await open(input.run);
    return signed;
  }

  return { page, summary, spills, error, runError, loading, list, open, signOff };
});
