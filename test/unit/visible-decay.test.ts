// Visible mode end to end against the generator's truth: the 150 GeV e⁻ beam in the WCAL dump, A′ → e⁺e⁻
// decays after it injected at a chosen rate per electron on target, the visible-mode trigger (the dump kept
// less than 120 GeV, a shower starts in the ECAL), real DATE bytes, the app's reconstruction; EOT counted
// from the electrons the dump absorbed; the selection's efficiency from a signal study of its own recovers
// the injected count within its Poisson error.
import { describe, expect, it } from 'vitest';
import { expectInjectedRecovered, signalRun } from '../support/signal-run';

describe('visible mode: A′ → e⁺e⁻ after the WCAL dump', () => {
  it("finds no candidate without signal: a hadron with a pile-up electron's synchrotron light leaves its energy in the HCAL", () => {
    expect(signalRun('visible-e', 8, 0, 2).selected).toBe(0);
  });

  it('recovers the injected A′ → e⁺e⁻ count within its Poisson error, with the efficiency of a separate signal study', () => {
    const { efficiency, run } = expectInjectedRecovered('visible-e', 16.7, 6000, 1e-4, 2);
    // The trigger keeps ≈ 97 %; pile-up and the SRD cost the rest.
    expect(efficiency).toBeGreaterThan(0.75);
    expect(efficiency).toBeLessThan(0.95);
    expect(run.expectedRecorded).toBeGreaterThan(800);
  });
});
