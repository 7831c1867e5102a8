// The SCPI oscilloscope dialect (drivers/scpi-scope/protocol.ts): commands, the preamble, IEEE 488.2
// definite-length blocks (strict), codes → volts with the Rigol formula; malformed and hostile answers give
// a ScopeProtocolError that says what was wrong. Then the simulated DS1104Z's SCPI answers over USBTMC.
import { describe, expect, it } from 'vitest';
import {
  byteRange,
  codesToVolts,
  encodeDefiniteBlock,
  matchChoice,
  matchHeader,
  parseAnswerNumber,
  parseDefiniteBlock,
  parseIdn,
  parsePreamble,
  parseProgramMessage,
  parseSystemError,
  parseTriggerStatus,
  printable,
  scientific,
  SCPI,
  ScopeProtocolError,
  scpiNumber,
  triggerPointOf,
} from '../../drivers/scpi-scope/protocol';
import { ScpiScopeSimulator } from '../../drivers/scpi-scope/simulator';
import { emulateUsbDevice } from '../../drivers/transports/usb/emulated-device';
import { UsbtmcInstrument } from '../../drivers/transports/usbtmc/host';
import type { TwinBeam } from '../../drivers/twin/beam';
import { Random } from '../../drivers/twin/random';

const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe('SCPI oscilloscope protocol', () => {
  it('builds the DS1000Z commands', () => {
    expect(SCPI.channelDisplay(2, true)).toBe(':CHANnel2:DISPlay ON');
    expect(SCPI.channelScale(1, 0.05)).toBe(':CHANnel1:SCALe 0.05');
    expect(SCPI.channelOffset(3, -0.6)).toBe(':CHANnel3:OFFSet -0.6');
    expect(SCPI.timebaseScale(5e-8)).toBe(':TIMebase:MAIN:SCALe 5e-8');
    expect(SCPI.triggerSource(4)).toBe(':TRIGger:EDGE:SOURce CHAN4');
    expect(SCPI.triggerLevel(-0.1)).toBe(':TRIGger:EDGE:LEVel -0.1');
    expect(SCPI.triggerSlope('negative')).toBe(':TRIGger:EDGE:SLOPe NEGative');
    expect(SCPI.waveformSource(2)).toBe(':WAVeform:SOURce CHAN2');
    expect([SCPI.single, SCPI.triggerStatus, SCPI.waveformFormat, SCPI.waveformMode, SCPI.preamble, SCPI.data, SCPI.systemError]).toEqual([
      ':SINGle',
      ':TRIGger:STATus?',
      ':WAVeform:FORMat BYTE',
      ':WAVeform:MODE NORMal',
      ':WAVeform:PREamble?',
      ':WAVeform:DATA?',
      ':SYSTem:ERRor?',
    ]);
    expect(scpiNumber(0.1 + 0.2)).toBe('0.3');
    expect(() => SCPI.channelScale(5, 1)).toThrow(/input is 1–4, not 5/);
    expect(() => scpiNumber(Number.NaN)).toThrow(/not a number/);
  });

  it('parses the preamble and converts codes with (code − yorigin − yreference) × yincrement', () => {
    // 200 mV/div, −528 mV offset: yincrement 8 mV, yorigin −66, yreference 127 (read back from a DS1054Z).
    const p = parsePreamble('0,0,1200,1,5.000000e-10,-3.000000e-07,0,8.000000e-03,-66,127\n');
    expect(p).toEqual({ format: 'BYTE', type: 'NORMal', points: 1200, count: 1, xIncrement: 5e-10, xOrigin: -3e-7, xReference: 0, yIncrement: 0.008, yOrigin: -66, yReference: 127 });
    const v = codesToVolts(Uint8Array.from([127, 61, 0, 255]), p);
    expect(v[0]).toBeCloseTo(0.528, 6); // the screen centre is −offset
    expect(v[1]).toBeCloseTo(0, 6);
    expect(v[2]).toBeCloseTo((0 + 66 - 127) * 0.008, 6);
    expect(v[3]).toBeCloseTo((255 + 66 - 127) * 0.008, 6);
    expect(triggerPointOf(p)).toBe(600);
    const [lo, hi] = byteRange(0.2, -0.528);
    expect(lo).toBeCloseTo(v[2]!, 6);
    expect(hi).toBeCloseTo(v[3]!, 6);
  });

  it('refuses malformed preambles with the field named', () => {
    expect(() => parsePreamble('0,0,1200,1,1e-9,-6e-7,0,0.004,0')).toThrow(/9 fields, expected 10/);
    expect(() => parsePreamble('3,0,1200,1,1e-9,-6e-7,0,0.004,0,127')).toThrow(/format is 3/);
    expect(() => parsePreamble('0,7,1200,1,1e-9,-6e-7,0,0.004,0,127')).toThrow(/type is 7/);
    expect(() => parsePreamble('0,0,0,1,1e-9,-6e-7,0,0.004,0,127')).toThrow(/says 0 points/);
    expect(() => parsePreamble('0,0,1200,1,0,-6e-7,0,0.004,0,127')).toThrow(/xincrement 0/);
    expect(() => parsePreamble('0,0,1200,1,1e-9,-6e-7,0,-0.004,0,127')).toThrow(/yincrement -0.004/);
    expect(() => parsePreamble('0,0,12x0,1,1e-9,-6e-7,0,0.004,0,127')).toThrow(/the preamble's points answered "12x0", not a number/);
  });

  it('reads IEEE 488.2 definite-length blocks strictly', () => {
    expect(parseDefiniteBlock(bytes('#9000000005abcde\n'))).toEqual(bytes('abcde'));
    expect(parseDefiniteBlock(bytes('#15abcde'))).toEqual(bytes('abcde'));
    expect(parseDefiniteBlock(bytes('#15abcde\r\n'))).toEqual(bytes('abcde'));
    expect(parseDefiniteBlock(bytes('#3000'))).toEqual(new Uint8Array(0));
    const cases: [string, RegExp][] = [
      ['', /an empty answer/],
      ['1.23\n', /starts with 0x31 \("1\.23\\x0a"\), not "#"/],
      ['#', /ends after its "#"/],
      ['#0abc\n', /indefinite-length block/],
      ['#A12', /digit count is "A", not 1–9/],
      ['#90000', /has 4 of its 9 digits/],
      ['#30x5abcde', /length field "0x5" is not 3 digits/],
      ['#9000001200abc', /says 1200 bytes, only 3 came/],
      ['#15abcdeXYZ', /3 bytes follow the 5-byte block \("XYZ"\)/],
    ];
    for (const [input, message] of cases) {
      expect(() => parseDefiniteBlock(bytes(input)), input).toThrow(ScopeProtocolError);
      expect(() => parseDefiniteBlock(bytes(input)), input).toThrow(message);
    }
    const block = encodeDefiniteBlock(Uint8Array.from({ length: 1200 }, (_, i) => i & 0xff));
    expect(printable(block.subarray(0, 11))).toBe('#9000001200');
    expect(block.length).toBe(1212);
    expect(block.at(-1)).toBe(0x0a);
    expect(parseDefiniteBlock(block)[1199]).toBe(1199 & 0xff);
  });

  it('never crashes on hostile answers: every failure is a ScopeProtocolError', () => {
    const rng = new Random(14);
    for (let i = 0; i < 2000; i++) {
      const n = Math.floor(rng.uniform() * 40);
      const junk = Uint8Array.from({ length: n }, () => (rng.uniform() < 0.3 ? '#0123456789,\n'.charCodeAt(Math.floor(rng.uniform() * 13)) : Math.floor(rng.uniform() * 256)));
      const text = printable(junk);
      for (const parse of [() => parseDefiniteBlock(junk), () => parsePreamble(text), () => parseTriggerStatus(text), () => parseIdn(text), () => parseSystemError(text)]) {
        try {
          parse();
        } catch (error) {
          expect(error).toBeInstanceOf(ScopeProtocolError);
        }
      }
    }
  });

  it('reads the other answers', () => {
    expect(parseIdn('RIGOL TECHNOLOGIES,DS1104Z,DS1ZA123456789,00.04.04.SP4\n')).toEqual({ manufacturer: 'RIGOL TECHNOLOGIES', model: 'DS1104Z', serial: 'DS1ZA123456789', firmware: '00.04.04.SP4' });
    expect(() => parseIdn('RIGOL,DS1104Z')).toThrow(/not "manufacturer,model,serial,firmware"/);
    expect(TRIGGER_STATES_READ.map(parseTriggerStatus)).toEqual(['TD', 'WAIT', 'RUN', 'AUTO', 'STOP']);
    expect(() => parseTriggerStatus('ARMED')).toThrow(/answered "ARMED", not one of TD, WAIT, RUN, AUTO, STOP/);
    expect(parseSystemError('0,"No error"')).toEqual({ code: 0, message: 'No error' });
    expect(parseSystemError('-222,"Data out of range"\n')).toEqual({ code: -222, message: 'Data out of range' });
    expect(() => parseSystemError('no error')).toThrow(/not <code>,"<message>"/);
    expect(parseAnswerNumber('1.000000e-01\n', 'x')).toBe(0.1);
    expect(() => parseAnswerNumber('1e', ':CHANnel1:SCALe?')).toThrow(':CHANnel1:SCALe? answered "1e", not a number');
  });

  it('matches SCPI headers in long and short form, any case, with numeric suffixes', () => {
    expect(matchHeader(':CHANnel#:SCALe', ':CHANnel2:SCALe')).toEqual([2]);
    expect(matchHeader(':CHANnel#:SCALe', 'chan3:scal')).toEqual([3]);
    expect(matchHeader(':CHANnel#:SCALe', ':CHAN:SCAL')).toEqual([1]);
    expect(matchHeader(':CHANnel#:SCALe', ':CHANN1:SCAL')).toBeNull();
    expect(matchHeader(':WAVeform:DATA', ':WAV:DATA')).toEqual([]);
    expect(matchHeader(':WAVeform:DATA', ':WAV:DATA:X')).toBeNull();
    expect(matchHeader('*IDN', '*idn')).toEqual([]);
    expect(matchChoice('NEGative', 'neg')).toBe(true);
    expect(matchChoice('NEGative', 'NEGA')).toBe(false);
    expect(parseProgramMessage(':WAV:SOUR CHAN1;:WAV:PRE?\n')).toEqual([
      { header: ':WAV:SOUR', query: false, args: ['CHAN1'] },
      { header: ':WAV:PRE', query: true, args: [] },
    ]);
    expect(scientific(0.1)).toBe('1.000000e-01');
    expect(scientific(-5e-8)).toBe('-5.000000e-08');
    expect(scientific(12)).toBe('1.200000e+01');
  });
});

const TRIGGER_STATES_READ = ['TD', 'wait', ' RUN', 'AUTO\n', 'STOP'];

/** A beam that is never in spill: the scope's own SCPI behaviour, without triggers. */
const noBeam: TwinBeam = {
  now: () => ({ phase: 'off', index: -1, phaseStartedAt: 0, phaseEndsAt: null, spillMs: 4800, cycleMs: 16800 }),
  spillStart: () => Number.POSITIVE_INFINITY,
  truth: () => {
    throw new Error('no spill');
  },
  composition: () => ({ electron: 1, hadron: 0, muon: 0 }),
  known: () => Promise.resolve(),
  close: () => undefined,
};

describe('the simulated DS1104Z answers SCPI over USBTMC', () => {
  async function scope() {
    const sim = new ScpiScopeSimulator({ seed: 3, twin: noBeam });
    const inst = new UsbtmcInstrument(emulateUsbDevice(sim.usbFunction), { pollMs: 1 });
    await inst.open(500);
    const errors = async () => {
      const out: string[] = [];
      for (let e = await inst.query(':SYST:ERR?'); !e.startsWith('0,'); e = await inst.query(':SYST:ERR?')) out.push(e);
      return out;
    };
    return { sim, inst, errors };
  }

  it('says who it is, rounds scales to its 1-2-5 steps, refuses what it cannot do', async () => {
    const { sim, inst, errors } = await scope();
    expect(await inst.query('*IDN?')).toBe(`RIGOL TECHNOLOGIES,DS1104Z,${sim.serial},00.04.04.SP4`);
    expect(sim.serial).toMatch(/^DS1ZA\d{9}$/);
    expect(inst.quirks.name).toBe('Rigol DS1000Z');
    await inst.write(':CHAN2:SCAL 0.15');
    expect(await inst.query(':CHANnel2:SCALe?')).toBe('2.000000e-01');
    await inst.write(':chan2:offs 3');
    await inst.write(':CHANnel9:SCALe 1');
    await inst.write(':WAVeform:FORMat WORD');
    await inst.write(':BOGUS:CMD 1');
    await inst.write(':TRIGger:EDGE:LEVel 50');
    expect(await errors()).toEqual(['-222,"Data out of range"', '-113,"Undefined header"', '-224,"Illegal parameter value"', '-113,"Undefined header"', '-222,"Data out of range"']);
    // CH2 is off at power-on: its data is an empty block and a settings conflict.
    await inst.write(':WAV:SOUR CHAN2');
    // (The Rigol quirk takes the answer's length from the block: its "\n" is left out.)
    expect(await inst.queryBytes(':WAV:DATA?')).toEqual(bytes('#9000000000'));
    expect(await errors()).toEqual(['-221,"Settings conflict"']);
    // A query whose answer is never read is dropped by the next message.
    await inst.write('*IDN?');
    await inst.write(':RUN');
    expect(await errors()).toEqual(['-410,"Query INTERRUPTED"']);
  });

  it('arms a single sweep that waits without beam, and a forced trigger records the baseline', async () => {
    const { sim, inst } = await scope();
    expect(await inst.query(':TRIG:STAT?')).toBe('RUN');
    await inst.write(':SINGle');
    expect(await inst.query(':TRIGger:STATus?')).toBe('WAIT');
    await inst.trigger(); // USB488 TRIGGER: a forced trigger
    expect(await inst.query(':TRIGger:STATus?')).toBe('TD');
    expect(await inst.query(':TRIGger:STATus?')).toBe('STOP');
    expect(sim.lastCapture()).toMatchObject({ spill: null, particle: null });
    const pre = parsePreamble(await inst.query(':WAV:PRE?'));
    expect(pre).toMatchObject({ format: 'BYTE', type: 'NORMal', points: 1200, xReference: 0, yReference: 127 });
    expect(pre.xIncrement).toBeCloseTo(1e-8, 15); // 1 µs/div × 12 / 1200
    const volts = codesToVolts(parseDefiniteBlock(await inst.queryBytes(':WAV:DATA?')), pre);
    expect(Math.max(...volts.map(Math.abs))).toBeLessThan(pre.yIncrement);
    // *RST sets the probe ratio to 10× (the driver sets it back to 1× for its coax cables).
    await inst.write('*RST');
    expect(await inst.query(':CHAN1:PROB?')).toBe('1.000000e+01');
  });
});
