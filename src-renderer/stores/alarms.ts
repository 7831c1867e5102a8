// The alarm system as this screen sees it: current alarms (kept out of deep reactivity, replaced as a
// whole map on each change), muting, the heartbeat that proves the alarm engine is alive, and annunciation
// (sound per priority class, optional speech, re-announcement while unacknowledged).
import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { AlarmView, Announcement, MuteState } from '@shared/api/alarms';
import { priorityRank, type Priority } from '@shared/alarms';
import { playAlarm, speak } from '../alarms/sound';

/** The alarm engine ticks every second; this long without a heartbeat means it is not running. */
export const WATCHDOG_MS = 5000;
/** Unacknowledged alarms are announced again after these intervals. */
export const REANNOUNCE_MS: Record<Priority, number> = { critical: 15_000, high: 30_000, medium: 60_000, low: 120_000 };

const UNACK = new Set(['unack', 'rtn-unack']);

export const useAlarmStore = defineStore('alarms', () => {
  const alarms = shallowRef<ReadonlyMap<string, Readonly<AlarmView>>>(new Map());
  const muted = shallowRef<MuteState>({ low: null, medium: null, high: null, critical: null });
  const heartbeat = ref(0);
  const lastAnnouncement = shallowRef<Announcement | null>(null);
  /** Announcements heard on this screen since it opened (a flood is one). */
  const announcements = ref(0);
  const speech = ref(localStorage.getItem('na64rc.speech') === 'on');
  const soundBlocked = ref(false);
  let reannounce: ReturnType<typeof setInterval> | undefined;
  const lastSounded = new Map<string, number>();

  const list = computed(() => [...alarms.value.values()]);
  /** Alarms that need the shifter: unacknowledged first by priority, then oldest first. */
  const unacknowledged = computed(() =>
    list.value
      .filter((a) => UNACK.has(a.state))
      .sort((a, b) => priorityRank(b.priority) - priorityRank(a.priority) || a.since - b.since),
  );
  const notNormal = computed(() => list.value.filter((a) => a.state !== 'normal'));

  function apply(views: readonly AlarmView[], replace: boolean): void {
    const next = new Map(replace ? [] : alarms.value);
    for (const v of views) next.set(v.id, Object.freeze(v));
    alarms.value = next;
  }

  function sound(priority: Priority, text: string): void {
    if (muted.value[priority]) return;
    soundBlocked.value = !playAlarm(priority);
    if (speech.value) speak(text);
  }

  function announce(a: Announcement): void {
    lastAnnouncement.value = Object.freeze(a);
    announcements.value += 1;
    const first = a.kind === 'alarm' ? a : a.first;
    if (first.sound === 'none') return;
    const text = a.kind === 'alarm' ? `${a.priority} alarm: ${a.name}` : `${first.priority} alarm: ${first.name}, and ${a.more} more alarms`;
    lastSounded.set(first.alarm, Date.now());
    sound(first.priority, text);
  }

  /** Ring again for the most urgent alarm that waited too long unacknowledged; returns its id. */
  function reannounceDue(now = Date.now()): string | null {
    for (const a of unacknowledged.value) {
      if (!a.priority || a.sound === 'none') continue;
      const last = Math.max(lastSounded.get(a.id) ?? 0, a.since);
      if (now - last >= REANNOUNCE_MS[a.priority]) {
        lastSounded.set(a.id, now);
        sound(a.priority, `still unacknowledged: ${a.name}`);
        return a.id;
      }
    }
    return null;
  }

  async function follow(client: ApiClient, isCurrent: () => boolean): Promise<void> {
    clearInterval(reannounce);
    reannounce = setInterval(() => reannounceDue(), 5000);
    try {
      for await (const e of await client.alarms.live()) {
        if (!isCurrent()) return;
        heartbeat.value = Date.now();
        if (e.type === 'snapshot') {
          apply(e.alarms, true);
          muted.value = e.muted;
        } else if (e.type === 'changed') apply(e.alarms, false);
        else if (e.type === 'muted') muted.value = e.muted;
        else if (e.type === 'announce') announce(e.announcement);
      }
    } catch {
      // The stream ends with the connection; the connection store follows the next one.
    }
  }

  function setSpeech(on: boolean): void {
    speech.value = on;
    localStorage.setItem('na64rc.speech', on ? 'on' : 'off');
  }

  return { alarms, list, muted, heartbeat, lastAnnouncement, announcements, speech, soundBlocked, unacknowledged, notNormal, follow, setSpeech, reannounceDue };
});
