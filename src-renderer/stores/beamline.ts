// The beam line as the core reports it: the digitizers (their last waveforms, spectra and checks), the
// counters (scalers, cross-checks with the DAQ, the SPS timing) and what the machine's USB bus holds. A
// snapshot through the procedures first, so a view has something to show at once, then the live stream;
// each connection is followed until it ends or another one takes over (as stores/devices.ts does).
// Snapshots are frozen and kept in shallowRefs: waveforms arrive twice a second and never enter Vue's deep
// reactivity.
import { defineStore, storeToRefs } from 'pinia';
import { ref, shallowRef, watch } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { BeamlineLiveEvent, CountersState, CrossCheck, DigitizerView, ScalerView, UsbBus } from '@shared/api/beamline';
import { useConnectionStore } from './connection';

type Part = 'digitizers' | 'counters' | 'usb';

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

  /** Follow one connection: the snapshot, then the live stream until it ends or another connection takes over. */
  async function follow(client: ApiClient): Promise<void> {
    if (following === client) return;
    following = client;
    latest = client;
    live = new Set();
    snapshot(client, 'digitizers', () => client.beamline.digitizers(), (list) => setDigitizers(list));
    snapshot(client, 'counters', () => client.beamline.counters(), (state) => setCounters(state));
    snapshot(client, 'usb', () => client.beamline.usb(), setUsb);
    try {
      for await (const e of await client.beamline.live()) {
        if (following !== client) return;
        apply(e);
      }
    } catch {
      // the stream ends with the connection; the next connection follows again
    } finally {
      if (following === client) following = null;
    }
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

  return { digitizers, counters, usb, serverOffset, follow, apply, setDigitizers, setCounters, setUsb, readCounters, crossChecksOf };
});

/** The beam-line store, following the connection of the moment for as long as the app lives. */
export function useBeamlineLive() {
  const beamline = useBeamlineStore();
  // The client as a ref, not a getter: Vue treats a getter's result that has then/catch as a promise, and the
  // API client's proxy answers every property (see DevicesView).
  const { api } = storeToRefs(useConnectionStore());
  watch(api, (client) => client && void beamline.follow(client), { immediate: true });
  return beamline;
}
