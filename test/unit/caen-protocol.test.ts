// The CAEN $BD: protocol byte for byte (protocols.md §1): requests, replies, every channel and board
// parameter, the five error replies, zero-padded numbers read base 10, STAT and BDALARM bits, and the
// simulator's answers to well-formed, malformed and hostile lines.
import { describe, expect, it } from 'vitest';
import {
  BOARD_PARAMETERS,
  CHANNEL_PARAMETERS,
  decodeBdAlarm,
  decodeStat,
  encodeRequest,
  formatValue,
  parseDecimal,
  parseReply,
  parseRequest,
} from '../../drivers/caen-n1470/protocol';
import { CaenN1470Simulator } from '../../drivers/caen-n1470/simulator';

/** The device end: one request line in, the reply bytes out (time advanced first, as on a real link). */
function answerer(s: CaenN1470Simulator) {
  return (line: string) => {
    s.advance();
    return (s as unknown as { answer(l: string): string | null }).answer(line);
  };
}

function sim(boards = 2) {
  const s = new CaenN1470Simulator(
    { simulatorId: 'hv-caen-0', seed: 1, timeScale: 1, now: () => 0, pmt: null },
    Array.from({ length: boards * 4 }, (_, i) => ({ maxVolts: 8000, maxMicroamps: 3000, cell: null, vset: 1000, iset: 300, on: i === 1 })),
  );
  // The protected answer() is the device: one request line in, the reply bytes out.
  return { s, ask: answerer(s) };
}

describe('CAEN $BD: grammar', () => {
  it('encodes the reference requests byte for byte', () => {
    expect(encodeRequest({ bd: 0, cmd: 'MON', ch: 0, par: 'VMON' })).toBe('$BD:00,CMD:MON,CH:0,PAR:VMON\r\n');
    expect(encodeRequest({ bd: 0, cmd: 'MON', ch: 4, par: 'VMON' })).toBe('$BD:00,CMD:MON,CH:4,PAR:VMON\r\n');
    expect(encodeRequest({ bd: 0, cmd: 'SET', ch: 0, par: 'VSET', val: '1000' })).toBe('$BD:00,CMD:SET,CH:0,PAR:VSET,VAL:1000\r\n');
    expect(encodeRequest({ bd: 0, cmd: 'SET', ch: 1, par: 'ON' })).toBe('$BD:00,CMD:SET,CH:1,PAR:ON\r\n');
    expect(encodeRequest({ bd: 0, cmd: 'MON', par: 'BDNAME' })).toBe('$BD:00,CMD:MON,PAR:BDNAME\r\n');
    expect(encodeRequest({ bd: 31, cmd: 'MON', par: 'BDALARM' })).toBe('$BD:31,CMD:MON,PAR:BDALARM\r\n');
  });

  it('reads the reference replies, values base 10 (02048 is not octal)', () => {
    expect(parseReply('#BD:00,CMD:OK,VAL:1234.5')).toEqual({ ok: true, bd: 0, values: ['1234.5'] });
    expect(parseReply('#BD:00,CMD:OK,VAL:0000.0;0500.1;0000.0;1200.0')).toEqual({ ok: true, bd: 0, values: ['0000.0', '0500.1', '0000.0', '1200.0'] });
    expect(parseReply('#BD:00,CMD:OK')).toEqual({ ok: true, bd: 0, values: [] });
    expect(parseReply('#BD:00,CMD:OK,VAL:DT1470ET')).toEqual({ ok: true, bd: 0, values: ['DT1470ET'] });
    expect(parseDecimal('02048')).toBe(2048);
    expect(parseDecimal('0500.1')).toBe(500.1);
    expect(parseDecimal(' 1000.0')).toBe(1000);
    for (const bad of ['0x10', '1e3', '', '12a', '--1']) expect(parseDecimal(bad)).toBeNull();
  });

  it.each(['CMD', 'CH', 'PAR', 'VAL', 'LOC'])('reads the %s:ERR reply', (field) => {
    expect(parseReply(`#BD:07,${field}:ERR`)).toEqual({ ok: false, bd: 7, error: field });
  });

  it('rejects garbage and hostile replies with a readable error', () => {
    for (const bad of ['', 'garbage', '#BD:0,CMD:OK', '#BD:00,CMD:FOO', '#BD:00,XYZ:ERR', '\x00\xff#BD:00,CMD:OK', 'A'.repeat(10_000)]) {
      expect(() => parseReply(bad)).toThrow(/not a \$BD: reply/);
    }
    expect(() => parseReply('\x07bell')).toThrow(/\\x07bell/);
  });

  it('formats numbers as the module does: %06.1f, %07.2f, %04d, %03d, %05d', () => {
    expect(formatValue(500.1, CHANNEL_PARAMETERS['VMON']!.format)).toBe('0500.1');
    expect(formatValue(5, CHANNEL_PARAMETERS['VSET']!.format)).toBe('0005.0');
    expect(formatValue(12.3456, CHANNEL_PARAMETERS['IMON']!.format)).toBe('0012.35');
    expect(formatValue(8000, CHANNEL_PARAMETERS['MAXV']!.format)).toBe('8000');
    expect(formatValue(50, CHANNEL_PARAMETERS['RUP']!.format)).toBe('050');
    expect(formatValue(2048, CHANNEL_PARAMETERS['STAT']!.format)).toBe('02048');
  });

  it('decodes STAT bits in the N1470 order and the BDALARM word', () => {
    expect(decodeStat(0b1)).toEqual(['on']);
    expect(decodeStat(3)).toEqual(['on', 'ramp-up']);
    expect(decodeStat(1 << 7)).toEqual(['trip']);
    expect(decodeStat(2048)).toEqual(['kill']);
    expect(decodeStat(1 << 12 | 1 << 3)).toEqual(['over-current', 'interlock']);
    expect(decodeStat(0x3fff)).toHaveLength(14);
    expect(decodeBdAlarm(0b1000101)).toEqual({ channels: [0, 2], board: ['HV clock fail'] });
    expect(decodeBdAlarm(0x30)).toEqual({ channels: [], board: ['power fail', 'board over-power'] });
  });

  it('reads requests leniently: unpadded BD, colon after BD (ALPHA-g), space-padded values', () => {
    expect(parseRequest('$BD:0,CMD:MON,CH:0,PAR:VMON')).toEqual({ request: { bd: 0, cmd: 'MON', ch: 0, par: 'VMON' } });
    expect(parseRequest('$BD:00:CMD:MON,CH:4,PAR:IMON')).toEqual({ request: { bd: 0, cmd: 'MON', ch: 4, par: 'IMON' } });
    expect(parseRequest('$BD:01,CMD:SET,CH:2,PAR:VSET,VAL:  1000.0')).toMatchObject({ request: { val: '  1000.0' } });
    expect(parseRequest('$BD:00,CMD:XXX,PAR:VMON')).toEqual({ error: 'CMD', bd: 0 });
    expect(parseRequest('$BD:00,CMD:MON,CH:x,PAR:VMON')).toEqual({ error: 'CH', bd: 0 });
    expect(parseRequest('$BD:00,CMD:MON,CH:0')).toEqual({ error: 'PAR', bd: 0 });
    expect(parseRequest('hello')).toEqual({ error: 'CMD', bd: null });
  });
});

describe('CAEN N1470 simulator', () => {
  it.each(Object.entries(CHANNEL_PARAMETERS).filter(([, p]) => p.mon))('answers MON %s for one channel and for all (CH:4)', (par) => {
    const { ask } = sim();
    expect(ask(`$BD:00,CMD:MON,CH:1,PAR:${par}`)).toMatch(/^#BD:00,CMD:OK,VAL:[^;]+\r\n$/);
    expect(ask(`$BD:01,CMD:MON,CH:4,PAR:${par}`)).toMatch(/^#BD:01,CMD:OK,VAL:[^;]+;[^;]+;[^;]+;[^;]+\r\n$/);
  });

  it.each(Object.entries(BOARD_PARAMETERS).filter(([, p]) => p.mon))('answers MON %s of the board', (par) => {
    const { ask } = sim();
    expect(ask(`$BD:00,CMD:MON,PAR:${par}`)).toMatch(/^#BD:00,CMD:OK,VAL:\S+\r\n$/);
  });

  it('answers the reference examples', () => {
    const { ask } = sim();
    expect(ask('$BD:00,CMD:MON,CH:1,PAR:VSET')).toBe('#BD:00,CMD:OK,VAL:1000.0\r\n');
    expect(ask('$BD:00,CMD:MON,CH:0,PAR:ISET')).toBe('#BD:00,CMD:OK,VAL:0300.00\r\n');
    expect(ask('$BD:00,CMD:MON,CH:4,PAR:STAT')).toBe('#BD:00,CMD:OK,VAL:00000;00001;00000;00000\r\n');
    expect(ask('$BD:00,CMD:SET,CH:0,PAR:VSET,VAL:1200')).toBe('#BD:00,CMD:OK\r\n');
    expect(ask('$BD:00,CMD:MON,CH:0,PAR:VSET')).toBe('#BD:00,CMD:OK,VAL:1200.0\r\n');
    expect(ask('$BD:00,CMD:SET,CH:1,PAR:ON')).toBe('#BD:00,CMD:OK\r\n');
    expect(ask('$BD:00,CMD:MON,PAR:BDNAME')).toBe('#BD:00,CMD:OK,VAL:N1470\r\n');
    expect(ask('$BD:00,CMD:MON,PAR:BDNCH')).toBe('#BD:00,CMD:OK,VAL:4\r\n');
    expect(ask('$BD:00,CMD:MON,CH:0,PAR:BOGUS')).toBe('#BD:00,PAR:ERR\r\n');
  });

  it('sets every settable parameter and refuses values out of range with VAL:ERR', () => {
    const { ask } = sim();
    const good: [string, string, string][] = [
      ['VSET', '1500.5', '1500.5'],
      ['ISET', '250.25', '0250.25'],
      ['MAXV', '2000', '2000'],
      ['RUP', '100', '100'],
      ['RDW', '20', '020'],
      ['TRIP', '2.5', '0002.5'],
      ['PDWN', 'KILL', 'KILL'],
      ['IMRANGE', 'LOW', 'LOW'],
    ];
    for (const [par, val, back] of good) {
      expect(ask(`$BD:00,CMD:SET,CH:2,PAR:${par},VAL:${val}`)).toBe('#BD:00,CMD:OK\r\n');
      expect(ask(`$BD:00,CMD:MON,CH:2,PAR:${par}`)).toBe(`#BD:00,CMD:OK,VAL:${back}\r\n`);
    }
    for (const [par, val] of [['VSET', '8000.1'], ['VSET', '-1'], ['VSET', '2000.1'], ['ISET', '3001'], ['RUP', '0'], ['RDW', '501'], ['TRIP', '1000.1'], ['MAXV', '8101'], ['PDWN', 'MAYBE'], ['VSET', 'abc']]) {
      expect(ask(`$BD:00,CMD:SET,CH:2,PAR:${par},VAL:${val}`), `${par}=${val}`).toBe('#BD:00,VAL:ERR\r\n');
    }
    expect(ask('$BD:00,CMD:SET,CH:2,PAR:VSET')).toBe('#BD:00,VAL:ERR\r\n');
    expect(ask('$BD:00,CMD:SET,PAR:BDILKM,VAL:OPEN')).toBe('#BD:00,CMD:OK\r\n');
    expect(ask('$BD:00,CMD:MON,PAR:BDILKM')).toBe('#BD:00,CMD:OK,VAL:OPEN\r\n');
    expect(ask('$BD:00,CMD:SET,PAR:BDCLR')).toBe('#BD:00,CMD:OK\r\n');
  });

  it('gives the five error replies in the order CMD → CH → PAR → VAL → LOC', () => {
    const { s, ask } = sim();
    expect(ask('$BD:00,CMD:GET,CH:0,PAR:VMON')).toBe('#BD:00,CMD:ERR\r\n');
    expect(ask('$BD:00,CMD:MON,CH:5,PAR:VMON')).toBe('#BD:00,CH:ERR\r\n');
    expect(ask('$BD:00,CMD:MON,PAR:VMON')).toBe('#BD:00,CH:ERR\r\n');
    expect(ask('$BD:00,CMD:MON,CH:9,PAR:BOGUS')).toBe('#BD:00,CH:ERR\r\n');
    expect(ask('$BD:00,CMD:SET,CH:0,PAR:VMON,VAL:5')).toBe('#BD:00,PAR:ERR\r\n'); // read-only
    expect(ask('$BD:00,CMD:MON,CH:0,PAR:ON')).toBe('#BD:00,PAR:ERR\r\n'); // set-only
    s.inject('local-mode', null);
    expect(ask('$BD:00,CMD:SET,CH:0,PAR:VSET,VAL:9000')).toBe('#BD:00,VAL:ERR\r\n');
    expect(ask('$BD:00,CMD:SET,CH:0,PAR:VSET,VAL:500')).toBe('#BD:00,LOC:ERR\r\n');
    expect(ask('$BD:00,CMD:SET,CH:0,PAR:ON')).toBe('#BD:00,LOC:ERR\r\n');
    expect(ask('$BD:00,CMD:MON,CH:0,PAR:VSET')).toBe('#BD:00,CMD:OK,VAL:1000.0\r\n'); // MON still works
    expect(ask('$BD:00,CMD:MON,PAR:BDCTR')).toBe('#BD:00,CMD:OK,VAL:LOCAL\r\n');
  });

  it('stays silent for a board not on the chain and for lines that are not requests, and keeps answering', () => {
    const { ask } = sim();
    expect(ask('$BD:05,CMD:MON,CH:0,PAR:VMON')).toBeNull();
    for (const hostile of ['', 'garbage', '\x00\x01\x02', '#BD:00,CMD:OK', '$'.repeat(5000), '$BD:999999,CMD:MON']) expect(ask(hostile)).toBeNull();
    expect(ask('$BD:00,CMD:MON,CH:0,PAR:VSET')).toBe('#BD:00,CMD:OK,VAL:1000.0\r\n');
  });

  it('trips a channel whose current sits at ISET for the trip time, and latches BDALARM until BDCLR', () => {
    let t = 0;
    const s = new CaenN1470Simulator({ simulatorId: 'x', seed: 1, timeScale: 1, now: () => t, pmt: null }, [
      { maxVolts: 8000, maxMicroamps: 3000, cell: null, vset: 1000, iset: 300, on: true },
      ...Array.from({ length: 3 }, () => ({ maxVolts: 8000, maxMicroamps: 3000, cell: null, vset: 0, iset: 300, on: false })),
    ]);
    const ask = answerer(s);
    s.inject('trip', 0);
    t = 500;
    expect(decodeStat(Number(ask('$BD:00,CMD:MON,CH:0,PAR:STAT')!.slice(18, 23)))).toContain('over-current');
    t = 1100;
    const stat = Number(ask('$BD:00,CMD:MON,CH:0,PAR:STAT')!.slice(18, 23));
    expect(decodeStat(stat)).toContain('trip');
    expect(decodeStat(stat)).not.toContain('on');
    expect(ask('$BD:00,CMD:MON,PAR:BDALARM')).toBe('#BD:00,CMD:OK,VAL:00001\r\n');
    s.clear();
    expect(ask('$BD:00,CMD:SET,CH:0,PAR:ON')).toBe('#BD:00,CMD:OK\r\n');
    expect(ask('$BD:00,CMD:SET,PAR:BDCLR')).toBe('#BD:00,CMD:OK\r\n');
    expect(ask('$BD:00,CMD:MON,PAR:BDALARM')).toBe('#BD:00,CMD:OK,VAL:00000\r\n');
  });
});
