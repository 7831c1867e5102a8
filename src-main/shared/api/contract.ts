// The one API contract, composed from one part per domain. Served over the Electron MessagePort and the
// WebSocket by the same router (src-main/api/router.ts); the renderer and `na64rc ctl` are typed clients.
// A domain adds its part here and its implementation in src-main/<domain>/api.ts; live data of a domain
// comes as its own event iterator (e.g. `hv.live`), not as new variants of the run-control stream.
import type { ContractRouterClient } from '@orpc/contract';
import { alarmsContract } from './alarms';
import { auditContract } from './audit';
import { calibrationContract } from './calibration';
import { archiveContract } from './archive';
import { conditionsContract } from './conditions';
import { devicesContract } from './devices';
import { dqContract } from './dq';
import { authContract } from './auth';
import { logbookContract } from './logbook';
import { hvContract } from './hv';
import { runControlContract } from './run-control';
import { simContract } from './sim';
import { beamlineContract } from './beamline';
import { exportsContract } from './exports';
import { compareContract } from './compare';
import { replayContract } from './replay';

export const contract = {
  ...runControlContract,
  ...archiveContract,
  runs: { ...archiveContract.runs, ...conditionsContract.runs },
  ...authContract,
  ...simContract,
  ...logbookContract,
  ...alarmsContract,
  ...hvContract,
  ...dqContract,
  ...calibrationContract,
  ...devicesContract,
  ...beamlineContract,
  ...exportsContract,
  ...compareContract,
  ...replayContract,
  ...auditContract,
};

export type Contract = typeof contract;
export type ApiClient = ContractRouterClient<Contract>;
