// The SCPI oscilloscope driver against its simulated Rigol DS1104Z, as an emulated USB device in-process and
// over USB/IP on 127.0.0.1: identity, the setup the scope took, acquisitions in volts compared with the
// signals the generator made for that trigger, no trigger without beam, and every fault with the lifecycle
// it leads to (unplugged → offline, back online once plugged in; stall, short packet, timeout → degraded,
// and offline after repeated failures).
import { afterEach, describe, expect, it } from 'vitest';
import { createScpiScope, type ScpiScope, type ScpiScopeOptions } from '../../drivers/scpi-scope/driver';
import { byteRange } from '../../drivers/scpi-scope/protocol';
import { ScpiScopeSimulator, startScpiScopeSimulator, type ScopeCapture } from '../../drivers/scpi-scope/simulator';
import { DigitizerError, TransportSpec, type DriverState, type WaveformEvent } from '../../drivers/sdk/index';
import { emulateUsbDevice } from '../../drivers/transports/usb/emulated-device';
import { localTwinBeam } from '../../drivers/twin/beam';
import { loadSetup } from '../../setups/load';
import { quietContext } from '../support/devices';

const setup = loadSetup('invisible-e');
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A beam in spill from 100 ms ago for the next 4.7 s (real time): triggers at about 1 kHz. */
function beamInSpill() {
  const beam = localTwinBeam({ setup, seed: 7, timeScale: 1, firstSpillAt: Date.now() - 100 });
  cleanup.push(() => beam.close());
  return beam;
}

const OPTIONS: ScpiScopeOptions = {
  channels: [
    { input: 1, name: 'S1', scaleV: 0.1, offsetV: 0.2 },
    { input: 2, name: 'SRD', scaleV: 0.1, offsetV: 0.2 },
    // 0.15 V/div is not a 1-2-5 step: the scope sets 0.2 V/div, and the range follows what it set.
    { input: 3, name: 'ECAL-sum', scaleV: 0.15, offsetV: 0.6 },
  ],
  trigger: { source: 1, levelV: -0.1, slope: 'negative' },
  timebaseS: 5e-8,
  timeoutMs: 300,
};

/** The states the driver went through (a new reason in the same state is not a new entry). */
function states(d: ScpiScope): DriverState[] {
  const seen: DriverState[] = [];
  d.onState((s) => {
    if (seen.at(-1) !== s) seen.push(s);
  });
  return seen;
}

async function until<T>(what: string, probe: () => Promise<T | null>, ms = 8000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The driver's volts against the generator's: every sample within half a code of the truth, clipped to the byte range. */
/** `offset`: the first screen point read (a window of fewer points than the screen). */
function expectMatchesTruth(event: WaveformEvent, capture: ScopeCapture, d: ScpiScope, points = 1200, offset = 0): void {
  expect(event.samplePeriodNs).toBeCloseTo(capture.samplePeriodNs, 9);
  expect(event.triggerSample).toBe(capture.triggerSample - offset);
  expect(event.waveforms.map((w) => w.channel)).toEqual([0, 1, 2]);
  for (const w of event.waveforms) {
    expect(w.samples).toHaveLength(points);
    const ch = d.channels().find((c) => c.index === w.channel)!;
    const truth = capture.inputs[w.channel]!;
    const [lo, hi] = ch.rangeV;
    const halfCode = (hi - lo) / 255 / 2 + 1e-6;
    let worst = 0;
    for (let i = 0; i < w.samples.length; i++) worst = Math.max(worst, Math.abs(w.samples[i]! - Math.min(hi, Math.max(lo, truth.volts[i + offset]!))));
    expect(worst, `${ch.name}: worst sample difference`).toBeLessThanOrEqual(halfCode);
    // The pulse height the generator drew, as the trace shows it (peak sampled 2τ after the trigger).
    // Noise is 1 mV: the trace's minimum is the pulse height (or the bottom of the range) within a few mV.
    const min = Math.min(...w.samples);
    expect(Math.abs(min - Math.max(lo, truth.amplitudeV)), `${ch.name}: pulse height`).toBeLessThan(halfCode + 0.008);
  }
}

function emulated(sim: ScpiScopeSimulator, options: ScpiScopeOptions = OPTIONS): ScpiScope {
  const device = emulateUsbDevice(sim.usbFunction);
  cleanup.push(sim.attach(device));
  const d = createScpiScope(
    { id: 'scope-0', transport: TransportSpec.parse({ kind: 'usb', vendorId: 0x1ab1, productId: 0x04ce }), options },
    { ...quietContext, openUsb: async () => device },
  );
  cleanup.push(() => d.close());
  return d;
}

describe('SCPI scope driver ↔ simulated DS1104Z, emulated USB device', () => {
  it('identifies the scope, sets it up, and reads triggers in spill as the volts the generator made', async () => {
    const beam = beamInSpill();
    const sim = new ScpiScopeSimulator({ seed: 11, twin: beam, inputs: ['S1', 'SRD', 'ECAL', 'trigger'] });
    const d = emulated(sim);
    const seen = states(d);
    const id = await d.identify(2000);
    expect(id).toMatchObject({ model: 'RIGOL TECHNOLOGIES DS1104Z', serial: sim.serial, firmware: '00.04.04.SP4' });
    expect(id.detail).toMatch(/^\*IDN\? RIGOL TECHNOLOGIES,DS1104Z,DS1ZA\d{9},00\.04\.04\.SP4 \(USBTMC quirks of the Rigol DS1000Z applied\)$/);
    expect(d.state()).toBe('online');
    expect(d.address).toBe('usb 1ab1:04ce');
    expect(d.channels()).toEqual([
      { index: 0, name: 'S1', rangeV: byteRange(0.1, 0.2) },
      { index: 1, name: 'SRD', rangeV: byteRange(0.1, 0.2) },
      { index: 2, name: 'ECAL-sum', rangeV: byteRange(0.2, 0.6) },
    ]);

    for (let n = 0; n < 3; n++) {
      const event = await d.acquire(1000);
      expect(event).not.toBeNull();
      const capture = sim.lastCapture()!;
      expect(capture.spill).toBe(0);
      expect(beam.now(capture.at).phase).toBe('spill');
      expect(capture.inputs[0]!.amplitudeV).toBeLessThan(-0.05);
      expectMatchesTruth(event!, capture, d);
    }
    expect(d.lastSeenAt()).not.toBeNull();
    expect(seen).toEqual(['connecting', 'online']);
  });

  it('returns null when no trigger comes: the SPS is not extracting', async () => {
    const beam = beamInSpill();
    beam.off(true);
    const sim = new ScpiScopeSimulator({ seed: 12, twin: beam });
    const d = emulated(sim);
    const t0 = Date.now();
    expect(await d.acquire(250)).toBeNull();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(240);
    expect(sim.lastCapture()).toBeNull();
    expect(d.state()).toBe('online');
    beam.off(false);
    expect(await d.acquire(1000)).not.toBeNull();
    // A trigger level the pulses never reach: the beam is there, the scope does not trigger.
    const high = emulated(new ScpiScopeSimulator({ seed: 13, twin: beam }), { ...OPTIONS, trigger: { source: 1, levelV: 0.25, slope: 'positive' } });
    expect(await high.acquire(200)).toBeNull();
  });

  it('unplugged mid-readout: offline, then online again once it is plugged back in', async () => {
    const sim = new ScpiScopeSimulator({ seed: 14, twin: beamInSpill() });
    const d = emulated(sim);
    expect(await d.acquire(1000)).not.toBeNull();
    const seen = states(d);
    sim.inject('unplug', null);
    const error = await d.acquire(1000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DigitizerError);
    expect((error as Error).message).toMatch(/^scope-0: usbtmc: the device is gone \(unplugged\) during REQUEST_DEV_DEP_MSG_IN: .*disconnected/);
    expect(d.state()).toBe('offline');
    expect(d.stateReason()).toMatch(/^usb 1ab1:04ce: usbtmc: the device is gone.*; retrying in \d\.\d s$/);
    // Still unplugged: the reconnection fails and it stays offline, with the reason.
    await until('a reconnection attempt', async () => {
      const e = await d.acquire(200).catch((x: unknown) => x);
      return e instanceof DigitizerError && /cannot be reached: .*disconnected/.test(e.message) ? true : null;
    });
    expect(d.state()).toBe('offline');
    sim.clear();
    const back = await until('the scope to be back', () => d.acquire(1000));
    expectMatchesTruth(back, sim.lastCapture()!, d);
    expect(d.state()).toBe('online');
    expect(seen).toEqual(expect.arrayContaining(['offline', 'connecting', 'online']));
    expect(seen.indexOf('online')).toBeGreaterThan(seen.indexOf('offline'));
  });

  it('a stalled Bulk-IN or an answer cut short: degraded, the instrument cleared, online again', async () => {
    const sim = new ScpiScopeSimulator({ seed: 15, twin: beamInSpill() });
    const d = emulated(sim);
    expect(await d.acquire(1000)).not.toBeNull();
    for (const [fault, message] of [
      ['stall', /^scope-0: usbtmc: Bulk-IN endpoint 1 stalled answering REQUEST_DEV_DEP_MSG_IN \(bTag \d+\); halt cleared$/],
      ['short-packet', /^scope-0: usbtmc: short packet: DEV_DEP_MSG_IN \(bTag \d+\) ended after \d+ of \d+ bytes$/],
    ] as const) {
      sim.inject(fault, null);
      await expect(d.acquire(1000)).rejects.toThrow(message);
      expect(d.state()).toBe('degraded');
      expect(d.stateReason()).toMatch(fault === 'stall' ? /stalled/ : /short packet/);
      sim.clear();
      const event = await d.acquire(1000);
      expectMatchesTruth(event!, sim.lastCapture()!, d);
      expect(d.state()).toBe('online');
    }
  });

  it('no reply: aborted after the timeout, degraded, offline after three in a row, back when it answers again', async () => {
    const sim = new ScpiScopeSimulator({ seed: 16, twin: beamInSpill() });
    const d = emulated(sim);
    expect(await d.acquire(1000)).not.toBeNull();
    const seen = states(d);
    sim.inject('timeout', null);
    await expect(d.acquire(1000)).rejects.toThrow(/^scope-0: usbtmc: no reply to REQUEST_DEV_DEP_MSG_IN within 300 ms \(bTag \d+\); aborted$/);
    expect(d.state()).toBe('degraded');
    await expect(d.acquire(1000)).rejects.toThrow(/no reply/);
    expect(d.state()).toBe('degraded');
    await expect(d.acquire(1000)).rejects.toThrow(/no reply/);
    expect(d.state()).toBe('offline');
    await expect(d.acquire(1000)).rejects.toThrow(/^scope-0 is offline \(.*no reply.*retrying in/);
    sim.clear();
    const event = await until('answers again', () => d.acquire(1000));
    expectMatchesTruth(event, sim.lastCapture()!, d);
    expect(seen).toEqual(['degraded', 'offline', 'connecting', 'online']);
  });

  it('reads a window with the trigger a quarter in when the site asks for fewer points than the screen', async () => {
    const sim = new ScpiScopeSimulator({ seed: 18, twin: beamInSpill() });
    const d = emulated(sim, { ...OPTIONS, points: 400 });
    const event = await d.acquire(1000);
    // Screen points 501…900: the trigger (screen centre, 600) is 100 points in.
    expectMatchesTruth(event!, sim.lastCapture()!, d, 400, 500);
    expect(event!.triggerSample).toBe(100);
  });

  it('refuses a setup the scope cannot take, with the scope’s reason', async () => {
    const sim = new ScpiScopeSimulator({ seed: 17, twin: beamInSpill() });
    // 3 V offset at 0.1 V/div is beyond the ±2 V the scope allows below 0.5 V/div.
    const d = emulated(sim, { ...OPTIONS, channels: [{ input: 1, name: 'S1', scaleV: 0.1, offsetV: 3 }] });
    await expect(d.identify(2000)).rejects.toThrow(/cannot be reached: the scope refused its setup: -222 "Data out of range"/);
    expect(d.state()).toBe('offline');
  });
});

describe('SCPI scope driver ↔ simulated DS1104Z over USB/IP on 127.0.0.1', () => {
  it('identity, acquisition against the truth, unplug → offline → online, stall → degraded → online', async () => {
    const served = await startScpiScopeSimulator({ port: 0, host: '127.0.0.1', seed: 21, twin: beamInSpill() });
    cleanup.push(() => served.close());
    const sim = served.simulator;
    const d = createScpiScope(
      { id: 'scope-ip', transport: TransportSpec.parse({ kind: 'usbip', host: '127.0.0.1', port: served.port, busid: served.busid }), options: { ...OPTIONS, timeoutMs: 2000 } },
      quietContext,
    );
    cleanup.push(() => d.close());
    expect(d.address).toBe(`usbip 127.0.0.1:${served.port} bus 1-1`);
    expect(await d.identify(3000)).toMatchObject({ model: 'RIGOL TECHNOLOGIES DS1104Z', serial: sim.serial });
    const event = await d.acquire(1000);
    expectMatchesTruth(event!, sim.lastCapture()!, d);

    const seen = states(d);
    sim.inject('unplug', null);
    await expect(d.acquire(1000)).rejects.toThrow(/the device is gone \(unplugged\)/);
    expect(d.state()).toBe('offline');
    await until('a failed import while unplugged', async () => {
      const e = await d.acquire(200).catch((x: unknown) => x);
      return e instanceof DigitizerError && /cannot be reached: .*bus 1-1/.test(e.message) ? true : null;
    });
    sim.clear();
    const back = await until('the scope over USB/IP again', () => d.acquire(1000));
    expectMatchesTruth(back, sim.lastCapture()!, d);
    expect(d.state()).toBe('online');

    sim.inject('stall', null);
    await expect(d.acquire(1000)).rejects.toThrow(/stalled/);
    expect(d.state()).toBe('degraded');
    sim.clear();
    expect(await d.acquire(1000)).not.toBeNull();
    expect(seen).toEqual(expect.arrayContaining(['offline', 'connecting', 'online', 'degraded']));
  });
});
