import { afterEach, describe, expect, it } from 'vitest';
import { monitorConfigFor } from '../../src-main/core/core';
import { silentLogger } from '../../src-main/log';
import { MonitorPool } from '../../src-main/monitor/pool';
import { SpillHistograms } from '../../src-main/monitor/recon/spill-histograms';
import { findSetup } from '../../src-main/setup/setups';
import { Hist1D } from '../../src-main/shared/histogram';

const config = monitorConfigFor(findSetup('invisible-e'));

/** A batch where every event puts `gev` GeV into the central main-section cell (3,3). */
function batch(count: number, gev: number) {
  const amplitudes = new Float32Array(count * config.channels);
  for (let i = 0; i < count; i++) amplitudes[i * config.channels + 36 + 3 * 6 + 3] = gev / config.gevPerAdc[36 + 21]!;
  return { count, channels: config.channels, amplitudes, triggers: new Uint8Array(count) };
}

describe('SpillHistograms (reconstruction in one worker)', () => {
  it('applies the calibration and fills ecal_energy', () => {
    const spill = new SpillHistograms(config);
    spill.fill(batch(10, 100));
    spill.fill(batch(5, 50));
    const h = spill.snapshots().find((s) => s.name === 'ecal_energy')!;
    expect(h.entries).toBe(15);
    expect(spill.processed).toBe(15);
    const model = Hist1D.fromSnapshot(h as never);
    expect(model.mean()).toBeCloseTo((10 * 100 + 5 * 50) / 15, 3);
  });

  it('rejects a batch that does not match the channel map', () => {
    const spill = new SpillHistograms(config);
    expect(() => spill.fill({ ...batch(2, 1), channels: 10 })).toThrow(/channels/);
    expect(() => spill.fill({ ...batch(2, 1), amplitudes: new Float32Array(3) })).toThrow(/carries only/);
  });
});

describe('MonitorPool (real worker threads)', () => {
  let pool: MonitorPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('spreads batches over the workers and merges their histograms at the end of the spill', async () => {
    pool = new MonitorPool(silentLogger(), 2);
    pool.configure(config);
    pool.begin('1:1');
    for (let i = 0; i < 20; i++) expect(pool.submit('1:1', batch(100, 100))).toBe(true);
    const result = await pool.end('1:1');
    expect(result.processed).toBe(2000);
    const h = result.histograms.find((x) => x.name === 'ecal_energy')!;
    expect(h.entries).toBe(2000);
    expect(Hist1D.fromSnapshot(h as never).peakX()).toBeCloseTo(100.25, 5);
  });

  it('counts the batches it has to skip when the workers are saturated instead of queueing without bound', async () => {
    pool = new MonitorPool(silentLogger(), 1, 2);
    pool.configure(config);
    pool.begin('1:1');
    const accepted = Array.from({ length: 50 }, () => pool!.submit('1:1', batch(2000, 100))).filter(Boolean).length;
    expect(accepted).toBeLessThan(50);
    expect(accepted).toBeGreaterThanOrEqual(2);
    const result = await pool.end('1:1');
    expect(result.processed).toBe(accepted * 2000);
  });

  it('replaces a worker that dies and keeps serving', async () => {
    pool = new MonitorPool(silentLogger(), 1);
    pool.configure(config);
    pool.begin('1:1');
    const members = (pool as unknown as { members: { worker: { terminate(): Promise<number> } }[] }).members;
    await members[0]!.worker.terminate();
    await new Promise((r) => setTimeout(r, 200));
    expect(pool.restarts).toBe(1);
    expect(pool.submit('1:1', batch(10, 100))).toBe(true);
    const result = await pool.end('1:1');
    expect(result.processed).toBe(10);
  });
});
