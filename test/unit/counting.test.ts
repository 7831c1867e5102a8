// Each setup counts its own beam particle on target (EOT, MOT, POT): the beam triggers' tag share × the beam
// counters' particles, from real DATE bytes of the twin through the app's reconstruction, against the
// generator's truth (the particles it put on target × the beam's composition).
import { describe, expect, it } from 'vitest';
import { onTarget } from '../../src-main/dq/eot';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { counting, monitorConfigFor, physicsCuts } from '../../src-main/setup/monitoring';
import { batchOf, ids, twinFor } from '../support/twin-data';

function count(name: string, spills: number) {
  const { setup, twin, encoder } = twinFor(name, 17);
  const config = monitorConfigFor(setup);
  const c = counting(setup);
  const share = twin.response.composition()[c.tag];
  let counted = 0;
  let truth = 0;
  for (let s = 0; s < spills; s++) {
    const spill = twin.spill(s);
    const h = new SpillHistograms(config);
    let batch: Uint8Array[] = [];
    let n = 0;
    for (let e = spill.next(); e; e = spill.next()) {
      batch.push(encoder.event(e, ids(++n, s + 1)).slice());
      if (batch.length === 2000) {
        h.fill(batchOf(batch));
        batch = [];
      }
    }
    h.fill(batchOf(batch));
    counted += onTarget(h.figures, c.tag, { intensity: spill.scalers.particles, prescale: setup.trigger.beamPrescale, deadTimeFraction: spill.scalers.deadTimeUs / spill.scalers.gateUs });
    truth += spill.scalers.particles * share;
  }
  return { unit: c.unit, goal: c.goal, ratio: counted / truth };
}

describe('the counting unit of each setup', () => {
  it('counts muons on target (MOT) for the M2 muon beam within 0.5 %', () => {
    const r = count('muon', 3);
    expect(r.unit).toBe('MOT');
    expect(r.goal).toBe(1e11);
    expect(Math.abs(r.ratio - 1)).toBeLessThan(0.005);
  });

  it('counts pions on target (POT) for the hadron beam within 0.5 %: its electrons are tagged, not counted, and none is sealed as signal', () => {
    const r = count('hadron', 3);
    expect(r.unit).toBe('POT');
    expect(r.goal).toBe(5e12);
    expect(Math.abs(r.ratio - 1)).toBeLessThan(0.005);
  });

  it('counts electrons on target for the visible mode within 0.5 %: the WCAL dump absorbs them, none is sealed as signal', () => {
    const r = count('visible-e', 2);
    expect(r.unit).toBe('EOT');
    expect(Math.abs(r.ratio - 1)).toBeLessThan(0.005);
  });

  it('scales the signal region with the beam energy; a hadron beam looks for the beam energy to vanish, the visible mode for it to reappear downstream', () => {
    expect(physicsCuts(twinFor('invisible-e', 1).setup).signal).toEqual({ mode: 'missing-energy', ecalBelowGeV: 50 });
    expect(physicsCuts(twinFor('visible-e', 1).setup).signal).toEqual({ mode: 'visible-decay', wcalBelowGeV: 105, ecalAboveGeV: 15, sumWindowGeV: 15 });
    expect(physicsCuts(twinFor('hadron', 1).setup).signal).toEqual({ mode: 'disappearance', totalBelowGeV: 5 });
    expect(counting(twinFor('invisible-e', 1).setup).unit).toBe('EOT');
  });
});
