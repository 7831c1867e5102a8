// The real VME drivers (caen-v830, vme-timing) and the MVLC bridge client against the simulated crate on
// 127.0.0.1 over UDP, following a local simulated beam with a time scale that makes a spill 0.3 s (a cycle
// 1.05 s). Counts per spill equal the generator's truth; the timing pulses come WWE → WE → EE with the
// beam's spacing; every fault of the crate does what it says, and the drivers say so.
import { createSocket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { caenV830Plugin } from '../../drivers/caen-v830/driver';
import { V830, countIncrement } from '../../drivers/caen-v830/registers';
import { spillCounts } from '../../drivers/caen-v830/simulator';
import { ScalerError, type BeamScaler, type DriverState, type SpsTiming, type TimingEvent } from '../../drivers/sdk/index';
import { localTwinBeam, type TwinBeam } from '../../drivers/twin/beam';
import { vmeBridge, VmeCycleError } from '../../drivers/vme/bridge';
import { AM, bytesToWords, decodeEthHeader } from '../../drivers/vme/mvlc-protocol';
import { startVmeCrateSimulator, VmeCrateSimulator, type VmeCrateModules } from '../../drivers/vme/simulator';
import { vmeTimingPlugin } from '../../drivers/vme-timing/driver';
import { loadSetup } from '../../setups/load';
import { deviceOf, quietContext } from '../support/devices';

const setup = loadSetup('invisible-e');
/** 4.8 s spills become 0.3 s, the 16.8 s cycle 1.05 s, WWE's 1 s lead 62.5 ms. */
const TIME_SCALE = 16;
const V830_BASE = 0x00100000;
const V977_BASE = 0x00200000;
const CHANNELS = [
  { index: 5, name: 'trigger (dead-time gated)', role: 'trigger' },
  { index: 0, name: 'S1', role: 'S1' },
  { index: 1, name: 'S2', role: 'S2' },
  { index: 2, name: 'Sc', role: 'Sc' },
  { index: 3, name: 'V1', role: 'veto' },
  { index: 4, name: 'trigger (ungated)', role: 'trigger-ungated' },
  { index: 9, name: 'spare', role: 'other' },
] as const;
const ROLE_AT = Object.fromEntries(CHANNELS.map((c, i) => [c.role, i])) as Record<(typeof CHANNELS)[number]['role'], number>;

let beam: TwinBeam;
beforeAll(() => {
  beam = localTwinBeam({ setup, seed: 5, timeScale: TIME_SCALE, firstSpillAt: Date.now() + 300 });
  beam.truth(0);
});
afterAll(() => beam.close());

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function crate(modules: VmeCrateModules, twin = beam) {
  const c = await startVmeCrateSimulator({ port: 0, host: '127.0.0.1', seed: 5, twin, modules });
  cleanup.push(() => c.close());
  return { ...c, transport: { kind: 'udp', host: '127.0.0.1', port: c.port } };
}

function scaler(port: number, options: Record<string, unknown> = {}): BeamScaler {
  const d = deviceOf(caenV830Plugin, 'scaler-0', { kind: 'udp', host: '127.0.0.1', port }, { base: '0x00100000', channels: CHANNELS, ...options });
  cleanup.push(() => d.close());
  return d;
}

function timing(port: number, inputs: Record<string, number>, options: Record<string, unknown> = {}): SpsTiming {
  const d = deviceOf(vmeTimingPlugin, 'timing-0', { kind: 'udp', host: '127.0.0.1', port }, { base: V977_BASE, inputs, addressing: 'A24', ...options });
  cleanup.push(() => d.close());
  return d;
}

/** Wait until the next spill of `b` has ended (plus a margin); its index. */
async function afterSpill(b: TwinBeam = beam): Promise<number> {
  const now = b.now();
  const index = now.phase === 'spill' ? now.index : now.index + 1;
  await sleep(b.spillStart(index) + now.spillMs + 40 - Date.now());
  return index;
}

/** Wait until between spills, well before the next one. */
async function interspill(b: TwinBeam = beam): Promise<void> {
  const now = b.now();
  if (now.phase === 'interspill' && now.phaseEndsAt! - Date.now() > 300) return;
  await afterSpill(b);
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(probe)
      .catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function increments(before: { counts: number[]; bits: number }, after: { counts: number[] }): number[] {
  return before.counts.map((c, i) => countIncrement(c, after.counts[i]!, before.bits as 26 | 32));
}

describe('the MVLC bridge client', () => {
  it('shares one client per address, runs single cycles (A24/A32, D16/D32) and block reads, and closes by reference count', async () => {
    const c = await crate({ v830: { base: V830_BASE } });
    const a = vmeBridge(c.transport as never, quietContext);
    const b = vmeBridge(c.transport as never, quietContext);
    expect(a.client).toBe(b.client);
    expect(await a.identity()).toMatchObject({ hardwareId: 0x5008, firmware: 0x0039, text: 'MVLC hardware 0x5008, firmware FW0039' });
    expect(await a.read(V830_BASE + V830.FIRMWARE, AM.A32, 'D16')).toBe(0x0106);
    expect(await b.read(V830_BASE + V830.FIRMWARE, AM.A24, 'D16')).toBe(0x0106);
    await a.write(V830_BASE + V830.CHANNEL_ENABLE, AM.A32, 'D32', 0x8000000f);
    expect(await b.read(V830_BASE + V830.CHANNEL_ENABLE, AM.A32, 'D32')).toBe(0x8000000f);
    await a.write(V830_BASE + V830.CONTROL, AM.A32, 'D16', 0x11);
    await a.write(V830_BASE + V830.SOFTWARE_TRIGGER, AM.A32, 'D16', 1);
    await a.write(V830_BASE + V830.SOFTWARE_TRIGGER, AM.A32, 'D16', 1);
    expect(await a.read(V830_BASE + V830.MEB_EVENT_COUNT, AM.A32, 'D16')).toBe(2);
    // Two events of 5 channels; the BLT ends at the module's BERR when the MEB runs dry.
    expect(await a.blockRead(V830_BASE, AM.A32_BLT, 100)).toHaveLength(10);
    const [count, , firmware] = await a.cycles([
      { op: 'read', address: V830_BASE + V830.MEB_EVENT_COUNT, am: AM.A32, width: 'D16' },
      { op: 'write', address: V830_BASE + V830.SOFTWARE_TRIGGER, am: AM.A32, width: 'D16', value: 1 },
      { op: 'read', address: V830_BASE + V830.FIRMWARE, am: AM.A32, width: 'D16' },
    ]);
    expect([count, firmware]).toEqual([0, 0x0106]);
    // 100 triggers in one stack: uploaded in two parts whose mirrors need a continuation frame (0xF2);
    // the 500 words read back come in a 0xF3 frame and a 0xF9 continuation in two datagrams.
    const trigger = { op: 'write', address: V830_BASE + V830.SOFTWARE_TRIGGER, am: AM.A32, width: 'D16', value: 1 } as const;
    await a.blockRead(V830_BASE, AM.A32_BLT, 100);
    await b.cycles(Array.from({ length: 100 }, () => trigger));
    expect(await a.read(V830_BASE + V830.MEB_EVENT_COUNT, AM.A32, 'D16')).toBe(100);
    const meb = await a.blockRead(V830_BASE, AM.A32_BLT, 1000);
    expect(meb).toHaveLength(500);
    const s1 = meb.filter((_, i) => i % 5 === 0);
    expect(s1).toEqual([...s1].sort((x, y) => x - y));

    await expect(a.read(0x00900000, AM.A32, 'D16')).rejects.toMatchObject({ name: 'VmeCycleError', reason: 'no-response' });
    await expect(a.read(V830_BASE + V830.COUNTERS, AM.A32, 'D16')).rejects.toThrow(/VME bus error at 0x00101000/);
    await expect(a.read(V830_BASE + 0x10000, AM.A24, 'D16')).rejects.toBeInstanceOf(VmeCycleError);

    await a.close();
    await a.close();
    await expect(a.read(V830_BASE + V830.FIRMWARE, AM.A32, 'D16')).rejects.toThrow(/handle .* is closed/);
    expect(await b.read(V830_BASE + V830.FIRMWARE, AM.A32, 'D16')).toBe(0x0106);
    await b.close();
    const again = vmeBridge(c.transport as never, quietContext);
    expect(again.client).not.toBe(b.client);
    expect(await again.read(V830_BASE + V830.FIRMWARE, AM.A32, 'D16')).toBe(0x0106);
    await again.close();
    expect(() => vmeBridge({ kind: 'tcp', host: '127.0.0.1', port: 1 }, quietContext)).toThrow(/speaks UDP/);
  });

  it('sends a lost request again, but never runs a stack twice when only its answer was lost', async () => {
    const socket = createSocket('udp4');
    let dropRequest = 0;
    let dropAnswer = 0;
    let stacksRun = 0;
    const sim = new VmeCrateSimulator({ port: 0, seed: 1, twin: beam, modules: { v830: { base: V830_BASE } } }, (d, to) => {
      // The MVLC ran the stack; the datagram with its output (packet channel 1) is lost on the way back.
      if (decodeEthHeader(d.readUInt32LE(0), d.readUInt32LE(4)).channel === 1 && dropAnswer > 0) return void dropAnswer--;
      socket.send(d, to.port, to.address);
    });
    socket.on('message', (d, from) => {
      const runsStack = bytesToWords(d).includes(0x02041100);
      if (runsStack && dropRequest > 0) return void dropRequest--;
      if (runsStack) stacksRun++;
      sim.handle(d, from);
    });
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    cleanup.push(() => new Promise<void>((r) => socket.close(() => r())));
    const bridge = vmeBridge({ kind: 'udp', host: '127.0.0.1', port: socket.address().port }, quietContext, { answerMs: 150 });
    cleanup.push(() => bridge.close());
    await bridge.write(V830_BASE + V830.CONTROL, AM.A32, 'D16', 0x11);

    dropRequest = 1;
    const before = stacksRun;
    await bridge.write(V830_BASE + V830.SOFTWARE_TRIGGER, AM.A32, 'D16', 1);
    expect(stacksRun - before).toBe(1);
    expect(await bridge.read(V830_BASE + V830.MEB_EVENT_COUNT, AM.A32, 'D16')).toBe(1);

    dropAnswer = 1;
    await expect(bridge.write(V830_BASE + V830.SOFTWARE_TRIGGER, AM.A32, 'D16', 1)).rejects.toMatchObject({ reason: 'response-lost' });
    // It ran once: one more event, not two.
    expect(await bridge.read(V830_BASE + V830.MEB_EVENT_COUNT, AM.A32, 'D16')).toBe(2);
  });
});

describe('CAEN V830 and SPS timing on one bridge', () => {
  it('reads the scaler at every EE: the counts of each spill are the generator’s truth; WWE → WE → EE come with the beam’s spacing', async () => {
    const c = await crate({ v830: { base: V830_BASE }, v977: { base: V977_BASE, inputs: { WWE: 0, WE: 1, EE: 2, spsOn: 3 } } });
    const s = scaler(c.port);
    const t = timing(c.port, { WWE: 0, WE: 1, EE: 2, spsOn: 3 });
    expect(s.kind).toBe('scaler');
    expect(await s.identify(2000)).toMatchObject({ model: 'V830', serial: '105', firmware: '1.06' });
    expect(s.identity()!.detail).toMatch(/at 0x00100000 A32; 32-bit, 7 channels enabled; via MVLC hardware 0x5008, firmware FW0039/);
    expect(c.simulator.v830!.controlRegister()).toBe(0x11);
    expect(s.model).toBe(`CAEN V830 via MVLC 127.0.0.1:${c.port}`);
    expect(t.source).toBe(`V977 input register at 0x00200000 via MVLC 127.0.0.1:${c.port}`);

    const events: TimingEvent[] = [];
    const readings: { index: number; reading: Awaited<ReturnType<BeamScaler['read']>> }[] = [];
    const reads: Promise<void>[] = [];
    const phases: string[] = [];
    await t.start((e) => {
      events.push(e);
      if (e.signal === 'WE') setTimeout(() => phases.push(t.beam().phase), 20);
      if (e.signal === 'EE') {
        const index = beam.now(e.at).index;
        reads.push(s.read().then((reading) => void readings.push({ index, reading })));
      }
    });
    expect(await t.identify(1000)).toMatchObject({ model: 'V977', serial: '205', firmware: '2.1' });
    await until('two end-of-spill readings', () => readings.length >= 2, 4500);
    await Promise.all(reads);
    const [r0, r1] = readings;
    expect(r1!.index).toBe(r0!.index + 1);
    const truth = spillCounts(beam.truth(r1!.index));
    const got = increments(r0!.reading, r1!.reading);
    for (const role of ['S1', 'S2', 'Sc', 'veto', 'trigger-ungated', 'trigger'] as const) expect(got[ROLE_AT[role]], role).toBe(truth[role]);
    expect(got[ROLE_AT.other]).toBe(0);
    expect(r1!.reading.bits).toBe(32);

    // The signals, in order, with the beam's spacing (the poll is 10 ms).
    const signals = events.map((e) => e.signal).filter((x) => x !== 'SPS-ON');
    const first = signals.indexOf('WWE');
    expect(signals.slice(first, first + 6)).toEqual(['WWE', 'WE', 'EE', 'WWE', 'WE', 'EE']);
    const at = (signal: string, n: number) => events.filter((e) => e.signal === signal)[n]!;
    const we = at('WE', 0);
    const index = Math.round((we.at - beam.spillStart(0)) / beam.now().cycleMs);
    expect(Math.abs(we.at - beam.spillStart(index))).toBeLessThan(40);
    expect(we.at - events.filter((e) => e.signal === 'WWE' && e.at <= we.at).at(-1)!.at).toBeGreaterThan(62.5 - 30);
    expect(we.at - events.filter((e) => e.signal === 'WWE' && e.at <= we.at).at(-1)!.at).toBeLessThan(62.5 + 30);
    expect(Math.abs(at('EE', events.filter((e) => e.signal === 'EE' && e.at < we.at).length).at - we.at - 300)).toBeLessThan(30);
    expect(Math.abs(at('WE', 1).at - we.at - 1050)).toBeLessThan(30);
    expect(at('WE', 1).sequence).toBe(we.sequence + 1);
    expect(at('WWE', 1).sequence).toBe(at('WE', 1).sequence);
    expect(phases[0]).toBe('spill');
    const b = t.beam();
    expect(Math.abs(b.spillMs - 300)).toBeLessThan(30);
    expect(Math.abs(b.cycleMs - 1050)).toBeLessThan(30);
    expect(t.state()).toBe('online');
  });

  it('sps-off: SPS-OFF and phase "off" when the level drops, no pulses, SPS-ON when it is back', async () => {
    const c = await crate({ v977: { base: V977_BASE, inputs: { WWE: 4, WE: 5, EE: 6, spsOn: 7 } } });
    const t = timing(c.port, { WWE: 4, WE: 5, EE: 6, spsOn: 7 });
    const events: TimingEvent[] = [];
    await t.start((e) => events.push(e));
    await until('a WE', () => events.some((e) => e.signal === 'WE'), 2000);
    c.simulator.inject('sps-off', null);
    const off = await until('SPS-OFF', () => events.find((e) => e.signal === 'SPS-OFF'), 500);
    expect(t.beam()).toMatchObject({ phase: 'off', phaseStartedAt: off.at, phaseEndsAt: null });
    await sleep(1100);
    expect(events.filter((e) => e.at > off.at && e.signal !== 'SPS-OFF')).toEqual([]);
    c.simulator.clear();
    await until('SPS-ON', () => events.find((e) => e.signal === 'SPS-ON' && e.at > off.at), 500);
    expect(t.beam().phase).toBe('interspill');
  });

  it('without an SPS-on level: SPS-OFF after 3 cycles without WWE (the cycle learned from WE), SPS-ON when pulses resume', async () => {
    // A faster beam of its own: a 350 ms cycle.
    const fast = localTwinBeam({ setup, seed: 6, timeScale: 48, firstSpillAt: Date.now() + 600 });
    fast.truth(0);
    cleanup.push(async () => fast.close());
    const c = await crate({ v977: { base: V977_BASE, inputs: { WWE: 0, WE: 1, EE: 2 } } }, fast);
    const t = timing(c.port, { WWE: 0, WE: 1, EE: 2 }, { pollMs: 5 });
    const events: TimingEvent[] = [];
    await t.start((e) => events.push(e));
    await until('three WEs', () => events.filter((e) => e.signal === 'WE').length >= 3, 2000);
    expect(Math.abs(t.beam().cycleMs - 350)).toBeLessThan(25);
    c.simulator.inject('sps-off', null);
    const lastWwe = events.filter((e) => e.signal === 'WWE').at(-1)!;
    const off = await until('SPS-OFF', () => events.find((e) => e.signal === 'SPS-OFF'), 2000);
    // Three cycles as learned (350 ± 25 ms, above), less a poll.
    expect(off.at - lastWwe.at).toBeGreaterThan(3 * (350 - 25) - 20);
    expect(off.at - lastWwe.at).toBeLessThan(3 * 350 + 380);
    expect(t.beam().phase).toBe('off');
    c.simulator.clear();
    const on = await until('SPS-ON', () => events.find((e) => e.signal === 'SPS-ON'), 1000);
    // It comes with the first pulse after the silence, whichever of the cycle that is.
    const next = events[events.indexOf(on) + 1]!;
    expect(['WWE', 'WE', 'EE']).toContain(next.signal);
    expect(next.at).toBe(on.at);
    expect(t.beam().phase).not.toBe('off');
  });
});

describe('crate faults seen through the V830 driver', () => {
  it('overflow (32-bit and 26-bit): the counters wrap during the next spill and the modular increment is still the truth', async () => {
    await interspill();
    const wrapped = async (format: '32-bit' | '26-bit') => {
      const c = await crate({ v830: { base: V830_BASE } });
      const s = scaler(c.port, { format });
      await s.read();
      c.simulator.inject('overflow', null);
      expect(c.simulator.active().map((f) => f.fault)).toEqual(['overflow']);
      return { s, near: await s.read() };
    };
    const runs = await Promise.all((['32-bit', '26-bit'] as const).map(wrapped));
    const index = await afterSpill();
    const truth = spillCounts(beam.truth(index));
    for (const [k, { s, near }] of runs.entries()) {
      const bits = k === 0 ? 32 : 26;
      expect(near.bits).toBe(bits);
      expect(near.counts[ROLE_AT.S1]).toBeGreaterThan(2 ** bits - 5_000_000);
      const after = await s.read();
      expect(after.counts[ROLE_AT.S1], `${bits} bits`).toBeLessThan(near.counts[ROLE_AT.S1]!);
      expect(increments(near, after)[ROLE_AT.S1]).toBe(truth.S1);
      expect(increments(near, after)[ROLE_AT.trigger]).toBe(truth.trigger);
    }
  });

  it('stuck-channel stops one counter; miscount makes the beam counters count 5 % more than the beam', async () => {
    const c = await crate({ v830: { base: V830_BASE } });
    const s = scaler(c.port);
    await interspill();
    const before = await s.read();
    c.simulator.inject('stuck-channel', 1);
    c.simulator.inject('miscount', null);
    const index = await afterSpill();
    const got = increments(before, await s.read());
    const truth = spillCounts(beam.truth(index));
    expect(got[ROLE_AT.S2]).toBe(0);
    expect(Math.abs(got[ROLE_AT.S1]! - 1.05 * truth.S1)).toBeLessThanOrEqual(1);
    expect(Math.abs(got[ROLE_AT.Sc]! - 1.05 * truth.Sc)).toBeLessThanOrEqual(1);
    expect(got[ROLE_AT.trigger]).toBe(truth.trigger);
    expect(got[ROLE_AT.veto]).toBe(truth.veto);
    expect(c.simulator.active()).toEqual([
      { fault: 'stuck-channel', channel: 1, since: expect.any(Number) },
      { fault: 'miscount', channel: null, since: expect.any(Number) },
    ]);
  });

  it('two reads at once (an operator\'s "read now" during the end-of-burst read) each read their own event', async () => {
    const c = await crate({ v830: { base: V830_BASE } });
    const s = scaler(c.port);
    await s.read();
    await afterSpill();
    await interspill();
    const [a, b, d] = await Promise.all([s.read(), s.read(), s.read()]);
    expect(b.counts).toEqual(a.counts);
    expect(d.counts).toEqual(a.counts);
    expect(a.counts[ROLE_AT.S1]).toBeGreaterThan(0);
  });

  it('missing-eob: the end-of-spill read fails with a ScalerError within its timeout', async () => {
    const c = await crate({ v830: { base: V830_BASE } });
    const s = scaler(c.port, { timeoutMs: 800 });
    await s.read();
    c.simulator.inject('missing-eob', null);
    await afterSpill();
    const started = Date.now();
    const error = await s.read().catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(ScalerError);
    expect((error as Error).message).toMatch(/scaler-0: no answer within 800 ms/);
    expect(took).toBeGreaterThanOrEqual(790);
    expect(took).toBeLessThan(1200);
    expect(s.state()).toBe('offline');
  });

  it('disconnect: offline while the bridge is silent, online again when it answers', async () => {
    const c = await crate({ v830: { base: V830_BASE } });
    const s = scaler(c.port, { timeoutMs: 3000 });
    const seen: DriverState[] = [];
    s.onState((state) => seen.push(state));
    await s.read();
    expect(s.state()).toBe('online');
    c.simulator.inject('disconnect', null);
    await expect(s.read()).rejects.toThrow(ScalerError);
    expect(s.state()).toBe('offline');
    expect(s.stateReason()).toMatch(/did not answer within 500 ms \(3 attempts\); retrying in/);
    await expect(s.read()).rejects.toThrow(/offline/);
    c.simulator.clear();
    await until('a read after the bridge is back', () => s.read(), 3000);
    expect(s.state()).toBe('online');
    expect(seen).toEqual(expect.arrayContaining(['offline', 'connecting', 'online']));
    expect(seen.lastIndexOf('online')).toBeGreaterThan(seen.indexOf('offline'));
  });

  it('the crate refuses faults it cannot do, with a reason', async () => {
    const c = await crate({ v977: { base: V977_BASE, inputs: { WWE: 0, WE: 1, EE: 2 } } });
    expect(c.simulator.faults().map((f) => f.id)).toEqual(['missing-eob', 'sps-off', 'disconnect']);
    expect(() => c.simulator.inject('overflow', null)).toThrow(/needs a V830 in the crate/);
    expect(() => c.simulator.inject('melt', null)).toThrow(/unknown fault "melt"/);
    expect(() => c.simulator.inject('disconnect', 3)).toThrow(/whole crate/);
    const d = await crate({ v830: { base: V830_BASE } });
    expect(() => d.simulator.inject('stuck-channel', null)).toThrow(/channel 0–31/);
    expect(() => d.simulator.inject('stuck-channel', 32)).toThrow(/channel 0–31/);
  });

  it('options: a base as "0x…" or a number, aligned; A24 only below 16 MB; each channel once', () => {
    const parse = (o: unknown) => caenV830Plugin.manifest.options.safeParse(o);
    expect(parse({ base: '0x00100000', channels: [{ index: 0, name: 'S1', role: 'S1' }] }).data).toMatchObject({ base: 0x100000, format: '32-bit', addressing: 'A32', timeoutMs: 2000 });
    expect(parse({ base: 0x00100004, channels: [{ index: 0, name: 'S1', role: 'S1' }] }).error?.message).toMatch(/multiple of 0x10000/);
    expect(parse({ base: '0x1000000', addressing: 'A24', channels: [{ index: 0, name: 'S1', role: 'S1' }] }).error?.message).toMatch(/beyond the A24 space/);
    expect(parse({ base: 0, channels: [{ index: 0, name: 'a', role: 'S1' }, { index: 0, name: 'b', role: 'S2' }] }).error?.message).toMatch(/once/);
    expect(parse({ base: 'ten', channels: [{ index: 0, name: 'S1', role: 'S1' }] }).error?.message).toMatch(/hex string/);
    expect(vmeTimingPlugin.manifest.options.safeParse({ base: 0, inputs: { WWE: 1, WE: 1, EE: 2 } }).error?.message).toMatch(/input of its own/);
    expect(vmeTimingPlugin.manifest.options.safeParse({ base: 0, inputs: { WWE: 0, WE: 1, EE: 2 } }).data?.pollMs).toBe(10);
  });
});
