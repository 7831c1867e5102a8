// Runs, their spills, and each spill's histograms (compressed). Run numbers come from `meta` so they only
// ever increase, even if a run row were removed.
export default /* sql */ `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE runs (
  number        INTEGER PRIMARY KEY,
  type          TEXT    NOT NULL CHECK (type IN ('physics', 'calibration', 'led', 'pedestal', 'cosmics')),
  setup         TEXT    NOT NULL,
  started_at    INTEGER NOT NULL,
  stopped_at    INTEGER,
  start_comment TEXT    NOT NULL DEFAULT '',
  stop_reason   TEXT,
  end_state     TEXT    NOT NULL CHECK (end_state IN ('running', 'ended', 'aborted'))
) STRICT;

CREATE TABLE spills (
  run              INTEGER NOT NULL REFERENCES runs (number),
  spill            INTEGER NOT NULL CHECK (spill BETWEEN 1 AND 4095),
  started_at       INTEGER NOT NULL,
  ended_at         INTEGER NOT NULL,
  events_seen      INTEGER NOT NULL,
  events_processed INTEGER NOT NULL,
  intensity        REAL    NOT NULL,
  ecal_mean_gev    REAL,
  ecal_peak_gev    REAL,
  PRIMARY KEY (run, spill)
) STRICT;

CREATE TABLE spill_histograms (
  run      INTEGER NOT NULL,
  spill    INTEGER NOT NULL,
  name     TEXT    NOT NULL,
  kind     TEXT    NOT NULL CHECK (kind IN ('TH1D', 'TH2D')),
  encoding TEXT    NOT NULL,
  data     BLOB    NOT NULL,
  PRIMARY KEY (run, spill, name),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;
`;
