// The ECAL calibration as the core reports it: the beam scan's progress, the last LED gap, the setup's sets
// (reloaded whenever the core says they changed), and the calls the Calibration view makes. Everything held
// is a frozen snapshot in a shallowRef: scan progress arrives every spill, set details carry hundreds of
// values and fit spectra, none of it enters deep reactivity.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { CalibrationDiff, CalibrationEvent, CalibrationSetDetail, CalibrationSetView, LedTrend, ScanView, TowerFitView } from '@shared/api/calibration';
import { useConnectionStore } from './connection';

export type LedNow = Extract<CalibrationEvent, { type: 'led' }>;
export type ScanStart = Parameters<ApiClient['calibration']['scan']['start']>[0];
export type ScanExtend = Parameters<ApiClient['calibration']['scan']['extend']>[0];

export const useCalibrationStore = defineStore('calibration', () => {
  const scan = shallowRef<ScanView | null>(null);
  const led = shallowRef<LedNow | null>(null);
  const sets = shallowRef<readonly CalibrationSetView[]>([]);
  /** Bumped whenever the sets changed (approved, activated, a new draft): views reload what they show. */
  const setsRevision = ref(0);
  const details = new Map<string, Promise<CalibrationSetDetail>>();
  const fits = new Map<string, Promise<TowerFitView>>();
  let following: ApiClient | null = null;

  function api(): ApiClient {
    const client = useConnectionStore().api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  async function loadSets(client: ApiClient = api()): Promise<void> {
    const list = await client.calibration.sets.list();
    sets.value = Object.freeze(list.map((s) => Object.freeze(s)));
    // Statuses and new drafts change; a set's values and fits never do, but its detail carries its status.
    details.clear();
    setsRevision.value++;
  }

  function setScan(s: ScanView | null): void {
    scan.value = s ? Object.freeze(s) : null;
  }

  /** Follow the live stream of one connection until it ends or another connection takes over. */
  async function follow(client: ApiClient): Promise<void> {
    if (following === client) return;
    following = client;
    void loadSets(client).catch(() => undefined);
    try {
      for await (const e of await client.calibration.live()) {
        if (following !== client) return;
        if (e.type === 'scan') setScan(e.scan);
        else if (e.type === 'led') led.value = Object.freeze(e);
        else await loadSets(client).catch(() => undefined);
      }
    } catch {
      // the stream ends with the connection; the next connection follows again
    } finally {
      if (following === client) following = null;
    }
  }

  function detail(version: string): Promise<CalibrationSetDetail> {
    let d = details.get(version);
    if (!d) {
      d = api().calibration.sets.get({ version }).then((x) => Object.freeze(x));
      details.set(version, d);
      d.catch(() => details.delete(version));
    }
    return d;
  }

  /** A tower's beam-scan fit in a set; it never changes once the set exists, so it is kept. */
  function fit(version: string, cell: string): Promise<TowerFitView> {
    const key = `${version}\n${cell}`;
    let f = fits.get(key);
    if (!f) {
      f = api().calibration.sets.fit({ version, cell }).then((x) => Object.freeze(x));
      fits.set(key, f);
      f.catch(() => fits.delete(key));
    }
    return f;
  }

  async function diff(from: string, to: string): Promise<CalibrationDiff> {
    return Object.freeze(await api().calibration.sets.diff({ from, to }));
  }

  async function ledTrend(cell: string, run?: number): Promise<LedTrend> {
    return Object.freeze(await api().calibration.led.trend(run === undefined ? { cell } : { cell, run }));
  }

  async function afterSetChange<T>(p: Promise<T>): Promise<T> {
    const r = await p;
    await loadSets().catch(() => undefined);
    return r;
  }

  const approve = (version: string, comment: string) => afterSetChange(api().calibration.sets.approve({ version, comment }));
  const activate = (version: string, comment: string) => afterSetChange(api().calibration.sets.activate({ version, comment }));
  const rollback = (version: string, reason: string) => afterSetChange(api().calibration.sets.rollback({ version, reason }));
  const importSet = (content: string, format: 'json' | 'csv', version?: string) =>
    afterSetChange(api().calibration.sets.import(version ? { content, format, version } : { content, format }));
  const exportSet = (version: string, format: 'json' | 'csv') => api().calibration.sets.export({ version, format });

  async function scanCall(p: Promise<ScanView>): Promise<ScanView> {
    const s = await p;
    setScan(s);
    return s;
  }

  const scanActions = {
    start: (input: ScanStart) => scanCall(api().calibration.scan.start(input)),
    pause: () => scanCall(api().calibration.scan.pause()),
    resume: () => scanCall(api().calibration.scan.resume()),
    stop: () => scanCall(api().calibration.scan.stop()),
    extend: (input: ScanExtend) => scanCall(api().calibration.scan.extend(input)),
    fit: () => scanCall(api().calibration.scan.fit()),
  };

  return { scan, led, sets, setsRevision, follow, loadSets, setScan, detail, fit, diff, ledTrend, approve, activate, rollback, importSet, exportSet, scanActions };
});
