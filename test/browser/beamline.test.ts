// The beam-line screens' parts in real Chromium, with fixtures checked against the API's zod schemas: a
// digitizer's persistence display (time from the trigger in ns, mV, older waveforms faint, the newest opaque,
// a legend that switches channels), its channel table, spectra and checks; the SPS timing with the SPS off
// and beam alarms suppressed; a scaler's counters, "Read now" for shifters and up with the core's refusal shown;
// the cross-checks with a mismatch in the alarm colour; the Shift view's strip; the USB line; the Beam panel
// with the SPS off; the store's snapshot, live stream and reconnect.
import { mount } from '@vue/test-utils';
import { getInstanceByDom } from 'echarts/core';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import {
  type BeamlineLiveEvent,
  CountersState,
  DigitizerView,
  UsbBus,
  type CrossCheck,
  type ScalerView,
} from '@shared/api/beamline';
import type { ApiClient } from '@shared/api/contract';
import type { Status } from '@shared/api/schemas';
import type { Role } from '@shared/auth';
import { Hist1D } from '@shared/histogram';
import BeamPanel from '../../src-renderer/components/BeamPanel.vue';
import CountersStrip from '../../src-renderer/components/beamline/CountersStrip.vue';
import CrossCheckTable from '../../src-renderer/components/beamline/CrossCheckTable.vue';
import DigitizerCard from '../../src-renderer/components/beamline/DigitizerCard.vue';
import TimingCard from '../../src-renderer/components/beamline/TimingCard.vue';
import UsbLine from '../../src-renderer/components/beamline/UsbLine.vue';
import {
  acquisitionLine,
  counterTrend,
  formatCounts,
  formatDifference,
  formatMv,
  formatRate,
  formatTolerance,
  noBeamLine,
  persistenceOpacity,
  persistenceTraces,
  usbLine,
  watchedRates,
} from '../../src-renderer/beamline-presentation';
import { formatTime } from '../../src-renderer/presentation';
import { NAV } from '../../src-renderer/router';
import { useBeamlineStore } from '../../src-renderer/stores/beamline';
import { useConnectionStore } from '../../src-renderer/stores/connection';
import { useRunStore } from '../../src-renderer/stores/run';
import CountersView from '../../src-renderer/views/CountersView.vue';
import DigitizersView from '../../src-renderer/views/DigitizersView.vue';
// The theme's colours, so that the alarm colour of a mismatch can be checked as drawn.
import '../../src-renderer/styles/theme.css';

beforeEach(() => setActivePinia(createPinia()));

const NOW = 1_796_400_000_000;
const TRIGGER = 16;
const PERIOD_NS = 0.8;

/** A pulse on a flat baseline, in volts, peaking `amplitude` above it 8 samples after the trigger. */
function pulse(amplitude: number, baseline = -0.002, n = 64): number[] {
  return Array.from({ length: n }, (_, k) => baseline + amplitude * Math.exp(-(((k - TRIGGER - 8) / 3) ** 2)));
}

function spectrum(name: string, title: string, axis: string, max: number, centre: number) {
  const h = new Hist1D(name, title, { nbins: 50, min: 0, max, title: axis });
  for (let i = 0; i < 400; i++) h.fill(centre + ((i % 21) - 10) * (max / 200));
  return h.snapshot();
}

const DIGITIZER = DigitizerView.parse({
  device: 'drs4',
  model: 'PSI DRS4 evaluation board',
  address: 'usb 04b4:1175 serial 2718',
  state: 'online',
  reason: 'answering',
  acquiring: true,
  error: 'short packet on endpoint 0x82 (4096 of 8192 bytes); trigger skipped',
  samplePeriodNs: PERIOD_NS,
  triggerSample: TRIGGER,
  channels: [
    { index: 0, name: 'S1', rangeV: [-0.5, 0.5], triggers: 812, fired: 790, ratePerS: 164.6, meanAmplitudeMv: 182.44, meanBaselineMv: -2.05, saturated: 0 },
    { index: 1, name: 'SRD-1', rangeV: [-0.5, 0.5], triggers: 812, fired: 97, ratePerS: 20.2, meanAmplitudeMv: 431.9, meanBaselineMv: -1.4, saturated: 12 },
  ],
  // S1 sends 18 waveforms: only the last 16 are drawn.
  persistence: [
    { channel: 0, name: 'S1', waveforms: Array.from({ length: 18 }, (_, i) => pulse(0.15 + 0.002 * i)) },
    { channel: 1, name: 'SRD-1', waveforms: Array.from({ length: 3 }, (_, i) => pulse(0.4 + 0.01 * i, -0.001)) },
  ],
  spectra: [
    spectrum('drs4_amplitude_s1', 'S1 amplitude', 'amplitude [mV]', 500, 180),
    spectrum('drs4_charge_s1', 'S1 charge', 'charge [pC]', 100, 40),
    spectrum('drs4_time_s1', 'S1 time', 'time from trigger [ns]', 50, 6.4),
  ],
  lastSpill: {
    run: 12,
    spill: 7,
    startedAt: NOW - 12_000,
    endedAt: NOW - 7_200,
    checks: [
      { id: 's1-rate', verdict: 'good', value: 164.6, reason: 'S1 rate within its band' },
      { id: 'srd-saturation', verdict: 'bad', value: 0.124, reason: 'SRD-1 saturated in 12 % of its pulses', channels: ['SRD-1'] },
      { id: 'baseline', verdict: 'medium', value: -2.05, reason: 'S1 baseline moved by 1.1 mV', channels: ['S1'] },
    ],
  },
});

const SCALER: ScalerView = {
  device: 'v830',
  model: 'CAEN V830 via MVLC udp 192.0.2.40:32768',
  address: 'udp 192.0.2.40:32768',
  state: 'online',
  reason: 'answering',
  bits: 32,
  lastReadAt: NOW - 2_500,
  channels: [
    { index: 0, name: 'S1', role: 'S1', raw: 4_294_960_000, lastSpill: 2_450_000, ratePerS: 510_416.7 },
    { index: 1, name: 'S2', role: 'S2', raw: 1_210_000, lastSpill: 2_431_500, ratePerS: 506_562.5 },
    { index: 2, name: 'Sc', role: 'Sc', raw: 70_000, lastSpill: 2_100_000, ratePerS: 437_500 },
    { index: 3, name: 'T', role: 'trigger', raw: 9_130, lastSpill: 9_130, ratePerS: 1_902.1 },
  ],
  history: [40, 41, 42, 43, 44].map((sequence) => ({
    device: 'v830',
    sequence,
    startedAt: NOW - (45 - sequence) * 16_800,
    endedAt: NOW - (45 - sequence) * 16_800 + 4_800,
    counts: sequence === 43 ? null : { S1: 2_400_000 + sequence, S2: 2_380_000, Sc: 2_000_000, T: sequence === 42 ? 0 : 9_000 },
    problem: sequence === 43 ? 'no end-of-burst read: the MVLC did not answer' : null,
  })),
};

const CROSS_CHECKS: CrossCheck[] = [
  { run: 12, spill: 6, at: NOW - 24_000, device: 'v830', quantity: 'triggers', scaler: 9_020, daq: 9_000, difference: 0.00222, tolerance: 0.02, ok: true },
  { run: 12, spill: 7, at: NOW - 7_200, device: 'v830', quantity: 'triggers', scaler: 8_300, daq: 9_052, difference: -0.0831, tolerance: 0.02, ok: false },
];

const COUNTERS = CountersState.parse({
  scalers: [SCALER],
  crossChecks: CROSS_CHECKS,
  timing: {
    source: 'v977',
    description: 'V977 input register via MVLC udp 192.0.2.40:32768',
    phase: 'off',
    phaseStartedAt: NOW - 95_000,
    phaseEndsAt: null,
    spillMs: 4_800,
    cycleMs: 16_800,
    noBeam: true,
    noBeamSince: NOW - 95_000,
    fake: true,
    signals: [
      { signal: 'WWE', at: NOW - 112_000, sequence: 44 },
      { signal: 'WE', at: NOW - 111_000, sequence: 45 },
      { signal: 'EE', at: NOW - 106_200, sequence: 45 },
      { signal: 'SPS-OFF', at: NOW - 95_000, sequence: 45 },
    ],
  },
  intensitySource: 'S1 on the beam-line scaler v830',
});

const USB = UsbBus.parse({
  available: true,
  reason: null,
  devices: [
    { vendorId: 0x04b4, productId: 0x1175, serial: '2718', manufacturer: 'PSI', product: 'PSI DRS4', location: 'bus 1 port 2', device: 'drs4' },
    { vendorId: 0x0699, productId: 0x0368, serial: 'C010203', manufacturer: 'Tektronix', product: 'TBS1052B', location: 'bus 1 port 3', device: null },
  ],
});
const NO_USB = UsbBus.parse({ available: false, reason: 'no USB bus on this machine (/sys/bus/usb absent)', devices: [] });

function signIn(role: Role, beamline: Record<string, unknown> = {}) {
  const c = useConnectionStore();
  c.state = 'connected';
  c.session = { user: { viewer: 'val', shifter: 'sam', expert: 'erin', admin: 'ada' }[role], role, via: 'user-token' };
  c.api = { beamline } as unknown as ApiClient;
  return c;
}

/** A live stream that yields `events`, then whatever is pushed, until `close()`. */
function liveStream(events: BeamlineLiveEvent[]) {
  const queue = [...events];
  let wake: () => void = () => undefined;
  let closed = false;
  async function* live() {
    while (!closed) {
      const next = queue.shift();
      if (next) yield next;
      else await new Promise<void>((r) => (wake = r));
    }
  }
  return {
    live: async () => live(),
    push: (e: BeamlineLiveEvent) => (queue.push(e), wake()),
    close: () => ((closed = true), wake()),
  };
}

describe('beam-line presentation', () => {
  it('puts time 0 at the trigger in ns and the samples in mV, the newest waveform opaque and drawn last', () => {
    const traces = persistenceTraces(DIGITIZER);
    expect(traces).toHaveLength(16 + 3);
    const newestS1 = traces.filter((t) => t.channel === 0 && t.age === 0);
    expect(newestS1).toHaveLength(1);
    expect(newestS1[0]!.opacity).toBe(1);
    expect(newestS1[0]!.points[0]).toEqual([-TRIGGER * PERIOD_NS, -2]);
    expect(newestS1[0]!.points[TRIGGER]![0]).toBe(0);
    // The peak, 8 samples after the trigger: 6.4 ns, baseline + the last of the 18 amplitudes, in mV.
    expect(newestS1[0]!.points[TRIGGER + 8]).toEqual([6.4, +(1000 * (0.15 + 0.002 * 17 - 0.002)).toPrecision(6)]);
    // The oldest drawn is the third sent (18 − 16 dropped), faint.
    const oldest = traces.find((t) => t.channel === 0 && t.age === 15)!;
    expect(oldest.opacity).toBeCloseTo(0.1, 5);
    expect(oldest.points[TRIGGER + 8]![1]).toBeCloseTo(1000 * (0.15 + 0.002 * 2 - 0.002), 3);
    // Older traces first: the newest of every channel is drawn on top.
    expect(traces.slice(-2).map((t) => t.age)).toEqual([0, 0]);
    expect(traces[0]!.age).toBe(15);
    // Without a sample period, x is the sample number from the trigger.
    expect(persistenceTraces({ ...DIGITIZER, samplePeriodNs: null }).at(-1)!.points[0]![0]).toBe(-TRIGGER);
    expect(persistenceOpacity(0, 16)).toBe(1);
    expect(persistenceOpacity(1, 16)).toBe(0.35);
    expect(persistenceOpacity(1, 2)).toBe(0.35);
  });

  it('writes rates, millivolts, counts, differences and tolerances as people read them', () => {
    expect(formatRate(164.6)).toBe('165 /s');
    expect(formatRate(20.24)).toBe('20.2 /s');
    expect(formatRate(510_416.7)).toBe('5.10e5 /s');
    expect(formatRate(null)).toBe('—');
    expect(formatMv(-2.05)).toBe('-2.0 mV');
    expect(formatMv(-0.02)).toBe('0.0 mV');
    expect(formatMv(null)).toBe('—');
    expect(formatCounts(9_130)).toBe('9130');
    expect(formatCounts(2_450_000)).toBe('2.450e6');
    expect(formatDifference(-0.0831)).toBe('−8.31 %');
    expect(formatDifference(0.00222)).toBe('+0.22 %');
    expect(formatTolerance(0.02)).toBe('±2 %');
  });

  it('says why a digitizer is not acquiring', () => {
    expect(acquisitionLine(DIGITIZER, 'spill')).toEqual({ acquiring: true, text: 'acquiring: reading triggers in the spill' });
    expect(acquisitionLine({ acquiring: false, state: 'offline', reason: 'usb 04b4:1175: not plugged in; retrying in 2.0 s' }, 'spill').text).toBe(
      'not acquiring: usb 04b4:1175: not plugged in; retrying in 2.0 s',
    );
    expect(acquisitionLine({ acquiring: false, state: 'online', reason: 'answering' }, 'interspill').text).toBe('not acquiring: between spills');
    expect(acquisitionLine({ acquiring: false, state: 'online', reason: 'answering' }, 'off').text).toBe('not acquiring: the SPS is off');
  });

  it('tells the SPS off, the USB bus and the watched rates in one line each', () => {
    expect(noBeamLine(COUNTERS.timing)).toBe(`NO BEAM — SPS off since ${formatTime(NOW - 95_000).slice(11)}, beam alarms suppressed`);
    expect(noBeamLine({ noBeam: true, noBeamSince: null })).toBe('NO BEAM — SPS off, beam alarms suppressed');
    expect(noBeamLine({ noBeam: false, noBeamSince: null })).toBeNull();
    expect(usbLine(NO_USB)).toBe('USB: no USB bus on this machine (/sys/bus/usb absent)');
    expect(usbLine(USB)).toBe('USB: 2 devices — 04b4:1175 PSI DRS4 (drs4) · 0699:0368 TBS1052B');
    expect(usbLine({ available: true, reason: null, devices: [] })).toBe('USB: no devices');
    expect(usbLine(null)).toBe('USB: not reported yet');
    expect(watchedRates([SCALER]).map((r) => r.name)).toEqual(['S1', 'S2', 'Sc', 'T']);
  });

  it('draws a failed read as a gap and, on a log axis, a zero as a gap too', () => {
    const lin = counterTrend(SCALER, false);
    const t = lin.find((s) => s.name === 'T')!;
    expect(t.points).toEqual([
      [40, 9000],
      [41, 9000],
      [42, 0],
      [43, null],
      [44, 9000],
    ]);
    expect(counterTrend(SCALER, true).find((s) => s.name === 'T')!.points[2]).toEqual([42, null]);
  });
});

describe('digitizer card', () => {
  it('shows the header, the persistence plot drawn per channel, the channel table, the spectra and the checks', async () => {
    const w = mount(DigitizerCard, { props: { view: DIGITIZER, phase: 'spill' }, attachTo: document.body });
    expect(w.attributes('data-state')).toBe('online');
    expect(w.text()).toContain('drs4');
    expect(w.text()).toContain('PSI DRS4 evaluation board');
    expect(w.text()).toContain('usb 04b4:1175 serial 2718');
    const badge = w.get('[data-testid="digitizer-state"]');
    expect(badge.text()).toBe('●ONLINE');
    expect(badge.classes()).toContain('good');
    expect(w.get('[data-testid="digitizer-acquiring"]').attributes('data-acquiring')).toBe('true');
    expect(w.get('[data-testid="digitizer-error"]').text()).toContain('short packet on endpoint 0x82');

    // The persistence plot: 16 + 3 traces, a legend entry per channel.
    const plot = w.get('[data-testid="persistence-plot"]');
    expect(plot.attributes('data-waveforms')).toBe('19');
    expect(plot.findAll('[data-testid="persistence-channel"]').map((b) => [b.attributes('data-channel'), b.attributes('data-waveforms')])).toEqual([
      ['S1', '18'],
      ['SRD-1', '3'],
    ]);
    const chart = getInstanceByDom(plot.get('.chart').element as HTMLElement)!;
    expect(chart).toBeTruthy();
    type Line = { name: string; data: [number, number][]; lineStyle: { color: string; opacity: number } };
    const series = () => (chart.getOption() as { series: Line[] }).series;
    expect(series()).toHaveLength(19);
    expect(series()[0]!.lineStyle.opacity).toBeCloseTo(0.1, 5);
    expect(series().at(-1)!.lineStyle.opacity).toBe(1);
    expect(series().at(-1)!.data[0]).toEqual([-12.8, -1]);
    expect(new Set(series().filter((s) => s.name === 'S1').map((s) => s.lineStyle.color)).size).toBe(1);
    expect(series().find((s) => s.name === 'S1')!.lineStyle.color).not.toBe(series().find((s) => s.name === 'SRD-1')!.lineStyle.color);
    // The legend switches a channel off and on.
    await plot.get('[data-channel="SRD-1"]').trigger('click');
    expect(plot.attributes('data-waveforms')).toBe('16');
    expect(series().every((s) => s.name === 'S1')).toBe(true);
    await plot.get('[data-channel="SRD-1"]').trigger('click');
    expect(series()).toHaveLength(19);

    // The channel table.
    const row = (name: string) => w.get(`[data-testid="digitizer-channel"][data-channel="${name}"]`);
    expect(row('S1').text()).toContain('812');
    expect(row('S1').text()).toContain('790');
    expect(row('S1').get('[data-testid="digitizer-rate-S1"]').text()).toBe('165 /s');
    expect(row('S1').text()).toContain('182.4 mV');
    expect(row('S1').text()).toContain('-2.0 mV');
    expect(row('S1').get('[data-testid="digitizer-saturated"]').classes()).not.toContain('warn');
    expect(row('SRD-1').get('[data-testid="digitizer-saturated"]').text()).toBe('⚠ 12');
    expect(row('SRD-1').get('[data-testid="digitizer-saturated"]').classes()).toContain('warn');

    // The spectra, drawn by the histogram chart.
    expect(w.findAll('[data-spectrum]').map((f) => f.attributes('data-spectrum'))).toEqual(['drs4_amplitude_s1', 'drs4_charge_s1', 'drs4_time_s1']);
    expect(w.get('[data-histogram="drs4_amplitude_s1"]').attributes('data-entries')).toBe('400');
    expect(w.get('[data-spectrum="drs4_charge_s1"]').text()).toContain('S1 charge');

    // The last spill's checks, verdicts coloured as the DQ panels colour them.
    const checks = w.findAll('[data-testid="digitizer-check"]');
    expect(checks.map((c) => c.attributes('data-verdict'))).toEqual(['good', 'bad', 'medium']);
    expect(checks[0]!.get('.badge').classes()).toContain('good');
    expect(checks[1]!.get('.badge').classes()).toContain('bad');
    expect(checks[1]!.get('.badge').text()).toBe('✕BAD');
    expect(checks[1]!.text()).toContain('SRD-1 saturated in 12 % of its pulses');
    expect(checks[2]!.get('.badge').classes()).toContain('warn');
    expect(w.get('[data-testid="digitizer-checks"]').text()).toContain('run 12 spill 7');
    w.unmount();
  });

  it('says why an offline digitizer is not acquiring, and that no waveform came yet', () => {
    const offline = DigitizerView.parse({
      ...DIGITIZER,
      state: 'offline',
      reason: 'usb 04b4:1175: not plugged in; retrying in 2.0 s',
      acquiring: false,
      error: null,
      persistence: [],
      spectra: [],
      lastSpill: null,
    });
    const w = mount(DigitizerCard, { props: { view: offline, phase: 'spill' }, attachTo: document.body });
    expect(w.get('[data-testid="digitizer-state"]').text()).toBe('✕OFFLINE');
    expect(w.get('[data-testid="digitizer-state"]').classes()).toContain('bad');
    expect(w.get('[data-testid="digitizer-acquiring"]').text()).toContain('not acquiring: usb 04b4:1175: not plugged in; retrying in 2.0 s');
    expect(w.find('[data-testid="digitizer-error"]').exists()).toBe(false);
    expect(w.get('[data-testid="persistence-plot"]').attributes('data-waveforms')).toBe('0');
    expect(w.get('[data-testid="persistence-plot"]').text()).toContain('no waveforms yet');
    expect(w.text()).toContain('no spill closed yet');
    w.unmount();
  });
});

describe('digitizers view', () => {
  it('says in one line that the site has no digitizer, and shows a card per digitizer otherwise', async () => {
    const w = mount(DigitizersView, { attachTo: document.body });
    expect(w.find('[data-testid="digitizers-waiting"]').exists()).toBe(true);
    const store = useBeamlineStore();
    store.setDigitizers([]);
    await nextTick();
    expect(w.get('[data-testid="no-digitizers"]').text()).toContain('No digitizer on this site');
    expect(w.findAll('[data-testid="digitizer-card"]')).toHaveLength(0);
    store.setDigitizers([DIGITIZER, { ...DIGITIZER, device: 'scope-1', model: 'SCPI oscilloscope over USBTMC' }]);
    await nextTick();
    expect(w.findAll('[data-testid="digitizer-card"]').map((c) => c.attributes('data-device'))).toEqual(['drs4', 'scope-1']);
    expect(w.find('[data-testid="no-digitizers"]').exists()).toBe(false);
    w.unmount();
  });
});

describe('timing card', () => {
  it('says the SPS is off since when with beam alarms suppressed, fake timing, the source and the last signals', () => {
    const w = mount(TimingCard, { props: { timing: COUNTERS.timing, intensitySource: COUNTERS.intensitySource, now: NOW } });
    expect(w.get('[data-testid="no-beam"]').text()).toBe(`✕ NO BEAM — SPS off since ${formatTime(NOW - 95_000).slice(11)}, beam alarms suppressed`);
    expect(w.get('[data-testid="timing-off"]').text()).toBe('No beam: the SPS is off for 95.0 s.');
    expect(w.get('[data-testid="timing-phase"]').text()).toBe('✕NO BEAM');
    expect(w.get('[data-testid="fake-timing"]').text()).toBe('⚙FAKE TIMING');
    expect(w.get('[data-testid="timing-source"]').text()).toBe('v977 · V977 input register via MVLC udp 192.0.2.40:32768');
    expect(w.get('[data-testid="intensity-source"]').text()).toBe('S1 on the beam-line scaler v830');
    const signals = w.findAll('[data-testid="timing-signal"]');
    expect(signals.map((s) => s.attributes('data-signal'))).toEqual(['SPS-OFF', 'EE', 'WE', 'WWE']);
    expect(signals[2]!.text()).toContain(`${formatTime(NOW - 111_000).slice(11)}.000`);
    expect(signals[2]!.text()).toContain('#45');
  });

  it('counts down to the end of the spill and has no no-beam line while the beam is there', () => {
    const timing = { ...COUNTERS.timing, phase: 'spill' as const, phaseStartedAt: NOW - 1_000, phaseEndsAt: NOW + 3_800, noBeam: false, noBeamSince: null, fake: false };
    const w = mount(TimingCard, { props: { timing, intensitySource: 'x', now: NOW } });
    expect(w.find('[data-testid="no-beam"]').exists()).toBe(false);
    expect(w.find('[data-testid="fake-timing"]').exists()).toBe(false);
    expect(w.get('[data-testid="timing-countdown"]').text()).toBe('spill ends in 3.8 s');
    expect(w.get('[data-testid="timing-cycle"]').text()).toBe('4.8 s / 16.8 s');
    // A simulation 20 times faster than the SPS tells the SPS's seconds.
    const fast = mount(TimingCard, { props: { timing: { ...timing, spillMs: 240, cycleMs: 840 }, intensitySource: 'x', now: NOW, timeScale: 20 } });
    expect(fast.get('[data-testid="timing-cycle"]').text()).toBe('4.8 s / 16.8 s');
    expect(parseFloat((w.get('.fill').element as HTMLElement).style.width)).toBeCloseTo((1000 / 4800) * 100, 3);
  });
});

describe('counters view', () => {
  function counterApi(readCounters: (input: { device: string }) => Promise<ScalerView>) {
    const stream = liveStream([{ type: 'counters', counters: COUNTERS, at: NOW }]);
    return { counters: async () => COUNTERS, digitizers: async () => [], usb: async () => NO_USB, live: stream.live, readCounters, close: stream.close };
  }

  it('shows each counter with its last spill, rate and raw value, the trend, and reads now for a shifter', async () => {
    const reads: unknown[] = [];
    const api = counterApi(async (input) => {
      reads.push(input);
      return { ...SCALER, lastReadAt: NOW + 1000, channels: SCALER.channels.map((c) => (c.name === 'S1' ? { ...c, raw: 12_345 } : c)) };
    });
    signIn('shifter', api);
    const w = mount(CountersView, { attachTo: document.body });
    await vi.waitFor(() => expect(w.findAll('[data-testid="scaler-card"]')).toHaveLength(1));
    const card = w.get('[data-testid="scaler-card"]');
    expect(card.text()).toContain('CAEN V830 via MVLC udp 192.0.2.40:32768');
    expect(card.text()).toContain('32-bit counters');
    expect(card.get('[data-testid="scaler-state"]').text()).toBe('●ONLINE');
    expect(w.findAll('[data-testid="counter-row"]').map((r) => [r.attributes('data-counter'), r.attributes('data-role')])).toEqual([
      ['S1', 'S1'],
      ['S2', 'S2'],
      ['Sc', 'Sc'],
      ['T', 'trigger'],
    ]);
    expect(w.get('[data-testid="counter-spill-S1"]').text()).toBe('2.450e6');
    expect(w.get('[data-testid="counter-rate-S1"]').text()).toBe('5.10e5 /s');
    expect(w.get('[data-testid="counter-raw-S1"]').text()).toBe('4294960000');
    expect(w.get('[data-testid="counter-rate-T"]').text()).toBe('1902 /s');
    // The trend: every spill, the one with a problem marked and said in words.
    const trend = w.get('[data-testid="counter-trend"]');
    expect(trend.attributes('data-spills')).toBe('5');
    expect(trend.attributes('data-problems')).toBe('1');
    expect(trend.get('[data-testid="spill-problem"]').text()).toBe('✕ spill #43: no end-of-burst read: the MVLC did not answer');
    const chart = getInstanceByDom(trend.get('.chart').element as HTMLElement)!;
    type Series = { name: string; markLine?: { data: { xAxis: number }[] } };
    const option = () => chart.getOption() as { series: Series[]; yAxis: { type: string }[] };
    expect(option().series.map((s) => s.name)).toEqual(['S1', 'S2', 'Sc', 'T']);
    expect(option().series[0]!.markLine!.data.map((d) => d.xAxis)).toEqual([43]);
    expect(option().yAxis[0]!.type).toBe('log');
    await trend.get('[data-testid="counter-trend-log"]').setValue(false);
    expect(option().yAxis[0]!.type).toBe('value');
    // The timing card and the cross-checks are on the same screen.
    expect(w.get('[data-testid="no-beam"]').text()).toContain('beam alarms suppressed');
    expect(w.findAll('[data-testid="crosscheck-row"]')).toHaveLength(2);

    expect(w.find('[data-testid="read-counters-denied"]').exists()).toBe(false);
    await w.get('[data-testid="read-counters"]').trigger('click');
    await vi.waitFor(() => expect(w.get('[data-testid="counter-raw-S1"]').text()).toBe('12345'));
    expect(reads).toEqual([{ device: 'v830' }]);
    await vi.waitFor(() => expect(w.get('[data-testid="scaler-card"]').text()).toContain(`✓ read at ${formatTime(NOW + 1000).slice(11)}`));
    api.close();
    w.unmount();
  });

  it('shows the core\'s message when reading now fails', async () => {
    const api = counterApi(async () => Promise.reject(new Error('the device cannot answer now: MVLC udp 192.0.2.40:32768 timed out after 500 ms')));
    signIn('expert', api);
    const w = mount(CountersView, { attachTo: document.body });
    await vi.waitFor(() => expect(w.find('[data-testid="read-counters"]').exists()).toBe(true));
    await w.get('[data-testid="read-counters"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="read-counters-error"]').exists()).toBe(true));
    expect(w.get('[data-testid="read-counters-error"]').text()).toBe('✕ v830: the device cannot answer now: MVLC udp 192.0.2.40:32768 timed out after 500 ms');
    expect(w.get('[data-testid="read-counters-error"]').attributes('role')).toBe('alert');
    expect(w.get('[data-testid="counter-raw-S1"]').text()).toBe('4294960000');
    api.close();
    w.unmount();
  });

  it('keeps "Read now" disabled for a viewer, and says why', async () => {
    const readCounters = vi.fn();
    const api = counterApi(readCounters);
    signIn('viewer', api);
    const w = mount(CountersView, { attachTo: document.body });
    await vi.waitFor(() => expect(w.find('[data-testid="read-counters"]').exists()).toBe(true));
    expect(w.get('[data-testid="read-counters"]').element.matches(':disabled')).toBe(true);
    expect(w.get('[data-testid="read-counters-denied"]').text()).toBe('⊘ Reading now: needs the shifter role; you are val (viewer).');
    await w.get('[data-testid="read-counters"]').trigger('click');
    expect(readCounters).not.toHaveBeenCalled();
    api.close();
    w.unmount();
  });
});

describe('cross-check table', () => {
  it('lists the newest spill first and highlights a mismatch in the alarm colour, with icon and word', () => {
    const w = mount(CrossCheckTable, { props: { live: CROSS_CHECKS }, attachTo: document.body });
    const rows = w.findAll('[data-testid="crosscheck-row"]');
    expect(rows.map((r) => r.attributes('data-ok'))).toEqual(['false', 'true']);
    const [bad, good] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(bad.classes()).toContain('mismatch');
    expect(getComputedStyle(bad.get('td').element).color).toBe('rgb(255, 107, 97)');
    expect(bad.get('[data-testid="crosscheck-verdict"]').text()).toBe('✕MISMATCH');
    expect(bad.get('[data-testid="crosscheck-verdict"]').classes()).toContain('bad');
    expect(bad.get('[data-testid="crosscheck-difference"]').text()).toBe('−8.31 %');
    expect(bad.text()).toContain('8300');
    expect(bad.text()).toContain('9052');
    expect(bad.text()).toContain('±2 %');
    expect(bad.text()).toContain('triggers (dead-time gated)');
    expect(good.classes()).not.toContain('mismatch');
    expect(good.get('[data-testid="crosscheck-verdict"]').text()).toBe('✓OK');
    expect(good.get('[data-testid="crosscheck-verdict"]').classes()).toContain('good');
    expect(w.get('[data-testid="crosscheck-mismatches"]').text()).toBe('1 mismatched');
    w.unmount();
  });

  it('shows another run\'s cross-checks on request, refuses a run that is no number, and goes back to live', async () => {
    const asked: unknown[] = [];
    signIn('viewer', { crossChecks: async (input: { run: number }) => (asked.push(input), [{ ...CROSS_CHECKS[0]!, run: 9, spill: 1 }]) });
    const w = mount(CrossCheckTable, { props: { live: CROSS_CHECKS }, attachTo: document.body });
    await w.get('[data-testid="crosscheck-run"]').setValue('nine');
    await w.get('form').trigger('submit');
    expect(w.get('[role="alert"]').text()).toBe('✕ "nine" is not a run number (a whole number from 1)');
    expect(asked).toEqual([]);
    await w.get('[data-testid="crosscheck-run"]').setValue('9');
    await w.get('form').trigger('submit');
    await vi.waitFor(() => expect(w.findAll('[data-testid="crosscheck-row"]')).toHaveLength(1));
    expect(asked).toEqual([{ run: 9 }]);
    expect(w.text()).toContain('run 9');
    await w.get('[data-testid="crosscheck-live"]').trigger('click');
    expect(w.findAll('[data-testid="crosscheck-row"]')).toHaveLength(2);
    w.unmount();
  });
});

describe('shift strip, USB line and beam panel', () => {
  it('strip: the beam counters\' and the trigger\'s rates, the last cross-check, the intensity\'s source; a click opens Counters', async () => {
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/', name: 'shift', component: { render: () => null } },
        { path: '/counters', name: 'counters', component: { render: () => null } },
      ],
    });
    const w = mount(CountersStrip, { props: { counters: COUNTERS }, global: { plugins: [router] } });
    expect(w.get('[data-testid="strip-rate-S1"]').text()).toBe('S1 5.10e5 /s');
    expect(w.get('[data-testid="strip-rate-T"]').text()).toBe('T 1902 /s');
    const check = w.get('[data-testid="strip-crosscheck"]');
    expect(check.attributes('data-ok')).toBe('false');
    expect(check.text()).toContain('spill 7');
    expect(check.text()).toContain('✕MISMATCH');
    expect(check.text()).toContain('−8.31 %');
    expect(w.get('[data-testid="strip-intensity-source"]').text()).toBe('intensity: S1 on the beam-line scaler v830');
    expect(w.get('[data-testid="strip-no-beam"]').text()).toContain('NO BEAM — SPS off since');
    await w.get('button').trigger('click');
    await vi.waitFor(() => expect(router.currentRoute.value.name).toBe('counters'));
    const empty = mount(CountersStrip, { props: { counters: null }, global: { plugins: [router] } });
    expect(empty.text()).toContain('beam-line counters not reported yet');
  });

  it('USB line: why there is no USB here, or the devices with the site device each one is', async () => {
    const w = mount(UsbLine, { props: { bus: NO_USB } });
    expect(w.get('[data-testid="usb-line"]').text()).toBe('⌁ USB: no USB bus on this machine (/sys/bus/usb absent)');
    expect(w.get('[data-testid="usb-line"]').attributes('data-available')).toBe('false');
    await w.setProps({ bus: USB });
    expect(w.get('[data-testid="usb-line"]').text()).toBe('⌁ USB: 2 devices — 04b4:1175 PSI DRS4 (drs4) · 0699:0368 TBS1052B');
    expect(w.get('[data-testid="usb-line"]').attributes('title')).toContain('at bus 1 port 3, serial C010203, made by Tektronix, no site device');
  });

  it('beam panel: "No beam: the SPS is off" with how long, and the timing source in small text', async () => {
    const now = Date.now();
    const status: Status = {
      version: 't',
      serverTime: now,
      setup: 'invisible-e',
      site: 'test',
      simulation: false,
      timeScale: 1,
      run: { state: 'idle', current: null, pending: null, spill: 0, lastRunNumber: 0 },
      beam: { phase: 'off', particle: 'e-', energyGeV: 100, phaseStartedAt: now - 42_000, phaseEndsAt: now - 42_000, spillMs: 4800, cycleMs: 16800, source: 'V977 input register via MVLC udp 192.0.2.40:32768', noBeam: true },
      lastSpill: null,
    };
    useRunStore().setStatus(status);
    const w = mount(BeamPanel);
    expect(w.get('[data-testid="beam-off"]').text()).toMatch(/^✕ No beam: the SPS is off for 4[23]\.\d s\. No spills, no data\.$/);
    expect(w.get('[data-testid="beam-source"]').text()).toBe('timing: V977 input register via MVLC udp 192.0.2.40:32768');

    // The DAQ's silence on a clock without a timing device is no spill, not "the SPS is off" (it is alarmed).
    useRunStore().setStatus({ ...status, beam: { ...status.beam, source: "the DAQ's start and end of burst", noBeam: false } });
    await nextTick();
    expect(w.get('[data-testid="beam-off"]').text()).toMatch(/^✕ No spill from the DAQ for 4[23]\.\d s: no data\.$/);
  });
});

describe('beam-line store and navigation', () => {
  it('takes the snapshot, then follows the live stream; a late snapshot answer does not overwrite a live one', async () => {
    let answerCounters: (c: CountersState) => void = () => undefined;
    const later = { ...COUNTERS, intensitySource: 'the DAQ\'s beam trigger count' };
    const stream = liveStream([
      { type: 'digitizers', digitizers: [DIGITIZER], at: Date.now() + 30_000 },
      { type: 'counters', counters: later, at: Date.now() + 30_000 },
    ]);
    const client = {
      beamline: {
        digitizers: async () => [],
        counters: () => new Promise<CountersState>((r) => (answerCounters = r)),
        usb: async () => NO_USB,
        live: stream.live,
      },
    } as unknown as ApiClient;
    const store = useBeamlineStore();
    void store.follow(client);
    await vi.waitFor(() => expect(store.counters?.intensitySource).toBe('the DAQ\'s beam trigger count'));
    expect(store.digitizers?.map((d) => d.device)).toEqual(['drs4']);
    expect(store.usb?.available).toBe(false);
    expect(store.serverOffset).toBeGreaterThan(29_000);
    expect(Object.isFrozen(store.digitizers)).toBe(true);
    answerCounters(COUNTERS);
    await new Promise((r) => setTimeout(r, 20));
    expect(store.counters?.intensitySource).toBe('the DAQ\'s beam trigger count');
    stream.close();
  });

  it('follows the next connection after a reconnect and ignores what the old one still sends', async () => {
    const first = liveStream([{ type: 'usb', usb: NO_USB }]);
    const failing = async () => Promise.reject(new Error('no beam line'));
    const old = { beamline: { digitizers: failing, counters: failing, usb: failing, live: first.live } } as unknown as ApiClient;
    const store = useBeamlineStore();
    void store.follow(old);
    await vi.waitFor(() => expect(store.usb?.available).toBe(false));
    // A procedure the core does not have: the store shows nothing rather than failing.
    expect(store.digitizers).toBeNull();
    const second = liveStream([]);
    const fresh = { beamline: { digitizers: async () => [DIGITIZER], counters: async () => COUNTERS, usb: async () => USB, live: second.live } } as unknown as ApiClient;
    void store.follow(fresh);
    await vi.waitFor(() => expect(store.usb?.devices).toHaveLength(2));
    expect(store.counters?.scalers[0]?.device).toBe('v830');
    expect(store.digitizers?.map((d) => d.device)).toEqual(['drs4']);
    // The old connection's stream still delivers: dropped.
    first.push({ type: 'usb', usb: NO_USB });
    await new Promise((r) => setTimeout(r, 20));
    expect(store.usb?.available).toBe(true);
    second.push({ type: 'usb', usb: NO_USB });
    await vi.waitFor(() => expect(store.usb?.available).toBe(false));
    first.close();
    second.close();
  });

  it('asks the live stream for the parts the views on screen want, and follows again when they change', async () => {
    const streams: { input: unknown; stream: ReturnType<typeof liveStream>; ended: boolean }[] = [];
    const asked: string[] = [];
    const client = {
      beamline: {
        digitizers: async () => (asked.push('digitizers'), [DIGITIZER]),
        counters: async () => (asked.push('counters'), COUNTERS),
        usb: async () => (asked.push('usb'), USB),
        live: async (input: unknown) => {
          const stream = liveStream([]);
          const entry = { input, stream, ended: false };
          streams.push(entry);
          const events = await stream.live();
          return {
            [Symbol.asyncIterator]: () => events,
            next: () => events.next(),
            return: async () => ((entry.ended = true), stream.close(), events.return(undefined)),
          };
        },
      },
    } as unknown as ApiClient;
    const store = useBeamlineStore();
    // The Shift view: the counters only, and no waveform asked of the core.
    const releaseShift = store.want(['counters']);
    void store.follow(client);
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    expect(streams[0]!.input).toEqual({ parts: ['counters'] });
    await vi.waitFor(() => expect(store.counters).not.toBeNull());
    expect(asked).toEqual(['counters']);
    expect(store.digitizers).toBeNull();
    // The Digitizers view opens: one stream with both, the old one ended.
    const releaseDigitizers = store.want(['digitizers', 'counters']);
    await vi.waitFor(() => expect(streams).toHaveLength(2));
    expect(streams[1]!.input).toEqual({ parts: ['counters', 'digitizers'] });
    expect(streams[0]!.ended).toBe(true);
    await vi.waitFor(() => expect(store.digitizers?.map((d) => d.device)).toEqual(['drs4']));
    streams[1]!.stream.push({ type: 'digitizers', digitizers: [], at: Date.now() });
    await vi.waitFor(() => expect(store.digitizers).toEqual([]));
    // The Shift view closes: the same parts, no new stream.
    releaseShift();
    await new Promise((r) => setTimeout(r, 20));
    expect(streams).toHaveLength(2);
    // Nothing wanted any more: a client that does not say takes everything.
    releaseDigitizers();
    await vi.waitFor(() => expect(streams).toHaveLength(3));
    expect(streams[2]!.input).toBeUndefined();
    expect(streams[1]!.ended).toBe(true);
    streams[2]!.stream.close();
  });

  it('replaces a scaler with what "Read now" read', async () => {
    const store = useBeamlineStore();
    store.setCounters(COUNTERS);
    signIn('expert', { readCounters: async () => ({ ...SCALER, lastReadAt: NOW + 5 }) });
    const s = await store.readCounters('v830');
    expect(s.lastReadAt).toBe(NOW + 5);
    expect(store.counters?.scalers[0]?.lastReadAt).toBe(NOW + 5);
    expect(store.counters?.crossChecks).toHaveLength(2);
  });

  it('puts Digitizers on Alt+9 and Counters on Alt+0', () => {
    expect(NAV.filter((n) => n.name === 'digitizers' || n.name === 'counters')).toEqual([
      { name: 'digitizers', label: 'Digitizers', icon: '∿', key: '9' },
      { name: 'counters', label: 'Counters', icon: 'Σ', key: '0' },
    ]);
    expect(new Set(NAV.map((n) => n.key)).size).toBe(NAV.length);
  });
});
