// Data-quality checks of one digitizer spill (DigitizerSpill's result), in the shape of src-main/dq/checks.ts:
// dead channels, saturation and baseline drift, each Good / Medium / Bad, or Null with the reason why it
// cannot judge. Pure functions with the thresholds below as named constants.
import type { DqCheck } from '../dq/checks';
import type { DigitizerChannelSummary, DigitizerSpillResult } from './digitizer-spill';
import { digitizerHistogramName } from './digitizer-spill';

/**
 * Below 50 triggers the checks say Null: 1 % of the triggers is less than one, and a channel firing in 20 % of
 * them would stay silent in 50 by chance with a probability of 0.8⁵⁰ ≈ 10⁻⁵ only from 50 on.
 */
export const DIGITIZER_MIN_TRIGGERS = 50;
/** Dead: a channel fires in fewer than 1 % of the triggers … */
export const DEAD_FIRED_FRACTION = 0.01;
/**
 * … while another channel of the same device fires in more than 20 % of them: then beam was there and the
 * trigger worked, so the silent input lost its signal (HV off, cable, PMT). Without such a channel (no beam,
 * random triggers) nothing says the channel should have fired.
 */
export const DEAD_REFERENCE_FIRED_FRACTION = 0.2;
/** A channel that fired in ≥ 10 % of the previous spill's triggers and in < 1 % of this one's stopped. */
export const DEAD_USED_TO_FIRE = 0.1;
/**
 * A channel with no pulse at all in this many triggers is dead even without history: a channel firing in
 * 2 % of the triggers (the rarest the beam line has, the veto) stays silent for 500 with probability 4·10⁻⁵.
 */
export const DEAD_NEVER_FIRED_TRIGGERS = 500;
/**
 * Saturation: clipped pulses lose their height and charge. A few per cent are the Landau tail of a counter
 * (Medium above 5 %: the range or the HV wants a look); above 20 % the spectrum is cut (Bad).
 */
export const SATURATED_FRACTION = { medium: 0.05, bad: 0.2 };
/**
 * Baseline drift against the reference (a promoted good spill) or else the previous spill: 5 mV is 5 × the
 * ≈ 1 mV noise and moves the 5 mV firing threshold by its own size (Medium); 20 mV is 10 % of a MIP's ≈ 0.2 V
 * and eats the headroom of the input range (Bad) — an offset or a termination changed.
 */
export const BASELINE_DRIFT_MV = { medium: 5, bad: 20 };

/** What the baseline check compares with: a result of DigitizerSpill (a reference or the previous spill). */
export interface DigitizerBaselineReference {
  channels: readonly Pick<DigitizerChannelSummary, 'name' | 'triggers' | 'meanBaselineV'>[];
}

type Limits = { medium: number; bad: number };

function gradeAbove(value: number, limits: Limits): DqCheck['verdict'] {
  return value > limits.bad ? 'bad' : value > limits.medium ? 'medium' : 'good';
}

const percent = (x: number): string => `${(100 * x).toFixed(1)} %`;
const firedShare = (c: DigitizerChannelSummary): number => (c.triggers > 0 ? c.fired / c.triggers : 0);

/**
 * The checks of one device's spill: `digitizer.<device>.dead-channels`, `.saturation` and `.baseline-drift`,
 * detector `digitizer:<device>`. `previous` is the device's previous spill; `reference`, when given, is
 * preferred for the baseline (a slow drift never shows spill to spill).
 */
export function digitizerChecks(
  result: DigitizerSpillResult,
  previous: DigitizerSpillResult | null,
  reference?: DigitizerBaselineReference | null,
): DqCheck[] {
  const device = result.device;
  const detector = `digitizer:${device}`;
  const id = (what: string): string => `digitizer.${device}.${what}`;
  const hist = (c: DigitizerChannelSummary, which: 'amplitude' | 'baseline'): string => digitizerHistogramName(device, c.name, which);

  if (result.triggers < DIGITIZER_MIN_TRIGGERS) {
    const reason = (what: string): string =>
      `${device} ${what}: too few triggers (${result.triggers}, fewer than the ${DIGITIZER_MIN_TRIGGERS} needed to judge)`;
    return [
      { id: id('dead-channels'), detector, histogram: null, verdict: 'null', value: result.triggers, reason: reason('dead channels') },
      { id: id('saturation'), detector, histogram: null, verdict: 'null', value: result.triggers, reason: reason('saturation') },
      { id: id('baseline-drift'), detector, histogram: null, verdict: 'null', value: result.triggers, reason: reason('baseline') },
    ];
  }
  return [deadChannels(), saturation(), baselineDrift()];

  function deadChannels(): DqCheck {
    const base = { id: id('dead-channels'), detector };
    const lively = result.channels.filter((c) => c.triggers >= DIGITIZER_MIN_TRIGGERS && firedShare(c) > DEAD_REFERENCE_FIRED_FRACTION);
    if (lively.length === 0) {
      return {
        ...base,
        histogram: null,
        verdict: 'null',
        value: null,
        reason: `${device}: no channel fires in more than ${percent(DEAD_REFERENCE_FIRED_FRACTION)} of the ${result.triggers} triggers (no beam?), nothing to tell a dead channel by`,
      };
    }
    // A channel that fires rarely by nature (a veto: ≈ 2 %) may fire in none of a short spill's triggers: it
    // is dead when it used to fire (the previous spill) and stopped, or when it never fired in so many
    // triggers that even a rare channel would have.
    const usedTo = (c: DigitizerChannelSummary) => {
      const p = previous?.channels.find((x) => x.name === c.name);
      return p !== undefined && p.triggers >= DIGITIZER_MIN_TRIGGERS && firedShare(p) >= DEAD_USED_TO_FIRE;
    };
    const dead = result.channels.filter(
      (c) => lively.some((l) => l !== c) && ((firedShare(c) < DEAD_FIRED_FRACTION && usedTo(c)) || (c.fired === 0 && c.triggers >= DEAD_NEVER_FIRED_TRIGGERS) || c.triggers === 0),
    );
    if (dead.length === 0) {
      return { ...base, histogram: null, verdict: 'good', value: 0, reason: `${device}: no dead channel (fired: ${result.channels.map((c) => `${c.name} ${percent(firedShare(c))}`).join(', ')})` };
    }
    const lead = lively[0]!;
    const what = dead.map((c) => (c.triggers === 0 ? `${c.name} (no waveform read)` : `${c.name} (${c.fired} of ${c.triggers})`));
    return {
      ...base,
      histogram: hist(dead[0]!, 'amplitude'),
      verdict: 'bad',
      value: dead.length,
      channels: dead.map((c) => c.name),
      reason: `${device}: dead — ${what.join(', ')} fired in fewer than ${percent(DEAD_FIRED_FRACTION)} of the triggers while ${lead.name} fired in ${percent(firedShare(lead))}: check HV, cable and termination`,
    };
  }

  function saturation(): DqCheck {
    const base = { id: id('saturation'), detector };
    const judged = result.channels.filter((c) => c.triggers >= DIGITIZER_MIN_TRIGGERS);
    if (judged.length === 0) {
      return { ...base, histogram: null, verdict: 'null', value: null, reason: `${device} saturation: too few triggers on every channel` };
    }
    const graded = judged
      .map((c) => ({ c, share: c.saturated / c.triggers }))
      .map((g) => ({ ...g, verdict: gradeAbove(g.share, SATURATED_FRACTION) }))
      .sort((a, b) => b.share - a.share);
    const worst = graded[0]!;
    const flagged = graded.filter((g) => g.verdict !== 'good');
    if (flagged.length === 0) {
      return { ...base, histogram: null, verdict: 'good', value: worst.share, reason: `${device}: at most ${percent(worst.share)} of the pulses saturated (${worst.c.name})` };
    }
    return {
      ...base,
      histogram: hist(worst.c, 'amplitude'),
      verdict: worst.verdict,
      value: worst.share,
      channels: flagged.map((g) => g.c.name),
      reason: `${device}: saturated — ${flagged.map((g) => `${g.c.name} ${percent(g.share)} of ${g.c.triggers}`).join(', ')} of the triggers clipped at the input range: widen the range or lower the gain`,
    };
  }

  function baselineDrift(): DqCheck {
    const base = { id: id('baseline-drift'), detector };
    const usable = (from: DigitizerBaselineReference | null | undefined, name: string): number | null => {
      const c = from?.channels.find((r) => r.name === name);
      return c && c.triggers >= DIGITIZER_MIN_TRIGGERS && c.meanBaselineV !== null && Number.isFinite(c.meanBaselineV) ? c.meanBaselineV : null;
    };
    const drifts: { c: DigitizerChannelSummary; mv: number; against: string }[] = [];
    for (const c of result.channels) {
      if (c.triggers < DIGITIZER_MIN_TRIGGERS || c.meanBaselineV === null) continue;
      const ref = usable(reference, c.name);
      const prev = ref === null ? usable(previous, c.name) : null;
      const then = ref ?? prev;
      if (then === null) continue;
      drifts.push({ c, mv: (c.meanBaselineV - then) * 1000, against: ref !== null ? 'the reference' : 'the previous spill' });
    }
    if (drifts.length === 0) {
      return { ...base, histogram: null, verdict: 'null', value: null, reason: `${device} baseline: no reference or previous spill with ${DIGITIZER_MIN_TRIGGERS} triggers to compare with` };
    }
    drifts.sort((a, b) => Math.abs(b.mv) - Math.abs(a.mv));
    const worst = drifts[0]!;
    const flagged = drifts.filter((d) => gradeAbove(Math.abs(d.mv), BASELINE_DRIFT_MV) !== 'good');
    const signed = (mv: number): string => `${mv >= 0 ? '+' : '−'}${Math.abs(mv).toFixed(1)} mV`;
    if (flagged.length === 0) {
      return { ...base, histogram: null, verdict: 'good', value: Math.abs(worst.mv), reason: `${device} baselines stable (largest move ${signed(worst.mv)}, ${worst.c.name}, against ${worst.against})` };
    }
    return {
      ...base,
      histogram: hist(worst.c, 'baseline'),
      verdict: gradeAbove(Math.abs(worst.mv), BASELINE_DRIFT_MV),
      value: Math.abs(worst.mv),
      channels: flagged.map((d) => d.c.name),
      reason: `${device}: baseline moved — ${flagged.map((d) => `${d.c.name} ${signed(d.mv)} against ${d.against}`).join(', ')}: an offset, termination or pick-up changed`,
    };
  }
}
