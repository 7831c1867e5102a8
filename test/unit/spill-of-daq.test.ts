// A DAQ spill and the beam counters' / digitizers' spills: the DAQ stream lags, so its spill is the last one
// that started before it, even when the next has already started and lies nearer in time.
import { describe, expect, it } from 'vitest';
import { spillOfDaq } from '../../src-main/timing/overlap';

const CYCLE = 840; // the SPS cycle at ×20
const spills = [0, 1, 2, 3].map((k) => ({ k, startedAt: 10_000 + k * CYCLE }));

describe('spillOfDaq', () => {
  it('takes the last spill that started before the DAQ spill, however late the DAQ is within a cycle', () => {
    expect(spillOfDaq(spills, 10_000 + 2 * CYCLE + 30, CYCLE)?.k).toBe(2);
    // 0.6 of a cycle late: spill 3 is nearer in time, but the DAQ's spill is 2.
    expect(spillOfDaq(spills, 10_000 + 2.6 * CYCLE, CYCLE)?.k).toBe(2);
    expect(spillOfDaq(spills.slice(0, 3), 10_000 + 2.6 * CYCLE, CYCLE)?.k).toBe(2);
  });

  it('allows the prompt system to see the spill a little after the DAQ (its poll), and nothing older than a cycle', () => {
    expect(spillOfDaq(spills, 10_000 + 2 * CYCLE - 100, CYCLE)?.k).toBe(2);
    expect(spillOfDaq(spills.slice(0, 2), 10_000 + 3 * CYCLE, CYCLE)).toBeNull();
    expect(spillOfDaq([], 10_000, CYCLE)).toBeNull();
  });
});
