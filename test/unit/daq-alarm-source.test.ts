// The no-spill alarm's input: whole SPS cycles without a spill from the DAQ while a run takes data, with a
// run's first spill due one cycle later than the next (the DAQ takes no spill already under way at the start).
import { describe, expect, it } from 'vitest';
import { DaqAlarmSource } from '../../src-main/alarms/sources/daq-source';
import type { Status } from '../../src-main/shared/api/schemas';

const CYCLE = 16_800;
const status = (state: 'running' | 'idle', startedAt: number) => ({ run: { state, current: state === 'running' ? { startedAt } : null }, beam: { cycleMs: CYCLE } }) as unknown as Status;

describe('DAQ alarm source: cycles without a spill', () => {
  it('gives the first spill of a run a cycle more, then counts from the last spill, and zero while idle or in a spill', () => {
    const sent: (number | boolean | null | undefined)[] = [];
    const source = new DaqAlarmSource((v) => sent.push(v['daq:cycles-without-spill']));
    const t0 = 1_000_000;
    const at = (cycles: number) => t0 + cycles * CYCLE;
    source.status(status('running', t0), at(1.5));
    source.status(status('running', t0), at(2.9));
    source.status(status('running', t0), at(3.1));
    expect(sent).toEqual([0, 1, 2]);

    sent.length = 0;
    source.daqSignal('WE', at(3.2));
    source.status(status('running', t0), at(3.3));
    source.daqSignal('EE', at(3.5));
    source.status(status('running', t0), at(4.3));
    source.status(status('running', t0), at(5.3));
    expect(sent).toEqual([0, 1, 2]);

    // A spill of an earlier run does not count for the next one.
    sent.length = 0;
    source.status(status('idle', 0), at(6));
    const t1 = at(7);
    source.status(status('running', t1), t1 + 1.9 * CYCLE);
    expect(sent).toEqual([0, 0]);
  });
});
