// Live data quality: the last spill's verdicts and checks, EOT of the run and in total, the e/π trend of the
// current run, and the active reference with the histograms the Shift view overlays. Snapshots only
// (frozen, in shallowRefs): many values change every spill, none enters deep reactivity.
import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { DqLiveEvent, EotStatus, ReferenceView } from '@shared/api/dq';
import type { SpillDq } from '@shared/api/schemas';
import type { HistSnapshot } from '@shared/histogram';

type SpillEvent = Extract<DqLiveEvent, { type: 'spill' }>;
export interface TrendPoint {
  spill: number;
  dq: SpillDq;
}

/** Histograms of the reference the Shift view overlays. */
export const OVERLAID = ['ecal_energy', 'hcal_energy', 'wcal_energy', 'dump_veto_energy', 'beam_momentum', 'scattered_momentum', 'srd_energy', 'shower_x'] as const;
const TREND_SPILLS = 500;

export const useDqStore = defineStore('dq', () => {
  const latest = shallowRef<SpillEvent | null>(null);
  const eot = shallowRef<EotStatus | null>(null);
  const reference = shallowRef<ReferenceView | null>(null);
  const referenceHistograms = shallowRef<ReadonlyMap<string, HistSnapshot>>(new Map());
  const trend = shallowRef<{ run: number; points: readonly TrendPoint[] } | null>(null);

  async function loadReference(client: ApiClient, ref: ReferenceView | null): Promise<void> {
    reference.value = ref ? Object.freeze(ref) : null;
    if (!ref) {
      referenceHistograms.value = new Map();
      return;
    }
    const loaded = await Promise.all(OVERLAID.filter((name) => ref.histograms.includes(name)).map((name) => client.dq.references.histogram({ id: ref.id, name }).catch(() => null)));
    referenceHistograms.value = new Map(loaded.filter((h): h is HistSnapshot => h !== null).map((h) => [h.name, Object.freeze(h)]));
  }

  async function loadTrend(client: ApiClient, run: number): Promise<void> {
    const t = await client.dq.run({ run });
    trend.value = Object.freeze({ run, points: Object.freeze(t.spills.slice(-TREND_SPILLS).map((s) => Object.freeze({ spill: s.spill, dq: s.dq }))) });
  }

  function addSpill(e: SpillEvent): void {
    latest.value = Object.freeze(e);
    eot.value = Object.freeze(e.eot);
    const points = trend.value?.run === e.run ? trend.value.points.filter((p) => p.spill !== e.spill) : [];
    trend.value = Object.freeze({ run: e.run, points: Object.freeze([...points, Object.freeze({ spill: e.spill, dq: e.dq })].slice(-TREND_SPILLS)) });
  }

  /** Follow the live stream of one connection until it ends or `current()` says a newer one took over. */
  async function follow(client: ApiClient, current: () => boolean): Promise<void> {
    try {
      for await (const e of await client.dq.live()) {
        if (!current()) return;
        if (e.type === 'snapshot') {
          eot.value = Object.freeze(e.eot);
          if (e.eot.run !== null) void loadTrend(client, e.eot.run).catch(() => undefined);
          void loadReference(client, e.reference).catch(() => undefined);
        } else if (e.type === 'spill') addSpill(e);
        else void loadReference(client, e.reference).catch(() => undefined);
      }
    } catch {
      // The stream ends with the connection; the next connection follows again.
    }
  }

  return { latest, eot, reference, referenceHistograms, trend, follow, addSpill };
});
