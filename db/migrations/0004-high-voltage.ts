// High voltage: the slow-control history (raw samples on change and roll-ups per level), the append-only
// audit trail of every HV write, and the saved HV configurations (snapshots, one golden per setup).
export default /* sql */ `
CREATE TABLE hv_channels (
  id   INTEGER PRIMARY KEY,
  name TEXT    NOT NULL UNIQUE
) STRICT;

-- Raw readbacks, stored when they moved beyond the deadband, the status changed, or the maximum interval
-- passed. t in ms since the epoch.
CREATE TABLE hv_samples (
  channel INTEGER NOT NULL REFERENCES hv_channels (id),
  t       INTEGER NOT NULL,
  vmon    REAL    NOT NULL,
  imon    REAL    NOT NULL,
  status  INTEGER NOT NULL,
  PRIMARY KEY (channel, t)
) STRICT, WITHOUT ROWID;

-- Roll-ups of every polled reading: level = bucket width in seconds (60, 600, 3600, 86400), bucket = its
-- start in seconds since the epoch (epoch-aligned, so buckets line up across channels). Sums, not means,
-- so that levels combine by addition.
CREATE TABLE hv_rollups (
  level   INTEGER NOT NULL,
  channel INTEGER NOT NULL REFERENCES hv_channels (id),
  bucket  INTEGER NOT NULL,
  n       INTEGER NOT NULL,
  v_sum   REAL    NOT NULL,
  v_sq    REAL    NOT NULL,
  v_min   REAL    NOT NULL,
  v_max   REAL    NOT NULL,
  i_sum   REAL    NOT NULL,
  i_sq    REAL    NOT NULL,
  i_min   REAL    NOT NULL,
  i_max   REAL    NOT NULL,
  PRIMARY KEY (level, channel, bucket)
) STRICT, WITHOUT ROWID;

-- Closing a bucket aggregates one time range of the level below for every channel at once.
CREATE INDEX hv_rollups_by_time ON hv_rollups (level, bucket);

CREATE TABLE hv_audit (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  user      TEXT    NOT NULL,
  role      TEXT    NOT NULL,
  channel   TEXT    NOT NULL,
  parameter TEXT    NOT NULL,
  old_value TEXT,
  new_value TEXT,
  reason    TEXT    NOT NULL,
  result    TEXT    NOT NULL,
  detail    TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX hv_audit_by_channel ON hv_audit (channel, at);

CREATE TRIGGER hv_audit_no_update BEFORE UPDATE ON hv_audit
BEGIN
  SELECT RAISE(ABORT, 'the HV audit trail is append-only');
END;

CREATE TRIGGER hv_audit_no_delete BEFORE DELETE ON hv_audit
BEGIN
  SELECT RAISE(ABORT, 'the HV audit trail is append-only');
END;

CREATE TABLE hv_snapshots (
  id         INTEGER PRIMARY KEY,
  setup      TEXT    NOT NULL,
  name       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT    NOT NULL,
  comment    TEXT    NOT NULL DEFAULT '',
  golden     INTEGER NOT NULL DEFAULT 0 CHECK (golden IN (0, 1)),
  UNIQUE (setup, name)
) STRICT;

CREATE UNIQUE INDEX hv_snapshots_one_golden ON hv_snapshots (setup) WHERE golden = 1;

CREATE TABLE hv_snapshot_values (
  snapshot  INTEGER NOT NULL REFERENCES hv_snapshots (id) ON DELETE CASCADE,
  channel   TEXT    NOT NULL,
  on_state  INTEGER NOT NULL CHECK (on_state IN (0, 1)),
  vset      REAL    NOT NULL,
  iset      REAL    NOT NULL,
  ramp_up   REAL    NOT NULL,
  ramp_down REAL    NOT NULL,
  trip_time REAL    NOT NULL,
  PRIMARY KEY (snapshot, channel)
) STRICT;
`;
