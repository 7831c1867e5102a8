// The digitizers as a monitoring source: every waveform digitizer of the site is read trigger by trigger
// while the spill clock says the beam is extracted, each event measured (amplitude, charge, time, baseline)
// into the spill's histograms; at the end of the spill its figures and data-quality checks (dead channel,
// saturation, baseline drift) are stored, and its histograms go with the DAQ spill's (so they are archived
// and exported like every other). The last waveforms feed the persistence view.
import type { TimingEvent, WaveformDigitizer } from '../../drivers/sdk/index';
import type { Db } from '../archive/database';
import type { DqCheck } from '../dq/checks';
import type { Logger } from '../log';
import type { DigitizerView } from '../shared/api/beamline';
import type { HistSnapshot } from '../shared/histogram';
import type { SpillClock } from '../timing/spill-clock';
import { spillOfDaq } from '../timing/overlap';
import { digitizerChecks } from './digitizer-checks';
import { DigitizerSpill, type DigitizerSpillResult } from './digitizer-spill';

/** One acquisition waits at most this long for a trigger, so the loop sees the end of the spill in time. */
const ACQUIRE_TIMEOUT_MS = 300;
/** After a failed acquisition the loop waits this long (the driver's own backoff decides when it reconnects). */
const FAILED_PAUSE_MS = 500;
/** Between spills the loop looks at the clock this often. */
const IDLE_MS = 100;
/**
 * At most 50 acquisitions a second per device: a monitor of the beam-line signals needs a sample of the
 * triggers, not all of them (a USB scope reads out a few tens of waveforms a second anyway), and the app
 * must not spend its time on them.
 */
export const MIN_ACQUIRE_INTERVAL_MS = 20;

interface DeviceState {
  device: WaveformDigitizer;
  current: DigitizerSpill | null;
  /** The last spill closed, kept for the screens until the next one has data. */
  last: DigitizerSpill | null;
  /**
   * The last closed spill that read a trigger: the persistence display keeps its waveforms, as a scope's
   * screen keeps the last traces, through spills that read none (a loaded machine, a short spill).
   */
  drawn: DigitizerSpill | null;
  lastResult: DigitizerSpillResult | null;
  lastChecks: DqCheck[];
  lastAssociation: { run: number; spill: number } | null;
  error: string | null;
  acquiring: boolean;
}

export interface DigitizerServiceOptions {
  digitizers: () => WaveformDigitizer[];
  clock: SpillClock;
  db: Db;
  alarms: (values: Record<string, number | boolean | null>) => void;
  changed: () => void;
  log: Logger;
  now?: () => number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class DigitizerService {
  private readonly states = new Map<string, DeviceState>();
  private readonly loops = new Map<string, Promise<void>>();
  private closed = false;
  private readonly stop: () => void;
  private readonly now: () => number;
  private readonly q;

  constructor(private readonly o: DigitizerServiceOptions) {
    this.now = o.now ?? Date.now;
    this.q = {
      insert: o.db.prepare<[string, number | null, number | null, number, number, string, string]>(
        `INSERT OR REPLACE INTO digitizer_spills (device, run, spill, started_at, ended_at, channels, checks) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      associate: o.db.prepare<[number, number, string, number]>(`UPDATE digitizer_spills SET run = ?, spill = ? WHERE device = ? AND started_at = ?`),
    };
    this.stop = o.clock.onSignal((e) => this.signal(e));
    this.sync();
  }

  /** Start a loop for every digitizer of the site (after a site load too). */
  sync(): void {
    for (const device of this.o.digitizers()) {
      const known = this.states.get(device.id);
      if (known && known.device === device) continue;
      this.states.set(device.id, { device, current: null, last: null, drawn: null, lastResult: null, lastChecks: [], lastAssociation: null, error: null, acquiring: false });
      if (!this.loops.has(device.id)) this.loops.set(device.id, this.loop(device.id));
    }
    for (const id of this.states.keys()) if (!this.o.digitizers().some((d) => d.id === id)) this.states.delete(id);
  }

  private signal(e: TimingEvent): void {
    if (e.signal === 'WE') {
      for (const s of this.states.values()) {
        if (s.current) this.closeSpill(s, e.at);
        s.current = new DigitizerSpill(s.device.id, s.device.channels(), e.at);
      }
    } else if (e.signal === 'EE' || e.signal === 'SPS-OFF') {
      for (const s of this.states.values()) if (s.current) this.closeSpill(s, e.at);
    }
  }

  private async loop(id: string): Promise<void> {
    while (!this.closed) {
      const s = this.states.get(id);
      if (!s) break;
      const beam = this.o.clock.beam();
      if (beam.phase !== 'spill' || !s.current) {
        s.acquiring = false;
        await sleep(IDLE_MS);
        continue;
      }
      s.acquiring = true;
      const began = this.now();
      try {
        const event = await s.device.acquire(ACQUIRE_TIMEOUT_MS);
        s.error = null;
        if (event && s.current) s.current.add(event);
        const rest = MIN_ACQUIRE_INTERVAL_MS - (this.now() - began);
        if (rest > 0) await sleep(rest);
      } catch (error) {
        s.acquiring = false;
        s.error = (error as Error).message;
        await sleep(FAILED_PAUSE_MS);
      }
    }
    this.loops.delete(id);
  }

  private closeSpill(s: DeviceState, endedAt: number): void {
    const spill = s.current!;
    s.current = null;
    let result: DigitizerSpillResult;
    try {
      result = spill.close(Math.max(endedAt, spill.startedAt));
    } catch (error) {
      this.o.log.error({ err: error, device: s.device.id }, 'could not close a digitizer spill');
      return;
    }
    const checks = digitizerChecks(result, s.lastResult);
    s.last = spill;
    if (result.triggers > 0) s.drawn = spill;
    s.lastResult = result;
    s.lastChecks = checks;
    const association = this.associations.get(`${s.device.id}:${spill.startedAt}`) ?? null;
    s.lastAssociation = association;
    try {
      this.q.insert.run(s.device.id, association?.run ?? null, association?.spill ?? null, result.startedAt, result.endedAt, JSON.stringify(result.channels), JSON.stringify(checks));
    } catch (error) {
      this.o.log.error({ err: error, device: s.device.id }, 'could not store a digitizer spill');
    }
    this.o.alarms({ [`digitizer:${s.device.id}:bad-checks`]: checks.filter((c) => c.verdict === 'bad').length });
    this.o.changed();
  }

  private readonly associations = new Map<string, { run: number; spill: number }>();

  /**
   * The DAQ stores spill `spill` of run `run`, begun at `startedAt`: the digitizers' histograms of the spill
   * that began with it go with it.
   */
  histogramsFor(run: number, spill: number, startedAt: number): HistSnapshot[] {
    const out: HistSnapshot[] = [];
    const cycle = this.o.clock.beam().cycleMs;
    for (const s of this.states.values()) {
      const found = spillOfDaq([s.current, s.last].filter((x): x is DigitizerSpill => x !== null), startedAt, cycle);
      if (!found) continue;
      this.associations.set(`${s.device.id}:${found.startedAt}`, { run, spill });
      if (this.associations.size > 64) this.associations.delete(this.associations.keys().next().value!);
      if (found === s.last) {
        s.lastAssociation = { run, spill };
        this.q.associate.run(run, spill, s.device.id, found.startedAt);
      }
      const result = found === s.last && s.lastResult ? s.lastResult : found.snapshot(Math.max(this.now(), found.startedAt));
      out.push(...result.histograms);
    }
    return out;
  }

  views(): DigitizerView[] {
    return [...this.states.values()].map((s) => {
      const live = s.current !== null && s.current.triggerCount > 0;
      const shown = live ? s.current : (s.last ?? s.current);
      const result = shown ? (shown === s.last && s.lastResult ? s.lastResult : shown.snapshot(Math.max(this.now(), shown.startedAt))) : null;
      const traced = live ? s.current : s.drawn;
      const persistence = traced?.persistence() ?? null;
      const channels = s.device.channels();
      return {
        device: s.device.id,
        model: s.device.model,
        address: s.device.address,
        state: s.device.state(),
        reason: s.device.stateReason(),
        acquiring: s.acquiring,
        error: s.error,
        samplePeriodNs: persistence?.samplePeriodNs ?? null,
        triggerSample: persistence?.triggerSample === null || persistence?.triggerSample === undefined ? null : Math.round(persistence.triggerSample),
        channels: channels.map((c) => {
          const r = result?.channels.find((x) => x.channel === c.index);
          return {
            index: c.index,
            name: c.name,
            rangeV: [c.rangeV[0], c.rangeV[1]] as [number, number],
            triggers: r?.triggers ?? 0,
            fired: r?.fired ?? 0,
            ratePerS: r?.rateHz ?? null,
            meanAmplitudeMv: r?.meanAmplitudeV === null || r?.meanAmplitudeV === undefined ? null : 1000 * r.meanAmplitudeV,
            meanBaselineMv: r?.meanBaselineV === null || r?.meanBaselineV === undefined ? null : 1000 * r.meanBaselineV,
            saturated: r?.saturated ?? 0,
          };
        }),
        persistence: persistence?.channels ?? [],
        spectra: (result?.histograms ?? []).filter((h) => !h.name.endsWith('_baseline')),
        lastSpill: s.lastResult
          ? {
              run: s.lastAssociation?.run ?? null,
              spill: s.lastAssociation?.spill ?? null,
              startedAt: s.lastResult.startedAt,
              endedAt: s.lastResult.endedAt,
              checks: s.lastChecks.map((c) => ({ id: c.id, verdict: c.verdict, value: c.value, reason: c.reason, ...(c.channels ? { channels: c.channels } : {}) })),
            }
          : null,
      };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stop();
    await Promise.all(this.loops.values());
  }
}
