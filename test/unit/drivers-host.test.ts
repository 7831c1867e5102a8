// The drivers host with the plugin contract's mock: each device's health as its lifecycle goes (state
// since when, last error, reconnects, the alarm inputs, the device log with state changes only), an
// operator's reconnect audited, and a site load planned and applied device by device.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeTransport, erased, TransportSpec } from '../../drivers/sdk/index';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { DeviceStore } from '../../src-main/devices/device-store';
import { DriversHost, SiteChangeError } from '../../src-main/devices/drivers-host';
import type { LoadedSite, SiteDevice } from '../../src-main/devices/site-file';
import { silentLogger } from '../../src-main/log';
import { defaultHvMapFile, loadHvMap, loadSetup } from '../../setups/load';
import { made, mockPlugin, type MockDevice } from '../support/mock-plugin';

const setup = loadSetup('invisible-e');
const hvMap = loadHvMap(defaultHvMapFile('invisible-e'), setup);
const admin = { user: 'ada', role: 'admin' as const, via: 'user-token' as const };

function entry(id: string, port: number, channels = 4): SiteDevice {
  const transport = TransportSpec.parse({ kind: 'tcp', host: '127.0.0.1', port });
  return { id, plugin: erased(mockPlugin), kind: 'hv-supply', transport, options: { channels }, description: null, address: describeTransport(transport), channels, simulatorControl: null };
}

function site(devices: SiteDevice[], name = 'bench'): LoadedSite {
  return { file: '/tmp/bench.json', baseDir: '/tmp', text: '{}', format: 'json', hash: name, name, description: null, simulation: null, setup, hvMap, devices, timing: null };
}

let dir: string;
let db: Db;
let store: DeviceStore;
let alarms: Record<string, boolean>[];
let host: DriversHost;
const device = (id: string) => made.filter((d) => d.id === id).at(-1)! as MockDevice;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-host-'));
  db = openDatabase(join(dir, 'db.sqlite'));
  store = new DeviceStore(db);
  alarms = [];
  made.length = 0;
  host = new DriversHost(site([entry('hv-a', 1001), entry('hv-b', 1002)]), { store, log: silentLogger(), alarms: (v) => alarms.push(v) }, { at: 1, by: 'ada' });
});
afterEach(async () => {
  await host.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('drivers host', () => {
  it('follows each device: state since when, last error, reconnects, alarm inputs, and a log of state changes', () => {
    const a = device('hv-a');
    expect(host.get('hv-a')).toMatchObject({ state: 'connecting', reconnects: 0, lastError: null, address: 'tcp 127.0.0.1:1001', options: 'channels 4' });
    a.go('online', 'answering');
    a.go('offline', 'connection refused; retrying in 0.5 s');
    // A retry is "connecting", but the device has not come back: its offline alarm stays up.
    a.go('connecting', 'connecting');
    expect(alarms.at(-1)).toEqual({ 'device:hv-a:offline': true, 'device:hv-a:degraded': false });
    a.go('degraded', 'garbage reply');
    a.go('degraded', 'another garbage reply');
    a.go('online', 'answering');
    expect(host.get('hv-a')).toMatchObject({ state: 'online', reconnects: 1, lastError: 'another garbage reply' });
    expect(alarms.at(-1)).toEqual({ 'device:hv-a:offline': false, 'device:hv-a:degraded': false });
    // Reasons change often (a degraded stream) and a device that stays down retries every backoff: only
    // real changes are written down, newest first.
    a.go('offline', 'refused; retrying in 1.0 s');
    a.go('connecting', 'connecting');
    a.go('offline', 'refused; retrying in 2.0 s');
    a.go('online', 'answering');
    expect(store.list('hv-a', 10).map((e) => [e.event, e.state, e.detail])).toEqual([
      ['state', 'online', 'answering'],
      ['state', 'offline', 'refused; retrying in 1.0 s'],
      ['state', 'online', 'answering'],
      ['state', 'degraded', 'garbage reply'],
      ['state', 'offline', 'connection refused; retrying in 0.5 s'],
      ['state', 'online', 'answering'],
    ]);
    expect(host.get('hv-a').reconnects).toBe(2);
    // A device that was never online is not counted as reconnected when it first answers.
    device('hv-b').go('online', 'answering');
    expect(host.get('hv-b').reconnects).toBe(0);
  });

  it('reconnects a device on request, audited with who and why; an unknown device is named', () => {
    host.reconnect('hv-b', admin, 'crate power-cycled');
    expect(device('hv-b').reconnects).toBe(1);
    expect(store.list('hv-b', 1)[0]).toMatchObject({ event: 'reconnect', detail: 'crate power-cycled', user: 'ada', role: 'admin' });
    expect(() => host.reconnect('hv-z', admin, '')).toThrow('no device "hv-z" in the site; it has hv-a, hv-b');
  });

  it('applies another site device by device: unchanged ones keep their connection, the others are swapped and audited', async () => {
    const a = device('hv-a');
    const b = device('hv-b');
    const swapped: [string, string | null, string | null][] = [];
    host.onReplace('hv-supply', (id, next, previous) => void swapped.push([id, next?.address ?? null, previous?.address ?? null]));
    const next = site([entry('hv-a', 1001), entry('hv-b', 2002), entry('hv-c', 1003)], 'bench v2');
    expect(host.plan(next).map((c) => [c.device, c.action, c.what])).toEqual([
      ['hv-a', 'unchanged', ''],
      ['hv-b', 'replaced', 'address tcp 127.0.0.1:1002 → tcp 127.0.0.1:2002'],
      ['hv-c', 'added', 'mock-hv at tcp 127.0.0.1:1003'],
    ]);
    const changes = await host.apply(next, admin, 'moved crate');
    expect(changes.every((c) => c.result === 'done')).toBe(true);
    expect([a.closed, b.closed]).toEqual([false, true]);
    expect(swapped).toEqual([
      ['hv-b', 'tcp 127.0.0.1:2002', 'tcp 127.0.0.1:1002'],
      ['hv-c', 'tcp 127.0.0.1:1003', null],
    ]);
    expect(host.list().map((d) => [d.id, d.address])).toEqual([
      ['hv-a', 'tcp 127.0.0.1:1001'],
      ['hv-b', 'tcp 127.0.0.1:2002'],
      ['hv-c', 'tcp 127.0.0.1:1003'],
    ]);
    expect(host.siteInfo()).toMatchObject({ name: 'bench v2', by: 'ada' });
    expect(store.list('hv-b', 1)[0]).toMatchObject({ event: 'replaced', detail: 'address tcp 127.0.0.1:1002 → tcp 127.0.0.1:2002 (moved crate)', user: 'ada' });
    const removed = await host.apply(site([entry('hv-a', 1001)]), admin, 'spares out');
    expect(removed.filter((c) => c.action === 'removed').map((c) => c.device)).toEqual(['hv-b', 'hv-c']);
    expect(alarms.at(-1)).toEqual({ 'device:hv-c:offline': false, 'device:hv-c:degraded': false });
  });

  it('refuses a site with another setup or another HV map while it runs', async () => {
    await expect(host.apply({ ...site([]), setup: loadSetup('muon') }, admin, '')).rejects.toThrow(new SiteChangeError('the setup cannot change while the app runs (invisible-e → muon); restart with the new site'));
    const moved = { ...hvMap, channels: hvMap.channels.map((c, i) => (i === 0 ? { ...c, channel: 99 } : c)) };
    await expect(host.apply({ ...site([]), hvMap: moved }, admin, '')).rejects.toThrow(/HV channel map cannot change while the app runs/);
  });
});
