// The experiment's setups: which beam, which detector layout. A setup is chosen at start-up
// (`na64rc serve --setup NAME`) and recorded with every run. The digital twin's detailed channel maps and
// geometry grow from here (issue: the NA64 digital twin).
import { z } from 'zod';

export const Setup = z.object({
  name: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  beam: z.object({
    particle: z.enum(['e-', 'e+', 'mu-', 'mu+', 'pi-']),
    energyGeV: z.number().positive(),
    /** Beam composition (fractions); the electron beam's hadron contamination is π/e ≲ 10⁻² (programme §2.1). */
    composition: z.object({ electron: z.number(), hadron: z.number(), muon: z.number() }),
  }),
  ecal: z.object({
    nx: z.number().int().positive(),
    ny: z.number().int().positive(),
    /** Cell the beam is steered into for normal running. */
    beamCell: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
  }),
});
export type Setup = z.infer<typeof Setup>;

export const SETUPS: Record<string, Setup> = {
  'invisible-e': {
    name: 'invisible-e',
    description: '100 GeV e⁻ on H4, missing-energy (invisible) mode: ECAL 2×6×6, HCAL 4×3×3, VETO, SRD',
    beam: { particle: 'e-', energyGeV: 100, composition: { electron: 0.989, hadron: 0.01, muon: 0.001 } },
    ecal: { nx: 6, ny: 6, beamCell: [3, 3] },
  },
  'visible-e': {
    name: 'visible-e',
    description: '150 GeV e⁻ on H4, visible mode: WCAL pre-shower/main/catcher, then ECAL and HCAL',
    beam: { particle: 'e-', energyGeV: 150, composition: { electron: 0.989, hadron: 0.01, muon: 0.001 } },
    ecal: { nx: 6, ny: 6, beamCell: [3, 3] },
  },
  muon: {
    name: 'muon',
    description: '160 GeV μ⁺ on M2 (NA64μ): ECAL 5×6, VHCAL 4×4, two HCAL modules 6×3',
    beam: { particle: 'mu+', energyGeV: 160, composition: { electron: 0, hadron: 0.005, muon: 0.995 } },
    ecal: { nx: 5, ny: 6, beamCell: [2, 3] },
  },
  hadron: {
    name: 'hadron',
    description: '50 GeV π⁻ on H4 (NA64h): charge-exchange on an active target',
    beam: { particle: 'pi-', energyGeV: 50, composition: { electron: 0.01, hadron: 0.99, muon: 0 } },
    ecal: { nx: 6, ny: 6, beamCell: [3, 3] },
  },
};

export const DEFAULT_SETUP = 'invisible-e';

export function findSetup(name: string): Setup {
  const setup = SETUPS[name];
  if (!setup) {
    throw new Error(`unknown setup "${name}"; known setups: ${Object.keys(SETUPS).join(', ')}`);
  }
  return Setup.parse(setup);
}
