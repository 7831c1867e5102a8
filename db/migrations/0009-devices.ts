// Devices from site files (issue 13): each site file the app ran with, kept whole (so a reviewer can read
// the file that took a run), when it came into use and by whom; the hardware of each run as it stood at
// the run's start (device, plugin, address, state and what the device said it is); the append-only log of
// every device's state changes and operators' actions on devices; and why a spill's stream was lost.
export default /* sql */ `
CREATE TABLE sites (
  id      INTEGER PRIMARY KEY,
  hash    TEXT    NOT NULL UNIQUE,
  name    TEXT    NOT NULL,
  file    TEXT    NOT NULL,
  format  TEXT    NOT NULL CHECK (format IN ('json', 'yaml')),
  text    TEXT    NOT NULL,
  setup   TEXT    NOT NULL,
  seen_at INTEGER NOT NULL
) STRICT;

CREATE TABLE site_uses (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  at   INTEGER NOT NULL,
  site INTEGER NOT NULL REFERENCES sites (id),
  how  TEXT    NOT NULL CHECK (how IN ('start', 'load')),
  user TEXT    NOT NULL,
  role TEXT    NOT NULL
) STRICT;

ALTER TABLE runs ADD COLUMN site INTEGER REFERENCES sites (id);

CREATE TABLE run_devices (
  run      INTEGER NOT NULL REFERENCES runs (number),
  device   TEXT    NOT NULL,
  plugin   TEXT    NOT NULL,
  kind     TEXT    NOT NULL,
  address  TEXT    NOT NULL,
  state    TEXT    NOT NULL,
  model    TEXT,
  serial   TEXT,
  firmware TEXT,
  detail   TEXT,
  PRIMARY KEY (run, device)
) STRICT;

CREATE TABLE device_log (
  seq    INTEGER PRIMARY KEY AUTOINCREMENT,
  at     INTEGER NOT NULL,
  device TEXT    NOT NULL,
  event  TEXT    NOT NULL CHECK (event IN ('state', 'reconnect', 'added', 'removed', 'replaced')),
  state  TEXT,
  detail TEXT    NOT NULL DEFAULT '',
  user   TEXT,
  role   TEXT
) STRICT;

CREATE INDEX device_log_device ON device_log (device, at);

CREATE TRIGGER device_log_no_update BEFORE UPDATE ON device_log
BEGIN SELECT RAISE(ABORT, 'the device log is append-only'); END;
CREATE TRIGGER device_log_no_delete BEFORE DELETE ON device_log
BEGIN SELECT RAISE(ABORT, 'the device log is append-only'); END;

ALTER TABLE spills ADD COLUMN stream_lost TEXT;
`;
