// The injected signal given as (m, ε): the rate per beam particle the launcher hands the twin is the Reach
// view's yield model at that point (src-main/cli/simulators/signal-rate.ts), and bad combinations are refused.
import { describe, expect, it } from 'vitest';
import { loadSetup } from '../../setups/load';
import { resolveSignalRate, signalRateFromCoupling } from '../../src-main/cli/simulators/signal-rate';
import { CliError } from '../../src-main/cli/errors';
import { invisibleALimit, invisibleAYieldPerEot, N90_BACKGROUND_FREE, visibleABand, visibleASignalPerEot, zMuLimit, zMuYieldPerMot } from '../../src-main/dq/reach';

const FLAGS = { rate: '--sim-signal', epsilon: '--sim-signal-epsilon' };
const rate = (setup: string, epsilon: number, massGeV: number) => signalRateFromCoupling(loadSetup(setup), epsilon, massGeV, FLAGS).rate;

describe('--sim-signal-epsilon: the rate per beam particle from (m, ε)', () => {
  it('invisible-e: ε² × the A′ yield per EOT at ε = 1', () => {
    expect(rate('invisible-e', 1e-3, 0.02)).toBeCloseTo(1e-6 * invisibleAYieldPerEot(0.02), 20);
    expect(rate('invisible-e', 1e-4, 0.02) / rate('invisible-e', 1e-3, 0.02)).toBeCloseTo(1e-2, 12);
    // The yield is at coupling 1: at the coupling the Reach view excludes with some exposure, that exposure ×
    // the efficiency × the rate is N₉₀.
    const eot = 1e11;
    const eps = invisibleALimit(0.1, eot, 0.3)!;
    expect(eot * 0.3 * rate('invisible-e', eps, 0.1)).toBeCloseTo(N90_BACKGROUND_FREE, 9);
  });

  it('muon: g² × the Z_μ yield per MOT', () => {
    expect(rate('muon', 2e-4, 0.05)).toBeCloseTo(4e-8 * zMuYieldPerMot(0.05), 20);
    const g = zMuLimit(0.01, 1e11, 0.5)!;
    expect(1e11 * 0.5 * rate('muon', g, 0.01)).toBeCloseTo(N90_BACKGROUND_FREE, 9);
  });

  it('visible-e: the A′ → e⁺e⁻ decays inside the decay volume per EOT at the setup’s 150 GeV', () => {
    const r = rate('visible-e', 2e-4, 0.0167);
    expect(r).toBe(visibleASignalPerEot(2e-4, 0.0167, 150));
    // At the band's lower edge for an exposure, exposure × eff × rate = N₉₀.
    const band = visibleABand(0.0167, [{ eot: 1e11, beamGeV: 150 }], 0.5)!;
    expect(1e11 * 0.5 * rate('visible-e', band.low, 0.0167)).toBeCloseTo(N90_BACKGROUND_FREE, 6);
  });

  it('takes the twin’s default mass, 20 MeV, when none is given; without ε the rate is left as given', () => {
    const setup = loadSetup('invisible-e');
    expect(resolveSignalRate(setup, { epsilon: 1e-3 }, FLAGS)!.rate).toBe(rate('invisible-e', 1e-3, 0.02));
    expect(resolveSignalRate(setup, { epsilon: 1e-3, massMeV: 100 }, FLAGS)!.rate).toBe(rate('invisible-e', 1e-3, 0.1));
    expect(resolveSignalRate(setup, { rate: 0.01 }, FLAGS)).toBeNull();
    expect(resolveSignalRate(setup, { epsilon: 1e-3 }, FLAGS)!.describe).toMatch(/m = 20 MeV, ε = 0\.001: .* per electron/);
  });

  it('refuses a rate and a coupling together, a coupling ≤ 0 or > 1, a rate above one, and the hadron beam', () => {
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        expect(error).toBeInstanceOf(CliError);
        return (error as Error).message;
      }
      throw new Error('not refused');
    };
    const inv = loadSetup('invisible-e');
    expect(refusal(() => resolveSignalRate(inv, { rate: 1e-4, epsilon: 1e-3 }, FLAGS))).toMatch(/--sim-signal and --sim-signal-epsilon exclude each other/);
    expect(refusal(() => resolveSignalRate(inv, { rate: 0, epsilon: 1e-3 }, FLAGS))).toMatch(/exclude each other/);
    expect(refusal(() => signalRateFromCoupling(inv, 0, 0.02, FLAGS))).toMatch(/--sim-signal-epsilon must be a coupling above 0/);
    expect(refusal(() => signalRateFromCoupling(inv, -1e-3, 0.02, FLAGS))).toMatch(/above 0/);
    expect(refusal(() => signalRateFromCoupling(inv, 1, 0.0001, FLAGS))).toMatch(/more than one/);
    expect(refusal(() => signalRateFromCoupling(loadSetup('hadron'), 1e-3, 0.02, FLAGS))).toMatch(/setup hadron has no coupling model: its signal is Br\(M⁰ → invisible\)/);
    expect(refusal(() => signalRateFromCoupling(loadSetup('visible-e'), 1e-4, 0.0008, FLAGS))).toMatch(/below 2 m_e/);
  });
});
