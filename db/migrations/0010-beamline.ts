// The beam line (issue 14): the beam-line counters' counts per spill as the end-of-burst reads gave them
// (the slow-control archive of the counters), their cross-check with the DAQ's end-of-burst scaler per
// spill of a run, and each digitizer's per-spill figures and data-quality checks (its histograms are
// stored with the spill's, in spill_histograms).
export default /* sql */ `
CREATE TABLE counter_spills (
  device     TEXT    NOT NULL,
  -- the timing source's spill counter and the spill's start and end (wall ms)
  sequence   INTEGER NOT NULL,
  started_at REAL    NOT NULL,
  ended_at   REAL    NOT NULL,
  -- JSON object: counter name → counts in the spill; NULL when the end-of-burst read failed
  counts     TEXT,
  problem    TEXT,
  PRIMARY KEY (device, started_at)
) STRICT;
CREATE INDEX counter_spills_ended ON counter_spills (ended_at);

CREATE TABLE counter_crosschecks (
  run        INTEGER NOT NULL,
  spill      INTEGER NOT NULL,
  device     TEXT    NOT NULL,
  quantity   TEXT    NOT NULL CHECK (quantity IN ('triggers', 'particles')),
  scaler     REAL    NOT NULL,
  daq        REAL    NOT NULL,
  difference REAL    NOT NULL,
  tolerance  REAL    NOT NULL,
  ok         INTEGER NOT NULL CHECK (ok IN (0, 1)),
  at         REAL    NOT NULL,
  PRIMARY KEY (run, spill, device, quantity),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;

CREATE TABLE digitizer_spills (
  device     TEXT    NOT NULL,
  run        INTEGER,
  spill      INTEGER,
  started_at REAL    NOT NULL,
  ended_at   REAL    NOT NULL,
  -- JSON: per channel triggers, fired, rate, mean amplitude and baseline, saturated; and the checks
  channels   TEXT    NOT NULL,
  checks     TEXT    NOT NULL,
  PRIMARY KEY (device, started_at)
) STRICT;
CREATE INDEX digitizer_spills_run ON digitizer_spills (run, spill);
`;
