// Channel maps in the NA64 map format and the setup files: strict parsing, readable errors naming the line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addressIndex, ChannelMapError, mapForRun, parseChannelMap } from '../../drivers/na64-daq/format/channel-map';
import { loadSetup, SetupError, setupNames, setupsDir } from '../../setups/load';

const block = (lines: string, attrs = 'version="1" runs="1-100" year="2026" options="xy data_format3"') => `<map ${attrs}>\n${lines}\n</map>\n`;

describe('channel map parser', () => {
  it('reads the NA64 map format: DET srcID port channel x y, cells named as the HV and the twin name them', () => {
    const [b] = parseChannelMap(`# comment\n${block('ECAL1 600 1 5 0 5   # trailing comment\nHCAL2 601 2 0 1 2\nVETO 602 0 3 3 0\nS1 603 0 1 0 0\nVHCAL 603 1 15 3 3')}`);
    expect(b!.runs).toEqual({ first: 1, last: 100 });
    expect(b!.entries.map((e) => e.cell)).toEqual(['ECAL1-0-5', 'HCAL2-1-2', 'VETO3', 'S1', 'VHCAL-3-3']);
    expect(b!.entries[0]).toMatchObject({ detector: 'ECAL1', sourceId: 600, port: 1, channel: 5, line: 3 });
    const index = addressIndex(b!.entries);
    expect(index[(600 * 8 + 1) * 64 + 5]).toBe(0);
    expect(index[(603 * 8 + 1) * 64 + 15]).toBe(4);
    expect(index[0]).toBe(-1);
  });

  it('picks the block valid for a run', () => {
    const blocks = parseChannelMap(block('S0 603 0 0 0 0', 'runs="1-10" options="data_format3"') + block('S0 603 0 1 0 0', 'runs="11-20" options="data_format3"'));
    expect(mapForRun(blocks, 15).entries[0]!.channel).toBe(1);
    expect(() => mapForRun(blocks, 21)).toThrow(/no channel map block covers run 21/);
  });

  it.each([
    ['ECAL1 600 1 5 0', /line 2: expected "DET srcID port channel x y", got 5 fields/],
    ['ECAL1 600 1 5 0 x', /line 2: y "x" is not a whole number/],
    ['ECAL1 1024 1 5 0 0', /line 2: source id 1024 is above 1023/],
    ['ECAL1 600 8 5 0 0', /line 2: port 8 is above 7/],
    ['ECAL1 600 1 64 0 0', /line 2: channel 64 is above 63/],
    ['ECAL7 600 1 5 0 0', /line 2: unknown detector or position "ECAL7 0 0"/],
    ['S0 600 1 5 1 0', /unknown detector or position "S0 1 0"/],
    ['S0 603 0 0 0 0\nS1 603 0 0 0 0', /line 3: source 603 port 0 channel 0 is already mapped on line 2/],
    ['S0 603 0 0 0 0\nS0 603 0 1 0 0', /line 3: cell S0 is already mapped on line 2/],
    ['-1 600 1 5 0 0', /unknown detector/],
    ['ECAL1 999999999999 1 5 0 0', /not a whole number/],
  ])('rejects %j', (line, message) => {
    expect(() => parseChannelMap(block(line))).toThrow(message);
  });

  it.each([
    ['', /no <map> block/],
    ['S0 603 0 0 0 0', /line 1: channel line outside a <map> block/],
    ['<map runs="1-2" options="data_format3">\nS0 603 0 0 0 0', /<map> block is not closed/],
    ['</map>', /<\/map> without a <map> block/],
    ['<map runs="5-2" options="data_format3">\n</map>', /first ≤ last/],
    ['<map runs="1-2">\n</map>', /only MSADC data_format3/],
    ['<map runs="1-2" options="data_format3" runs="3-4">\n</map>', /given twice/],
    ['<map runs="1-2" options="data_format3" onload=alert(1)>\n</map>', /cannot read the map attributes/],
    ['<map runs="1-2" options="data_format3">\n<map runs="1-2" options="data_format3">', /starts inside the block opened on line 1/],
  ])('rejects a malformed block %#', (text, message) => {
    expect(() => parseChannelMap(text)).toThrow(message);
  });

  it('stays fast and strict on hostile input', () => {
    const t = performance.now();
    expect(() => parseChannelMap('x'.repeat(5_000_000))).toThrow(/larger than 4 MB/);
    expect(() => parseChannelMap(`<map runs="1-2" options="data_format3">\n${'A'.repeat(100_000)} 1 2 3 4 5\n</map>`)).toThrow(ChannelMapError);
    expect(() => parseChannelMap(`<map ${'a="b" '.repeat(10_000)}>`)).toThrow(ChannelMapError);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe('setup files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'na64rc-setups-'));
    for (const f of ['invisible-e.json', 'invisible-e.map']) copyFileSync(join(setupsDir(), f), join(dir, f));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('has the four setups of the experiment, each with a complete channel map', () => {
    expect(setupNames()).toEqual(['hadron', 'invisible-e', 'muon', 'visible-e']);
    const counts = Object.fromEntries(setupNames().map((n) => [n, loadSetup(n).cells.length]));
    // invisible-e: 5 counters + 3 SRD + 72 ECAL + 6 VETO + 36 HCAL; muon: 5 + 30 ECAL (no preshower) + 16 VHCAL + 36 HCAL.
    expect(counts).toEqual({ 'invisible-e': 122, 'visible-e': 120, muon: 87, hadron: 129 });
    expect(loadSetup('muon').cells.filter((c) => c.kind === 'ecal').every((c) => c.part === 1)).toBe(true);
    expect(loadSetup('muon').cells.filter((c) => c.kind === 'hcal').map((c) => c.name)).toContain('HCAL1-5-2');
  });

  it('names the file and the problem for a bad setup', () => {
    expect(() => loadSetup('nowhere', dir)).toThrow(/unknown setup "nowhere"; known setups: invisible-e/);
    const json = JSON.parse(readFileSync(join(dir, 'invisible-e.json'), 'utf8'));
    writeFileSync(join(dir, 'invisible-e.json'), JSON.stringify({ ...json, beam: { ...json.beam, energyGeV: -5 } }));
    expect(() => loadSetup('invisible-e', dir)).toThrow(SetupError);
    expect(() => loadSetup('invisible-e', dir)).toThrow(/invisible-e\.json: beam\.energyGeV: /);
    writeFileSync(join(dir, 'invisible-e.json'), '{ not json');
    expect(() => loadSetup('invisible-e', dir)).toThrow(/invisible-e\.json: .*JSON/);
  });

  it('refuses a map that leaves a cell unread or maps a cell the setup does not have', () => {
    const map = readFileSync(join(dir, 'invisible-e.map'), 'utf8');
    writeFileSync(join(dir, 'invisible-e.map'), map.replace(/^S0 .*\n/m, ''));
    expect(() => loadSetup('invisible-e', dir)).toThrow(/invisible-e\.map: no channel for S0/);
    writeFileSync(join(dir, 'invisible-e.map'), map.replace('</map>', 'VHCAL 603 1 0 0 0\n</map>'));
    expect(() => loadSetup('invisible-e', dir)).toThrow(/cell VHCAL-0-0 is not part of setup invisible-e/);
  });
});
