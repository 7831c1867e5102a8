// The Devices view's parts in real Chromium: every device state told by colour, icon and word with why; the
// last answer as an age against the core's clock; reconnect for experts only (the reason shown otherwise)
// with the operator's reason sent; the site loader's problems and planned changes, admins only; the store
// following the live stream; the hardware of a run; a spill whose DAQ stream was lost.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { DeviceChange, DeviceStatus, DevicesLiveEvent, RunSite, SiteCheck, SiteInfo } from '@shared/api/devices';
import type { SpillSummary } from '@shared/api/schemas';
import type { Role } from '@shared/auth';
import SpillTable from '../../src-renderer/components/SpillTable.vue';
import DeviceTable from '../../src-renderer/components/devices/DeviceTable.vue';
import RunHardware from '../../src-renderer/components/devices/RunHardware.vue';
import SiteLoader from '../../src-renderer/components/devices/SiteLoader.vue';
import SitePanel from '../../src-renderer/components/devices/SitePanel.vue';
import {
  changeLook,
  changeResultLook,
  deviceStateLook,
  formatAgo,
  identityLine,
  logEventLook,
  shortHash,
  siteFormatOf,
} from '../../src-renderer/device-presentation';
import { daqLook } from '../../src-renderer/presentation';
import { useConnectionStore } from '../../src-renderer/stores/connection';
import { useDevicesStore } from '../../src-renderer/stores/devices';
import { useRunStore } from '../../src-renderer/stores/run';

beforeEach(() => setActivePinia(createPinia()));

const NOW = 1_796_400_000_000;

function device(id: string, over: Partial<DeviceStatus> = {}): DeviceStatus {
  return {
    id,
    plugin: 'iseg-scpi',
    kind: 'hv-supply',
    description: 'ECAL cells 0–23 (EHS 8030n, crate slot 0)',
    address: 'tcp 192.0.2.31:10001',
    options: 'channels 24, pollMs 1000, timeoutMs 1000',
    state: 'online',
    reason: 'answering',
    since: NOW - 600_000,
    lastError: null,
    lastErrorAt: null,
    lastSeenAt: NOW - 2100,
    reconnects: 0,
    identity: { model: 'EHS8030n', serial: '8200064', firmware: '1.12', detail: '*IDN? iseg Spezialelektronik GmbH,EHS8030n,8200064,1.12' },
    ...over,
  };
}

const DEVICES: DeviceStatus[] = [
  device('daq', { plugin: 'na64-daq', kind: 'event-source', address: 'tcp 192.0.2.10:6001', identity: { model: 'NA64 DAQ monitoring stream (DATE)', serial: null, firmware: null, detail: 'DATE run 1' } }),
  device('hv-iseg-0', { state: 'degraded', reason: 'channel 7: no answer to :READ:VOLT?', lastError: 'channel 7: no answer to :READ:VOLT?', lastErrorAt: NOW - 5000 }),
  device('hv-iseg-1', { state: 'connecting', reason: 'connecting', identity: null, lastSeenAt: null }),
  device('hv-iseg-2', { reconnects: 1, lastError: 'tcp 192.0.2.33:10001: connection refused; retrying in 0.5 s', lastErrorAt: NOW - 90_000 }),
  device('hv-caen-0', {
    plugin: 'caen-n1470',
    address: 'serial /dev/ttyACM0 @9600 8N1',
    state: 'offline',
    reason: 'serial /dev/ttyACM0: no such file; retrying in 4.0 s',
    since: NOW - 30_000,
    lastError: 'serial /dev/ttyACM0: no such file; retrying in 4.0 s',
    lastErrorAt: NOW - 30_000,
    lastSeenAt: NOW - 31_000,
    reconnects: 2,
  }),
];

function signIn(role: Role, api: Partial<ApiClient> = {}, user = { viewer: 'val', shifter: 'sam', expert: 'erin', admin: 'ada' }[role]) {
  const c = useConnectionStore();
  c.state = 'connected';
  c.session = { user, role, via: 'user-token' };
  c.api = api as ApiClient;
  return c;
}

/** A fake `devices` part of the API client: only what a test gives, recording the calls. */
function devicesApi(parts: Record<string, unknown>): Partial<ApiClient> {
  return { devices: parts as unknown as ApiClient['devices'] };
}

const site: SiteInfo = {
  name: 'NA64 2026 invisible mode (H4)',
  description: 'ECAL on three iseg modules, the rest on 13 CAEN N1470 boards',
  file: '/etc/na64rc/na64-2026-invisible.yaml',
  format: 'yaml',
  hash: '909c029b5fd258ab905a8c18d86ef20a446cdc21d3fcb702356edea6c11080fb',
  setup: 'invisible-e',
  hvMap: '/opt/na64rc/setups/invisible-e.hv.map',
  hvChannels: 124,
  simulation: { timeScale: 20 },
  text: 'name: NA64 2026 invisible mode (H4)\nsetup: invisible-e\n',
  since: NOW - 3_600_000,
  by: 'ada',
};

describe('device presentation', () => {
  it('tells every device state by colour, icon and word; an unknown one still has an icon and a word', () => {
    expect(deviceStateLook('online')).toEqual({ tone: 'good', icon: '●', label: 'ONLINE' });
    expect(deviceStateLook('degraded')).toEqual({ tone: 'warn', icon: '◐', label: 'DEGRADED' });
    expect(deviceStateLook('connecting')).toEqual({ tone: 'info', icon: '↻', label: 'CONNECTING' });
    expect(deviceStateLook('offline')).toEqual({ tone: 'bad', icon: '✕', label: 'OFFLINE' });
    expect(deviceStateLook('rebooting')).toEqual({ tone: 'idle', icon: '?', label: 'REBOOTING' });
    expect(new Set(['online', 'degraded', 'connecting', 'offline'].map((s) => deviceStateLook(s).icon)).size).toBe(4);
  });

  it('writes the age of the last answer in tenths while recent, then coarser; never when it never answered', () => {
    expect(formatAgo(2100)).toBe('2.1 s ago');
    expect(formatAgo(-300)).toBe('0.0 s ago');
    expect(formatAgo(45_000)).toBe('45 s ago');
    expect(formatAgo(300_000)).toBe('5 min ago');
    expect(formatAgo(null)).toBe('never');
  });

  it('writes identities, hashes and file formats as people read them', () => {
    expect(identityLine(DEVICES[1]!.identity)).toBe('EHS8030n · s/n 8200064 · fw 1.12');
    expect(identityLine(DEVICES[0]!.identity)).toBe('NA64 DAQ monitoring stream (DATE)');
    expect(identityLine(null)).toBe('not identified yet');
    // A chain of boards answers with a serial each: its ends and count; the detail keeps them all.
    expect(identityLine({ model: 'N1470 (13 boards)', serial: Array.from({ length: 13 }, (_, i) => String(1000 + i).padStart(5, '0')).join(','), firmware: '1.08', detail: '' })).toBe(
      'N1470 (13 boards) · s/n 01000 … 01012 (13) · fw 1.08',
    );
    expect(identityLine({ model: 'X', serial: 'a, b', firmware: null, detail: '' })).toBe('X · s/n a, b');
    expect(shortHash(site.hash)).toBe('909c029b5fd2…');
    expect(siteFormatOf('na64.YAML')).toBe('yaml');
    expect(siteFormatOf('site.yml')).toBe('yaml');
    expect(siteFormatOf('site.json')).toBe('json');
    expect(siteFormatOf('site.toml')).toBeNull();
  });

  it('gives changes, results and log events an icon and a word besides the colour', () => {
    expect(changeLook('added').tone).toBe('good');
    expect(changeLook('removed')).toEqual({ tone: 'bad', icon: '−', label: 'REMOVED' });
    expect(changeLook('replaced').label).toBe('REPLACED');
    expect(changeLook('unchanged').tone).toBe('idle');
    expect(changeResultLook('failed')).toEqual({ tone: 'bad', icon: '✕', label: 'FAILED' });
    expect(logEventLook({ event: 'state', state: 'offline' }).label).toBe('OFFLINE');
    expect(logEventLook({ event: 'reconnect', state: 'online' }).label).toBe('RECONNECT');
    expect(logEventLook({ event: 'replaced', state: null }).label).toBe('REPLACED');
  });
});

describe('device table', () => {
  it('shows every device with its state in word, icon and colour, why, identity, last error and last answer', () => {
    signIn('shifter');
    const w = mount(DeviceTable, { props: { devices: DEVICES, now: NOW } });
    const rows = w.findAll('[data-testid="device-row"]');
    expect(rows.map((r) => [r.attributes('data-device'), r.attributes('data-state')])).toEqual([
      ['daq', 'online'],
      ['hv-iseg-0', 'degraded'],
      ['hv-iseg-1', 'connecting'],
      ['hv-iseg-2', 'online'],
      ['hv-caen-0', 'offline'],
    ]);
    const row = (id: string) => w.get(`[data-device="${id}"]`);
    const badge = (id: string) => row(id).get('[data-testid="device-state"]');
    expect(badge('daq').text()).toBe('●ONLINE');
    expect(badge('hv-iseg-0').text()).toBe('◐DEGRADED');
    expect(badge('hv-iseg-1').text()).toBe('↻CONNECTING');
    expect(badge('hv-caen-0').text()).toBe('✕OFFLINE');
    expect(badge('hv-caen-0').classes()).toContain('bad');
    expect(badge('hv-iseg-0').classes()).toContain('warn');
    expect(badge('daq').classes()).toContain('good');
    // The offline device says why, since when, its last error and when it last answered.
    expect(row('hv-caen-0').get('[data-testid="device-reason"]').text()).toBe('serial /dev/ttyACM0: no such file; retrying in 4.0 s');
    expect(row('hv-caen-0').text()).toContain('for 30 s');
    // The last error is the present reason: said once, with its time.
    expect(row('hv-caen-0').get('[data-testid="device-last-error"]').text()).toContain('same as why');
    expect(row('hv-iseg-1').get('[data-testid="device-last-error"]').text()).toBe('none');
    // A device back online keeps its last error, with when it happened.
    const past = row('hv-iseg-2').get('[data-testid="device-last-error"]');
    expect(past.text()).toContain('connection refused');
    expect(past.text()).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(row('hv-iseg-2').get('[data-testid="device-reconnects"]').text()).toBe('1');
    expect(row('hv-caen-0').get('[data-testid="device-last-seen"]').text()).toBe('31 s ago');
    expect(row('hv-caen-0').get('[data-testid="device-reconnects"]').text()).toBe('2');
    expect(row('hv-caen-0').text()).toContain('serial /dev/ttyACM0 @9600 8N1');
    expect(row('daq').get('[data-testid="device-last-seen"]').text()).toBe('2.1 s ago');
    expect(row('daq').get('[data-testid="device-last-error"]').text()).toBe('none');
    expect(row('hv-iseg-1').get('[data-testid="device-last-seen"]').text()).toBe('never');
    const identity = row('hv-iseg-0').get('[data-testid="device-identity"]');
    expect(identity.text()).toContain('EHS8030n · s/n 8200064 · fw 1.12');
    expect(identity.attributes('title')).toContain('*IDN? iseg');
    expect(row('hv-iseg-1').get('[data-testid="device-identity"]').text()).toContain('not identified yet');
    expect(w.text()).toContain('● 2 online');
    expect(w.text()).toContain('✕ 1 offline');
    for (const b of w.findAll('.badge')) {
      expect(b.get('.icon').text().length).toBeGreaterThan(0);
      expect(b.get('.label').text().length).toBeGreaterThan(1);
    }
  });

  it('ticks the last answer as the core\'s clock moves on', async () => {
    signIn('shifter');
    const w = mount(DeviceTable, { props: { devices: DEVICES, now: NOW } });
    await w.setProps({ now: NOW + 1500 });
    expect(w.get('[data-device="daq"] [data-testid="device-last-seen"]').text()).toBe('3.6 s ago');
  });

  it('keeps reconnect disabled for a shifter and says why', async () => {
    const reconnect = vi.fn();
    signIn('shifter', devicesApi({ reconnect }));
    const w = mount(DeviceTable, { props: { devices: DEVICES, now: NOW } });
    const buttons = w.findAll('[data-testid="device-reconnect"]');
    expect(buttons).toHaveLength(5);
    for (const b of buttons) {
      expect(b.element.matches(':disabled')).toBe(true);
      expect(b.attributes('title')).toBe('needs the expert role; you are sam (shifter)');
    }
    expect(w.get('[data-testid="devices-denied"]').text()).toBe('⊘ Reconnecting a device: needs the expert role; you are sam (shifter).');
    await buttons[4]!.trigger('click');
    expect(w.find('[data-testid="reason-dialog"]').exists()).toBe(false);
    expect(reconnect).not.toHaveBeenCalled();
  });

  it('lets an expert reconnect a device, asking for the reason and sending it', async () => {
    const calls: unknown[] = [];
    const reconnect = async (input: { id: string; reason: string }) => {
      calls.push(input);
      return { ...DEVICES.find((d) => d.id === 'hv-caen-0')!, state: 'connecting' as const, reason: 'reconnecting on request' };
    };
    signIn('expert', devicesApi({ reconnect, log: async () => [] }));
    const store = useDevicesStore();
    store.setDevices(DEVICES, NOW, true);
    const w = mount(DeviceTable, { props: { devices: store.devices, now: NOW }, attachTo: document.body });
    expect(w.find('[data-testid="devices-denied"]').exists()).toBe(false);
    const button = w.get('[data-device="hv-caen-0"] [data-testid="device-reconnect"]');
    expect(button.element.matches(':disabled')).toBe(false);
    await button.trigger('click');
    expect(w.get('[data-testid="reason-dialog"]').attributes('aria-label')).toContain('Reconnect hv-caen-0');
    // The reason is required: nothing goes out without one.
    expect(w.get('[data-testid="reason-confirm"]').element.matches(':disabled')).toBe(true);
    await w.get('[data-testid="reason-text"]').setValue('crate power-cycled, link stuck');
    await w.get('[data-testid="reason-confirm"]').trigger('click');
    await vi.waitFor(() => expect(calls).toEqual([{ id: 'hv-caen-0', reason: 'crate power-cycled, link stuck' }]));
    await vi.waitFor(() => expect(w.text()).toContain('hv-caen-0: connecting again now'));
    // The store takes the device's answer at once.
    expect(store.devices.find((d) => d.id === 'hv-caen-0')!.state).toBe('connecting');
    w.unmount();
  });

  it('shows the core\'s refusal of a reconnect', async () => {
    signIn('expert', devicesApi({ reconnect: async () => Promise.reject(new Error('no device "hv-x" in the site')) }));
    const w = mount(DeviceTable, { props: { devices: DEVICES, now: NOW }, attachTo: document.body });
    await w.get('[data-device="daq"] [data-testid="device-reconnect"]').trigger('click');
    await w.get('[data-testid="reason-text"]').setValue('test');
    await w.get('[data-testid="reason-confirm"]').trigger('click');
    await vi.waitFor(() => expect(w.get('[role="alert"]').text()).toBe('✕ daq: no device "hv-x" in the site'));
    w.unmount();
  });
});

describe('site panel', () => {
  it('shows the site in use with its file, setup, HV map, hash, since and by, simulation, and the text folded', () => {
    const w = mount(SitePanel, { props: { site } });
    expect(w.get('[data-testid="site-name"]').text()).toBe('NA64 2026 invisible mode (H4)');
    expect(w.get('[data-testid="site-file"]').text()).toContain('/etc/na64rc/na64-2026-invisible.yaml');
    expect(w.text()).toContain('124 channels');
    expect(w.text()).toContain('by ada');
    expect(w.get('[data-testid="site-hash"]').text()).toBe('909c029b5fd2…');
    expect(w.get('[data-testid="site-hash"]').attributes('title')).toBe(site.hash);
    expect(w.get('[data-testid="site-simulation"]').text()).toBe('⚙SIMULATION ×20');
    expect(w.get('details').attributes('open')).toBeUndefined();
    expect(w.get('[data-testid="site-text"]').text()).toContain('setup: invisible-e');
    const real = mount(SitePanel, { props: { site: { ...site, simulation: null } } });
    expect(real.find('[data-testid="site-simulation"]').exists()).toBe(false);
  });
});

describe('site loader', () => {
  async function choose(w: ReturnType<typeof mount>, file: File): Promise<void> {
    const input = w.get('[data-testid="site-file-input"]');
    Object.defineProperty(input.element, 'files', { value: [file], configurable: true });
    await input.trigger('change');
  }
  const yaml = () => new File(['name: x\n'], 'na64-2027.yaml');

  it('shows every problem of an invalid file, one per line, and offers no Apply', async () => {
    const asked: unknown[] = [];
    const check = async (input: unknown): Promise<SiteCheck> => {
      asked.push(input);
      return {
        ok: false,
        problems: ['na64-2027.yaml: devices[1].transport.port: a port is 1–65535, not 70000', 'na64-2027.yaml: devices[2].plugin: no plugin "caen-n1471" (there are caen-n1470, iseg-scpi, na64-daq)'],
        devices: [],
        changes: [],
      };
    };
    signIn('admin', devicesApi({ site: { check } }));
    const w = mount(SiteLoader);
    await choose(w, yaml());
    await vi.waitFor(() => expect(w.findAll('[data-testid="site-problem"]')).toHaveLength(2));
    expect(asked).toEqual([{ text: 'name: x\n', format: 'yaml', name: 'na64-2027.yaml' }]);
    const lines = w.findAll('[data-testid="site-problem"]').map((p) => p.text());
    expect(lines[0]).toBe('na64-2027.yaml: devices[1].transport.port: a port is 1–65535, not 70000');
    expect(lines[1]).toContain('no plugin "caen-n1471"');
    expect(w.get('[data-testid="site-problems"]').text()).toContain('Refused');
    expect(w.find('[data-testid="site-apply"]').exists()).toBe(false);
    expect(w.find('[data-testid="site-change"]').exists()).toBe(false);
  });

  it('refuses a file that is neither JSON nor YAML before sending it', async () => {
    const check = vi.fn();
    signIn('admin', devicesApi({ site: { check } }));
    const w = mount(SiteLoader);
    await choose(w, new File(['x'], 'site.toml'));
    await nextTick();
    expect(w.get('[data-testid="site-problem"]').text()).toBe('site.toml: a site file is .json, .yaml or .yml');
    expect(check).not.toHaveBeenCalled();
  });

  it('shows the planned change of each device for a valid file, then applies it with the reason and shows each result', async () => {
    const planned: DeviceChange[] = [
      { device: 'daq', action: 'unchanged', what: '', result: 'planned', message: '' },
      { device: 'hv-caen-0', action: 'replaced', what: 'address serial /dev/ttyACM0 @9600 8N1 → tcp 192.0.2.40:1470', result: 'planned', message: '' },
      { device: 'hv-iseg-3', action: 'added', what: 'iseg-scpi at tcp 192.0.2.34:10001', result: 'planned', message: '' },
      { device: 'hv-iseg-2', action: 'removed', what: 'iseg-scpi at tcp 192.0.2.33:10001', result: 'planned', message: '' },
    ];
    const check = async (): Promise<SiteCheck> => ({
      ok: true,
      problems: [],
      devices: [{ id: 'daq', plugin: 'na64-daq', kind: 'event-source', address: 'tcp 192.0.2.10:6001', options: '' }],
      changes: planned,
    });
    const loads: unknown[] = [];
    const load = async (input: unknown) => {
      loads.push(input);
      return {
        site: { ...site, name: 'NA64 2027' },
        changes: planned.map((c) => (c.device === 'hv-iseg-3' ? { ...c, result: 'failed' as const, message: 'iseg-scpi: channels must be 8–48' } : { ...c, result: 'done' as const })),
      };
    };
    signIn('admin', devicesApi({ site: { check, load }, log: async () => [] }));
    useRunStore().setStatus({
      version: 't',
      serverTime: NOW,
      setup: 'invisible-e',
      site: site.name,
      simulation: false,
      timeScale: 1,
      run: { state: 'idle', current: null, pending: null, spill: 0, lastRunNumber: 4 },
      beam: { phase: 'off', particle: 'e-', energyGeV: 100, phaseStartedAt: NOW, phaseEndsAt: NOW, spillMs: 4800, cycleMs: 16800, source: "the DAQ's start and end of burst", noBeam: false },
      lastSpill: null,
    });
    const w = mount(SiteLoader, { attachTo: document.body });
    await choose(w, yaml());
    await vi.waitFor(() => expect(w.findAll('[data-testid="site-change"]')).toHaveLength(4));
    const change = (id: string) => w.get(`[data-testid="site-change"][data-device="${id}"]`);
    expect(change('hv-caen-0').attributes('data-action')).toBe('replaced');
    expect(change('hv-caen-0').text()).toContain('⇄REPLACED');
    expect(change('hv-caen-0').text()).toContain('address serial /dev/ttyACM0 @9600 8N1 → tcp 192.0.2.40:1470');
    expect(change('hv-iseg-3').text()).toContain('+ADDED');
    expect(change('hv-iseg-2').text()).toContain('−REMOVED');
    expect(change('daq').text()).toContain('=UNCHANGED');
    expect(change('daq').text()).toContain('keeps its connection (tcp 192.0.2.10:6001)');
    expect(w.get('[data-testid="site-check-ok"]').text()).toContain('1 unchanged, 1 replaced, 1 added, 1 removed');
    expect(loads).toEqual([]);

    await w.get('[data-testid="site-apply"]').trigger('click');
    expect(w.get('[data-testid="reason-confirm"]').element.matches(':disabled')).toBe(true);
    await w.get('[data-testid="reason-text"]').setValue('CAEN chain moved to the Ethernet gateway');
    await w.get('[data-testid="reason-confirm"]').trigger('click');
    await vi.waitFor(() => expect(loads).toEqual([{ text: 'name: x\n', format: 'yaml', name: 'na64-2027.yaml', reason: 'CAEN chain moved to the Ethernet gateway' }]));
    await vi.waitFor(() => expect(change('hv-caen-0').attributes('data-result')).toBe('done'));
    expect(change('hv-caen-0').text()).toContain('✓DONE');
    expect(change('hv-iseg-3').text()).toContain('✕FAILED');
    expect(change('hv-iseg-3').text()).toContain('channels must be 8–48');
    expect(w.find('[data-testid="site-apply"]').exists()).toBe(false);
    expect(useDevicesStore().site?.name).toBe('NA64 2027');
    w.unmount();
  });

  it('shows the core\'s refusal of a load, one problem per line', async () => {
    const check = async (): Promise<SiteCheck> => ({ ok: true, problems: [], devices: [], changes: [{ device: 'daq', action: 'unchanged', what: '', result: 'planned', message: '' }] });
    const load = async () => Promise.reject(new Error('the HV channel map cannot change while the app runs;\nrestart with the new site'));
    signIn('admin', devicesApi({ site: { check, load } }));
    const w = mount(SiteLoader, { attachTo: document.body });
    await choose(w, yaml());
    await vi.waitFor(() => expect(w.find('[data-testid="site-apply"]').exists()).toBe(true));
    await w.get('[data-testid="site-apply"]').trigger('click');
    await w.get('[data-testid="reason-text"]').setValue('new map');
    await w.get('[data-testid="reason-confirm"]').trigger('click');
    await vi.waitFor(() => expect(w.findAll('[data-testid="site-problem"]').map((p) => p.text())).toEqual(['the HV channel map cannot change while the app runs;', 'restart with the new site']));
    expect(w.get('[data-testid="site-problems"]').text()).toContain('Not loaded');
    w.unmount();
  });

  it('keeps Apply disabled while a run is on, and says why', async () => {
    const check = async (): Promise<SiteCheck> => ({ ok: true, problems: [], devices: [], changes: [{ device: 'daq', action: 'unchanged', what: '', result: 'planned', message: '' }] });
    signIn('admin', devicesApi({ site: { check } }));
    useRunStore().status = Object.freeze({
      version: 't',
      serverTime: NOW,
      setup: 'invisible-e',
      site: site.name,
      simulation: false,
      timeScale: 1,
      run: { state: 'running' as const, current: null, pending: null, spill: 3, lastRunNumber: 5 },
      beam: { phase: 'spill' as const, particle: 'e-', energyGeV: 100, phaseStartedAt: NOW, phaseEndsAt: NOW, spillMs: 4800, cycleMs: 16800, source: "the DAQ's start and end of burst", noBeam: false },
      lastSpill: null,
    });
    const w = mount(SiteLoader);
    await choose(w, yaml());
    await vi.waitFor(() => expect(w.find('[data-testid="site-apply"]').exists()).toBe(true));
    expect(w.get('[data-testid="site-apply"]').element.matches(':disabled')).toBe(true);
    expect(w.get('[data-testid="site-run-on"]').text()).toContain('stop the run first');
  });

  it('is disabled for an expert, with the reason', async () => {
    const check = vi.fn();
    signIn('expert', devicesApi({ site: { check } }));
    const w = mount(SiteLoader);
    expect(w.get('[data-testid="site-file-input"]').element.matches(':disabled')).toBe(true);
    expect(w.get('[data-testid="site-load-denied"]').text()).toBe('⊘ Loading a site file: needs the admin role; you are erin (expert).');
    expect(check).not.toHaveBeenCalled();
  });
});

describe('devices store', () => {
  it('follows the live stream: the site, then every device at the display rate, the clock offset from the core, and the log', async () => {
    const events: DevicesLiveEvent[] = [
      { type: 'site', site },
      { type: 'devices', devices: DEVICES, at: Date.now() + 60_000 },
    ];
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    async function* live() {
      for (const e of events) yield e;
      await held;
    }
    const logCalls: unknown[] = [];
    const api = devicesApi({
      live: async () => live(),
      log: async (input: unknown) => (logCalls.push(input), [{ seq: 1, at: NOW, device: 'hv-caen-0', event: 'state', state: 'offline', detail: 'gone', user: null, role: null }]),
    });
    signIn('viewer', api);
    const store = useDevicesStore();
    const following = store.follow(api as ApiClient);
    await vi.waitFor(() => expect(store.devices.map((d) => d.id)).toEqual(['daq', 'hv-iseg-0', 'hv-iseg-1', 'hv-iseg-2', 'hv-caen-0']));
    expect(store.site?.name).toBe(site.name);
    expect(store.serverOffset).toBeGreaterThan(59_000);
    expect(store.serverOffset).toBeLessThanOrEqual(60_000);
    expect(Object.isFrozen(store.devices)).toBe(true);
    await vi.waitFor(() => expect(store.log).toHaveLength(1));
    expect(logCalls[0]).toEqual({ limit: 50 });
    release();
    await following;
  });
});

describe('hardware of a run', () => {
  const record: RunSite = {
    run: 12,
    site: { name: 'NA64 2026 invisible mode (H4)', file: '/etc/na64rc/na64-2026-invisible.yaml', hash: site.hash, setup: 'invisible-e', text: 'name: …' },
    devices: [
      { device: 'daq', plugin: 'na64-daq', kind: 'event-source', address: 'tcp 192.0.2.10:6001', options: 'sources 600,601', state: 'online', identity: { model: 'NA64 DAQ monitoring stream (DATE)', serial: null, firmware: null, detail: 'DATE run 812' } },
      { device: 'hv-caen-0', plugin: 'caen-n1470', kind: 'hv-supply', address: 'serial /dev/ttyACM0 @9600 8N1', options: null, state: 'offline', identity: null },
      { device: 'hv-iseg-0', plugin: 'iseg-scpi', kind: 'hv-supply', address: 'tcp 192.0.2.31:10001', options: 'channels 24', state: 'online', identity: { model: 'EHS8030n', serial: '8200064', firmware: '1.12', detail: '*IDN? iseg' } },
    ],
  };

  it('shows the site file that took the run and each device with its address, state at start and identity', async () => {
    const asked: unknown[] = [];
    signIn('viewer', devicesApi({ ofRun: async (input: { run: number }) => (asked.push(input), { ...record, run: input.run }) }));
    const w = mount(RunHardware, { props: { run: 12 } });
    await vi.waitFor(() => expect(w.findAll('[data-testid="run-device"]')).toHaveLength(3));
    expect(asked).toEqual([{ run: 12 }]);
    expect(w.get('[data-testid="run-site"]').text()).toContain('NA64 2026 invisible mode (H4)');
    expect(w.get('[data-testid="run-site"]').text()).toContain('sha256 909c029b5fd2…');
    const row = (id: string) => w.get(`[data-testid="run-device"][data-device="${id}"]`);
    expect(row('hv-iseg-0').text()).toContain('tcp 192.0.2.31:10001');
    expect(row('hv-iseg-0').text()).toContain('●ONLINE');
    expect(row('hv-iseg-0').text()).toContain('EHS8030n · s/n 8200064 · fw 1.12');
    expect(row('hv-caen-0').text()).toContain('✕OFFLINE');
    expect(row('hv-caen-0').text()).toContain('not identified yet');
    await w.setProps({ run: 13 });
    await vi.waitFor(() => expect(asked).toEqual([{ run: 12 }, { run: 13 }]));
  });

  it('says so for a run taken before sites were recorded', async () => {
    signIn('viewer', devicesApi({ ofRun: async () => ({ run: 2, site: null, devices: [] }) }));
    const w = mount(RunHardware, { props: { run: 2 } });
    await vi.waitFor(() => expect(w.get('[data-testid="run-site"]').text()).toContain('no site recorded'));
  });
});

describe('spill table', () => {
  const daq = {
    physicsTriggers: 0,
    beamTriggers: 0,
    randomTriggers: 0,
    calibrationEvents: 0,
    corruptEvents: 0,
    truncatedEvents: 0,
    outOfOrderEvents: 0,
    undecodedEvents: 0,
    missingSourceEvents: 0,
    missingSources: [],
    orphanEvents: 0,
    lostEvents: 0,
    badEvents: 0,
    skippedEvents: 0,
    scalerAccepted: null,
    deadTimeFraction: null,
    endOfBurst: false,
    streamLost: 'tcp 192.0.2.10:6001: connection reset by peer (down for the whole spill)',
  };
  const spill: SpillSummary = {
    run: 5,
    spill: 7,
    startedAt: 0,
    endedAt: 4800,
    eventsSeen: 0,
    eventsProcessed: 0,
    processedFraction: 1,
    intensity: 5e6,
    ecalMeanGeV: null,
    ecalPeakGeV: null,
    daq,
  };

  it('shows a spill whose DAQ stream was lost as "stream lost", bad, with the reason in the tooltip', () => {
    const w = mount(SpillTable, { props: { spills: [spill, { ...spill, spill: 8, daq: { ...daq, streamLost: null } }] } });
    const cells = w.findAll('[data-testid="spill-daq"]');
    expect(cells[0]!.text()).toBe('↯stream lost');
    expect(cells[0]!.get('.badge').classes()).toContain('bad');
    expect(cells[0]!.attributes('title')).toContain('connection reset by peer (down for the whole spill)');
    // Without the lost stream the same figures read as a missing end of burst.
    expect(cells[1]!.text()).toBe('⚠no end of burst');
    expect(daqLook({ ...daq, missingSources: [601] }).label).toBe('stream lost');
  });
});
