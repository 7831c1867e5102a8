// The latest spill and its histograms. Histograms are kept out of Vue's deep reactivity (frozen, in a
// shallowRef): charts redraw when the reference changes, never per bin.
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { SpillSummary } from '@shared/api/schemas';
import type { HistSnapshot } from '@shared/histogram';

const RECENT = 12;

export const useSpillStore = defineStore('spill', () => {
  const latest = shallowRef<SpillSummary | null>(null);
  const histograms = shallowRef<ReadonlyMap<string, HistSnapshot>>(new Map());
  const recent = shallowRef<readonly SpillSummary[]>([]);

  function addSpill(summary: SpillSummary, hists: HistSnapshot[]): void {
    if (latest.value && latest.value.run === summary.run && latest.value.spill === summary.spill) return;
    latest.value = Object.freeze(summary);
    histograms.value = new Map(hists.map((h) => [h.name, Object.freeze(h)]));
    recent.value = [summary, ...recent.value.filter((s) => s.run === summary.run)].slice(0, RECENT);
  }

  return { latest, histograms, recent, addSpill };
});
