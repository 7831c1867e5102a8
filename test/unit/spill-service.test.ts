// The DAQ service and the spill service with a scripted event source and a real monitor pool: data quality
// goes into the stored spill, a failure of the data-quality step never costs the spill (stored without its
// verdicts), and `spill-stored` reaches every subscriber even when one of them fails.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventSource, EventSourceListener } from '../../drivers/sdk/index';
import { openDatabase, type Db } from '../../src-main/archive/database';
import { RunsArchive } from '../../src-main/archive/runs-archive';
import { DaqService } from '../../src-main/daq/daq-service';
import { SpillService, type SpillServiceDeps, type SpillStored } from '../../src-main/spills/spill-service';
import { silentLogger } from '../../src-main/log';
import { MonitorPool } from '../../src-main/monitor/pool';
import { monitorConfigFor } from '../../src-main/setup/monitoring';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { batchOf, encodedSpill, twinFor } from '../support/twin-data';

const { setup, twin, encoder } = twinFor('invisible-e', 3);
const events = encodedSpill(twin, encoder, 0, 300).events;

/** An event source driven by the test: one spill of 300 events. */
function scriptedSource(): EventSource & { play(): Promise<void> } {
  let listener: EventSourceListener | null = null;
  return {
    kind: 'event-source',
    start: async (l: EventSourceListener) => {
      listener = l;
    },
    arm: () => undefined,
    beam: () => ({ phase: 'interspill', phaseStartedAt: 0, phaseEndsAt: 1, spillMs: 4800, cycleMs: 16800 }),
    close: async () => undefined,
    onState: () => () => undefined,
    state: () => 'online',
    async play() {
      listener!.spillStart({ sequence: 1, startedAt: 1000, endsAt: 5800, nextStartAt: 17800 });
      listener!.batch({ sequence: 1, type: 'physics', firstEvent: 0, ...batchOf(events) });
      listener!.spillEnd({
        sequence: 1,
        endedAt: 5800,
        nextStartAt: 17800,
        triggers: 300,
        intensity: 3e5,
        daq: { physicsTriggers: 0, beamTriggers: 300, randomTriggers: 0, calibrationEvents: 0, corruptEvents: 0, truncatedEvents: 0, outOfOrderEvents: 0, missingSourceEvents: 0, missingSources: [], orphanEvents: 0, lostEvents: 0, scalerAccepted: 300, deadTimeFraction: 0, endOfBurst: true, streamLost: null },
      });
    },
  } as unknown as EventSource & { play(): Promise<void> };
}

describe('DaqService and data quality', () => {
  let dir: string;
  let db: Db;
  let archive: RunsArchive;
  let pool: MonitorPool;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'na64rc-daq-'));
    db = openDatabase(join(dir, 'na64rc.sqlite'));
    archive = new RunsArchive(db);
    pool = new MonitorPool(silentLogger(), 1);
  });
  afterEach(async () => {
    await pool.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function takeSpill(assess: SpillServiceDeps['assess'], heard: SpillStored[] = [], shown?: SpillServiceDeps['shown']): Promise<SpillSummary> {
    const source = scriptedSource();
    let stored: SpillSummary | null = null;
    const spills = new SpillService({ archive, assess, dqOf: () => new Map(), storeFailed: () => undefined, log: silentLogger(), ...(shown ? { shown } : {}) });
    spills.subscribe('spill-stored', () => {
      throw new Error('a broken subscriber');
    });
    spills.subscribe('spill-stored', (s) => {
      heard.push(s);
      stored = s.summary;
    });
    const daq = new DaqService(source, pool, spills, () => monitorConfigFor(setup), { beam: () => undefined }, silentLogger());
    await daq.start();
    const run = archive.startRun({ type: 'physics', setup: 'invisible-e', comment: '', startedAt: 0 });
    daq.beginRun(run.number);
    await source.play();
    for (let i = 0; i < 200 && !stored; i++) await new Promise((r) => setTimeout(r, 25));
    expect(stored).not.toBeNull();
    return archive.listSpills(run.number)[0]!;
  }

  it('hands the spill, its histograms, figures and calibration version to the assessment and stores the verdict with it', async () => {
    let seen: { figures: number; version: string; names: string[] } | null = null;
    let wrote = false;
    const heard: SpillStored[] = [];
    const spill = await takeSpill((_summary, histograms, figures, version) => {
      seen = { figures: figures.events, version, names: histograms.map((h) => h.name) };
      return {
        dq: { verdict: 'good', detectors: {}, eot: 1, purity: null, hadronFraction: null, electronEfficiency: null, hadronSuppression: null, suppressionIsLimit: false, beamEnergyGeV: null, calibrationVersion: version, referenceVersion: null, signalCandidates: null },
        write: () => (wrote = true),
        committed: () => undefined,
      };
    }, heard);
    expect(seen).toMatchObject({ figures: 300, version: 'nominal' });
    // The subscriber after a broken one still heard of the spill, with its verdict, once.
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ origin: 'live', summary: { spill: 1, dq: { verdict: 'good' } } });
    expect(seen!.names).toEqual(expect.arrayContaining(['ecal_energy', 'pedestals', 'srd_energy', 'trigger_rates']));
    expect(wrote).toBe(true);
    expect(spill.eventsProcessed).toBe(300);
  });

  const good = (version: string) => ({ verdict: 'good' as const, detectors: {}, eot: 1, purity: null, hadronFraction: null, electronEfficiency: null, hadronSuppression: null, suppressionIsLimit: false, beamEnergyGeV: null, calibrationVersion: version, referenceVersion: null, signalCandidates: null });

  it('shows a live spill once judged, and writes it on the next turn of the event loop, after what the screens sent has left', async () => {
    const order: string[] = [];
    const heard: SpillStored[] = [];
    let inDb: number | null = null;
    const spill = await takeSpill(
      (_summary, _h, _f, version) => ({
        dq: good(version),
        write: () => order.push('write'),
        committed: () => order.push('committed'),
      }),
      heard,
      (s) => {
        order.push(`shown ${s.summary.spill} ${s.summary.dq?.verdict}`);
        expect(s.histograms.map((h) => h.name)).toContain('ecal_energy');
        // What the screens send leaves with the microtasks; the spill is not in the database yet then.
        queueMicrotask(() => {
          order.push('sent');
          inDb = archive.listSpills(s.summary.run).length;
        });
        return true;
      },
    );
    expect(order).toEqual(['shown 1 good', 'sent', 'write', 'committed']);
    expect(inDb).toBe(0);
    expect(heard).toHaveLength(1);
    expect(archive.listSpills(spill.run)).toHaveLength(1);
  });

  it('keeps the old order when the screens must wait for the transaction (an unblinded run)', async () => {
    const order: string[] = [];
    await takeSpill(
      (_summary, _h, _f, version) => ({
        dq: good(version),
        write: () => order.push('write'),
        committed: () => order.push('committed'),
      }),
      [],
      () => {
        order.push('asked');
        queueMicrotask(() => order.push('microtask'));
        return false;
      },
    );
    // No turn of the loop before the write: the transaction runs in the same task as the judgement.
    expect(order).toEqual(['asked', 'write', 'committed', 'microtask']);
  });

  it('stores the spill without data quality when the assessment throws, or when its record cannot be written', async () => {
    const first = await takeSpill(() => {
      throw new Error('a bug in a check');
    });
    expect(first.eventsProcessed).toBe(300);
    expect(archive.histogramNames(first.run, 1)).toContain('ecal_energy');
    const second = await takeSpill(() => ({
      dq: { verdict: 'good', detectors: {}, eot: 1, purity: null, hadronFraction: null, electronEfficiency: null, hadronSuppression: null, suppressionIsLimit: false, beamEnergyGeV: null, calibrationVersion: 'x', referenceVersion: null, signalCandidates: null },
      write: () => {
        throw new Error('constraint failed');
      },
      committed: () => {
        throw new Error('must not be called');
      },
    }));
    expect(second.eventsProcessed).toBe(300);
    expect(archive.histogramNames(second.run, 1).length).toBeGreaterThan(10);
  });
});
