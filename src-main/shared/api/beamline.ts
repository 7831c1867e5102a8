// API contract of the beam line: the USB digitizers (their last waveforms and spectra), the beam-line
// counters (per spill, as rates, their cross-check with the DAQ's end-of-burst scaler), the SPS timing the
// app's spill clock follows, and what the machine's USB bus holds.
import { eventIterator, oc } from '@orpc/contract';
import { z } from 'zod';
import { DeviceState } from './devices';
import { Comment, HistSnapshot, RunNumber, SpillNumber } from './schemas';

const DeviceId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a device id is lowercase letters, digits and "-"');
const Verdict = z.enum(['good', 'medium', 'bad', 'null']);

export const DigitizerCheck = z.object({ id: z.string(), verdict: Verdict, value: z.number().nullable(), reason: z.string(), channels: z.array(z.string()).optional() });
export type DigitizerCheck = z.infer<typeof DigitizerCheck>;

export const DigitizerChannelView = z.object({
  index: z.number().int(),
  name: z.string(),
  rangeV: z.tuple([z.number(), z.number()]),
  /** This spill (or the last, between spills): triggers read, pulses seen, their rate, mean amplitude and baseline. */
  triggers: z.number().int().nonnegative(),
  fired: z.number().int().nonnegative(),
  ratePerS: z.number().nullable(),
  meanAmplitudeMv: z.number().nullable(),
  meanBaselineMv: z.number().nullable(),
  saturated: z.number().int().nonnegative(),
});
export type DigitizerChannelView = z.infer<typeof DigitizerChannelView>;

export const DigitizerView = z.object({
  device: z.string(),
  model: z.string(),
  address: z.string(),
  state: DeviceState,
  reason: z.string(),
  /** Whether it is reading triggers now (in spill, device online). */
  acquiring: z.boolean(),
  /** The last acquisition error, in words (null when the last one worked). */
  error: z.string().nullable(),
  samplePeriodNs: z.number().nullable(),
  triggerSample: z.number().int().nullable(),
  channels: z.array(DigitizerChannelView),
  /** The last waveforms per channel (volts, decimated to ≤ 256 points): the persistence view. */
  persistence: z.array(z.object({ channel: z.number().int(), name: z.string(), waveforms: z.array(z.array(z.number())) })),
  /** Amplitude, charge and time spectra of the spill in progress (or the last one). */
  spectra: z.array(HistSnapshot),
  /** The last spill closed: when, and its data-quality checks. */
  lastSpill: z.object({ run: RunNumber.nullable(), spill: SpillNumber.nullable(), startedAt: z.number(), endedAt: z.number(), checks: z.array(DigitizerCheck) }).nullable(),
});
export type DigitizerView = z.infer<typeof DigitizerView>;

export const CounterView = z.object({
  index: z.number().int(),
  name: z.string(),
  role: z.string(),
  /** The counter as last read (modulo 2^bits). */
  raw: z.number().nullable(),
  /** Counts in the last spill (wrap-around undone), and as a rate over the spill (per second). */
  lastSpill: z.number().nullable(),
  ratePerS: z.number().nullable(),
});
export type CounterView = z.infer<typeof CounterView>;

export const CounterSpill = z.object({
  device: z.string(),
  /** The timing source's spill counter, and when the spill began and ended. */
  sequence: z.number().int(),
  startedAt: z.number(),
  endedAt: z.number(),
  /** Counts per counter name in the spill; null when the end-of-burst read failed. */
  counts: z.record(z.string(), z.number()).nullable(),
  /** What went wrong with the spill's counts (no end-of-burst read, a stuck counter, a wrap), null when nothing. */
  problem: z.string().nullable(),
});
export type CounterSpill = z.infer<typeof CounterSpill>;

export const ScalerView = z.object({
  device: z.string(),
  model: z.string(),
  address: z.string(),
  state: DeviceState,
  reason: z.string(),
  bits: z.number().int().nullable(),
  lastReadAt: z.number().nullable(),
  channels: z.array(CounterView),
  /** The last spills, newest last (at most 60). */
  history: z.array(CounterSpill),
});
export type ScalerView = z.infer<typeof ScalerView>;

/** The beam counters against the DAQ's end-of-burst scaler, for one spill of a run. */
export const CrossCheck = z.object({
  run: RunNumber,
  spill: SpillNumber,
  at: z.number(),
  device: z.string(),
  /** What is compared: the dead-time-gated triggers, or the particles on target. */
  quantity: z.enum(['triggers', 'particles']),
  scaler: z.number(),
  daq: z.number(),
  /** (scaler − daq) / daq. */
  difference: z.number(),
  tolerance: z.number(),
  ok: z.boolean(),
});
export type CrossCheck = z.infer<typeof CrossCheck>;

export const TimingSignalView = z.object({ signal: z.enum(['WWE', 'WE', 'EE', 'SPS-OFF', 'SPS-ON']), at: z.number(), sequence: z.number().int() });

export const TimingView = z.object({
  /** The site device the spill clock follows, or "daq" (the DAQ stream's start and end of burst). */
  source: z.string(),
  /** The source in words ("V977 input register via MVLC udp 192.0.2.40:32768", "the DAQ's SOB/EOB"). */
  description: z.string(),
  phase: z.enum(['spill', 'interspill', 'off']),
  phaseStartedAt: z.number(),
  phaseEndsAt: z.number().nullable(),
  spillMs: z.number(),
  cycleMs: z.number(),
  /** The SPS is off (no extraction): beam alarms are suppressed by design. */
  noBeam: z.boolean(),
  noBeamSince: z.number().nullable(),
  /** Fake timing drives the spill clock (calibration without beam). */
  fake: z.boolean(),
  /** The last signals, newest last. */
  signals: z.array(TimingSignalView),
});
export type TimingView = z.infer<typeof TimingView>;

export const CountersState = z.object({
  scalers: z.array(ScalerView),
  /** Cross-checks of the current (or last) run's last spills, newest last. */
  crossChecks: z.array(CrossCheck),
  timing: TimingView,
  /** Where the intensity and the EOT denominator come from, in words. */
  intensitySource: z.string(),
});
export type CountersState = z.infer<typeof CountersState>;

export const UsbBus = z.object({
  available: z.boolean(),
  /** Why there is no USB here, in one line (null when there is). */
  reason: z.string().nullable(),
  devices: z.array(
    z.object({
      vendorId: z.number().int(),
      productId: z.number().int(),
      serial: z.string().nullable(),
      manufacturer: z.string().nullable(),
      product: z.string().nullable(),
      location: z.string(),
      /** The site device this USB device is, if a site entry matches its vendor, product and serial. */
      device: z.string().nullable(),
    }),
  ),
});
export type UsbBus = z.infer<typeof UsbBus>;

/** What the beam line's live stream carries: one part per kind of event. */
export const BeamlinePart = z.enum(['digitizers', 'counters', 'usb']);
export type BeamlinePart = z.infer<typeof BeamlinePart>;

export const BeamlineLiveEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('digitizers'), digitizers: z.array(DigitizerView), at: z.number() }),
  z.object({ type: z.literal('counters'), counters: CountersState, at: z.number() }),
  z.object({ type: z.literal('usb'), usb: UsbBus }),
]);
export type BeamlineLiveEvent = z.infer<typeof BeamlineLiveEvent>;

const NotFound = { NOT_FOUND: { message: 'no such device' } };
const Unavailable = { SERVICE_UNAVAILABLE: { message: 'the device cannot answer now' } };

export const beamlineContract = {
  beamline: {
    digitizers: oc.output(z.array(DigitizerView)),
    counters: oc.output(CountersState),
    /** Read a scaler now, outside the end-of-burst reads. */
    readCounters: oc.errors({ ...NotFound, ...Unavailable }).input(z.object({ device: DeviceId })).output(ScalerView),
    /** The cross-checks of a run's spills with the DAQ. */
    crossChecks: oc.input(z.object({ run: RunNumber })).output(z.array(CrossCheck)),
    usb: oc.output(UsbBus),
    /**
     * Switch the fake-timing generator on (calibration runs without beam: the spill clock, the counters and
     * the digitizers follow it) or off (expert). Refused while the SPS extracts.
     */
    fakeTiming: oc
      .errors({ CONFLICT: { message: 'not now' } })
      .input(
        z.object({
          on: z.boolean(),
          spillMs: z.number().min(100).max(60_000).default(4800),
          cycleMs: z.number().min(200).max(600_000).default(16_800),
          reason: Comment.refine((r) => r.trim().length > 0, 'say why'),
        }),
      )
      .output(TimingView),
    /**
     * Digitizers (≈ 2 per second), counters (on every read and timing signal) and USB changes, each starting
     * with its state now; `parts` (all three when not given) picks which: a screen without waveforms does not
     * take ≈ 200 kB of them a second.
     */
    live: oc.input(z.object({ parts: z.array(BeamlinePart).min(1).optional() }).optional()).output(eventIterator(BeamlineLiveEvent)),
  },
};
