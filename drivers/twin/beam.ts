// The simulated SPS beam as the simulators of the beam-line devices see it: where the cycle is now (spill,
// between spills, SPS off), and the generator's truth of each spill (particles on target, triggers fired
// and accepted). In `serve --sim` the DAQ simulator's twin owns the beam; the scaler, timing and digitizer
// simulators run in processes of their own and follow it over its control channel (`linkedTwinBeam`), and
// rebuild the same twin from its seed, so every device counts the same spills. Tests use `localTwinBeam`.
import type { DriverLogger } from '../sdk/index';
import { BEAM_FOLLOW_MS, simControl, type SimBeamState } from '../sdk/sim-control';
import { loadSetup } from '../../setups/load';
import type { SetupConfig } from '../../setups/setup-schema';
import { DEFAULT_SPS_CYCLE } from './sps-cycle';
import { Twin, type SpillScalers } from './twin';

export interface BeamNow {
  phase: 'spill' | 'interspill' | 'off';
  /** The spill in progress (in spill) or the last one (between spills, off); -1 before the first. */
  index: number;
  phaseStartedAt: number;
  /** null while the SPS is off: nobody knows when it comes back. */
  phaseEndsAt: number | null;
  /** Wall-clock ms of a spill and of a cycle (time scale applied). */
  spillMs: number;
  cycleMs: number;
}

export interface TwinBeam {
  now(at?: number): BeamNow;
  /** Wall-clock ms when spill `index` starts. */
  spillStart(index: number): number;
  /**
   * The generator's truth of spill `index`: particles on target, triggers fired and accepted (none, or
   * the part before, when the beam was blocked from reaching NA64 during the spill).
   */
  truth(index: number): SpillScalers;
  /** Shares of electrons, hadrons and muons in the beam (the setup's). */
  composition(): Composition;
  /** Resolves once the beam is known (at once for a local beam; a linked one on its owner's first answer). */
  known(): Promise<void>;
  close(): void;
}

export interface Composition {
  electron: number;
  hadron: number;
  muon: number;
}

function compositionOf(setup: SetupConfig): Composition {
  const c = setup.beam.composition;
  const total = c.electron + c.hadron + c.muon;
  return { electron: c.electron / total, hadron: c.hadron / total, muon: c.muon / total };
}

/** Spill truths kept (a spill's truth is asked many times while it runs). */
const TRUTH_CACHE = 8;

function phaseAt(s: SimBeamState, at: number): BeamNow {
  const base = { spillMs: s.spillMs, cycleMs: s.cycleMs };
  const lastIndex = (t: number) => (t < s.firstSpillAt ? -1 : Math.floor((t - s.firstSpillAt) / s.cycleMs));
  if (s.off && at >= (s.offSince ?? at)) return { ...base, phase: 'off', index: lastIndex(s.offSince ?? at), phaseStartedAt: s.offSince ?? at, phaseEndsAt: null };
  if (at < s.firstSpillAt) return { ...base, phase: 'interspill', index: -1, phaseStartedAt: s.firstSpillAt - s.cycleMs + s.spillMs, phaseEndsAt: s.firstSpillAt };
  const index = lastIndex(at);
  const start = s.firstSpillAt + index * s.cycleMs;
  if (at < start + s.spillMs) return { ...base, phase: 'spill', index, phaseStartedAt: start, phaseEndsAt: start + s.spillMs };
  return { ...base, phase: 'interspill', index, phaseStartedAt: start + s.spillMs, phaseEndsAt: start + s.cycleMs };
}

/** What reached NA64 of spill `index`: all of it, none when the beam was blocked before it, the part before a block within it (as the DAQ simulator cuts that spill short). */
function reached(s: SimBeamState, index: number, truth: SpillScalers): SpillScalers {
  if (s.blockedSince === null) return truth;
  const start = s.firstSpillAt + index * s.cycleMs;
  const done = Math.min(1, Math.max(0, (s.blockedSince - start) / s.spillMs));
  if (done === 1) return truth;
  return { ...truth, particles: truth.particles * done, triggers: truth.triggers * done, accepted: truth.accepted * done, deadTimeUs: truth.deadTimeUs * done, gateUs: truth.gateUs * done };
}

class TruthCache {
  private readonly kept = new Map<number, SpillScalers>();
  constructor(private readonly twin: () => Twin) {}
  get(index: number): SpillScalers {
    let t = this.kept.get(index);
    if (!t) {
      t = { ...this.twin().spill(index).scalers };
      this.kept.set(index, t);
      if (this.kept.size > TRUTH_CACHE) this.kept.delete(this.kept.keys().next().value!);
    }
    return t;
  }
}

function twinOf(setup: SetupConfig, seed: number): Twin {
  return new Twin(setup, { seed, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs });
}

export interface LocalBeamOptions {
  setup: SetupConfig;
  seed: number;
  timeScale: number;
  /** Wall-clock ms of spill 0's start (default: now + the cycle's first-spill delay). */
  firstSpillAt?: number;
  now?: () => number;
}

/** A beam of its own, in this process (tests, a bench device): `off(true)` stops the SPS, `block(true)` keeps the beam from NA64. */
export function localTwinBeam(o: LocalBeamOptions): TwinBeam & { off(off: boolean): void; block(blocked: boolean): void } {
  const now = o.now ?? Date.now;
  const state: SimBeamState = {
    setup: o.setup.name,
    seed: o.seed,
    timeScale: o.timeScale,
    firstSpillAt: o.firstSpillAt ?? now() + DEFAULT_SPS_CYCLE.firstSpillAfterMs / o.timeScale,
    spillMs: DEFAULT_SPS_CYCLE.spillMs / o.timeScale,
    cycleMs: DEFAULT_SPS_CYCLE.cycleMs / o.timeScale,
    off: false,
    offSince: null,
    blockedSince: null,
  };
  let twin: Twin | null = null;
  const truths = new TruthCache(() => (twin ??= twinOf(o.setup, o.seed)));
  return {
    now: (at = now()) => phaseAt(state, at),
    spillStart: (index) => state.firstSpillAt + index * state.cycleMs,
    truth: (index) => reached(state, index, truths.get(index)),
    composition: () => compositionOf(o.setup),
    off(off: boolean) {
      state.off = off;
      state.offSince = off ? now() : null;
    },
    block(blocked: boolean) {
      state.blockedSince = blocked ? now() : null;
    },
    known: () => Promise.resolve(),
    close: () => undefined,
  };
}

const FIRST_ASK_MS = 40;

/**
 * The beam of the simulator at `host:port` (the DAQ simulator's control channel), followed over loopback.
 * Until it has answered once the beam is 'off' (no spill is invented): a simulator waits for `known()`
 * before it serves, or its first answers would say the SPS is off. A lost link keeps the last state.
 */
export function linkedTwinBeam(host: string, port: number, log: DriverLogger, now: () => number = Date.now): TwinBeam {
  let state: SimBeamState | null = null;
  let twin: { key: string; twin: Twin } | null = null;
  let composition: { setup: string; shares: Composition } | null = null;
  let closed = false;
  let warned = false;
  let timer: NodeJS.Timeout | null = null;
  let heard: () => void = () => undefined;
  const known = new Promise<void>((resolve) => (heard = resolve));
  const truths = new TruthCache(() => {
    const s = state!;
    const key = `${s.setup}:${s.seed}`;
    if (twin?.key !== key) twin = { key, twin: twinOf(loadSetup(s.setup), s.seed) };
    return twin.twin;
  });
  const ask = async () => {
    timer = null;
    if (closed) return;
    try {
      const reply = await simControl(host, port, { op: 'beam' }, 2000);
      if (reply.ok && reply.beam) {
        const first = state === null;
        state = reply.beam;
        warned = false;
        if (first) {
          heard();
          // Building the twin takes a few hundred ms: right after the simulator has said it serves, not in
          // the middle of a device's reply.
          setImmediate(() => state && truths.get(Math.max(0, phaseAt(state, now()).index)));
        }
      } else if (!reply.ok && !warned) {
        log.warn('the beam simulator refused the beam request', { to: `${host}:${port}`, error: reply.error });
        warned = true;
      }
    } catch (error) {
      if (!warned) log.warn('the beam simulator cannot be reached; retrying', { to: `${host}:${port}`, error: (error as Error).message });
      warned = true;
    }
    if (!closed) {
      // Until the owner first answers (it may still be starting), ask often: the simulator waits for it.
      timer = setTimeout(() => void ask(), state ? BEAM_FOLLOW_MS : FIRST_ASK_MS);
      timer.unref();
    }
  };
  void ask();
  const unknown: BeamNow = { phase: 'off', index: -1, phaseStartedAt: now(), phaseEndsAt: null, spillMs: DEFAULT_SPS_CYCLE.spillMs, cycleMs: DEFAULT_SPS_CYCLE.cycleMs };
  return {
    now: (at = now()) => (state ? phaseAt(state, at) : unknown),
    spillStart: (index) => (state ? state.firstSpillAt + index * state.cycleMs : Number.POSITIVE_INFINITY),
    truth: (index) => {
      if (!state) throw new Error('the simulated beam is not known yet');
      return reached(state, index, truths.get(index));
    },
    composition: () => {
      const name = state?.setup ?? 'invisible-e';
      if (composition?.setup !== name) composition = { setup: name, shares: compositionOf(loadSetup(name)) };
      return composition.shares;
    },
    known: () => known,
    close: () => {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
