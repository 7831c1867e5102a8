// Conditions per run (issue 16, MIDAS's ODB dump per run): one versioned JSON document per run, written in the
// run's own start transaction — setup, HV setpoints and readbacks, calibration set, DQ reference and
// thresholds, alarm definitions in force, software version and the run-start inputs. The site and the
// devices are not copied into it: they stay in `sites` and `run_devices` (issue 13), which now also keep each
// device's options, and the document is composed from both when read. Runs from before have no row. The
// document is deflated JSON (as the histograms): ≈ 80 kB of mostly alike alarm and HV entries become a few kB.
export default /* sql */ `
CREATE TABLE run_conditions (
  run      INTEGER PRIMARY KEY REFERENCES runs (number),
  schema   INTEGER NOT NULL CHECK (schema >= 1),
  taken_at INTEGER NOT NULL,
  encoding TEXT    NOT NULL CHECK (encoding IN ('json+deflate')),
  document BLOB    NOT NULL
) STRICT;

ALTER TABLE run_devices ADD COLUMN options TEXT;
`;
