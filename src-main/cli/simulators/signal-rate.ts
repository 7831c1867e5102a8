// `--sim-signal-epsilon` (serve) and `--signal-epsilon` (sim): the twin's injected signal given as a model
// point (m, ε) instead of a rate per beam particle. The twin knows only rates; the conversion is the app's
// documented yield model (src-main/dq/reach.ts), so the rate injected is the one the Reach view assumes at
// that point. It lives here, in the launcher: the twin does not import app code, nor the app the twin.
import type { SetupConfig } from '../../../setups/setup-schema';
import { DEFAULT_SIGNAL_MASS_GEV } from '../../../drivers/twin/defaults';
import { invisibleAYieldPerEot, modeOfSetup, visibleASignalPerEot, zMuYieldPerMot } from '../../dq/reach';
import { CliError } from '../errors';

export interface CouplingRate {
  /** Signal events injected per beam particle of the setup's kind (the twin's `signalPerElectron`). */
  rate: number;
  /** What the rate is, for the launcher to print. */
  describe: string;
}

/** The option names of the command asking, so a refusal names what the user typed. */
export interface SignalFlags {
  rate: string;
  epsilon: string;
}

type RateSetup = Pick<SetupConfig, 'name' | 'beam' | 'detectors'>;

/**
 * The rate per beam particle at coupling `epsilon` (ε for a dark photon, g for the muon's Z_μ) and mass
 * `massGeV`, from the Reach view's yield model: invisible-e ε² × Y_A′(m) per EOT, muon g² × Y_Zμ(m) per MOT
 * (both yields at coupling 1), visible-e the A′ → e⁺e⁻ decays inside the decay volume per EOT at (ε, m, E₀)
 * (ε² × yield × the decay window). The hadron beam's signal is Br(M⁰ → invisible), no coupling: refused.
 */
export function signalRateFromCoupling(setup: RateSetup, epsilon: number, massGeV: number, flags: SignalFlags): CouplingRate {
  if (!(epsilon > 0 && epsilon <= 1)) throw new CliError(`${flags.epsilon} must be a coupling above 0 and at most 1, got ${epsilon}`);
  const mode = modeOfSetup(setup).mode;
  const mev = +(massGeV * 1000).toPrecision(6);
  let rate: number;
  let describe: string;
  switch (mode) {
    case 'invisible-a':
      rate = epsilon ** 2 * invisibleAYieldPerEot(massGeV);
      describe = `A′ → invisible at m = ${mev} MeV, ε = ${epsilon}: ${rate.toPrecision(4)} per electron (ε² × the yield per EOT, src-main/dq/reach.ts)`;
      break;
    case 'z-mu':
      rate = epsilon ** 2 * zMuYieldPerMot(massGeV);
      describe = `Z_μ → invisible at m = ${mev} MeV, g = ${epsilon}: ${rate.toPrecision(4)} per muon (g² × the yield per MOT, src-main/dq/reach.ts)`;
      break;
    case 'visible-a':
      if (massGeV <= 2 * 0.000510999) throw new CliError(`${flags.epsilon}: an A′ of ${mev} MeV cannot decay to e⁺e⁻ (below 2 m_e)`);
      rate = visibleASignalPerEot(epsilon, massGeV, setup.beam.energyGeV);
      describe = `A′ → e⁺e⁻ after the dump at m = ${mev} MeV, ε = ${epsilon}, ${setup.beam.energyGeV} GeV: ${rate.toPrecision(4)} per electron (decays in the decay volume per EOT, src-main/dq/reach.ts)`;
      break;
    case 'meson-invisible':
      throw new CliError(
        `setup ${setup.name} has no coupling model: its signal is Br(M⁰ → invisible), injected as a rate per pion (or kaon) with ${flags.rate} (P(charge exchange) × Br)`,
      );
  }
  if (!(rate > 0)) throw new CliError(`${flags.epsilon} ${epsilon} at ${mev} MeV gives no signal in the model (the A′ decays inside the dump)`);
  if (rate > 1) throw new CliError(`${flags.epsilon} ${epsilon} at ${mev} MeV gives ${rate.toPrecision(3)} signal events per beam particle, more than one: choose a smaller coupling`);
  return { rate, describe };
}

/**
 * The rate the twin injects from a command's options: `rate` as given, or the coupling's rate; null when
 * neither is given. Both at once are refused.
 */
export function resolveSignalRate(setup: RateSetup, o: { rate?: number; epsilon?: number; massMeV?: number }, flags: SignalFlags): CouplingRate | null {
  if (o.epsilon === undefined) return null;
  if (o.rate !== undefined) throw new CliError(`${flags.rate} and ${flags.epsilon} exclude each other: give the rate per beam particle or the coupling, not both`);
  return signalRateFromCoupling(setup, o.epsilon, o.massMeV !== undefined ? o.massMeV / 1000 : DEFAULT_SIGNAL_MASS_GEV, flags);
}
