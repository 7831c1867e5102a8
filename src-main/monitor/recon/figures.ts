// The per-spill counts behind EOT, e/π monitoring and the blinded signal region. Workers fill them; the pool
// adds them up at the end of the spill (every field is a plain sum, so merging is addition).

export interface SpillFigures {
  /** Physics-type events reconstructed, of them random triggers (no beam particle). */
  events: number;
  randomEvents: number;
  /** Beam-triggered (prescaled, unbiased) events and how they were tagged. */
  beamEvents: number;
  beamElectrons: number;
  beamHadrons: number;
  beamMuons: number;
  /** Of the beam hadrons, those the CEDAR tags as K⁻ (hadron beams with a CEDAR; 0 otherwise). */
  beamKaons: number;
  /** Of the beam hadrons, those with the CEDAR's tag in the delayed window: the accidental kaon tags. */
  beamKaonsDelayed: number;
  /** Calorimeter-tagged electrons (full shower, quiet HCAL), and those that also pass the SRD cut. */
  caloElectrons: number;
  caloElectronsSrd: number;
  /** Calorimeter-tagged hadrons (energy in the HCAL, not a muon), and those that pass the SRD cut. */
  caloHadrons: number;
  caloHadronsSrd: number;
  /** Missing-energy candidates in the signal region: blinded, never shown unless an expert unblinds. */
  signalCandidates: number;
}

export function emptyFigures(): SpillFigures {
  return {
    events: 0,
    randomEvents: 0,
    beamEvents: 0,
    beamElectrons: 0,
    beamHadrons: 0,
    beamMuons: 0,
    beamKaons: 0,
    beamKaonsDelayed: 0,
    caloElectrons: 0,
    caloElectronsSrd: 0,
    caloHadrons: 0,
    caloHadronsSrd: 0,
    signalCandidates: 0,
  };
}

export function addFigures(into: SpillFigures, other: SpillFigures): SpillFigures {
  for (const key of Object.keys(into) as (keyof SpillFigures)[]) into[key] += other[key];
  return into;
}
