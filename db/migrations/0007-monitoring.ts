// Live monitoring (issue 5): versioned calibration sets (per-cell ADC → GeV with uncertainties), the
// per-spill data-quality results with EOT and e/π figures, the run-accumulated histograms (updated in the
// spill's transaction, so reading a run never merges thousands of spills), versioned DQ references per
// setup, and the runs an expert unblinded.
export default /* sql */ `
CREATE TABLE calibration_sets (
  id           INTEGER PRIMARY KEY,
  setup        TEXT    NOT NULL,
  version      TEXT    NOT NULL,
  author       TEXT    NOT NULL,
  source_runs  TEXT    NOT NULL DEFAULT '',
  comment      TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  status       TEXT    NOT NULL CHECK (status IN ('draft', 'approved', 'active', 'retired')),
  UNIQUE (setup, version)
) STRICT;
-- At most one active set per setup.
CREATE UNIQUE INDEX calibration_sets_active ON calibration_sets (setup) WHERE status = 'active';

CREATE TABLE calibration_values (
  set_id      INTEGER NOT NULL REFERENCES calibration_sets (id),
  cell        TEXT    NOT NULL,
  gev_per_adc REAL    NOT NULL CHECK (gev_per_adc > 0),
  uncertainty REAL    NOT NULL CHECK (uncertainty >= 0),
  PRIMARY KEY (set_id, cell)
) STRICT;

CREATE TABLE dq_references (
  id          INTEGER PRIMARY KEY,
  setup       TEXT    NOT NULL,
  version     INTEGER NOT NULL,
  run         INTEGER NOT NULL,
  spill       INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  created_by  TEXT    NOT NULL,
  comment     TEXT    NOT NULL DEFAULT '',
  active      INTEGER NOT NULL CHECK (active IN (0, 1)),
  -- figures of the spill the checks compare against (JSON: triggers per particle, purity, …)
  figures     TEXT    NOT NULL,
  UNIQUE (setup, version),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;
CREATE UNIQUE INDEX dq_references_active ON dq_references (setup) WHERE active = 1;

CREATE TABLE dq_reference_histograms (
  reference INTEGER NOT NULL REFERENCES dq_references (id),
  name      TEXT    NOT NULL,
  kind      TEXT    NOT NULL CHECK (kind IN ('TH1D', 'TH2D')),
  encoding  TEXT    NOT NULL,
  data      BLOB    NOT NULL,
  PRIMARY KEY (reference, name)
) STRICT;

CREATE TABLE spill_dq (
  run                 INTEGER NOT NULL,
  spill               INTEGER NOT NULL,
  verdict             TEXT    NOT NULL CHECK (verdict IN ('good', 'medium', 'bad', 'null')),
  -- worst-of verdict per detector (JSON object) and every check with its reason (JSON array)
  detectors           TEXT    NOT NULL,
  checks              TEXT    NOT NULL,
  calibration_version TEXT    NOT NULL,
  reference_version   INTEGER,
  eot                 REAL    NOT NULL,
  beam_events         INTEGER NOT NULL,
  beam_electrons      INTEGER NOT NULL,
  beam_hadrons        INTEGER NOT NULL,
  beam_muons          INTEGER NOT NULL,
  electron_efficiency REAL,
  hadron_suppression  REAL,
  -- no hadron passed the SRD cut: the suppression is a lower limit (the number of hadrons seen)
  suppression_is_limit INTEGER NOT NULL CHECK (suppression_is_limit IN (0, 1)),
  calo_hadrons        INTEGER NOT NULL,
  beam_energy_gev     REAL,
  -- blinded: served only for unblinded runs
  signal_candidates   INTEGER NOT NULL,
  PRIMARY KEY (run, spill),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;
CREATE INDEX spill_dq_bad ON spill_dq (verdict, run, spill) WHERE verdict IN ('bad', 'medium');

CREATE TABLE run_histograms (
  run      INTEGER NOT NULL REFERENCES runs (number),
  name     TEXT    NOT NULL,
  kind     TEXT    NOT NULL CHECK (kind IN ('TH1D', 'TH2D')),
  encoding TEXT    NOT NULL,
  data     BLOB    NOT NULL,
  spills   INTEGER NOT NULL,
  PRIMARY KEY (run, name)
) STRICT;

CREATE TABLE dq_unblinded_runs (
  run    INTEGER PRIMARY KEY REFERENCES runs (number),
  at     INTEGER NOT NULL,
  user   TEXT    NOT NULL,
  reason TEXT    NOT NULL
) STRICT;
`;
