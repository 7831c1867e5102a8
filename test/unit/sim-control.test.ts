// The simulator control channel (drivers/sdk/sim-control.ts) and the device lifecycle's backoff: requests
// from the wire checked before anything is done, every refusal a sentence, hostile lines answered and the
// channel kept; the reconnect wait doubling with ±20 % jitter up to its ceiling.
import { createConnection } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ActiveFault } from '../../drivers/sdk/index';
import { BACKOFF_JITTER, DeviceLifecycle } from '../../drivers/sdk/lifecycle';
import { parseRequest, simControl, SimControlServer, type ControlledSimulator } from '../../drivers/sdk/sim-control';

class FakeSimulator implements ControlledSimulator {
  readonly simulatorId = 'fake';
  readonly simulatorDescription = 'a fake device';
  on: ActiveFault[] = [];
  volted: (readonly [string, number])[] = [];
  faults() {
    return [{ id: 'trip', description: 'trips', perChannel: true }];
  }
  inject(fault: string, channel: number | null) {
    if (fault !== 'trip') throw new RangeError(`fake has no fault "${fault}"`);
    this.on.push({ fault, channel, since: 1 });
  }
  clear() {
    this.on = [];
  }
  active() {
    return this.on;
  }
  volts(cells: readonly (readonly [string, number])[]) {
    this.volted.push(...cells);
  }
}

let server: SimControlServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('simulator control channel', () => {
  it('checks every request from the wire before acting', () => {
    expect(parseRequest('{"op":"inject","fault":"trip","channel":3}')).toEqual({ op: 'inject', fault: 'trip', channel: 3 });
    expect(parseRequest('{"op":"steer","tower":null}')).toEqual({ op: 'steer', tower: null });
    expect(() => parseRequest('not json')).toThrow('not a JSON request');
    expect(() => parseRequest('[1,2]')).toThrow(/unknown op/);
    expect(() => parseRequest('{"op":"inject","fault":"trip","channel":1.5}')).toThrow('the channel is a whole number');
    expect(() => parseRequest('{"op":"steer","tower":[64,0]}')).toThrow('steer needs a tower [x, y] or null');
    expect(() => parseRequest('{"op":"volts","cells":[["ECAL1-3-3","1100"]]}')).toThrow('volts needs [[cell, volts], …]');
    expect(() => parseRequest('{"op":"__proto__"}')).toThrow(/unknown op/);
  });

  it('serves faults and voltages over TCP; refusals are sentences; hostile lines get an answer and the channel stays', async () => {
    const fake = new FakeSimulator();
    server = new SimControlServer(fake);
    const port = await server.listen(0);
    expect(await simControl('127.0.0.1', port, { op: 'inject', fault: 'trip', channel: 2 })).toMatchObject({ ok: true, simulator: { id: 'fake', active: [{ fault: 'trip', channel: 2 }], steering: false } });
    expect(await simControl('127.0.0.1', port, { op: 'inject', fault: 'melt', channel: null })).toEqual({ ok: false, error: 'fake has no fault "melt"' });
    expect(await simControl('127.0.0.1', port, { op: 'steer', tower: [1, 1] })).toEqual({ ok: false, error: 'fake has no beam to steer' });
    await simControl('127.0.0.1', port, { op: 'volts', cells: [['ECAL1-3-3', 1050]] });
    expect(fake.volted).toEqual([['ECAL1-3-3', 1050]]);
    // Garbage, then a line far too long: each answered with an error, the server still serves.
    const replies = await new Promise<string>((resolve) => {
      const s = createConnection({ host: '127.0.0.1', port });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.write('\x00\xff garbage\n');
      s.write('x'.repeat(300 * 1024));
    });
    expect(replies.split('\n').filter(Boolean).map((l) => JSON.parse(l))).toEqual([
      { ok: false, error: 'not a JSON request' },
      { ok: false, error: 'request too long' },
    ]);
    expect(await simControl('127.0.0.1', port, { op: 'clear' })).toMatchObject({ ok: true, simulator: { active: [] } });
  });

  it('says so when the simulator is not there', async () => {
    await expect(simControl('127.0.0.1', 9, { op: 'describe' })).rejects.toThrow(/the simulator at 127\.0\.0\.1:9 cannot be reached: connect ECONNREFUSED/);
  });
});

describe('device lifecycle backoff', () => {
  it('doubles the wait from 0.5 s to 10 s with ±20 % jitter, and starts again after success or a reconnect request', () => {
    let now = 0;
    let r = 0;
    const randoms = [0, 0.999, 0.5];
    const life = new DeviceLifecycle(() => now, { firstMs: 500, maxMs: 10_000, random: () => randoms[r++ % randoms.length]! });
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      life.lost('gone');
      waits.push(life.retryInMs());
    }
    const nominal = [500, 1000, 2000, 4000, 8000, 10_000, 10_000];
    waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(Math.floor(nominal[i]! * (1 - BACKOFF_JITTER)));
      expect(w).toBeLessThanOrEqual(Math.ceil(nominal[i]! * (1 + BACKOFF_JITTER)));
    });
    expect(waits.slice(0, 3)).toEqual([400, 1200, 2000]);
    expect(life.state()).toBe('offline');
    expect(life.why()).toMatch(/^gone; retrying in 2\.0 s$|^gone; retrying in \d+\.\d s$/);
    expect(life.mayConnect()).toBe(false);
    life.retryNow();
    expect(life.mayConnect()).toBe(true);
    now = 1;
    life.succeeded();
    life.lost('gone again');
    expect(life.retryInMs()).toBeLessThanOrEqual(600);
  });
});
