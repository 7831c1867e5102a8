// The alarm banner and the alarm store in real Chromium.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import type { AlarmView } from '@shared/api/alarms';
import AlarmBanner from '../../src-renderer/components/AlarmBanner.vue';
import { useAlarmStore } from '../../src-renderer/stores/alarms';
import { useConnectionStore } from '../../src-renderer/stores/connection';

function alarm(id: string, over: Partial<AlarmView> = {}): AlarmView {
  return {
    id,
    name: `alarm ${id}`,
    group: 'hv',
    input: `hv:${id}`,
    state: 'unack',
    priority: 'medium',
    maxPriority: 'high',
    value: 12,
    unit: 'V',
    flag: false,
    since: Date.now() - 30_000,
    guidance: { cause: 'c', consequence: 'q', action: `do something about ${id}` },
    view: 'alarms',
    sound: 'priority',
    latching: false,
    shelved: null,
    outOfService: null,
    invalid: null,
    chattering: false,
    ...over,
  };
}

const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:p(.*)*', name: 'alarms', component: { template: '<div/>' } }] });

beforeEach(() => setActivePinia(createPinia()));

function setAlarms(list: AlarmView[]) {
  const store = useAlarmStore();
  store.alarms = new Map(list.map((a) => [a.id, a]));
  store.heartbeat = Date.now();
  return store;
}

describe('AlarmBanner', () => {
  it('shows the most urgent unacknowledged alarm with its action and how many more wait', async () => {
    setAlarms([alarm('a'), alarm('b', { priority: 'critical', since: Date.now() - 1000 }), alarm('c', { state: 'ack' }), alarm('d', { state: 'rtn-unack', priority: 'low' })]);
    const w = mount(AlarmBanner, { global: { plugins: [router] } });
    await nextTick();
    const banner = w.get('[data-testid="alarm-banner"]');
    expect(banner.attributes('data-alarm')).toBe('b');
    expect(banner.text()).toContain('CRITICAL');
    expect(banner.text()).toContain('do something about b');
    expect(w.get('[data-testid="alarm-more"]').text()).toBe('+2 more unacknowledged');
  });

  it('offers no acknowledge button to a viewer', async () => {
    setAlarms([alarm('a')]);
    const conn = useConnectionStore();
    conn.state = 'connected';
    conn.session = { user: 'vera', role: 'viewer', via: 'user-token' };
    const w = mount(AlarmBanner, { global: { plugins: [router] } });
    await nextTick();
    expect(w.find('[data-testid="banner-ack"]').exists()).toBe(false);
    conn.session = { user: 'sam', role: 'shifter', via: 'user-token' };
    await nextTick();
    expect(w.find('[data-testid="banner-ack"]').exists()).toBe(true);
  });

  it('says so when the alarm engine stops sending heartbeats, and shows muted classes', async () => {
    const store = setAlarms([]);
    const conn = useConnectionStore();
    conn.state = 'connected';
    store.heartbeat = Date.now() - 60_000;
    store.muted = { low: { user: 'eve', reason: 'training', at: Date.now() }, medium: null, high: null, critical: null };
    const w = mount(AlarmBanner, { global: { plugins: [router] } });
    await new Promise((r) => setTimeout(r, 1100));
    expect(w.get('[data-testid="alarm-watchdog"]').text()).toContain('ALARM SYSTEM NOT RESPONDING');
    expect(w.get('[data-testid="alarm-sound-note"]').text()).toContain('low alarms muted by eve: training');
    expect(w.find('[data-testid="alarm-banner"]').exists()).toBe(false);
  });
});

describe('alarm store', () => {
  it('re-announces what waited too long unacknowledged, most urgent first, then not again until its interval', () => {
    const now = Date.now();
    const store = setAlarms([
      alarm('low', { priority: 'low', since: now - 200_000 }),
      alarm('crit', { priority: 'critical', since: now - 20_000 }),
      alarm('fresh', { priority: 'high', since: now - 1000 }),
    ]);
    expect(store.reannounceDue(now)).toBe('crit');
    expect(store.reannounceDue(now)).toBe('low');
    expect(store.reannounceDue(now)).toBeNull();
    expect(store.reannounceDue(now + 15_000)).toBe('crit');
    expect(store.reannounceDue(now + 31_000)).toBe('crit');
    expect(store.reannounceDue(now + 31_000)).toBe('fresh');
  });
});
