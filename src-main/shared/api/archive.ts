// API contract of the archive: logged runs, their spills and the spills' histograms.
import { oc } from '@orpc/contract';
import { z } from 'zod';
import { runsRegistryContract } from './runs';
import { HistogramName, HistSnapshot, Run, RunNumber, SpillNumber, SpillSummary } from './schemas';

const NotFound = { NOT_FOUND: { message: 'not found' } };

export const archiveContract = {
  runs: {
    // The run registry: list (filters, sort, paging), summary, signOff. GET /runs and /runs/{run}/spills are
    // served by src-main/api/file-routes.ts (JSON, Parquet or CSV).
    ...runsRegistryContract,
    get: oc
      .route({ method: 'GET', path: '/runs/{run}', summary: 'One run: type, setup, start/stop times, comment, stop reason, end state', tags: ['archive'] })
      .errors(NotFound).input(z.object({ run: RunNumber })).output(Run),
    spills: oc
      .errors(NotFound).input(z.object({ run: RunNumber })).output(z.array(SpillSummary)),
  },
  histograms: {
    list: oc
      .route({ method: 'GET', path: '/spills/{run}/{spill}/histograms', summary: "Names of the spill's histograms", tags: ['archive'] })
      .errors(NotFound)
      .input(z.object({ run: RunNumber, spill: SpillNumber })).output(z.array(HistogramName)),
    get: oc
      .errors(NotFound)
      .input(z.object({ run: RunNumber, spill: SpillNumber, name: HistogramName }))
      .output(HistSnapshot),
  },
};
