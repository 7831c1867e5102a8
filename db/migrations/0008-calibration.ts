// ECAL calibration (issue 9): who approved and activated each set and when, the beam-scan fits behind a set
// (per tower: status, reason, the fitted spectrum as JSON), each set's LED reference amplitudes (the LED
// gains the constants hold for), the beam scans, and per spill the LED measurement of the gap before it and
// the gain correction the spill was reconstructed with.
export default /* sql */ `
ALTER TABLE calibration_sets ADD COLUMN approved_by TEXT;
ALTER TABLE calibration_sets ADD COLUMN approved_at INTEGER;
ALTER TABLE calibration_sets ADD COLUMN activated_by TEXT;
ALTER TABLE calibration_sets ADD COLUMN activated_at INTEGER;

CREATE TABLE calibration_fits (
  set_id  INTEGER NOT NULL REFERENCES calibration_sets (id),
  tower   TEXT    NOT NULL,
  status  TEXT    NOT NULL,
  reason  TEXT    NOT NULL,
  events  INTEGER NOT NULL,
  -- the peak fit (parameters with errors, χ², histogram, residuals) as JSON; null when nothing was fitted
  fit     TEXT,
  PRIMARY KEY (set_id, tower)
) STRICT;

CREATE TABLE calibration_led_references (
  set_id    INTEGER NOT NULL REFERENCES calibration_sets (id),
  cell      TEXT    NOT NULL,
  amplitude REAL    NOT NULL CHECK (amplitude > 0),
  PRIMARY KEY (set_id, cell)
) STRICT;

CREATE TABLE calibration_scans (
  id             INTEGER PRIMARY KEY,
  setup          TEXT    NOT NULL,
  run            INTEGER NOT NULL REFERENCES runs (number),
  started_at     INTEGER NOT NULL,
  started_by     TEXT    NOT NULL,
  towers         TEXT    NOT NULL,
  events_per_cell INTEGER NOT NULL,
  model          TEXT    NOT NULL,
  status         TEXT    NOT NULL CHECK (status IN ('running', 'paused', 'fitting', 'done', 'stopped', 'failed')),
  ended_at       INTEGER,
  set_id         INTEGER REFERENCES calibration_sets (id),
  message        TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE spill_led (
  run         INTEGER NOT NULL,
  spill       INTEGER NOT NULL,
  calibration_version TEXT NOT NULL,
  -- per ECAL cell (JSON object cell → [LED amplitude or null, correction applied, source])
  cells       TEXT    NOT NULL,
  -- the worst source of the spill: 'spill' (its own gap), 'previous' (mean of the previous 3), 'run' (run average), 'none'
  source      TEXT    NOT NULL CHECK (source IN ('spill', 'previous', 'run', 'none')),
  max_drift   REAL,
  PRIMARY KEY (run, spill),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;
`;
