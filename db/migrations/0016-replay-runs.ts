// Replay and reprocessing (issue 16): a run is taken live, replayed from recorded DATE raw files, or a stored
// run reprocessed with a chosen calibration set. Replayed and reprocessed runs take ordinary run numbers but
// never count toward the live EOT and raise no alarms. `source_files` is the JSON list of the raw files
// played (in order); `reprocess_of` the run a reprocessing repeats; `calibration_version` the calibration
// set it was reconstructed with; `replay_report` what reading the files found (JSON: what was read, what
// was skipped and why), kept with the run.
export default /* sql */ `
ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT 'live' CHECK (origin IN ('live', 'replay', 'reprocess'));
ALTER TABLE runs ADD COLUMN source_files TEXT;
ALTER TABLE runs ADD COLUMN reprocess_of INTEGER REFERENCES runs (number);
ALTER TABLE runs ADD COLUMN calibration_version TEXT;
ALTER TABLE runs ADD COLUMN replay_report TEXT;
CREATE INDEX runs_origin ON runs (origin, number);
`;
