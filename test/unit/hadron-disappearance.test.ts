// The hadron beam's search end to end against the generator's truth: M⁰ → invisible injected into ordinary
// π⁻ spills (the twin's charge exchange in the active target at a chosen rate per pion), the disappearance
// trigger, real DATE bytes, the app's reconstruction; the selection's efficiency from a signal study of its
// own (other events, other seed) recovers the injected count within its Poisson error.
import { describe, expect, it } from 'vitest';
import { expectInjectedRecovered, signalRun } from '../support/signal-run';

const take = (seed: number, perPion: number, spills: number) => signalRun('hadron', seed, perPion, spills);

describe('hadron beam: M⁰ → invisible', () => {
  it('finds no candidate in π⁻ spills without signal: every pion, interacting or not, leaves its energy', () => {
    expect(take(8, 0, 2).selected).toBe(0);
  });

  it('recovers the injected M⁰ → invisible count within its Poisson error, with the efficiency of a separate signal study', () => {
    const { efficiency, run } = expectInjectedRecovered('hadron', 20, 10_000, 1e-4, 3);
    // Pile-up is what the selection loses: at 10⁶ π/s one event in two has a pile-up particle, and one that comes
    // within ≈ 40 ns of the M⁰ event cannot be told from it (measured 0.80); the trigger loses ≈ 4 %.
    expect(efficiency).toBeGreaterThan(0.7);
    expect(efficiency).toBeLessThan(0.95);
    expect(run.expectedRecorded).toBeGreaterThan(1200);
    // Without pile-up every recorded M⁰ event is selected.
    expect(run.signalAloneSelected).toBe(run.signalAlone);
  });
});
