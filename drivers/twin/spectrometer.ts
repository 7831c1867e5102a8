// The twin's tracks through the setup's magnetic spectrometers (setup-schema.ts `Spectrometer`): where a beam
// particle crosses each tracker station, smeared by the station's resolution, at the particle's own time.
// Thin-lens dipoles, one bending plane, each spectrometer in its own frame (the nominal track on its axis
// before the magnet): the simplification the README describes. No multiple scattering between the stations
// (a 160 GeV muon's in 1 m of air and four thin Micromegas is ≲ 10 µrad, well below the 0.1 mrad the
// resolution gives the slopes).
import { GEV_PER_TESLA_METRE, type SetupConfig } from '../../setups/setup-schema';
import { TRACKER_TIME_RMS_NS } from './defaults';
import type { Random } from './random';
import type { ParticleTruth } from './response';

/** The clusters of one event, reused from event to event (the DAQ encoder writes them). */
export interface TrackerHits {
  count: number;
  station: Uint8Array;
  timeNs: Float64Array;
  xMm: Float64Array;
}

export function trackerHits(capacity: number): TrackerHits {
  return { count: 0, station: new Uint8Array(capacity), timeNs: new Float64Array(capacity), xMm: new Float64Array(capacity) };
}

type Spectrometer = SetupConfig['detectors']['spectrometers'][number];

/** Position in the bending plane at `zMm` of a track that crosses the magnet at `atMagnet` with `slope` before it. */
export function trackX(s: Spectrometer, atMagnet: number, slope: number, momentumGeV: number, charge: number, zMm: number): number {
  const bend = zMm > s.zMm ? (charge * GEV_PER_TESLA_METRE * s.fieldTm) / momentumGeV : 0;
  return atMagnet + (slope + bend) * (zMm - s.zMm);
}

export class TwinSpectrometers {
  readonly stations: number;
  private readonly list: { s: Spectrometer; first: number }[] = [];
  private readonly charge: number;

  constructor(readonly setup: SetupConfig) {
    let first = 0;
    for (const s of setup.detectors.spectrometers) {
      this.list.push({ s, first });
      first += s.stations.length;
    }
    this.stations = first;
    this.charge = setup.beam.particle.endsWith('+') ? 1 : -1;
  }

  /** The scattered-particle spectrometer's track position at `zMm` (off-axis counters); NaN when it did not come out. */
  scatteredX(truth: ParticleTruth, zMm: number): number {
    const s = this.setup.detectors.spectrometers.find((sp) => sp.measures === 'scattered');
    if (!s || !(truth.scatteredGeV > 0)) return Number.NaN;
    return trackX(s, this.scatteredAtMagnet(s, truth), truth.slope, truth.scatteredGeV, this.charge, zMm);
  }

  private scatteredAtMagnet(s: Spectrometer, truth: ParticleTruth): number {
    return truth.xMm + truth.slope * s.zMm;
  }

  /** Add the clusters of one particle that passed at `startNs` (its pulses' start) to `out`. */
  add(rng: Random, truth: ParticleTruth, startNs: number, out: TrackerHits): void {
    for (const { s, first } of this.list) {
      const beam = s.measures === 'beam';
      const p = beam ? truth.momentumGeV : truth.scatteredGeV;
      if (!(p > 0)) continue;
      const atMagnet = beam ? truth.beamXMm : this.scatteredAtMagnet(s, truth);
      for (let k = 0; k < s.stations.length && out.count < out.station.length; k++) {
        const i = out.count++;
        out.station[i] = first + k;
        out.timeNs[i] = startNs + TRACKER_TIME_RMS_NS * rng.gauss();
        out.xMm[i] = trackX(s, atMagnet, truth.slope, p, this.charge, s.stations[k]!.zMm) + s.resolutionMm * rng.gauss();
      }
    }
  }
}
