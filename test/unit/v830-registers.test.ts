// The CAEN V830 at the register level (protocols.md §7.2): MEB header and 26-bit data words (ucesb
// vme_caen_v830.spec), the control register, wrap-around of 26- and 32-bit readings; and the simulated
// module behind those registers, counting a beam whose every spill is known (a stub of TwinBeam).
import { describe, expect, it } from 'vitest';
import {
  CONTROL,
  V830,
  V830_ROM,
  channelMask,
  countIncrement,
  decodeControl,
  decodeData26,
  decodeMebEvent,
  decodeMebHeader,
  encodeControl,
  encodeData26,
  encodeMebHeader,
  enabledChannels,
  firmwareText,
  formatBits,
} from '../../drivers/caen-v830/registers';
import { MISCOUNT_FACTOR, V830Module, V830_SIM_WIRING, spillCounts } from '../../drivers/caen-v830/simulator';
import type { BeamNow, TwinBeam } from '../../drivers/twin/beam';
import type { SpillScalers } from '../../drivers/twin/twin';
import { BERR } from '../../drivers/vme/slave';

describe('MEB words (ucesb vme_caen_v830.spec)', () => {
  it('decodes a header: GEO 5, bit 26 set, 6 words, trigger source 1, event 0x1234', () => {
    expect(decodeMebHeader(0x2c191234)).toEqual({ geo: 5, words: 6, triggerSource: 1, eventNumber: 0x1234 });
    expect(encodeMebHeader({ geo: 5, words: 6, triggerSource: 1, eventNumber: 0x1234 })).toBe(0x2c191234);
    expect(() => decodeMebHeader(0x1bffffff)).toThrow(/not an MEB header/);
  });

  it('decodes a 26-bit data word: channel in 31:27, bit 26 clear, the count in 25:0', () => {
    expect(decodeData26(0x1bffffff)).toEqual({ channel: 3, count: 0x3ffffff });
    expect(decodeData26(0xf8000001)).toEqual({ channel: 31, count: 1 });
    expect(encodeData26(3, 0xffffffff)).toBe(0x1bffffff);
    expect(() => decodeData26(0x2c191234)).toThrow(/bit 26 is 1/);
  });

  it('decodes whole events in both formats and checks them', () => {
    const channels = [0, 2, 5];
    expect(decodeMebEvent([7, 0xffffffff, 0], { format: '32-bit', header: false, channels })).toEqual([7, 0xffffffff, 0]);
    expect(decodeMebEvent([encodeData26(0, 7), encodeData26(2, 2 ** 26 - 1), encodeData26(5, 2 ** 26)], { format: '26-bit', header: false, channels })).toEqual([7, 2 ** 26 - 1, 0]);
    const header = encodeMebHeader({ geo: 0, words: 3, triggerSource: 0, eventNumber: 1 });
    expect(decodeMebEvent([header, 1, 2, 3], { format: '32-bit', header: true, channels })).toEqual([1, 2, 3]);
    expect(() => decodeMebEvent([1, 2], { format: '32-bit', header: false, channels })).toThrow(/3 words, not 2/);
    expect(() => decodeMebEvent([encodeData26(0, 1), encodeData26(3, 1), encodeData26(5, 1)], { format: '26-bit', header: false, channels })).toThrow(/word 1 of the event is channel 3, channel 2 was expected/);
    const short = encodeMebHeader({ geo: 0, words: 2, triggerSource: 0, eventNumber: 1 });
    expect(() => decodeMebEvent([short, 1, 2, 3], { format: '32-bit', header: true, channels })).toThrow(/announces 2 words, 3 channels/);
  });

  it('enable masks list channels in the order the module writes them', () => {
    expect(channelMask([5, 0, 31])).toBe(0x80000021);
    expect(enabledChannels(0x80000021)).toEqual([0, 5, 31]);
  });
});

describe('control register and counts', () => {
  it('random acquisition, 26-bit, BERR at the end of a block: 0x15; header and auto reset bits', () => {
    const c = { acquisition: 'random', format: '26-bit', header: false, berr: true, autoReset: false } as const;
    expect(encodeControl(c)).toBe(0x15);
    expect(decodeControl(0x15)).toEqual(c);
    expect(encodeControl({ ...c, format: '32-bit', header: true, autoReset: true })).toBe(0x01 | CONTROL.BERR_ENABLE | CONTROL.HEADER_ENABLE | CONTROL.AUTO_RESET);
    expect(decodeControl(0).acquisition).toBe('disabled');
  });

  it('increments across a wrap of 32 and of 26 bits', () => {
    expect(countIncrement(2 ** 32 - 10, 5, 32)).toBe(15);
    expect(countIncrement(2 ** 26 - 3, 4, 26)).toBe(7);
    expect(countIncrement(100, 250, 26)).toBe(150);
    expect(countIncrement(7, 7, 32)).toBe(0);
    expect(formatBits('26-bit')).toBe(26);
  });

  it('firmware 0x0106 reads "1.06"', () => {
    expect(firmwareText(0x0106)).toBe('1.06');
  });
});

// ── The simulated module ──

const truthOf = (i: number): SpillScalers => ({
  particles: 1_000_000 + i,
  triggers: 5000 + i,
  accepted: 4000 + i,
  deadTimeUs: 0,
  gateUs: 0,
  physics: 0,
  beam: 0,
  random: 0,
});

/** Spills of 100 ms every 400 ms from t = 1000. */
function stubBeam(): TwinBeam & { off: boolean } {
  const first = 1000;
  const spillMs = 100;
  const cycleMs = 400;
  const beam = {
    off: false,
    now(at = 0): BeamNow {
      const base = { spillMs, cycleMs };
      if (beam.off) return { ...base, phase: 'off', index: Math.floor((at - first) / cycleMs), phaseStartedAt: at, phaseEndsAt: null };
      if (at < first) return { ...base, phase: 'interspill', index: -1, phaseStartedAt: 0, phaseEndsAt: first };
      const index = Math.floor((at - first) / cycleMs);
      const start = first + index * cycleMs;
      return at < start + spillMs
        ? { ...base, phase: 'spill', index, phaseStartedAt: start, phaseEndsAt: start + spillMs }
        : { ...base, phase: 'interspill', index, phaseStartedAt: start + spillMs, phaseEndsAt: start + cycleMs };
    },
    spillStart: (i: number) => first + i * cycleMs,
    truth: truthOf,
    composition: () => ({ electron: 1, hadron: 0, muon: 0 }),
    known: () => Promise.resolve(),
    close: () => undefined,
  };
  return beam;
}

const BASE = 0x00100000;

function module(at = 0) {
  const beam = stubBeam();
  const m = new V830Module(BASE, beam, at, 42);
  const w16 = (offset: number, value: number) => m.write(BASE + offset, 'D16', value);
  const r16 = (offset: number) => m.read(BASE + offset, 'D16');
  return { m, beam, w16, r16 };
}

describe('simulated V830', () => {
  it('counts S1, S2, Sc, veto and the triggers during WE..EE only, linearly through the spill', () => {
    const { m } = module();
    const t = truthOf(0);
    const want = spillCounts(t);
    expect(want).toEqual({ S1: 1_000_000, S2: 980_000, Sc: 1_000_000, veto: 20_000, 'trigger-ungated': 5000, trigger: 4000 });
    m.advance(999);
    expect(m.counter(V830_SIM_WIRING.S1)).toBe(0);
    m.advance(1050);
    expect(m.counter(V830_SIM_WIRING.S1)).toBe(500_000);
    expect(m.counter(V830_SIM_WIRING.trigger)).toBe(2000);
    m.advance(1300);
    for (const [signal, ch] of Object.entries(V830_SIM_WIRING)) expect(m.counter(ch)).toBe(want[signal as keyof typeof want]);
    // Spill 1 runs 1400..1500; reading after it counts it whole, and nothing between spills.
    m.advance(1450);
    m.advance(1700);
    expect(m.counter(V830_SIM_WIRING.S1)).toBe(1_000_000 + 1_000_001);
    expect(m.counter(6)).toBe(0);
  });

  it('counts spills nobody looked at, and not what passed before the module started', () => {
    const { m } = module(1050);
    m.advance(1100);
    expect(m.counter(V830_SIM_WIRING.S1)).toBe(500_000);
    m.advance(2150);
    expect(m.counter(V830_SIM_WIRING.S1)).toBe(500_000 + 1_000_001 + 1_000_002);
  });

  it('latches enabled counters into the MEB on a software trigger in random mode, and answers BERR when empty', () => {
    const { m, w16, r16 } = module();
    m.advance(1300);
    w16(V830.SOFTWARE_TRIGGER, 1);
    expect(r16(V830.MEB_EVENT_COUNT)).toBe(0);
    expect(w16(V830.CONTROL, encodeControl({ acquisition: 'random', format: '26-bit', header: true, berr: true, autoReset: false }))).toBe(0);
    expect(m.write(BASE + V830.CHANNEL_ENABLE, 'D32', channelMask([0, 5]))).toBe(0);
    w16(V830.SOFTWARE_TRIGGER, 1);
    expect(r16(V830.MEB_EVENT_COUNT)).toBe(1);
    expect((r16(V830.STATUS) as number) & 1).toBe(1);
    const words = [0, 1, 2].map(() => m.read(BASE + V830.MEB, 'D32') as number);
    expect(decodeMebEvent(words, { format: '26-bit', header: true, channels: [0, 5] })).toEqual([1_000_000, 4000]);
    expect(m.read(BASE + V830.MEB, 'D32')).toBe(BERR);
    expect(m.read(BASE + V830.TRIGGER_COUNTER, 'D32')).toBe(1);
  });

  it('has its identity in the firmware register and the configuration ROM, and refuses wrong widths', () => {
    const { m, r16 } = module();
    expect(r16(V830.FIRMWARE)).toBe(0x0106);
    expect([V830_ROM.BOARD_H, V830_ROM.BOARD_M, V830_ROM.BOARD_L].map(r16)).toEqual([0x00, 0x03, 0x3e]);
    expect([V830_ROM.SERIAL_H, V830_ROM.SERIAL_L].map(r16)).toEqual([0, 42]);
    expect(m.read(BASE + V830.COUNTERS, 'D16')).toBe(BERR);
    expect(m.read(BASE + V830.CONTROL, 'D32')).toBe(BERR);
    expect(m.decodes(0x00101000, 'A32')).toBe(true);
    expect(m.decodes(0x00101000, 'A24')).toBe(true);
    expect(m.decodes(0x00201000, 'A32')).toBe(false);
  });

  it('software clear empties the counters and the MEB', () => {
    const { m, w16, r16 } = module();
    m.advance(1300);
    w16(V830.CONTROL, 1);
    w16(V830.SOFTWARE_TRIGGER, 1);
    w16(V830.SOFTWARE_CLEAR, 1);
    expect(r16(V830.MEB_EVENT_COUNT)).toBe(0);
    expect(m.counter(0)).toBe(0);
  });

  it('overflow: counters start half a spill short of 2^32, and wrap during it', () => {
    const { m } = module();
    m.advance(1300);
    const before = m.counter(0);
    m.overflow(1300);
    const start = m.counter(0);
    expect(start).toBe(2 ** 32 - Math.floor(1_000_001 / 2));
    m.advance(1700);
    expect(m.counter(0)).toBeLessThan(before);
    expect(countIncrement(start, m.counter(0), 32)).toBe(1_000_001);
    expect(countIncrement(start & 0x3ffffff, m.counter(0) & 0x3ffffff, 26)).toBe(1_000_001);
  });

  it('a stuck channel stops; miscount makes the beam counters count 5 % more, not the triggers', () => {
    const { m } = module();
    m.advance(1300);
    const s1 = m.counter(0);
    const s2 = m.counter(1);
    const trig = m.counter(5);
    m.setStuck(1, true);
    m.setMiscount(true);
    m.advance(1700);
    expect(m.counter(0) - s1).toBe(Math.floor(1_000_001 * MISCOUNT_FACTOR));
    expect(m.counter(1)).toBe(s2);
    expect(m.counter(5) - trig).toBe(4001);
    m.clearFaults();
    m.advance(2100);
    expect(m.counter(1) - s2).toBe(Math.round(0.98 * 1_000_002));
  });

  it('counts nothing while the SPS is off, and resumes with the next spill after it', () => {
    const { m, beam } = module();
    m.advance(1050);
    beam.off = true;
    m.advance(1300);
    expect(m.counter(0)).toBe(500_000);
    m.advance(1900);
    expect(m.counter(0)).toBe(500_000);
    beam.off = false;
    m.advance(2150);
    m.advance(2300);
    expect(m.counter(0)).toBe(500_000 + 1_000_003);
  });
});
