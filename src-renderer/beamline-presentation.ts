// How the beam line looks: the digitizers' persistence traces (time from the trigger in ns, millivolts, one
// colour per channel, older waveforms faint), rates and millivolts as people read them, the cross-check with
// the DAQ, the SPS timing in words, and the USB bus in one line.
import type { CountersState, CounterSpill, CrossCheck, DigitizerView, ScalerView, TimingView, UsbBus } from '@shared/api/beamline';
import type { Permission } from '@shared/auth';
import { formatTime, type Look } from './presentation';

/** Reading a scaler outside the end-of-burst reads latches its counters: not a viewer's act. */
export const READ_COUNTERS_PERMISSION: Permission = 'counters.read';

/** One colour per digitizer channel, distinct on the dark theme (CH1 blue as on most scopes' screens is not a rule here). */
export const CHANNEL_COLOURS = ['#58a6ff', '#3fb950', '#e3b341', '#ff6b61', '#d2a8ff', '#56d4dd', '#ffa657', '#f778ba'] as const;

export function channelColour(index: number): string {
  return CHANNEL_COLOURS[((index % CHANNEL_COLOURS.length) + CHANNEL_COLOURS.length) % CHANNEL_COLOURS.length]!;
}

/** The opacity of a persistence waveform: the newest opaque, the older ones faint, fading with age. */
export function persistenceOpacity(age: number, count: number): number {
  if (age <= 0) return 1;
  const oldest = Math.max(1, count - 1);
  return +(0.35 - (0.25 * (age - 1)) / Math.max(1, oldest - 1)).toFixed(3);
}

export interface PersistenceTrace {
  channel: number;
  name: string;
  colour: string;
  /** 0 for the newest waveform, 1 for the one before … */
  age: number;
  opacity: number;
  /** [time from the trigger in ns (or the sample number when the period is unknown), mV]. */
  points: [number, number][];
}

/** At most this many waveforms per channel are drawn (the core keeps about as many). */
export const PERSISTENCE_DEPTH = 16;

/**
 * The persistence traces of a digitizer, oldest first so the newest is drawn on top. The waveforms arrive
 * oldest first, in volts; the sample period and the trigger sample are those of the points sent, so time 0
 * is the trigger.
 */
export function persistenceTraces(view: Pick<DigitizerView, 'persistence' | 'samplePeriodNs' | 'triggerSample'>): PersistenceTrace[] {
  const period = view.samplePeriodNs ?? 1;
  const trigger = view.triggerSample ?? 0;
  const traces: PersistenceTrace[] = [];
  for (const p of view.persistence) {
    const shown = p.waveforms.slice(-PERSISTENCE_DEPTH);
    shown.forEach((samples, i) => {
      const age = shown.length - 1 - i;
      traces.push({
        channel: p.channel,
        name: p.name,
        colour: channelColour(p.channel),
        age,
        opacity: persistenceOpacity(age, shown.length),
        points: samples.map((v, k) => [+((k - trigger) * period).toPrecision(6), +(v * 1000).toPrecision(6)]),
      });
    });
  }
  // Every channel's older traces first, then the newest ones: the newest of each channel stays readable.
  return traces.sort((a, b) => b.age - a.age);
}

export function timeAxisName(samplePeriodNs: number | null): string {
  return samplePeriodNs === null ? 'sample from the trigger' : 'time from the trigger [ns]';
}

/** A rate per second: "12.4 /s", "3.10e5 /s"; "—" when unknown. */
export function formatRate(perS: number | null): string {
  if (perS === null || !Number.isFinite(perS)) return '—';
  if (perS >= 1e5) return `${perS.toExponential(2).replace('e+', 'e')} /s`;
  if (perS >= 100) return `${perS.toFixed(0)} /s`;
  return `${perS.toFixed(1)} /s`;
}

/** Millivolts with one decimal; "—" when unknown. */
export function formatMv(mv: number | null): string {
  if (mv === null || !Number.isFinite(mv)) return '—';
  // A baseline of −0.02 mV is 0.0 mV, not "-0.0".
  const text = mv.toFixed(1);
  return `${Number(text) === 0 ? '0.0' : text} mV`;
}

/** Counts as read: integers in full up to a million (the raw scaler value is read digit by digit), then e-notation. */
export function formatCounts(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return '—';
  return n >= 1e6 ? n.toExponential(3).replace('e+', 'e') : String(Math.round(n));
}

/** Whether the digitizer is reading triggers now, and when not, why. */
export function acquisitionLine(view: Pick<DigitizerView, 'acquiring' | 'state' | 'reason'>, phase: TimingView['phase'] | null): { acquiring: boolean; text: string } {
  if (view.acquiring) return { acquiring: true, text: 'acquiring: reading triggers in the spill' };
  if (view.state !== 'online') return { acquiring: false, text: `not acquiring: ${view.reason || view.state}` };
  if (phase === 'off') return { acquiring: false, text: 'not acquiring: the SPS is off' };
  if (phase === 'interspill') return { acquiring: false, text: 'not acquiring: between spills' };
  return { acquiring: false, text: 'not acquiring' };
}

export function crossCheckLook(ok: boolean): Look {
  return ok ? { tone: 'good', icon: '✓', label: 'OK' } : { tone: 'bad', icon: '✕', label: 'MISMATCH' };
}

/** A relative difference as a signed percentage: "+3.20 %", "−0.41 %". */
export function formatDifference(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const pct = (100 * fraction).toFixed(2);
  return fraction > 0 ? `+${pct} %` : pct.replace('-', '−') + ' %';
}

/** A tolerance as a percentage: "±2 %". */
export function formatTolerance(fraction: number): string {
  return `±${+(100 * fraction).toPrecision(3)} %`;
}

const QUANTITY_WORDS: Record<CrossCheck['quantity'], string> = { triggers: 'triggers (dead-time gated)', particles: 'particles on target' };

export function quantityName(q: CrossCheck['quantity']): string {
  return QUANTITY_WORDS[q] ?? q;
}

/** Wall time of day to the second: "14:03:27". */
export function formatClock(ms: number | null): string {
  return ms === null ? '—' : formatTime(ms).slice(11);
}

/** Wall time of day to the millisecond, for timing signals a second apart: "14:03:27.412". */
export function formatClockMs(ms: number): string {
  return `${formatClock(ms)}.${String(((ms % 1000) + 1000) % 1000).padStart(3, '0')}`;
}

const SIGNAL_WORDS: Record<TimingView['signals'][number]['signal'], string> = {
  WWE: 'warning-warning ejection: beam in ≈ 1 s',
  WE: 'warning ejection: the spill begins',
  EE: 'end of extraction: the spill ends',
  'SPS-OFF': 'the SPS switched off',
  'SPS-ON': 'the SPS is back',
};

export function signalWords(signal: TimingView['signals'][number]['signal']): string {
  return SIGNAL_WORDS[signal] ?? signal;
}

/** The no-beam line: beam alarms are suppressed by design while the SPS is off. */
export function noBeamLine(timing: Pick<TimingView, 'noBeam' | 'noBeamSince'>): string | null {
  if (!timing.noBeam) return null;
  return timing.noBeamSince === null ? 'NO BEAM — SPS off, beam alarms suppressed' : `NO BEAM — SPS off since ${formatClock(timing.noBeamSince)}, beam alarms suppressed`;
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/** A USB device as lsusb shows it, with the site device it is. */
export function usbDeviceLine(d: UsbBus['devices'][number]): string {
  const what = d.product ?? d.manufacturer ?? 'unnamed device';
  return `${hex4(d.vendorId)}:${hex4(d.productId)} ${what}${d.device ? ` (${d.device})` : ''}`;
}

/** The machine's USB bus in one line. */
export function usbLine(bus: UsbBus | null): string {
  if (!bus) return 'USB: not reported yet';
  if (!bus.available) return `USB: ${bus.reason ?? 'not available'}`;
  if (!bus.devices.length) return 'USB: no devices';
  const n = bus.devices.length;
  return `USB: ${n} device${n === 1 ? '' : 's'} — ${bus.devices.map(usbDeviceLine).join(' · ')}`;
}

/** Counter roles the shifter watches: the beam counters and the trigger. */
export const WATCHED_ROLES = ['S1', 'S2', 'Sc', 'trigger'] as const;

export interface WatchedRate {
  device: string;
  name: string;
  role: string;
  ratePerS: number | null;
  lastSpill: number | null;
}

/** The beam counters' and the trigger's rates over every scaler, in the order S1, S2, Sc, trigger. */
export function watchedRates(scalers: readonly ScalerView[]): WatchedRate[] {
  const rates: WatchedRate[] = [];
  for (const role of WATCHED_ROLES) {
    for (const s of scalers) {
      for (const c of s.channels) if (c.role === role) rates.push({ device: s.device, name: c.name, role: c.role, ratePerS: c.ratePerS, lastSpill: c.lastSpill });
    }
  }
  return rates;
}

export function lastCrossCheck(state: Pick<CountersState, 'crossChecks'>): CrossCheck | null {
  return state.crossChecks.at(-1) ?? null;
}

export interface TrendSeries {
  name: string;
  colour: string;
  /** [spill sequence, counts or null where the read failed]. */
  points: [number, number | null][];
}

/** Per-spill counts of each counter, over the scaler's history (newest last); zero counts drop out on a log axis. */
export function counterTrend(scaler: Pick<ScalerView, 'channels' | 'history'>, log: boolean): TrendSeries[] {
  return scaler.channels.map((c) => ({
    name: c.name,
    colour: channelColour(c.index),
    points: scaler.history.map((s): [number, number | null] => {
      const v = s.counts?.[c.name];
      return [s.sequence, v === undefined || (log && !(v > 0)) ? null : v];
    }),
  }));
}

export function problemSpills(history: readonly CounterSpill[]): CounterSpill[] {
  return history.filter((s) => s.problem !== null);
}
