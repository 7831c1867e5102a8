import { describe, expect, it } from 'vitest';
import { PmtVoltages } from '../../drivers/twin/pmt-voltages';

describe('PmtVoltages', () => {
  const pmts = () => new PmtVoltages(new Map([['ECAL1-3-3', 1200]]));

  it('gives gain 1 at the nominal voltage and follows V^7 around it', () => {
    const p = pmts();
    expect(p.gain('ECAL1-3-3')).toBe(1);
    p.set('ECAL1-3-3', 1200 * 1.01);
    expect(p.gain('ECAL1-3-3')).toBeCloseTo(1.01 ** 7, 10);
    expect(p.get('ECAL1-3-3')).toBeCloseTo(1212);
  });

  it('gives no signal with the HV off, and gain 1 for cells it does not know', () => {
    const p = pmts();
    p.set('ECAL1-3-3', 0);
    expect(p.gain('ECAL1-3-3')).toBe(0);
    expect(p.gain('HCAL0-1-1')).toBe(1);
  });

  it('rejects impossible voltages and tells listeners about changes', () => {
    const p = pmts();
    const seen: [string, number][] = [];
    p.onChange((cell, v) => seen.push([cell, v]));
    expect(() => p.set('ECAL1-3-3', -5)).toThrow(/≥ 0 V/);
    expect(() => p.set('ECAL1-3-3', Number.NaN)).toThrow();
    p.set('ECAL1-3-3', 1100);
    expect(seen).toEqual([['ECAL1-3-3', 1100]]);
  });
});
