// The beam line as the core reports it: the digitizers (their last waveforms, spectra and checks), the
// counters (scalers, cross-checks with the DAQ, the SPS timing) and what the machine's USB bus holds. A
// snapshot through the procedures first, so a view has something to show at once, then the live stream;
// each connection is followed until it ends or another one takes over (as stores/devices.ts does).
// Snapshots are frozen and kept in shallowRefs: waveforms arrive twice a second and never enter Vue's deep
// reactivity.
import { defineStore, storeToRefs } from 'pinia';
import { onScopeDispose, ref, shallowRef, watch } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { BeamlineLiveEvent, BeamlinePart, CountersState, CrossCheck, DigitizerView, ScalerView, UsbBus } from '@shared/api/beamline';
import { useConnectionStore } from './connection';

type Part = BeamlinePart;

export const useBeamlineStore = defineStore('beamline', () => {
  /** null until the core has answered: "not known yet" is not "none on this site". */
  const digitizers = shallowRef<readonly DigitizerView[] | null>(null);
  const counters = shallowRef<CountersState | null>(null);
  const usb = shallowRef<UsbBus | null>(null);
  /** The core's clock minus ours, ms, from the live events' times. */
  const serverOffset = ref(0);
  let following: ApiClient | null = null;
  /** The connection followed last: answers from an older one are dropped (its stream may end first). */
  let latest: ApiClient | null = null;
  /** Parts the live stream has delivered for the connection followed: a late snapshot answer must not overwrite them. */
  let live = new Set<Part>();

  function api(): ApiClient {
    const client = useConnectionStore().api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  function setDigitizers(list: readonly DigitizerView[], at: number | null = null): void {
    digitizers.value = Object.freeze(list.map((d) => Object.freeze(d)));
    if (at !== null) serverOffset.value = at - Date.now();
  }

  function setCounters(state: CountersState, at: number | null = null): void {
    counters.value = Object.freeze(state);
    if (at !== null) serverOffset.value = at - Date.now();
  }

  function setUsb(bus: UsbBus): void {
    usb.value = Object.freeze(bus);
  }

  function apply(e: BeamlineLiveEvent): void {
    live.add(e.type);
    if (e.type === 'digitizers') setDigitizers(e.digitizers, e.at);
    else if (e.type === 'counters') setCounters(e.counters, e.at);
    else setUsb(e.usb);
  }

  /** One procedure's answer, unless the live stream of the same connection was quicker. */
  function snapshot<T>(client: ApiClient, part: Part, call: () => Promise<T>, set: (value: T) => void): void {
    // Called inside a promise: a client that lacks the procedure fails here, not in follow().
    const keep = (value: T) => {
      if (latest === client && !live.has(part)) set(value);
    };
    // On failure nothing to show: the live stream says the same, or the core does not know the beam line.
    void Promise.resolve().then(call).then(keep, () => undefined);
  }

  /** How many mounted views want each part (none registered: all of them, as a client that does not say). */
  const wanted = new Map<Part, number>();
  /** The stream followed now, to end it when the parts wanted change. */
  let stream: AsyncIterator<BeamlineLiveEvent> | null = null;

  function parts(): Part[] | undefined {
    const list = [...wanted].filter(([, n]) => n > 0).map(([part]) => part);
    return list.length ? list.sort() : undefined;
  }

  /**
   * Follow one connection: the snapshot, then the live stream until it ends or another connection takes over.
   * Only the parts the views on screen want: the Shift view shows the counters, and the digitizers' waveforms
   * (≈ 200 kB a second: up to 170 kB a message, 1–2 a second) would cost the server and the page their encoding and parsing for nothing.
   */
  async function follow(client: ApiClient): Promise<void> {
    if (following === client) return;
    following = client;
    latest = client;
    live = new Set();
    const asked = parts();
    const shown = new Set(asked ?? (['digitizers', 'counters', 'usb'] as const));
    if (shown.has('digitizers')) snapshot(client, 'digitizers', () => client.beamline.digitizers(), (list) => setDigitizers(list));
    if (shown.has('counters')) snapshot(client, 'counters', () => client.beamline.counters(), (state) => setCounters(state));
    if (shown.has('usb')) snapshot(client, 'usb', () => client.beamline.usb(), setUsb);
    let mine: AsyncIterator<BeamlineLiveEvent> | null = null;
    try {
      const events = await client.beamline.live(asked ? { parts: asked } : undefined);
      if (following !== client) return;
      stream = mine = events;
      for await (const e of events) {
        if (following !== client) return;
        apply(e);
      }
    } catch {
      // the stream ends with the connection; the next connection follows again
    } finally {
      if (following === client && stream === mine) following = null;
      if (stream === mine) stream = null;
    }
  }

  /** Follow the same connection again with the parts wanted now (the stream of the old ones ends). */
  function refollow(): void {
    const client = following;
    if (!client) return;
    const old = stream;
    following = null;
    stream = null;
    void old?.return?.();
    void follow(client);
  }

  /** A view wants `which` while it is mounted; returns its release. */
  function want(which: readonly Part[]): () => void {
    const before = parts()?.join();
    for (const part of which) wanted.set(part, (wanted.get(part) ?? 0) + 1);
    if (parts()?.join() !== before) refollow();
    return () => {
      const was = parts()?.join();
      for (const part of which) wanted.set(part, (wanted.get(part) ?? 1) - 1);
      if (parts()?.join() !== was) refollow();
    };
  }

  /** Latch and read a scaler now (experts): its row is updated at once with what the core read. */
  async function readCounters(device: string): Promise<ScalerView> {
    const scaler = Object.freeze(await api().beamline.readCounters({ device }));
    const state = counters.value;
    if (state) setCounters({ ...state, scalers: state.scalers.map((s) => (s.device === scaler.device ? scaler : s)) });
    return scaler;
  }

  /** The cross-checks of another run's spills with the DAQ. */
  async function crossChecksOf(run: number): Promise<readonly CrossCheck[]> {
    return Object.freeze(await api().beamline.crossChecks({ run }));
  }

  return { digitizers, counters, usb, serverOffset, follow, want, apply, setDigitizers, setCounters, setUsb, readCounters, crossChecksOf };
});

/**
 * The beam-line store, following the connection of the moment for as long as the app lives, with the parts
 * `parts` of its live stream while the calling component is mounted.
 */
export function useBeamlineLive(...which: Part[]) {
  const beamline = useBeamlineStore();
  onScopeDispose(beamline.want(which));
  // The client as a ref, not a getter: Vue treats a getter's result that has then/catch as a promise, and the
  // API client's proxy answers every property (see DevicesView).
  const { api } = storeToRefs(useConnectionStore());
  watch(api, (client) => client && void beamline.follow(client), { immediate: true });
  return beamline;
}
