// The real drivers against their simulators over real transports: TCP on loopback and a serial port
// (serialport's mock binding with the simulator at the device end, echo on as iseg's factory default).
// Lifecycle: a disconnect takes the driver offline, it reconnects with backoff when the device is back;
// garbage replies make it degraded; a refused write says why.
import { afterEach, describe, expect, it } from 'vitest';
import { caenN1470Plugin } from '../../drivers/caen-n1470/driver';
import { CaenN1470Simulator } from '../../drivers/caen-n1470/simulator';
import { isegScpiPlugin } from '../../drivers/iseg-scpi/driver';
import { IsegScpiSimulator } from '../../drivers/iseg-scpi/simulator';
import type { DriverState, HvSupply } from '../../drivers/sdk/index';
import type { HvSimulatorBase } from '../../drivers/twin/hv-simulator';
import { PmtVoltages } from '../../drivers/twin/pmt-voltages';
import { deviceOf } from '../support/devices';

const log = { info: () => {}, warn: () => {}, error: () => {} };
const context = { log, now: Date.now };
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function channels(n: number, max: number, cell = (_i: number): string | null => null) {
  return Array.from({ length: n }, (_, i) => ({ maxVolts: max, maxMicroamps: 1000, cell: cell(i), vset: 1000, iset: 300, on: i % 2 === 0 }));
}

function keep<T extends HvSupply>(driver: T, sim: HvSimulatorBase): T {
  cleanup.push(async () => {
    await driver.close();
    await sim.close();
  });
  return driver;
}

const states = (d: HvSupply) => {
  const seen: DriverState[] = [];
  d.onState((s) => seen.push(s));
  return seen;
};

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('CAEN N1470 driver ↔ simulator', () => {
  it('over TCP: reads a chain of boards, writes every parameter, follows a trip, survives a disconnect', async () => {
    const pmt = new PmtVoltages(new Map([['HCAL0-0-0', 1500]]));
    const sim = new CaenN1470Simulator({ simulatorId: 'hv-caen-0', seed: 3, timeScale: 20, now: Date.now, pmt }, channels(12, 8000, (i) => (i === 0 ? 'HCAL0-0-0' : null)));
    sim.start(20);
    const port = await sim.listenTcp(0);
    const d = keep(deviceOf(caenN1470Plugin, 'hv-caen-0', { kind: 'tcp', host: '127.0.0.1', port }, { boards: 3 }, context), sim);
    const seen = states(d);
    const p = await d.poll();
    expect(p.channels).toHaveLength(12);
    expect(p.boards.map((b) => b.board)).toEqual([0, 1, 2]);
    expect(p.channels[4]).toMatchObject({ channel: 4, vset: 1000, iset: 300, on: true, conditions: ['on'] });
    expect(d.channels()[5]).toEqual({ channel: 5, board: 1, boardChannel: 1 });
    expect(d.state()).toBe('online');

    await d.set(5, 'vset', 1200);
    await d.set(5, 'iset', 250.5);
    await d.set(5, 'rampUp', 100);
    await d.set(5, 'rampDown', 25);
    await d.set(5, 'tripTime', 2.5);
    await d.set(5, 'maxV', 2000);
    await d.switch(5, true);
    const after = (await d.poll()).channels[5]!;
    expect(after).toMatchObject({ vset: 1200, iset: 250.5, rampUp: 100, rampDown: 25, tripTime: 2.5, maxV: 2000, on: true });
    await expect(d.set(5, 'vset', 2500)).rejects.toThrow(/VAL:ERR/); // above MAXV 2000
    await expect(d.set(5, 'vset', 9000)).rejects.toThrow(/between 0 and 8000/);
    await expect(d.switch(99, true)).rejects.toThrow(/channels 0–11/);

    // The output reaches the twin's PMT voltages; switching off ramps it down.
    expect(pmt.get('HCAL0-0-0')).toBeCloseTo(1000, -1);
    await d.switch(0, false);
    await until('HCAL0-0-0 to ramp down', async () => (pmt.get('HCAL0-0-0')! < 900 ? true : null));

    sim.inject('trip', 2);
    const tripped = await until('the trip', async () => (await d.poll()).channels.find((c) => c.channel === 2 && c.conditions.includes('trip')) ?? null);
    expect(tripped.on).toBe(false);
    expect(tripped.latched).toContain('trip');

    sim.inject('disconnect', null);
    await expect(d.poll()).rejects.toThrow(/connection closed|cannot be reached|offline/);
    expect(d.state()).toBe('offline');
    await expect(d.poll()).rejects.toThrow(/offline|cannot be reached/);
    sim.clear();
    await until('reconnect', async () => ((await d.poll()).channels.length === 12 ? true : null));
    expect(d.state()).toBe('online');
    expect(seen).toEqual(expect.arrayContaining(['connecting', 'online', 'offline']));
  });

  it('over a serial port, and garbage replies make it degraded, then it drops and reopens the link', async () => {
    const sim = new CaenN1470Simulator({ simulatorId: 'hv-caen-s', seed: 4, timeScale: 1, now: Date.now, pmt: null }, channels(4, 8000));
    sim.serialPort('sim:caen-serial-test');
    const d = keep(deviceOf(caenN1470Plugin, 'hv-caen-s', { kind: 'serial', path: 'sim:caen-serial-test' }, { boards: 1, timeoutMs: 300 }, context), sim);
    expect((await d.poll()).channels).toHaveLength(4);
    sim.inject('garbage-replies', null);
    await expect(d.poll()).rejects.toThrow(/not a \$BD: reply/);
    expect(d.state()).toBe('degraded');
    sim.clear();
    await until('recovery', async () => ((await d.poll()).channels.length === 4 ? true : null));
    expect(d.state()).toBe('online');
    sim.inject('local-mode', null);
    await expect(d.set(0, 'vset', 900)).rejects.toThrow(/LOC:ERR .*LOCAL mode/);
    expect((await d.poll()).boards[0]!.control).toBe('local');
  });
});

describe('iseg SCPI driver ↔ simulator', () => {
  it('over TCP (no echo): reads channel lists, writes with ;*OPC?, clears a trip', async () => {
    const sim = new IsegScpiSimulator({ simulatorId: 'hv-iseg-0', seed: 5, timeScale: 20, now: Date.now, pmt: null }, channels(8, 3000));
    const port = await sim.listenTcp(0);
    const d = keep(deviceOf(isegScpiPlugin, 'hv-iseg-0', { kind: 'tcp', host: '127.0.0.1', port }, { channels: 8 }, context), sim);
    const p = await d.poll();
    expect(p.channels).toHaveLength(8);
    expect(p.boards[0]!.model).toBe('EHS8030n');
    expect(p.channels[0]).toMatchObject({ vset: 1000, iset: 300, on: true });
    await d.set(1, 'vset', 1500);
    await d.set(1, 'iset', 123.4);
    await d.set(1, 'rampUp', 80);
    await d.set(1, 'rampDown', 40);
    await d.set(1, 'tripTime', 0.5);
    await d.switch(1, true);
    expect((await d.poll()).channels[1]).toMatchObject({ vset: 1500, iset: 123.4, rampUp: 80, rampDown: 40, tripTime: 0.5, on: true });
    await expect(d.set(1, 'maxV', 2000)).rejects.toThrow(/potentiometer/);
    sim.inject('trip', 0);
    await until('the trip', async () => ((await d.poll()).channels[0]!.conditions.includes('trip') ? true : null));
    sim.clear();
    await expect(d.switch(0, true)).rejects.toThrow(/clear the current trip event first/);
    await d.clearAlarms(0);
    await d.switch(0, true);
    const back = await until('on again', async () => ((await d.poll()).channels[0]!.on ? (await d.poll()).channels[0]! : null));
    expect(back.latched).not.toContain('trip');
  });

  it('over a serial port with echo (the factory default): finds the echo and keeps in step', async () => {
    const sim = new IsegScpiSimulator({ simulatorId: 'hv-iseg-s', seed: 6, timeScale: 1, now: Date.now, pmt: null }, channels(4, 3000));
    sim.serialPort('sim:iseg-serial-test', true);
    const d = keep(deviceOf(isegScpiPlugin, 'hv-iseg-s', { kind: 'serial', path: 'sim:iseg-serial-test' }, { channels: 4 }, context), sim);
    expect((await d.poll()).channels.map((c) => c.vset)).toEqual([1000, 1000, 1000, 1000]);
    await d.set(3, 'vset', 777);
    expect((await d.poll()).channels[3]!.vset).toBe(777);
    sim.inject('disconnect', null);
    await expect(d.poll()).rejects.toThrow();
    expect(d.state()).toBe('offline');
    sim.clear();
    await until('reconnect', async () => ((await d.poll()).channels.length === 4 ? true : null));
  });

  it('refuses a device that is not an iseg module, and one with fewer channels than configured', async () => {
    const sim = new IsegScpiSimulator({ simulatorId: 'small', seed: 7, timeScale: 1, now: Date.now, pmt: null }, channels(2, 3000));
    const port = await sim.listenTcp(0);
    const d = keep(deviceOf(isegScpiPlugin, 'small', { kind: 'tcp', host: '127.0.0.1', port }, { channels: 4 }, context), sim);
    await expect(d.poll()).rejects.toThrow(/has 2 channels, the configuration expects 4/);
    expect(() => deviceOf(isegScpiPlugin, 'small', { kind: 'tcp', host: 'x', port: 0 }, { channels: 4 })).toThrow(/port/i);
    expect(() => deviceOf(isegScpiPlugin, 'small', { kind: 'tcp', host: 'x', port: 1 }, { channels: 49 })).toThrow();
  });
});
