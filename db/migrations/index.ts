// Numbered schema migrations, applied in order inside one transaction each; PRAGMA user_version records
// the last one applied. Never edit a migration that has shipped: add the next number.
import m0001 from './0001-runs-and-spills';
import m0002 from './0002-access-tokens';
import m0003 from './0003-spill-daq-figures';
import m0004 from './0004-high-voltage';
import m0005 from './0005-logbook';
import m0006 from './0006-alarms';
import m0007 from './0007-monitoring';
import m0008 from './0008-calibration';
import m0009 from './0009-devices';
import m0010 from './0010-beamline';
import m0011 from './0011-liveness';
import m0013 from './0013-run-registry';
import m0014 from './0014-run-conditions';
import m0015 from './0015-comparison';
import m0016 from './0016-replay-runs';
import m0017 from './0017-sealed-signal-box';
import m0018 from './0018-run-end-reason';
import m0019 from './0019-signal-efficiency';
import m0020 from './0020-kaons-on-target';
import m0021 from './0021-run-kaons';
import m0022 from './0022-audit';
import m0024 from './0024-run-pauses';
import m0025 from './0025-spill-histogram-sets';
import m0026 from './0026-spill-dq-checks-deflated';
import m0027 from './0027-spill-led-deflated';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'runs-and-spills', sql: m0001 },
  { version: 2, name: 'access-tokens', sql: m0002 },
  { version: 3, name: 'spill-daq-figures', sql: m0003 },
  { version: 4, name: 'high-voltage', sql: m0004 },
  { version: 5, name: 'logbook', sql: m0005 },
  { version: 6, name: 'alarms', sql: m0006 },
  { version: 7, name: 'monitoring', sql: m0007 },
  { version: 8, name: 'calibration', sql: m0008 },
  { version: 9, name: 'devices', sql: m0009 },
  { version: 10, name: 'beamline', sql: m0010 },
  { version: 11, name: 'liveness', sql: m0011 },
  { version: 13, name: 'run-registry', sql: m0013 },
  { version: 14, name: 'run-conditions', sql: m0014 },
  { version: 15, name: 'comparison', sql: m0015 },
  { version: 16, name: 'replay-runs', sql: m0016 },
  { version: 17, name: 'sealed-signal-box', sql: m0017 },
  { version: 18, name: 'run-end-reason', sql: m0018 },
  { version: 19, name: 'signal-efficiency', sql: m0019 },
  { version: 20, name: 'kaons-on-target', sql: m0020 },
  { version: 21, name: 'run-kaons', sql: m0021 },
  { version: 22, name: 'audit', sql: m0022 },
  { version: 24, name: 'run-pauses', sql: m0024 },
  { version: 25, name: 'spill-histogram-sets', sql: m0025 },
  { version: 26, name: 'spill-dq-checks-deflated', sql: m0026 },
  { version: 27, name: 'spill-led-deflated', sql: m0027 },
];
