// The iseg SCPI dialect (protocols.md §3): channel lists, unit-suffixed exponent numbers, long and short
// header forms, the status register (manual example 152) and the latched event register, orders with
// ;*OPC?, and the simulator's answers to malformed and hostile lines.
import { describe, expect, it } from 'vitest';
import {
  decodeStatus,
  formatChannelList,
  formatNumber,
  isScpiError,
  parseChannelList,
  parseCommand,
  parseNumber,
  parseNumberList,
  statusBit,
} from '../../drivers/iseg-scpi/protocol';
import { IsegScpiSimulator } from '../../drivers/iseg-scpi/simulator';

function module(channels = 4) {
  let t = 0;
  const s = new IsegScpiSimulator(
    { simulatorId: 'hv-iseg-0', seed: 1, timeScale: 1, now: () => t, pmt: null },
    Array.from({ length: channels }, (_, i) => ({ maxVolts: 3000, maxMicroamps: 1000, cell: null, vset: 1000, iset: 300, on: i === 0 })),
  );
  const ask = (line: string) => {
    s.advance();
    return (s as unknown as { answer(l: string): string | null }).answer(line);
  };
  return { s, ask, at: (ms: number) => (t = ms) };
}

describe('iseg SCPI grammar', () => {
  it('writes and reads channel lists', () => {
    expect(formatChannelList([0, 1, 2, 3])).toBe('(@0-3)');
    expect(formatChannelList([5])).toBe('(@5)');
    expect(formatChannelList([0, 1, 3, 5])).toBe('(@0,1,3,5)');
    expect(parseChannelList('(@0-3)')).toEqual([0, 1, 2, 3]);
    expect(parseChannelList('(@0,1,3,5)')).toEqual([0, 1, 3, 5]);
    expect(parseChannelList('(@0-2,5-7)')).toEqual([0, 1, 2, 5, 6, 7]);
    for (const bad of ['(@)', '(@3-1)', '(0-3)', '(@a)', '(@0-99999)', '@0']) expect(parseChannelList(bad)).toBeNull();
  });

  it('writes and reads numbers with unit suffixes in exponent form', () => {
    expect(formatNumber(500, 'V')).toBe('5.000000E2V');
    expect(formatNumber(0.00123, 'A')).toBe('1.2300E-3A');
    expect(formatNumber(60, 'V/s')).toBe('6.000000E1V/s');
    expect(parseNumber('5.000000E2V')).toEqual({ value: 500, unit: 'V' });
    expect(parseNumber('1.2340E-3A')).toEqual({ value: 0.001234, unit: 'A' });
    expect(parseNumber('6.000000E1V/s')).toEqual({ value: 60, unit: 'V/s' });
    expect(parseNumber('1000ms')).toEqual({ value: 1000, unit: 'ms' });
    expect(parseNumber('152')).toEqual({ value: 152, unit: '' });
    for (const bad of ['', 'V', '1.2.3V', 'NaNV', '5E2X', '1,2']) expect(parseNumber(bad)).toBeNull();
    expect(parseNumberList('1.1234E-3A,1.2345E-3A,1.3456E-3A', 'A', 3)).toEqual([0.0011234, 0.0012345, 0.0013456]);
    expect(() => parseNumberList('1.0E2V,2.0E2V', 'V', 3)).toThrow(/expected 3 values, got 2/);
    expect(() => parseNumberList('1.0E2A', 'V', 1)).toThrow(/not a value in V/);
  });

  it('reads orders and queries in short and long form', () => {
    expect(parseCommand(':VOLT 1000,(@1)')).toEqual({ header: ':VOLT', query: false, args: ['1000'], channels: [1] });
    expect(parseCommand(':MEAS:VOLT? (@3)')).toEqual({ header: ':MEAS:VOLT', query: true, args: [], channels: [3] });
    expect(parseCommand(':MEASure:VOLTage? (@0-3)')).toMatchObject({ header: ':MEAS:VOLT', channels: [0, 1, 2, 3] });
    expect(parseCommand(':READ:MODULE:TEMPERATURE?')).toMatchObject({ header: ':READ:MOD:TEMP', query: true });
    expect(parseCommand(':VOLT EMCY OFF,(@2)')).toMatchObject({ header: ':VOLT', args: ['EMCY', 'OFF'], channels: [2] });
    expect(parseCommand('*IDN?')).toMatchObject({ header: '*IDN', query: true });
    for (const bad of ['VOLT 1', '', ':VOLT 1,(@x)', '12345']) expect(parseCommand(bad)).toBeNull();
  });

  it('decodes the channel status word: the manual example 152 = ConstantVoltage + Ramp + On', () => {
    expect(152).toBe(statusBit('IsConstantVoltage') | statusBit('IsVoltageRamp') | statusBit('IsOn'));
    expect(decodeStatus(152)).toEqual(['on']);
    expect(decodeStatus(statusBit('IsCurrentTrip') | statusBit('IsExternalInhibit'))).toEqual(['interlock', 'trip']);
    expect(decodeStatus(statusBit('IsVoltageRampUp') | statusBit('IsOn'))).toEqual(['on', 'ramp-up']);
    expect(decodeStatus(statusBit('IsConstantCurrent'))).toEqual(['over-current']);
    expect(decodeStatus(statusBit('IsEmergencyOff'))).toEqual(['emergency-off']);
  });
});

describe('iseg SCPI simulator', () => {
  it('answers identification, measurements and set values with units', () => {
    const { ask } = module();
    expect(ask('*IDN?')).toMatch(/^iseg Spezialelektronik GmbH,EHS8030n,\d+,1\.12\r\n$/);
    expect(ask(':READ:MOD:CHAN?')).toBe('4\r\n');
    expect(ask(':READ:VOLT? (@0-3)')).toBe('1.000000E3V,1.000000E3V,1.000000E3V,1.000000E3V\r\n');
    expect(ask(':READ:CURR? (@1)')).toBe('3.0000E-4A\r\n');
    expect(ask(':MEAS:VOLT? (@0,1)')).toMatch(/^\d\.\d{6}E\d+V,0\.000000E0V\r\n$/);
    expect(ask(':MEAS:CURR? (@0)')).toMatch(/^\d\.\d{4}E-\d+A\r\n$/);
    expect(ask(':CONF:RAMP:VOLT:UP? (@0)')).toBe('5.000000E1V/s\r\n');
    expect(ask(':CONF:TRIP:TIME? (@0)')).toBe('1000\r\n');
    expect(ask(':READ:CHAN:STAT? (@0,1)')).toBe(`${statusBit('IsOn') | statusBit('IsConstantVoltage')},0\r\n`);
    expect(ask(':READ:MODULE:TEMPERATURE?')).toBe('3.150000E1C\r\n');
  });

  it('carries out orders with ;*OPC? and refuses bad ones with a SCPI error', () => {
    const { ask } = module();
    expect(ask(':VOLT 1234.500,(@2);*OPC?')).toBe('1\r\n');
    expect(ask(':READ:VOLT? (@2)')).toBe('1.234500E3V\r\n');
    expect(ask(':CURR 1.5000E-4,(@2);*OPC?')).toBe('1\r\n');
    expect(ask(':READ:CURR? (@2)')).toBe('1.5000E-4A\r\n');
    expect(ask(':CONF:RAMP:VOLT:DOWN 20,(@2);*OPC?')).toBe('1\r\n');
    expect(ask(':CONF:TRIP:TIME 250,(@2);*OPC?')).toBe('1\r\n');
    expect(ask(':CONF:TRIP:TIME? (@2)')).toBe('250\r\n');
    expect(ask(':VOLT ON,(@2);*OPC?')).toBe('1\r\n');
    expect(ask(':READ:VOLT:ON? (@2)')).toBe('1\r\n');
    expect(ask(':VOLT 1000,(@2)')).toBeNull(); // a bare order: no answer
    const refused = [':VOLT 5000,(@2);*OPC?', ':VOLT 100,(@9);*OPC?', ':CURR 1,(@0);*OPC?', ':VOLT abc,(@0);*OPC?', ':FOO:BAR 1,(@0);*OPC?', 'garbage', ':MEAS:VOLT? (@7)'];
    for (const line of refused) expect(isScpiError(ask(line)!.trim()), line).toBe(true);
  });

  it('latches events: a trip stays in the event register until cleared, and blocks switching on until then', () => {
    const { s, ask, at } = module();
    s.inject('trip', 0);
    at(500);
    expect(decodeStatus(Number(ask(':READ:CHAN:STAT? (@0)')))).toContain('over-current');
    at(1500);
    const status = Number(ask(':READ:CHAN:STAT? (@0)'));
    expect(decodeStatus(status)).toContain('trip');
    expect(decodeStatus(Number(ask(':READ:CHAN:EV:STAT? (@0)')))).toEqual(expect.arrayContaining(['trip', 'over-current']));
    expect(ask(':VOLT ON,(@0);*OPC?')).toMatch(/clear the current trip event first/);
    s.clear();
    expect(ask(':EVENT CLEAR,(@0);*OPC?')).toBe('1\r\n');
    expect(Number(ask(':READ:CHAN:EV:STAT? (@0)'))).toBe(0);
    expect(ask(':VOLT ON,(@0);*OPC?')).toBe('1\r\n');
  });

  it('refuses orders in local mode but still answers queries; shows the external inhibit', () => {
    const { s, ask } = module();
    s.inject('local-mode', null);
    expect(ask(':VOLT 900,(@0);*OPC?')).toMatch(/local control/);
    expect(ask(':READ:VOLT? (@0)')).toBe('1.000000E3V\r\n');
    s.clear();
    s.inject('interlock', null);
    expect(decodeStatus(Number(ask(':READ:CHAN:STAT? (@0)')))).toContain('interlock');
  });
});
