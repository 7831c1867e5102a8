// Conditions per run (issue 16, MIDAS's ODB dump per run): one versioned JSON document per run, written in the
// run's own start transaction — setup, HV setpoints and readbacks, calibration set, DQ reference and
// thresholds, alarm definitions in force, software version and the run-start inputs. The site and the
// devices are not copied into it: they stay in `sites` and `run_devices` (issue 13), which now also keep each
// device's options, and the document is composed from both when read. Runs from before have no row.
export default /* sql */ `
CREATE TABLE run_conditions (
  run      INTEGER PRIMARY KEY REFERENCES runs (number),
  schema   INTEGER NOT NULL CHECK (schema >= 1),
  taken_at INTEGER NOT NULL,
  document TEXT    NOT NULL CHECK (json_valid(document))
) STRICT;

ALTER TABLE run_devices ADD COLUMN options TEXT;
`;
