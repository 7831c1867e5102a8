// The per-spill histograms and counts a monitor worker fills, and how one event fills them:
// decode → calibrated cell energies → per-event physics (sums, shower centre and shape, particle tag, EOT,
// blinded signal region) → every histogram. Pure code, no threads: the worker, the tests, the benchmark and
// a future offline replay all call the same functions. No allocation per event.
import { Hist1D, Hist2D, type AxisSpec, type HistSnapshot } from '../../shared/histogram';
import type { MonitorConfig } from './config';
import { EventDecoder } from './event-decoder';
import { emptyFigures, type SpillFigures } from './figures';
import { RECORD_HEADER, recordLength, SATURATED_MAIN, SATURATED_PRESHOWER } from '../../shared/scan-record';
import { GEV_PER_TESLA_METRE } from '../../../setups/setup-schema';

/** The MSADC's largest count: a pulse that reaches it is clipped. */
const ADC_SATURATION = 4095;

/** A batch of raw DATE events: event i is `data[offsets[i] … offsets[i + 1])`. */
export interface BatchView {
  count: number;
  data: Uint8Array;
  offsets: Uint32Array;
}

/**
 * An amplitude this far below zero (ADC; the noise is ≈ 1.3) means a pulse sat in the pedestal samples: an
 * out-of-time particle before the trigger, whose tail pulls every later amplitude of its cells down. Such an
 * event's energies are wrong, low: it never enters the signal box (NA64 rejects "bad energy" events alike).
 */
const EARLY_PULSE_ADC = 20;

/** A VETO module's PMT that sees less than this share of its partner's pulse is taken as failing. */
const VETO_PMT_RATIO = 0.3;

/** Trigger bits of the NA64 trigger word (drivers/na64-daq/format/date.ts). */
const BEAM = 1 << 1;
const RANDOM = 1 << 2;

/**
 * A random trigger alone (no beam bit): the detector read without a beam particle, pedestals and noise. It
 * fills the pedestal, occupancy and trigger-rate histograms, never the beam's spectra.
 */
export const isRandomOnly = (trigger: number): boolean => (trigger & RANDOM) !== 0 && !(trigger & ~RANDOM);
/** Bins of `trigger_rates`: one per trigger bit. */
export const TRIGGER_BINS = ['physics', 'beam', 'random', 'calibration'] as const;

const axis = (nbins: number, min: number, max: number, title: string): AxisSpec => ({ nbins, min, max, title });
const cellAxis = (n: number, title = 'channel'): AxisSpec => axis(n, 0, n, title);

/**
 * What is kept of an event in the signal box (energies in GeV, the SRD sum in MeV, the shower centre in mm,
 * momenta in GeV; NaN where the setup has no WCAL or no spectrometer), instead of filling any histogram: the
 * box's content, sealed until an expert unblinds (dq/signal-box-seal.ts). New fields go at the end: a sealed
 * record of an older format is widened with NaN.
 */
export const BOX_FIELDS = ['ecal', 'preshower', 'hcal', 'veto', 'srdMeV', 'showerX', 'showerY', 'shape', 'trigger', 'inBox', 'wcal', 'beamMomentum', 'scatteredMomentum', 'kaonTag'] as const;

/**
 * FNV-1a over the raw sample sums of a few channels (the digitized event itself: not the energies, which
 * move with the running pedestal, so the pick of an event does not depend on the events before it; the
 * noise makes even an empty event unlike the next), keyed: the hidden sample's pick (MonitorConfig.hiddenSample).
 */
const hashBits = new Float64Array(4);
const hashWords = new Uint32Array(hashBits.buffer);
function keyedHash(salt: number, sums: Float64Array, cells: Int32Array): number {
  for (let i = 0; i < cells.length; i++) hashBits[i] = sums[cells[i]!]!;
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < hashWords.length; i++) h = Math.imul(h ^ hashWords[i]!, 0x01000193) >>> 0;
  // Final avalanche (murmur3's), so the low bits depend on every input bit.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * The pedestal columns' row of every possible sum of the pedestal samples (SpillHistograms.pedestalRows), made
 * once a configuration: a worker begins a SpillHistograms a spill, and the table took ≈ 0.6 ms of it.
 */
const pedestalRowTables = new WeakMap<MonitorConfig, Uint8Array | Int32Array>();
function pedestalRowsOf(config: MonitorConfig, pedestalMap: ChannelColumns, decoder: EventDecoder): Uint8Array | Int32Array {
  const made = pedestalRowTables.get(config);
  if (made) return made;
  const rowOf = (sum: number) => pedestalMap.rowOf(decoder.pedestalOf(sum));
  const sums = { length: config.pedestalSamples * ADC_SATURATION + 1 };
  const table = pedestalMap.rows <= 256 ? Uint8Array.from(sums, (_, sum) => rowOf(sum)) : Int32Array.from(sums, (_, sum) => rowOf(sum));
  pedestalRowTables.set(config, table);
  return table;
}

export class SpillHistograms {
  /** Physics events reconstructed (with those of the signal box), and events that could not be decoded (counted, not filled). */
  processed = 0;
  bad = 0;
  readonly figures: SpillFigures = emptyFigures();
  private readonly decoder: EventDecoder;
  private readonly calib: Float64Array;
  /** The LED gain correction of each cell for this spill (1 where none): beam-scan records carry it. */
  private readonly led: Float64Array;
  private readonly energy: Float64Array;
  private readonly tower: Float64Array;
  private readonly towerOf: Int16Array;
  private readonly towerX: Float64Array;
  private readonly towerY: Float64Array;
  private readonly ecalIndex: Int16Array;
  private readonly preshower: Int32Array;
  private readonly main: Int32Array;
  private readonly hcalModules: Int32Array[];
  private readonly hcalModule: Float64Array;
  private readonly veto: Int32Array;
  private readonly srd: Int32Array;
  private readonly srdMeV: Float64Array;
  private readonly cedar: Int32Array;
  private readonly wcal: Int32Array;
  private readonly dumpVeto: Int32Array;
  private readonly counters: Int32Array;
  private readonly vhcal: Int32Array;
  private readonly beamSpectrometer: MonitorConfig['layout']['spectrometers'][number] | null;
  private readonly scatteredSpectrometer: MonitorConfig['layout']['spectrometers'][number] | null;
  private readonly threshold: number;
  /** A tower (both sections) has a hit above the hit threshold at the main section's scale. */
  private readonly towerHitGeV: number;
  private readonly hashCells: Int32Array;
  /**
   * The pedestal columns' row (y bin) of every possible sum of the pedestal samples: a byte each where the rows
   * fit (16 kB, not 64: its lines compete with the histograms' for the cache in every event).
   */
  private readonly pedestalRows: Uint8Array | Int32Array;
  /** Beam-scan records of this spill (see shared/scan-record.ts), and which towers are recorded. */
  private scanRecords: Float32Array = new Float32Array(0);
  scanCount = 0;
  private readonly scanTowers: Uint8Array;

  /** The histograms of every event outside the signal box: what is served and stored. */
  readonly open: HistogramSet;
  /** The sealed events (the signal box and the hidden sample), one record each (see BOX_FIELDS). */
  private sealed = new Float32Array(0);
  /** Sealed events (those in the signal box are also the figures' signal candidates). */
  sealedEvents = 0;

  /** Whether the event reconstructed last passed the SRD cut (tests compare it with the generator's truth). */
  srdTagged = false;
  /** The last event's measured beam and scattered momentum (GeV, NaN when not measured): tests compare them with the truth. */
  beamMomentum = Number.NaN;
  scatteredMomentum = Number.NaN;
  /** Whether the event reconstructed last had the CEDAR's kaon tag (tests compare it with the generator's truth). */
  kaonTagged = false;

  /** The open set's histograms (tests and the benchmark read them). */
  get h(): HistogramSet['h'] {
    return this.open.h;
  }

  constructor(private readonly config: MonitorConfig) {
    const { layout, cells, calibration } = config;
    this.decoder = new EventDecoder(config);
    this.led = Float64Array.from(calibration.gevPerAdc, (_, c) => calibration.ledCorrection[c] ?? 1);
    this.calib = Float64Array.from(calibration.gevPerAdc, (g, c) => g * this.led[c]!);
    this.energy = new Float64Array(cells);
    const towers = layout.ecalNx * layout.ecalNy;
    this.tower = new Float64Array(towers);
    this.towerOf = Int16Array.from(layout.ecalTower);
    this.towerX = Float64Array.from({ length: towers }, (_, t) => (Math.floor(t / layout.ecalNy) + 0.5 - layout.ecalNx / 2) * layout.ecalPitchMm);
    this.towerY = Float64Array.from({ length: towers }, (_, t) => ((t % layout.ecalNy) + 0.5 - layout.ecalNy / 2) * layout.ecalPitchMm);
    const ecal = [...layout.ecalPreshower, ...layout.ecalMain];
    this.ecalIndex = new Int16Array(cells).fill(-1);
    ecal.forEach((c, i) => (this.ecalIndex[c] = i));
    this.preshower = Int32Array.from(layout.ecalPreshower);
    this.main = Int32Array.from(layout.ecalMain);
    this.hcalModules = layout.hcalModules.map((m) => Int32Array.from(m));
    this.hcalModule = new Float64Array(layout.hcalModules.length);
    this.veto = Int32Array.from(layout.veto);
    this.srd = Int32Array.from(layout.srd);
    this.wcal = Int32Array.from(layout.wcal);
    this.dumpVeto = Int32Array.from(layout.dumpVeto);
    this.srdMeV = new Float64Array(layout.srd.length);
    this.cedar = Int32Array.from(layout.cedar);
    this.counters = Int32Array.from(layout.counters);
    this.vhcal = Int32Array.from(layout.vhcal);
    this.beamSpectrometer = layout.spectrometers.find((s) => s.measures === 'beam') ?? null;
    this.scatteredSpectrometer = layout.spectrometers.find((s) => s.measures === 'scattered') ?? null;
    this.threshold = config.zeroSuppressionAdc ?? Number.NEGATIVE_INFINITY;
    this.towerHitGeV = config.hitThresholdAdc * (this.calib[layout.ecalMain[0] ?? 0] ?? 0);
    this.scanTowers = new Uint8Array(towers);
    for (const t of config.scan?.towers ?? []) if (t >= 0 && t < towers) this.scanTowers[t] = 1;
    this.open = new HistogramSet(config);
    this.pedestalRows = pedestalRowsOf(config, this.open.pedestalMap, this.decoder);
    // The channels the hidden sample's pick hashes: ECAL, VETO, SRD and HCAL where the setup has them.
    this.hashCells = Int32Array.from([layout.ecalMain[0], layout.veto[0], layout.srd[0], layout.hcalModules[0]?.[0]].map((c) => c ?? 0));
  }

  /** Reconstruct and histogram every event of a batch. */
  fill(batch: BatchView): void {
    if (batch.offsets.length < batch.count + 1) {
      throw new RangeError(`batch of ${batch.count} events carries only ${batch.offsets.length} offsets`);
    }
    const view = new DataView(batch.data.buffer, batch.data.byteOffset, batch.data.byteLength);
    for (let i = 0; i < batch.count; i++) {
      const from = batch.offsets[i]!;
      const to = batch.offsets[i + 1]!;
      this.srdTagged = false;
      this.kaonTagged = false;
      try {
        if (to < from || to > batch.data.byteLength) throw new RangeError('event outside its batch');
        if (!this.decoder.decode(view, from, to - from)) continue;
      } catch {
        this.bad++;
        continue;
      }
      // An event of the signal box is reconstructed (processed) but fills no histogram and no figure.
      this.event();
      this.processed++;
    }
  }

  /**
   * The physics of the event just decoded, into every histogram and count; an event in the signal box, or
   * of the hidden sample (blinding), is kept as a sealed record instead, and no histogram or figure sees it.
   */
  private event(): void {
    const { amplitudes, pedestalSums, peakTimes } = this.decoder;
    const trigger = this.decoder.trigger;
    const { energy, calib, threshold, tower, towerOf } = this;
    const cells = energy.length;
    const hit = this.config.hitThresholdAdc;
    const cuts = this.config.cuts;
    // First the event's physics, then where it goes (open or sealed), then the histograms.
    tower.fill(0);
    let earlyPulse = false;
    const earlyPulseAdc = -EARLY_PULSE_ADC; // in a local: V8 reads a module constant from its context at every use
    // The per-channel histograms are filled in the same pass, while the cell is at hand (whole counts): a sealed
    // event takes its entries back below (takeChannels), so no histogram keeps it.
    const set = this.open;
    const pmCounts = set.pedestalMap.counts;
    const pmRows = set.pedestalMap.rows;
    const { pedestalRows, ecalIndex } = this;
    for (let c = 0; c < cells; c++) {
      const a = amplitudes[c]!;
      if (a < earlyPulseAdc) earlyPulse = true;
      // NaN (not read out) fails the comparison: no energy.
      const e = a > threshold ? a * calib[c]! : 0;
      energy[c] = e;
      const t = towerOf[c]!;
      if (t >= 0) tower[t]! += e;
      // Every read-out cell's pedestal, binned by its integer sum of samples through a table (pedestalRows): no
      // double to convert to a bin 120 times an event.
      if (a === a) pmCounts[(c + 1) * pmRows + pedestalRows[pedestalSums[c]!]!]!++;
      if (a > hit) {
        set.occupancy[c]!++;
        set.peakTimes.add(c, peakTimes[c]!);
        const i = ecalIndex[c]!;
        if (i >= 0) set.cellEnergy.add(i, e);
      }
    }
    let ps = 0;
    for (let i = 0; i < this.preshower.length; i++) ps += energy[this.preshower[i]!]!;
    let ecal = ps;
    for (let i = 0; i < this.main.length; i++) ecal += energy[this.main[i]!]!;
    // Shower centre (energy-weighted towers) and shape (share of the hottest tower).
    let sx = 0;
    let sy = 0;
    let max = 0;
    let maxTower = -1;
    for (let t = 0; t < tower.length; t++) {
      const e = tower[t]!;
      if (e > max) {
        max = e;
        maxTower = t;
      }
      if (e > 0) {
        sx += e * this.towerX[t]!;
        sy += e * this.towerY[t]!;
      }
    }
    let hcal = 0;
    let minModule = Number.POSITIVE_INFINITY;
    let maxModule = 0;
    for (let m = 0; m < this.hcalModules.length; m++) {
      const cellsOf = this.hcalModules[m]!;
      let e = 0;
      for (let i = 0; i < cellsOf.length; i++) e += energy[cellsOf[i]!]!;
      this.hcalModule[m] = e;
      hcal += e;
      if (e < minModule) minModule = e;
      if (e > maxModule) maxModule = e;
    }
    let vhcal = 0;
    for (let i = 0; i < this.vhcal.length; i++) vhcal += energy[this.vhcal[i]!]!;
    // The muon's momentum before and after the target (NaN: not measured, or a station with two in-time clusters).
    const pBeam = this.beamSpectrometer ? this.momentum(this.beamSpectrometer) : Number.NaN;
    const pScattered = this.scatteredSpectrometer ? this.momentum(this.scatteredSpectrometer) : Number.NaN;
    this.beamMomentum = pBeam;
    this.scatteredMomentum = pScattered;
    // The VETO as NA64's analysis reads it: per module the geometric mean √(a₁a₂) of its two PMTs (a pulse
    // both saw), or the larger when one sees less than 0.3× the other (a failing PMT must not blind the
    // veto); the VETO's energy is its largest module's.
    let veto = 0;
    for (let i = 0; i + 1 < this.veto.length; i += 2) {
      const a = Math.max(0, energy[this.veto[i]!]!);
      const b = Math.max(0, energy[this.veto[i + 1]!]!);
      const moduleGeV = a < VETO_PMT_RATIO * b || b < VETO_PMT_RATIO * a ? Math.max(a, b) : Math.sqrt(a * b);
      if (moduleGeV > veto) veto = moduleGeV;
    }
    let srdSum = 0;
    let srdIn = 0;
    const srdCut = cuts.srd;
    for (let m = 0; m < this.srd.length; m++) {
      // The cut reads the pulse that peaks in time (the decoder's in-time height, NaN when no pulse peaks in
      // the window: it fails), not the window's sum, which also holds any pile-up pulse; the SRD spectra show
      // that same in-time energy (0 without an in-time pulse), so a shifter sees the cut on what it cuts.
      const inTimeMeV = this.decoder.inTimeHeights[this.srd[m]!]! * calib[this.srd[m]!]! * 1000;
      const mev = inTimeMeV === inTimeMeV ? inTimeMeV : 0;
      this.srdMeV[m] = mev;
      srdSum += mev;
      if (inTimeMeV > srdCut.moduleMinMeV && inTimeMeV < srdCut.moduleMaxMeV) srdIn++;
    }
    // The CEDAR's kaon tag: enough sectors with an in-time pulse above threshold (photoelectrons); the same in
    // the delayed window counts the accidental tags, a pile-up kaon in time with the beam particle.
    const tag = this.config.kaonTag;
    let inTime = 0;
    let delayed = 0;
    for (let s = 0; s < this.cedar.length; s++) {
      const c = this.cedar[s]!;
      if (this.decoder.inTimeHeights[c]! * calib[c]! > tag.sectorAbovePe) inTime++;
      if (this.decoder.delayedHeights[c]! * calib[c]! > tag.sectorAbovePe) delayed++;
    }
    const kaon = this.cedar.length > 0 && inTime >= tag.minSectors;
    const kaonDelayed = this.cedar.length > 0 && delayed >= tag.minSectors;
    this.kaonTagged = kaon;
    const random = isRandomOnly(trigger);
    const srdPass = this.srd.length > 0 && srdIn >= Math.min(srdCut.minModules, this.srd.length);
    this.srdTagged = srdPass;
    const hcalQuiet = hcal < cuts.hcalQuietGeV;
    // Visible mode: the WCAL dump's energy, and the charged leak out of it.
    let wcal = 0;
    for (let i = 0; i < this.wcal.length; i++) wcal += energy[this.wcal[i]!]!;
    let dumpVeto = 0;
    for (let i = 0; i < this.dumpVeto.length; i++) dumpVeto = Math.max(dumpVeto, energy[this.dumpVeto[i]!]!);
    // The signal box (config.ts, SignalBox): a missing-energy candidate (an SRD-tagged electron that left
    // little in the ECAL and nothing in VETO and HCAL), for a hadron beam a disappearance (the beam's energy
    // gone), in visible mode a decay after the dump (the beam's energy back in the ECAL), for a muon beam a
    // muon that came out with much less momentum than it came in with and left only its ionisation. Shown
    // to nobody, in no histogram and no count, until an expert unblinds.
    const box = cuts.signal;
    let signature: boolean;
    switch (box.mode) {
      case 'missing-energy':
        signature = srdPass && ecal < box.ecalBelowGeV && hcalQuiet;
        break;
      case 'disappearance':
        signature = !srdPass && ecal + hcal < box.totalBelowGeV;
        break;
      case 'visible-decay':
        signature = srdPass && wcal < box.wcalBelowGeV && dumpVeto < cuts.dumpVetoQuietGeV && hcalQuiet && ecal > box.ecalAboveGeV && Math.abs(wcal + ecal - cuts.beamEnergyGeV) < box.sumWindowGeV;
        break;
      case 'missing-momentum':
        signature =
          pBeam >= box.beamFromGeV &&
          pBeam <= box.beamToGeV &&
          pScattered < box.scatteredBelowGeV &&
          ecal < box.ecalBelowGeV &&
          vhcal < box.vhcalBelowGeV &&
          this.hcalModules.length > 0 &&
          minModule > cuts.muonModuleGeV &&
          maxModule < box.hcalModuleBelowGeV;
        break;
    }
    const inBox = !random && !earlyPulse && veto < cuts.vetoQuietGeV && signature;
    const hidden = this.config.hiddenSample;
    if (inBox || (hidden && keyedHash(hidden.salt, this.decoder.sums, this.hashCells) % hidden.oneIn === 0)) {
      const shower = ecal > 0 && maxTower >= 0;
      this.keepSealed(ecal, ps, hcal, veto, srdSum, shower ? sx / ecal : Number.NaN, shower ? sy / ecal : Number.NaN, ecal > 0 ? max / ecal : Number.NaN, trigger, inBox ? 1 : 0, this.wcal.length ? wcal : Number.NaN, pBeam, pScattered, this.cedar.length ? (kaon ? 1 : 0) : Number.NaN);
      if (inBox) this.figures.signalCandidates++;
      this.takeChannels();
      return;
    }
    const h = set.h;
    const ny = this.config.layout.ecalNy;
    for (let t = 0; t < tower.length; t++) if (tower[t]! > this.towerHitGeV) h.ecalOccupancy.fill(Math.floor(t / ny), t % ny);
    for (let m = 0; m < this.hcalModules.length; m++) h.hcalModules.fill(m, this.hcalModule[m]!);
    for (let i = 0; i < this.counters.length; i++) {
      const a = amplitudes[this.counters[i]!]!;
      if (a === a) h.counterAmplitudes.fill(i, a);
    }
    // The beam's spectra take beam particles only: a random trigger (100 Hz, through the spill and between
    // spills) reads pedestal noise, ≈ 0 GeV, which fills the pedestal maps above; in these it would only
    // pile up in the first bin and, in a weak spill, outgrow the beam's own peak.
    if (!random) {
      h.ecalEnergy.fill(ecal);
      h.ecalPreshower.fill(ps);
      if (ecal > 0 && maxTower >= 0) {
        h.showerX.fill(sx / ecal);
        h.showerY.fill(sy / ecal);
        h.ecalShape.fill(max / ecal);
      }
      h.hcalEnergy.fill(hcal);
      h.ecalVsHcal.fill(ecal, hcal);
      if (set.wcal) {
        set.wcal.energy.fill(wcal);
        set.wcal.vsEcal.fill(wcal, ecal);
      }
      if (set.dumpVeto) set.dumpVeto.fill(dumpVeto * 1000);
      if (set.momentum) {
        if (pBeam === pBeam) set.momentum.beam.fill(pBeam);
        if (pScattered === pScattered) {
          set.momentum.scattered.fill(pScattered);
          set.momentum.scatteredVsEcal.fill(ecal, pScattered);
        }
      }
      if (h.vetoEnergy) h.vetoEnergy.fill(veto * 1000);
    }
    for (let m = 0; m < this.srd.length; m++) h.srdEnergy.fill(m, this.srdMeV[m]!);
    if (this.srd.length) h.srdEnergy.fill(this.srd.length, srdSum);
    if (trigger & 1) h.triggerRates.fill(0);
    if (trigger & BEAM) h.triggerRates.fill(1);
    if (trigger & RANDOM) h.triggerRates.fill(2);
    if (trigger & 8) h.triggerRates.fill(3);

    const f = this.figures;
    f.events++;
    if (random) {
      // Random triggers sample the detector without a beam particle: pedestals and noise, no physics tag.
      f.randomEvents++;
      return;
    }
    const muon = this.hcalModules.length > 0 && minModule > cuts.muonModuleGeV && (ecal < cuts.muonEcalMaxGeV || maxModule < cuts.muonModuleMaxGeV);
    // A full electromagnetic shower in the dump: the WCAL in visible mode, the ECAL otherwise.
    const caloElectron = (this.wcal.length ? wcal : ecal) > cuts.electronEcalFraction * cuts.beamEnergyGeV && hcalQuiet;
    // A calorimeter hadron: energy in the HCAL and not a full electromagnetic shower in front of it (which
    // would be an electron with a pile-up hadron).
    const caloHadron = !muon && hcal > cuts.hadronHcalGeV && ecal < cuts.electronEcalFraction * cuts.beamEnergyGeV;
    // The e-tag: the SRD, or a full electromagnetic shower with a quiet HCAL.
    const electron = srdPass || caloElectron;
    if (caloElectron) {
      f.caloElectrons++;
      if (srdPass) f.caloElectronsSrd++;
      for (let m = 0; m < this.srd.length; m++) h.srdElectrons.fill(m, this.srdMeV[m]!);
      if (this.srd.length) h.srdElectrons.fill(this.srd.length, srdSum);
    } else if (caloHadron) {
      f.caloHadrons++;
      if (srdPass) f.caloHadronsSrd++;
      for (let m = 0; m < this.srd.length; m++) h.srdHadrons.fill(m, this.srdMeV[m]!);
      if (this.srd.length) h.srdHadrons.fill(this.srd.length, srdSum);
    }
    if (trigger & BEAM) {
      f.beamEvents++;
      if (electron) f.beamElectrons++;
      else if (muon) f.beamMuons++;
      else if (caloHadron || !hcalQuiet) {
        f.beamHadrons++;
        if (kaon) f.beamKaons++;
        if (kaonDelayed) f.beamKaonsDelayed++;
      }
    }
    const scan = this.config.scan;
    if (scan && trigger & BEAM && hcalQuiet && ecal > scan.minEcalGeV && (scan.aimed >= 0 || (maxTower >= 0 && this.scanTowers[maxTower])) && !this.ecalPileup()) this.record(scan.aimed, maxTower);
  }

  /** Take the sealed event's entries back out of the per-channel histograms (the same bins its pass filled). */
  private takeChannels(): void {
    const { amplitudes, pedestalSums, peakTimes } = this.decoder;
    const set = this.open;
    const pmCounts = set.pedestalMap.counts;
    const pmRows = set.pedestalMap.rows;
    const hit = this.config.hitThresholdAdc;
    for (let c = 0; c < amplitudes.length; c++) {
      const a = amplitudes[c]!;
      if (a === a) pmCounts[(c + 1) * pmRows + this.pedestalRows[pedestalSums[c]!]!]!--;
      if (a > hit) {
        set.occupancy[c]!--;
        set.peakTimes.take(c, peakTimes[c]!);
        const i = this.ecalIndex[c]!;
        if (i >= 0) set.cellEnergy.take(i, this.energy[c]!);
      }
    }
  }

  /**
   * A spectrometer's momentum measurement of this event (GeV): the change of slope between its two stations
   * before and its two after the magnet. NaN when a station has no in-time cluster or two (which track is
   * the triggering particle's cannot be told: such an event never enters the signal box).
   */
  private momentum(s: MonitorConfig['layout']['spectrometers'][number]): number {
    const { stationHits, stationX } = this.decoder;
    const k = s.first;
    if (stationHits[k] !== 1 || stationHits[k + 1] !== 1 || stationHits[k + 2] !== 1 || stationHits[k + 3] !== 1) return Number.NaN;
    const z = s.zMm;
    const before = (stationX[k + 1]! - stationX[k]!) / (z[1]! - z[0]!);
    const after = (stationX[k + 3]! - stationX[k + 2]!) / (z[3]! - z[2]!);
    const bend = Math.abs(after - before);
    return bend > 0 ? (GEV_PER_TESLA_METRE * s.fieldTm) / bend : Number.NaN;
  }

  /**
   * Keep the ECAL amplitudes of a beam-scan event, LED-corrected (unbounded growth is capped by maxRecords).
   * A scan steers the beam from tower to tower over tens of SPS cycles while the PMT gains drift; corrected to
   * the active set's LED reference, every tower's events are measured at the same gains, the ones the new
   * constants then hold for.
   */
  /**
   * Whether an ECAL cell of the last event had pile-up to tell its in-time pulse from: such an event stays out
   * of a beam scan, whose preshower-to-main split rests on each event's share in the two sections (at the
   * beam's rate pile-up moved it by ≈ 5 % on a two-tower scan).
   */
  private ecalPileup(): boolean {
    const { pileup } = this.decoder;
    for (let i = 0; i < this.preshower.length; i++) if (pileup[this.preshower[i]!]) return true;
    for (let i = 0; i < this.main.length; i++) if (pileup[this.main[i]!]) return true;
    return false;
  }

  private record(aimed: number, maxTower: number): void {
    const scan = this.config.scan!;
    if (this.scanCount >= scan.maxRecords) return;
    const { layout } = this.config;
    const towers = layout.ecalNx * layout.ecalNy;
    const size = recordLength(towers);
    if ((this.scanCount + 1) * size > this.scanRecords.length) {
      const grown = new Float32Array(Math.max(64 * size, this.scanRecords.length * 2));
      grown.set(this.scanRecords);
      this.scanRecords = grown;
    }
    const at = this.scanCount * size;
    const r = this.scanRecords;
    const { amplitudes, peakSamples } = this.decoder;
    const ref = aimed >= 0 ? aimed : maxTower;
    let flags = 0;
    for (let i = 0; i < this.preshower.length; i++) {
      const c = this.preshower[i]!;
      const t = this.towerOf[c]!;
      const a = amplitudes[c]!;
      r[at + RECORD_HEADER + t] = a === a ? a * this.led[c]! : 0;
      if (t === ref && peakSamples[c]! >= ADC_SATURATION) flags |= SATURATED_PRESHOWER;
    }
    for (let i = 0; i < this.main.length; i++) {
      const c = this.main[i]!;
      const t = this.towerOf[c]!;
      const a = amplitudes[c]!;
      r[at + RECORD_HEADER + towers + t] = a === a ? a * this.led[c]! : 0;
      if (t === ref && peakSamples[c]! >= ADC_SATURATION) flags |= SATURATED_MAIN;
    }
    r[at] = aimed;
    r[at + 1] = maxTower;
    r[at + 2] = flags;
    this.scanCount++;
  }

  /** The beam-scan records of this spill (a copy sized to what was recorded). */
  scanSnapshot(): Float32Array | null {
    if (!this.config.scan) return null;
    const { layout } = this.config;
    return this.scanRecords.slice(0, this.scanCount * recordLength(layout.ecalNx * layout.ecalNy));
  }

  /** The open histograms: every event outside the signal box. */
  snapshots(): HistSnapshot[] {
    return this.histograms().map((h) => h.snapshot());
  }

  /** The same as they are filled (their bins typed, not copied): what a monitor worker packs and posts. */
  histograms(): (Hist1D | Hist2D)[] {
    return this.open.histograms();
  }

  /** The records of the sealed events (BOX_FIELDS each), or null when there were none. */
  boxSnapshot(): Float32Array | null {
    return this.sealedEvents ? this.sealed.slice(0, this.sealedEvents * BOX_FIELDS.length) : null;
  }

  private keepSealed(...values: number[]): void {
    const n = BOX_FIELDS.length;
    if ((this.sealedEvents + 1) * n > this.sealed.length) {
      const grown = new Float32Array(Math.max(16 * n, this.sealed.length * 2));
      grown.set(this.sealed);
      this.sealed = grown;
    }
    this.sealed.set(values, this.sealedEvents * n);
    this.sealedEvents++;
  }
}

/** Every histogram of a spill, filled by events of one kind (open, or in the signal box). */
export class HistogramSet {
  readonly h: {
    ecalEnergy: Hist1D;
    ecalPreshower: Hist1D;
    ecalOccupancy: Hist2D;
    ecalShape: Hist1D;
    showerX: Hist1D;
    showerY: Hist1D;
    hcalEnergy: Hist1D;
    hcalModules: Hist2D;
    ecalVsHcal: Hist2D;
    srdEnergy: Hist2D;
    srdElectrons: Hist2D;
    srdHadrons: Hist2D;
    /** Null for a setup without a VETO (visible mode: its veto is V2, after the dump). */
    vetoEnergy: Hist1D | null;
    counterAmplitudes: Hist2D;
    triggerRates: Hist1D;
  };
  /** Visible mode only (a WCAL dump): E_WCAL, and E_ECAL against it. */
  readonly wcal: { energy: Hist1D; vsEcal: Hist2D } | null;
  /**
   * Visible mode only: the veto counter after the dump (V2), the largest of its cells (MeV), beam and physics
   * triggers. Not in the sealed record: unblinded, it stays without the box's events (whose V2 was quiet by the
   * box's cut), as the SRD and counter histograms do.
   */
  readonly dumpVeto: Hist1D | null;
  /** Setups with spectrometers (NA64μ): the beam's and the scattered particle's momentum, the latter against E_ECAL. */
  readonly momentum: { beam: Hist1D; scattered: Hist1D; scatteredVsEcal: Hist2D } | null;
  /** Filled from the per-channel loop of every event (see ChannelColumns). */
  readonly pedestalMap: ChannelColumns;
  readonly peakTimes: ChannelColumns;
  readonly cellEnergy: ChannelColumns;
  readonly occupancy: Float64Array;

  constructor(config: MonitorConfig) {
    const { layout, histograms: ax, cells } = config;
    const e0 = config.cuts.beamEnergyGeV;
    const ecalCells = layout.ecalPreshower.length + layout.ecalMain.length;
    this.pedestalMap = new ChannelColumns('pedestals', 'Pedestal per channel', cellAxis(cells), ax.pedestalAdc);
    this.peakTimes = new ChannelColumns('peak_time', 'Peak time per channel (hits)', cellAxis(cells), ax.peakTimeNs);
    this.cellEnergy = new ChannelColumns('ecal_cell_energy', 'ECAL energy per cell (hits)', cellAxis(ecalCells, 'ECAL cell (preshower, then main)'), axis(100, 0, e0, 'E_{cell} [GeV]'));
    this.occupancy = new Float64Array(cells);
    const srdColumns = axis(layout.srd.length + 1, 0, layout.srd.length + 1, 'SRD module (last column: sum)');
    this.h = {
      ecalEnergy: new Hist1D('ecal_energy', 'ECAL total energy', ax.ecalEnergy),
      ecalPreshower: new Hist1D('ecal_preshower', 'ECAL preshower energy', ax.ecalPreshower),
      ecalOccupancy: new Hist2D('ecal_occupancy', 'ECAL occupancy (towers with a hit)', axis(layout.ecalNx, 0, layout.ecalNx, 'x [cell]'), axis(layout.ecalNy, 0, layout.ecalNy, 'y [cell]')),
      ecalShape: new Hist1D('ecal_shape', 'ECAL shower shape: E_{max tower} / E_{ECAL}', axis(100, 0, 1, 'E_{max tower} / E_{ECAL}')),
      showerX: new Hist1D('shower_x', 'ECAL shower centre X', { ...ax.shower, title: 'X [mm]' }),
      showerY: new Hist1D('shower_y', 'ECAL shower centre Y', { ...ax.shower, title: 'Y [mm]' }),
      hcalEnergy: new Hist1D('hcal_energy', 'HCAL total energy', ax.hcalEnergy),
      hcalModules: new Hist2D('hcal_module_energy', 'HCAL energy per module', axis(Math.max(1, layout.hcalModules.length), 0, Math.max(1, layout.hcalModules.length), 'HCAL module'), ax.hcalEnergy),
      ecalVsHcal: new Hist2D('ecal_vs_hcal', 'E_{HCAL} vs E_{ECAL}', { ...ax.ecalEnergy, nbins: Math.min(ax.ecalEnergy.nbins, 150) }, { ...ax.hcalEnergy, nbins: Math.min(ax.hcalEnergy.nbins, 150) }),
      srdEnergy: new Hist2D('srd_energy', 'SRD energy per module and sum, all events', srdColumns, ax.srdMeV),
      srdElectrons: new Hist2D('srd_energy_e', 'SRD energy, calorimeter-tagged electrons', srdColumns, ax.srdMeV),
      srdHadrons: new Hist2D('srd_energy_hadron', 'SRD energy, calorimeter-tagged hadrons', srdColumns, ax.srdMeV),
      vetoEnergy: layout.veto.length ? new Hist1D('veto_energy', 'VETO energy (largest module, √(a₁a₂) of its PMTs)', ax.vetoMeV) : null,
      counterAmplitudes: new Hist2D('counter_amplitudes', 'Beam counter amplitudes', cellAxis(Math.max(1, layout.counters.length), 'counter'), ax.counterAdc),
      triggerRates: new Hist1D('trigger_rates', 'Triggers by type', axis(TRIGGER_BINS.length, 0, TRIGGER_BINS.length, 'trigger (physics, beam, random, calibration)')),
    };
    this.wcal = layout.wcal.length
      ? {
          energy: new Hist1D('wcal_energy', 'WCAL (dump) energy', ax.wcalEnergy),
          vsEcal: new Hist2D('wcal_vs_ecal', 'E_{ECAL} vs E_{WCAL}', { ...ax.wcalEnergy, nbins: 150 }, { ...ax.wcalEnergy, nbins: 150, title: 'E_{ECAL} [GeV]' }),
        }
      : null;
    this.dumpVeto = layout.dumpVeto.length ? new Hist1D('dump_veto_energy', 'V2 energy (the veto after the WCAL dump)', { ...ax.vetoMeV, title: 'E_{V2} [MeV]' }) : null;
    this.momentum = layout.spectrometers.length
      ? {
          beam: new Hist1D('beam_momentum', 'Beam momentum (upstream spectrometer)', { ...ax.momentum, title: 'p_{beam} [GeV]' }),
          scattered: new Hist1D('scattered_momentum', 'Scattered momentum (downstream spectrometer)', { ...ax.momentum, title: "p_{out} [GeV]" }),
          scatteredVsEcal: new Hist2D('scattered_vs_ecal', 'p_{out} vs E_{ECAL}', { ...ax.ecalEnergy, nbins: Math.min(ax.ecalEnergy.nbins, 150) }, { ...ax.momentum, title: 'p_{out} [GeV]' }),
        }
      : null;
  }

  histograms(): (Hist1D | Hist2D)[] {
    const momentum = this.momentum ? [this.momentum.beam, this.momentum.scattered, this.momentum.scatteredVsEcal] : [];
    return [...Object.values(this.h).filter((x) => x !== null), ...(this.wcal ? [this.wcal.energy, this.wcal.vsEcal] : []), ...(this.dumpVeto ? [this.dumpVeto] : []), ...momentum, this.pedestalMap.histogram(), this.peakTimes.histogram(), this.cellEnergy.histogram(), occupancyHistogram(this.occupancy)];
  }
}

/**
 * A per-channel 2D histogram (column = channel, y = a value) filled from the per-channel loop of every event
 * (pedestals: 120+ entries per event): accumulated as bare counts, one index and one increment per entry,
 * and made a TH2D at the end of the spill with its statistics from the bin centres (within half a bin).
 * The counts are kept channel by channel (a column's bins side by side), not in the TH2D's order: a channel's
 * pedestal stays within a bin or two from event to event, so an event's 120+ entries touch one cache line a
 * channel, where in rows of the TH2D (a row ≈ 500 bytes) each took its own line in every row it fell in.
 */
class ChannelColumns {
  /** Whole counts (below 2³² a spill): 4 bytes a cell keep the columns in the cache; the TH2D gets the same values. */
  readonly counts: Uint32Array;
  readonly min: number;
  readonly max: number;
  readonly scale: number;
  /** Bins of a column (y bins with underflow and overflow): the distance in `counts` from one channel to the next. */
  readonly rows: number;
  /** The overflow bin's row. */
  readonly over: number;

  constructor(
    private readonly name: string,
    private readonly title: string,
    private readonly x: AxisSpec,
    private readonly y: AxisSpec,
  ) {
    this.rows = y.nbins + 2;
    this.counts = new Uint32Array((x.nbins + 2) * this.rows);
    this.min = y.min;
    this.max = y.max;
    this.scale = y.nbins / (y.max - y.min);
    this.over = y.nbins + 1;
  }

  add(column: number, value: number): void {
    this.counts[this.columnOf(column) + this.rowOf(value)]!++;
  }

  /** Take back an entry `add` made. */
  take(column: number, value: number): void {
    this.counts[this.columnOf(column) + this.rowOf(value)]!--;
  }

  /** The offset in `counts` of channel `column`'s bins (the TH2D's column `column` + 1). */
  columnOf(column: number): number {
    return (column + 1) * this.rows;
  }

  /** The row (y bin) that `value` falls in: its offset in a column. */
  rowOf(value: number): number {
    if (!(value >= this.min)) return 0;
    if (value >= this.max) return this.over;
    return 1 + Math.floor((value - this.min) * this.scale);
  }

  histogram(): Hist2D {
    const h = new Hist2D(this.name, this.title, this.x, this.y);
    const stride = this.x.nbins + 2;
    const width = (this.y.max - this.y.min) / this.y.nbins;
    const nx = this.x.nbins;
    for (let by = 0; by <= this.y.nbins + 1; by++) {
      for (let bx = 0; bx <= nx + 1; bx++) {
        const n = this.counts[bx * this.rows + by]!;
        if (!n) continue;
        h.contents[bx + stride * by] = n;
        h.sumw2[bx + stride * by] = n;
        h.entries += n;
        if (bx < 1 || bx > nx || by < 1 || by > this.y.nbins) continue;
        const x = this.x.min + (bx - 0.5) * ((this.x.max - this.x.min) / nx);
        const y = this.y.min + (by - 0.5) * width;
        h.sumw += n;
        h.sumwSq += n;
        h.sumwx += n * x;
        h.sumwx2 += n * x * x;
        h.sumwy += n * y;
        h.sumwy2 += n * y * y;
        h.sumwxy += n * x * y;
      }
    }
    return h;
  }
}

/** Hits per channel: a count per channel, made a TH1D at the end of the spill. */
function occupancyHistogram(counts: Float64Array): Hist1D {
  const h = new Hist1D('channel_occupancy', 'Hits per channel', cellAxis(counts.length));
  for (let c = 0; c < counts.length; c++) {
    const n = counts[c]!;
    h.contents[c + 1] = n;
    h.sumw2[c + 1] = n;
    h.entries += n;
    h.sumw += n;
    h.sumwSq += n;
    h.sumwx += n * (c + 0.5);
    h.sumwx2 += n * (c + 0.5) * (c + 0.5);
  }
  return h;
}
