// Site files read and checked in one go (src-main/devices/site-file.ts): the examples, the defaults a site
// may leave out, the checks across entries and the HV map, and every problem of a file reported at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSiteFile, parseSite, SiteError } from '../../src-main/devices/site-file';
import { packageRoot } from '../../setups/load';

const root = packageRoot();
const simulated = () => JSON.parse(readFileSync(join(root, 'sites', 'simulated.json'), 'utf8'));
const problems = (site: unknown, file = 'x.json') => {
  try {
    parseSite(JSON.stringify(site), file, 'json', join(root, 'sites'));
  } catch (error) {
    if (error instanceof SiteError) return error.problems;
    throw error;
  }
  return [];
};

describe('site files', () => {
  it('reads the hardware example (YAML): plugins, transports, options with defaults, the HV map', () => {
    const site = loadSiteFile(join(root, 'sites', 'na64-2026-invisible.yaml'));
    expect(site).toMatchObject({ name: 'NA64 2026 invisible mode (H4)', format: 'yaml', simulation: null, setup: { name: 'invisible-e' } });
    expect(site.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(site.hvMap.channels).toHaveLength(124);
    expect(site.devices.map((d) => [d.id, d.plugin.manifest.id, d.address, d.channels])).toEqual([
      ['daq', 'na64-daq', 'tcp 192.0.2.10:6001', null],
      ['hv-iseg-0', 'iseg-scpi', 'tcp 192.0.2.31:10001', 24],
      ['hv-iseg-1', 'iseg-scpi', 'tcp 192.0.2.32:10001', 24],
      ['hv-iseg-2', 'iseg-scpi', 'tcp 192.0.2.33:10001', 24],
      ['hv-caen-0', 'caen-n1470', 'serial /dev/serial/by-id/usb-CAEN_N1470-if00 @9600 8N1', 52],
      ['drs4', 'psi-drs4', 'usb 04b4:1175 serial 2817', null],
      ['scope', 'scpi-scope', 'usbip 192.0.2.50:3240 bus 1-4', null],
      ['counters', 'caen-v830', 'udp 192.0.2.40:32768', null],
      ['timing', 'vme-timing', 'udp 192.0.2.40:32768', null],
    ]);
    expect(site.devices[4]!.options).toEqual({ boards: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], pollMs: 1000, timeoutMs: 1000 });
  });

  it('fills in the DAQ source ids from the channel map, and refuses one the map does not read', () => {
    const site = loadSiteFile(join(root, 'sites', 'simulated.json'));
    expect(site.devices[0]!.options).toMatchObject({ sources: [600, 601, 602, 603], spillMs: 4800, cycleMs: 16_800 });
    const s = simulated();
    s.devices[0].options = { sources: [600, 605] };
    expect(problems(s)).toEqual(['x.json: devices[0].options.sources: source 605 not in the channel map of invisible-e (it reads 600, 601, 602, 603)']);
  });

  it('refuses an HV map that names a supply the site lacks, or a device that is no HV supply', () => {
    const s = simulated();
    s.devices = s.devices.filter((d: { id: string }) => d.id !== 'hv-iseg-2');
    expect(problems(s).slice(0, 1)).toEqual([expect.stringMatching(/invisible-e\.hv\.map: line \d+: ECAL1-2-0 is fed by hv-iseg-2, which is not a device of x\.json$/)]);
    s.devices.push({ id: 'hv-iseg-2', plugin: 'na64-daq', transport: { kind: 'tcp', host: '127.0.0.1', port: 1 } });
    expect(problems(s)).toContain('x.json: devices[8]: a second event source (devices[0] is one); the app follows one DAQ stream');
    expect(problems(s)).toContainEqual(expect.stringMatching(/invisible-e\.hv\.map: line \d+: hv-iseg-2 is not an HV supply \(its plugin is na64-daq\)$/));
  });

  it('reports every problem of a file at once, each with its key path', () => {
    const s = simulated();
    s.devices[1].transport.port = 0;
    s.devices[2].transport = { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 9600, framing: '9X3' };
    s.devices[3].options = { channels: 0 };
    s.extra = true;
    expect(problems(s)).toEqual([
      'x.json: devices[1].transport.port: must be at least 1, not 0',
      'x.json: devices[2].transport.framing: framing is data bits, parity (N, E or O) and stop bits, e.g. "8N1", not "9X3"',
      'x.json: (the file): unknown key "extra"; allowed: name, description, setup, hvMap, simulation, devices, timing',
    ]);
    s.extra = undefined;
    delete s.extra;
    s.devices[1].transport.port = 1;
    s.devices[2].transport.framing = '8N1';
    expect(problems(s)).toEqual(['x.json: devices[3].options.channels: must be at least 1, not 0']);
  });
});
