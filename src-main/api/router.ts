// The implementation of the API contract, bound to one core: one part per domain (Actual Budget's handler
// map per domain). The same router is served over the Electron MessagePort (src-main/shell) and the
// WebSocket (src-main/server), each connection with its own session in the context.
import { alarmsRouter } from '../alarms/api';
import { auditRouter } from '../audit/api';
import { beamlineRouter } from '../beamline/api';
import { archiveRouter } from '../archive/api';
import { conditionsRouter } from '../conditions/api';
import { authRouter } from '../auth/api';
import { calibrationRouter } from '../calibration/api';
import { compareRouter } from '../compare/api';
import type { Core } from '../core/core';
import { devicesRouter } from '../devices/api';
import { dqRouter } from '../dq/api';
import { exportsRouter } from '../export/api';
import { logbookRouter } from '../logbook/api';
import { hvRouter } from '../hv/api';
import { runControlRouter } from '../run-control/api';
import { simRouter } from '../sim/api';
import { replayRouter } from '../replay/api';
import { os } from './implementer';

export function createRouter(core: Core) {
  const archive = archiveRouter(core);
  return os.router({
    ...runControlRouter(core),
    ...archive,
    runs: { ...archive.runs, ...conditionsRouter(core).runs },
    ...authRouter(core),
    ...simRouter(core),
    ...logbookRouter(core),
    ...alarmsRouter(core),
    ...hvRouter(core),
    ...dqRouter(core),
    ...calibrationRouter(core),
    ...devicesRouter(core),
    ...beamlineRouter(core),
    ...exportsRouter(core),
    ...compareRouter(core),
    ...replayRouter(core),
    ...auditRouter(core),
  });
}

export type Router = ReturnType<typeof createRouter>;
