// The PSI DRS4 driver against the simulated board: in-process through the emulated USBDevice, and over
// USB/IP on 127.0.0.1 with the plugin's own opener. Identity from the status registers, the configuration,
// acquisitions whose volts are what the signal generator made for that trigger (to the ADC's 1/65536 V),
// no trigger between spills or with the SPS off, and each USB fault with the lifecycle it leads to.
import { afterEach, describe, expect, it } from 'vitest';
import { createDrs4Digitizer, Drs4Options, psiDrs4Plugin, type Drs4Digitizer } from '../../drivers/psi-drs4/driver';
import { codeToVolts, encodeRead, REG_MAGIC, voltsToCode } from '../../drivers/psi-drs4/protocol';
import { Drs4Simulator, startDrs4Simulator, type Drs4TruthEvent } from '../../drivers/psi-drs4/simulator';
import { DigitizerError, type DriverContext, type DriverState, type WaveformEvent } from '../../drivers/sdk/index';
import { emulateUsbDevice } from '../../drivers/transports/usb/emulated-device';
import { localTwinBeam } from '../../drivers/twin/beam';
import { loadSetup } from '../../setups/load';
import { deviceOf } from '../support/devices';

const setup = loadSetup('invisible-e');
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

/** S1 (a beam counter: every trigger has its −0.2 V pulse) on input 1, the SRD on input 3; trigger on S1's falling edge. */
const OPTIONS = {
  channels: [
    { input: 1, name: 'S1' },
    { input: 3, name: 'SRD' },
  ],
  samplingGHz: 5,
  trigger: { source: 1, levelV: -0.05, slope: 'negative' },
};

/**
 * A beam in spill from just now for 4.8 s (or, with `beam: false`, an hour before the first spill). The
 * spill's truth is generated up front: it takes a few hundred ms, which in this one process would otherwise
 * hold up the simulator's first answer past the driver's USB timeout.
 */
function beamOf(beam: boolean) {
  const twin = localTwinBeam({ setup, seed: 11, timeScale: 1, firstSpillAt: beam ? Date.now() - 50 : Date.now() + 3_600_000 });
  if (beam) twin.truth(0);
  return twin;
}

/** The states the driver went through (a new reason in the same state is not a new entry). */
function watch(d: Drs4Digitizer): DriverState[] {
  const seen: DriverState[] = [];
  d.onState((s) => {
    if (seen.at(-1) !== s) seen.push(s);
  });
  return seen;
}

/**
 * What the driver must read for a generated waveform: the code the ADC makes of each volt, on the range the
 * board really has (its readout-offset DAC is 16 bits, so its centre is a few µV off the nominal 0 V, which
 * the nominal calibration does not know), converted back with the nominal centre.
 */
const digitized = (volts: Float32Array, boardCenterV: number) => Float32Array.from(volts, (v) => codeToVolts(voltsToCode(v, boardCenterV), 0));

function expectTruth(event: WaveformEvent, truth: Drs4TruthEvent): void {
  expect(event.samplePeriodNs).toBeCloseTo(1 / 5.12, 12);
  expect(truth.samplePeriodNs).toBeCloseTo(1 / 5.12, 12);
  expect(event.triggerSample).toBe(truth.triggerSample);
  expect(event.waveforms.map((w) => w.channel)).toEqual([0, 2]);
  expect(Math.abs(truth.rangeCenterV)).toBeLessThan(1 / 65536);
  expect(event.waveforms[0]!.samples).toEqual(digitized(truth.volts[0]!, truth.rangeCenterV));
  expect(event.waveforms[1]!.samples).toEqual(digitized(truth.volts[2]!, truth.rangeCenterV));
  // The S1 pulse the comparator fired on is where the driver says the trigger is, at the generated height.
  const s1 = event.waveforms[0]!.samples;
  const peak = s1.reduce((m, v, i) => (v < s1[m]! ? i : m), 0);
  expect(peak - event.triggerSample).toBeGreaterThan(0);
  expect((peak - event.triggerSample) * event.samplePeriodNs).toBeLessThan(10);
  expect(s1[peak]!).toBeLessThan(-0.05);
  expect(Math.abs(s1[peak]! - Math.max(-0.5, truth.amplitudes[0]!))).toBeLessThan(0.005);
}

function emulatedRig(beam = true, options: object = OPTIONS) {
  const twin = beamOf(beam);
  const sim = new Drs4Simulator({ seed: 11, twin, serial: 2941 });
  const usb = emulateUsbDevice(sim.usb);
  sim.attachCable(usb);
  let skew = 0;
  const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
  const context: DriverContext = { now: () => Date.now() + skew, log: { info: () => {}, warn: (message, fields) => warnings.push({ message, fields }), error: () => {} } };
  let opened = 0;
  const drs = createDrs4Digitizer({ id: 'drs4-0', transport: { kind: 'usb', vendorId: 0x04b4, productId: 0x1175 }, options: Drs4Options.parse(options) }, context, {
    open: async () => {
      opened++;
      return usb;
    },
    usbTimeoutMs: 100,
  });
  cleanup.push(() => drs.close());
  return { twin, sim, usb, drs, warnings, seen: watch(drs), opened: () => opened, skip: (ms: number) => (skew += ms) };
}

describe('DRS4 driver ↔ simulated board (emulated USB device)', () => {
  it('identifies the board from its status registers and configures it', async () => {
    const { drs, seen, usb, sim, warnings } = emulatedRig(false);
    // Answers nobody read are stuck in the FX2's FIFO (an earlier host went away mid-read): drained at open.
    for (let i = 0; i < 2; i++) expect(await sim.usb.transferOut(4, encodeRead('status', REG_MAGIC, 2))).toBe('ok');
    const id = await drs.identify(2000);
    expect(warnings).toEqual([{ message: "bytes were stuck in the board's USB FIFO; drained", fields: { device: 'drs4-0', bytes: 4 } }]);
    expect(id).toMatchObject({ model: 'DRS4 Evaluation Board V5', serial: '2941', firmware: '30000' });
    expect(id.detail).toMatch(/REG_MAGIC 0xc0de, DRS type 4, board type 9, firmware 30000, serial 2941, temperature 35\.0 °C; USB 04b4:1175/);
    expect(id.detail).toMatch(/nominal voltage calibration/);
    expect(drs.identity()).toEqual(id);
    expect(drs.state()).toBe('online');
    expect(drs.stateReason()).toBe('configured: 5.120 GHz, trigger on input 1');
    expect(seen).toEqual(['connecting', 'online']);
    expect(usb.opened).toBe(true);
    expect(drs.channels()).toEqual([
      { index: 0, name: 'S1', rangeV: [-0.5, 0.5] },
      { index: 2, name: 'SRD', rangeV: [-0.5, 0.5] },
    ]);
  });

  it('reads triggers in the spill: the volts are what the generator made for that trigger', async () => {
    const { drs, sim } = emulatedRig();
    await drs.identify(2000);
    // SetFrequency(f, true) runs the domino wave with the trigger on, so a beam trigger may come then already.
    const before = sim.beamTriggerCount();
    expect(before).toBeLessThanOrEqual(1);
    for (let n = 1; n <= 3; n++) {
      const event = await drs.acquire(2000);
      expect(event).not.toBeNull();
      const truth = sim.lastEvent()!;
      expect(truth).toMatchObject({ soft: false, spill: 0 });
      expect(sim.beamTriggerCount()).toBe(before + n);
      expectTruth(event!, truth);
    }
    expect(drs.state()).toBe('online');
    expect(drs.lastSeenAt()).not.toBeNull();
  });

  it('gets no trigger between spills or with the SPS off, and stays online', async () => {
    const { drs, sim } = emulatedRig(false);
    expect(await drs.acquire(150)).toBeNull();
    expect(drs.state()).toBe('online');
    expect(drs.stateReason()).toBe('armed; no trigger within 150 ms');
    expect(sim.beamTriggerCount()).toBe(0);

    const inSpill = emulatedRig(true);
    inSpill.twin.off(true);
    expect(await inSpill.drs.acquire(150)).toBeNull();
    inSpill.twin.off(false);
    expect(await inSpill.drs.acquire(2000)).not.toBeNull();
  });

  it('gets no trigger when the level is beyond every pulse', async () => {
    const { drs, sim } = emulatedRig(true, { ...OPTIONS, trigger: { source: 2, levelV: 0.3, slope: 'positive' } });
    expect(await drs.acquire(200)).toBeNull();
    expect(sim.beamTriggerCount()).toBe(0);
  });

  it('unplugged mid-readout: offline at once, refused during the backoff, online again when plugged back', async () => {
    const { drs, sim, seen, usb, skip, opened } = emulatedRig();
    await drs.identify(2000);
    sim.inject('unplug', null);
    const lost = await drs.acquire(2000).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(DigitizerError);
    expect((lost as Error).message).toMatch(/read ram 0x0 \(18436 bytes\): the board is gone .*unplugged/);
    expect(usb.plugged).toBe(false);
    expect(drs.state()).toBe('offline');
    expect(drs.stateReason()).toMatch(/retrying in 0\.[4-6] s$/);
    await expect(drs.acquire(100)).rejects.toThrow(/drs4-0 is offline/);
    // Past the backoff, still unplugged: the attempt fails and the backoff doubles.
    skip(700);
    await expect(drs.acquire(100)).rejects.toThrow(/cannot be reached: open: the board is gone/);
    expect(drs.stateReason()).toMatch(/retrying in (0\.[89]|1\.[0-2]) s$/);
    sim.clear();
    expect(usb.plugged).toBe(true);
    skip(1500);
    const event = await drs.acquire(2000);
    expect(event).not.toBeNull();
    expectTruth(event!, sim.lastEvent()!);
    expect(seen).toEqual(['connecting', 'online', 'offline', 'connecting', 'offline', 'connecting', 'online']);
    expect(opened()).toBe(3);
  });

  it('a stalled EP 8 has its halt cleared and the read asked again once', async () => {
    const { drs, sim, seen } = emulatedRig();
    await drs.identify(2000);
    let cleared = 0;
    const clearHalt = sim.usb.clearHalt;
    // A transient FIFO overrun: the stall is gone once the host clears the halt.
    sim.usb.clearHalt = (direction, endpoint) => {
      cleared++;
      sim.clear();
      clearHalt(direction, endpoint);
    };
    sim.inject('stall', null);
    const event = await drs.acquire(2000);
    expect(event).not.toBeNull();
    expectTruth(event!, sim.lastEvent()!);
    expect(cleared).toBe(1);
    expect(drs.state()).toBe('online');
    expect(seen).toEqual(['connecting', 'online']);
  });

  it('an EP 8 that stalls again: degraded, then offline after three failures, online when cleared', async () => {
    const { drs, sim, seen } = emulatedRig();
    await drs.identify(2000);
    sim.inject('stall', null);
    await expect(drs.acquire(2000)).rejects.toThrow(/endpoint 8 \(IN\) stalled again after clearing its halt/);
    expect(drs.state()).toBe('degraded');
    await expect(drs.acquire(2000)).rejects.toThrow(/stalled again/);
    expect(drs.state()).toBe('degraded');
    await expect(drs.acquire(2000)).rejects.toThrow(/stalled again/);
    expect(drs.state()).toBe('offline');
    sim.clear();
    drs.reconnect();
    expect(await drs.acquire(2000)).not.toBeNull();
    expect(seen).toEqual(['connecting', 'online', 'degraded', 'offline', 'connecting', 'online']);
  });

  it('a short packet is an incomplete waveform: degraded, and online again at the next good read', async () => {
    const { drs, sim, seen } = emulatedRig();
    await drs.identify(2000);
    sim.inject('short-packet', null);
    await expect(drs.acquire(2000)).rejects.toThrow(/short packet, 9216 of 18436 bytes/);
    expect(drs.state()).toBe('degraded');
    sim.clear();
    const event = await drs.acquire(2000);
    expectTruth(event!, sim.lastEvent()!);
    expect(drs.state()).toBe('online');
    expect(seen).toEqual(['connecting', 'online', 'degraded', 'online']);
  });

  it('no data on EP 8: each read times out and resets the board; offline after three, back when it answers', async () => {
    const { drs, sim, seen } = emulatedRig();
    await drs.identify(2000);
    sim.inject('timeout', null);
    for (let i = 0; i < 3; i++) await expect(drs.acquire(2000)).rejects.toThrow(/read status 0x4 \(4 bytes\): no answer within 100 ms \(board reset\)/);
    expect(drs.state()).toBe('offline');
    sim.clear();
    drs.reconnect();
    const event = await drs.acquire(2000);
    expectTruth(event!, sim.lastEvent()!);
    expect(seen).toEqual(['connecting', 'online', 'degraded', 'offline', 'connecting', 'online']);
  });

  it('closes for good, and refuses a negative wait', async () => {
    const { drs } = emulatedRig(false);
    await drs.identify(2000);
    await expect(drs.acquire(-1)).rejects.toThrow(/must be ≥ 0 ms, not -1/);
    await drs.close();
    expect(drs.state()).toBe('offline');
    expect(drs.stateReason()).toBe('closed');
    await expect(drs.acquire(100)).rejects.toThrow(/drs4-0 is closed/);
  });
});

describe('DRS4 options', () => {
  it('are strict, with readable errors', () => {
    const base = { channels: [{ input: 1, name: 'S1' }], trigger: { source: 1, levelV: -0.05, slope: 'negative' } };
    expect(Drs4Options.parse(base)).toMatchObject({ samplingGHz: 5 });
    const issues = (o: unknown) => Drs4Options.safeParse(o).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(issues({ ...base, channels: [{ input: 1, name: 'a' }, { input: 1, name: 'b' }] })).toEqual(['channels: each input may be listed once']);
    expect(issues({ ...base, channels: [{ input: 5, name: 'a' }] })[0]).toMatch(/^channels.0.input: /);
    expect(issues({ ...base, samplingGHz: 6 })[0]).toMatch(/^samplingGHz: /);
    expect(issues({ ...base, rangeCenterV: -0.5 })[0]).toMatch(/^rangeCenterV: /);
    expect(issues({ ...base, trigger: { source: 1, levelV: 0, slope: 'up' } })[0]).toMatch(/^trigger.slope: /);
    expect(issues({ ...base, gain: 2 })[0]).toMatch(/gain/);
    expect(psiDrs4Plugin.manifest).toMatchObject({ id: 'psi-drs4', kind: 'digitizer', transports: ['usb', 'usbip'], capabilities: ['digitizer'] });
  });
});

describe('DRS4 driver ↔ simulated board over USB/IP on 127.0.0.1', () => {
  async function served(beam = true) {
    const twin = beamOf(beam);
    const server = await startDrs4Simulator({ port: 0, host: '127.0.0.1', seed: 11, twin, serial: 2941 });
    const drs = deviceOf(psiDrs4Plugin, 'drs4-ip', { kind: 'usbip', host: '127.0.0.1', port: server.port, busid: server.busid }, OPTIONS);
    cleanup.push(async () => {
      await drs.close();
      await server.close();
    });
    return { server, sim: server.simulator, drs, seen: watch(drs) };
  }

  it('identifies, configures and reads triggers whose volts match the generator', async () => {
    const { drs, sim, server } = await served();
    expect(server.busid).toBe('1-1');
    expect(await drs.identify(3000)).toMatchObject({ model: 'DRS4 Evaluation Board V5', serial: '2941', firmware: '30000' });
    expect(drs.address).toBe(`usbip 127.0.0.1:${server.port} bus 1-1`);
    for (let n = 0; n < 2; n++) {
      const event = await drs.acquire(2000);
      expectTruth(event!, sim.lastEvent()!);
    }
    expect(drs.state()).toBe('online');
  });

  it('no trigger between spills', async () => {
    const { drs } = await served(false);
    expect(await drs.acquire(150)).toBeNull();
    expect(drs.state()).toBe('online');
  });

  it('unplugged mid-readout: the import is dropped, offline; imported again once plugged back', async () => {
    const { drs, sim, seen } = await served();
    await drs.identify(3000);
    sim.inject('unplug', null);
    await expect(drs.acquire(2000)).rejects.toThrow(/the board is gone/);
    expect(drs.state()).toBe('offline');
    drs.reconnect();
    await expect(drs.acquire(500)).rejects.toThrow(/bus 1-1 is not exported/);
    sim.clear();
    drs.reconnect();
    const event = await drs.acquire(2000);
    expectTruth(event!, sim.lastEvent()!);
    expect(seen).toEqual(['connecting', 'online', 'offline', 'connecting', 'offline', 'connecting', 'online']);
  });

  it('over USB/IP a silent EP 8 is reset (PORT_RESET) and a stalled one cleared (CLEAR_FEATURE); both recover', async () => {
    const twin = beamOf(true);
    const server = await startDrs4Simulator({ port: 0, host: '127.0.0.1', seed: 12, twin });
    const entry = { id: 'drs4-ip', transport: { kind: 'usbip' as const, host: '127.0.0.1', port: server.port, busid: server.busid }, options: Drs4Options.parse(OPTIONS) };
    const drs = createDrs4Digitizer(entry, { now: Date.now, log: { info: () => {}, warn: () => {}, error: () => {} } }, { usbTimeoutMs: 200 });
    cleanup.push(async () => {
      await drs.close();
      await server.close();
    });
    const seen = watch(drs);
    const sim = server.simulator;
    await drs.identify(3000);
    sim.inject('timeout', null);
    await expect(drs.acquire(2000)).rejects.toThrow(/no answer within 200 ms \(board reset\)/);
    expect(drs.state()).toBe('degraded');
    sim.clear();
    expectTruth((await drs.acquire(2000))!, sim.lastEvent()!);
    sim.inject('stall', null);
    await expect(drs.acquire(2000)).rejects.toThrow(/endpoint 8 \(IN\) stalled again after clearing its halt/);
    sim.clear();
    expectTruth((await drs.acquire(2000))!, sim.lastEvent()!);
    expect(seen).toEqual(['connecting', 'online', 'degraded', 'online', 'degraded', 'online']);
  });

  it('a short packet over USB/IP is seen as such, and the next read is whole', async () => {
    const { drs, sim } = await served();
    await drs.identify(3000);
    sim.inject('short-packet', null);
    await expect(drs.acquire(2000)).rejects.toThrow(/short packet, 9216 of 18436 bytes/);
    expect(drs.state()).toBe('degraded');
    sim.clear();
    expectTruth((await drs.acquire(2000))!, sim.lastEvent()!);
    expect(drs.state()).toBe('online');
  });
});
