// `na64rc site check` on the command line: the example sites pass and print their device table; each
// named mistake is refused with one line naming the file, the key path (or the HV map's line) and what is
// allowed, nothing is connected, and the command exits with 1. `--probe` connects to each device once and
// says what it is, or why it cannot.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type StartedSimulator } from '../../src-main/cli/simulators/simulated-site';
import { silentLogger } from '../../src-main/log';
import { ROOT, runCli } from '../support/serve-process';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'na64rc-site-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = () => JSON.parse(readFileSync(join(ROOT, 'sites', 'simulated.json'), 'utf8'));
const hvMapLines = () => readFileSync(join(ROOT, 'setups', 'invisible-e.hv.map'), 'utf8').split('\n');

function write(name: string, site: unknown, hvMap?: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, typeof site === 'string' ? site : JSON.stringify(site, null, 2));
  if (hvMap) writeFileSync(join(dir, `${name}.hv.map`), hvMap.join('\n'));
  return file;
}

describe('na64rc site check', () => {
  it('passes the example sites and prints each one\'s devices without connecting', async () => {
    const hardware = await runCli(['site', 'check', join(ROOT, 'sites', 'na64-2026-invisible.yaml')]);
    expect(hardware.code).toBe(0);
    expect(hardware.stdout).toMatch(/^site "NA64 2026 invisible mode \(H4\)" .*: setup invisible-e, 9 devices, 124 HV channels/);
    expect(hardware.stdout).toMatch(/^hv-caen-0\s+caen-n1470\s+hv-supply\s+serial \/dev\/serial\/by-id\/usb-CAEN_N1470-if00 @9600 8N1\s+boards 0,1,2,3,4,5,6,7,8,9,10,11,12, pollMs 1000/m);
    expect(hardware.stdout).toMatch(/^daq\s+na64-daq\s+event-source\s+tcp 192\.0\.2\.10:6001\s+sources 600,601,602,603/m);
    // The beam line: USB digitizers, and the scaler and the timing register sharing one VME bridge.
    expect(hardware.stdout).toMatch(/^drs4\s+psi-drs4\s+digitizer\s+usb 04b4:1175 serial 2817\s+channels S1,S2,Sc,SRD, samplingGHz 5/m);
    expect(hardware.stdout).toMatch(/^counters\s+caen-v830\s+scaler\s+udp 192\.0\.2\.40:32768\s+base 0x00100000, format 32-bit, channels S1,S2,Sc,V1,/m);
    expect(hardware.stdout).toMatch(/^timing\s+vme-timing\s+timing\s+udp 192\.0\.2\.40:32768\s+base 0x00200000/m);
    for (const name of ['simulated.json', 'simulated-visible-e.json', 'simulated-muon.json', 'simulated-hadron.json']) {
      const r = await runCli(['site', 'check', join(ROOT, 'sites', name)]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
    }
  });

  // Each: a mistake, and the line that must say what and where.
  const mistakes: [string, () => string, RegExp][] = [
    ['unknown plugin', () => write('plugin.json', { ...base(), devices: base().devices.map((d: { id: string }) => (d.id === 'hv-caen-0' ? { ...d, plugin: 'caen-n1471' } : d)) }), /plugin\.json: devices\[4\]\.plugin: unknown plugin "caen-n1471"; known plugins: na64-daq, caen-n1470, iseg-scpi, scpi-scope, psi-drs4, caen-v830, vme-timing$/m],
    ['duplicate id', () => write('dup.json', { ...base(), devices: base().devices.map((d: { id: string }) => (d.id === 'hv-iseg-1' ? { ...d, id: 'hv-iseg-0' } : d)) }), /dup\.json: devices\[2\]\.id: "hv-iseg-0" is already the id of devices\[1\]$/m],
    [
      'channel mapped twice',
      () => write('twice.json', { ...base(), hvMap: 'twice.json.hv.map' }, hvMapLines().map((l) => (l.startsWith('ECAL       ECAL0-0-1 ') ? l.replace(/hv-iseg-0 +1 /, 'hv-iseg-0     0 ') : l))),
      /twice\.json\.hv\.map: line \d+: hv-iseg-0 channel 0 is mapped twice: it already feeds ECAL0-0-0 \(line \d+\)$/m,
    ],
    ['cell without HV', () => write('nohv.json', { ...base(), hvMap: 'nohv.json.hv.map' }, hvMapLines().filter((l) => !/^SRD +SRD2 /.test(l))), /nohv\.json\.hv\.map: no HV channel for cell SRD2$/m],
    ['bad port', () => write('port.json', { ...base(), devices: base().devices.map((d: { id: string; transport: object }) => (d.id === 'daq' ? { ...d, transport: { ...d.transport, port: 70000 } } : d)) }), /port\.json: devices\[0\]\.transport\.port: must be at most 65535, not 70000$/m],
    ['unknown key', () => write('key.json', { ...base(), devices: base().devices.map((d: { id: string }) => (d.id === 'hv-iseg-2' ? { ...d, adress: '10.0.0.1' } : d)) }), /key\.json: devices\[3\]: unknown key "adress"; allowed: id, plugin, description, transport, options, simulator$/m],
    ['wrong type', () => write('type.json', { ...base(), devices: base().devices.map((d: { id: string }) => (d.id === 'hv-caen-0' ? { ...d, options: { boards: 'thirteen' } } : d)) }), /type\.json: devices\[4\]\.options\.boards: .*"thirteen"/m],
    ['missing setup', () => write('nosetup.json', (({ setup: _s, ...rest }) => rest)(base())), /nosetup\.json: setup: required: a string must be given$/m],
    ['unknown setup', () => write('badsetup.json', { ...base(), setup: 'dark-photon' }), /badsetup\.json: setup: unknown setup "dark-photon"; known setups: hadron, invisible-e, muon, visible-e$/m],
    ['a plugin option unknown to the plugin', () => write('opt.json', { ...base(), devices: base().devices.map((d: { id: string; options: object }) => (d.id === 'hv-iseg-0' ? { ...d, options: { ...d.options, boards: 3 } } : d)) }), /opt\.json: devices\[1\]\.options: unknown key "boards"; allowed: channels, pollMs, timeoutMs$/m],
    ['a transport the plugin does not speak', () => write('usb.json', { ...base(), devices: base().devices.map((d: { id: string }) => (d.id === 'hv-iseg-0' ? { ...d, transport: { kind: 'usb', vendorId: 0x1234, productId: 1 } } : d)) }), /usb\.json: devices\[1\]\.transport\.kind: iseg-scpi is reached over tcp or serial, not usb$/m],
    ['two devices at one address', () => write('addr.json', { ...base(), devices: base().devices.map((d: { id: string; transport: object }, _i: number, all: { transport: object }[]) => (d.id === 'hv-iseg-1' ? { ...d, transport: all[1]!.transport } : d)) }), /addr\.json: devices\[2\]\.transport: tcp 127\.0\.0\.1:21011 is also the address of devices\[1\]$/m],
    ['no DAQ stream', () => write('nodaq.json', { ...base(), devices: base().devices.filter((d: { id: string }) => d.id !== 'daq') }), /nodaq\.json: devices: no event source: the site needs the DAQ event stream \(plugin na64-daq\)$/m],
    ['an HV channel beyond the supply', () => write('beyond.json', { ...base(), devices: base().devices.map((d: { id: string }) => (d.id === 'hv-caen-0' ? { ...d, options: { boards: 12 } } : d)) }), /invisible-e\.hv\.map: line \d+: hv-caen-0 has channels 0–47 \(devices\[4\]\.options\), not 48$/m],
    ['not JSON at all', () => write('broken.json', '{ "name": "x",\n  "setup": "invisible-e"\n  "devices": [] }'), /broken\.json: line 3: not valid JSON/m],
    ['YAML with a key twice', () => write('twice.yaml', 'name: a\nname: b\nsetup: invisible-e\ndevices: []\n'), /twice\.yaml: line 2: not valid YAML: .*unique/im],
  ];

  it.each(mistakes)('refuses %s with one line naming where and what', async (_what, make, line) => {
    const r = await runCli(['site', 'check', make()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(line);
    expect(r.stderr).toMatch(/problems?; nothing was connected$/m);
  });

  it('refuses hostile files: too large, and a YAML alias bomb', async () => {
    const big = await runCli(['site', 'check', write('big.json', `{"name":"${'x'.repeat(1.1 * 1024 * 1024)}"}`)]);
    expect(big.code).toBe(1);
    expect(big.stderr).toMatch(/big\.json: is larger than 1024 KiB; a site file is a few kilobytes/);
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const r = await runCli(['site', 'check', write('bomb.yaml', bomb)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bomb\.yaml: .*not valid YAML|bomb\.yaml: \(the file\)/);
  });
});

describe('na64rc site check --probe', () => {
  let caen: StartedSimulator;
  let iseg: StartedSimulator;
  beforeAll(async () => {
    caen = await startSimulator('hv-caen-0', ['caen-n1470', '--port', '0', '--channels', '8'], silentLogger());
    iseg = await startSimulator('hv-iseg-0', ['iseg-scpi', '--port', '0', '--channels', '4'], silentLogger());
  });
  afterAll(() => {
    caen?.child.kill();
    iseg?.child.kill();
  });

  it('connects to each device once and prints what it says it is, or why it could not', async () => {
    const site = {
      name: 'probe bench',
      setup: 'invisible-e',
      hvMap: 'probe.hv.map',
      devices: [
        { id: 'daq', plugin: 'na64-daq', transport: { kind: 'tcp', host: '127.0.0.1', port: 9 } },
        // The simulator has 2 boards; the site says 32: the probe says which board does not answer.
        { id: 'hv-caen-0', plugin: 'caen-n1470', transport: { kind: 'tcp', host: '127.0.0.1', port: caen.port }, options: { boards: 32 } },
        { id: 'hv-iseg-0', plugin: 'iseg-scpi', transport: { kind: 'tcp', host: '127.0.0.1', port: iseg.port }, options: { channels: 4 } },
      ],
    };
    // Every cell on the CAEN chain, none on the iseg module.
    const map = hvMapLines()
      .filter((l) => l.trim() && !l.startsWith('#'))
      .map((l, i) => l.trim().split(/\s+/).map((f, k) => (k === 2 ? 'hv-caen-0' : k === 3 ? String(i) : f)).join(' '));
    writeFileSync(join(dir, 'probe.hv.map'), map.join('\n'));
    const r = await runCli(['site', 'check', '--probe', write('probe.json', site)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^hv-iseg-0\s+iseg-scpi\s+hv-supply\s+tcp 127\.0\.0\.1:\d+\s+EHS8030n, s\/n \d+, fw [\d.]+ \(\*IDN\? iseg Spezialelektronik GmbH,EHS8030n,/m);
    expect(r.stdout).toMatch(/^daq\s+na64-daq\s+event-source\s+tcp 127\.0\.0\.1:9\s+cannot connect: 127\.0\.0\.1:9: connect ECONNREFUSED 127\.0\.0\.1:9$/m);
    expect(r.stdout).toMatch(/^hv-caen-0\s+caen-n1470\s+hv-supply\s+tcp 127\.0\.0\.1:\d+\s+cannot connect: hv-caen-0 cannot be reached: no reply to "\$BD:02,CMD:MON,PAR:BDNAME" within 1000 ms$/m);
    expect(r.stderr).toMatch(/2 of 3 devices could not be reached/);
  });
});
