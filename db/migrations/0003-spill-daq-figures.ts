// Per-spill figures of the DAQ event stream (issue 4): events by trigger type, LED events before the spill,
// damaged / skipped / lost events and why, the end-of-burst scaler totals and the dead time. Spills stored
// before this migration keep daq_recorded = 0: their figures are unknown, not zero.
export default /* sql */ `
ALTER TABLE spills ADD COLUMN daq_recorded          INTEGER NOT NULL DEFAULT 0 CHECK (daq_recorded IN (0, 1));
ALTER TABLE spills ADD COLUMN physics_triggers      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN beam_triggers         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN random_triggers       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN calibration_events    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN corrupt_events        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN truncated_events      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN out_of_order_events   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN undecoded_events      INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN missing_source_events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN missing_sources       TEXT    NOT NULL DEFAULT '';
ALTER TABLE spills ADD COLUMN orphan_events         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN lost_events           INTEGER NOT NULL DEFAULT 0;
ALTER TABLE spills ADD COLUMN scaler_accepted       INTEGER;
ALTER TABLE spills ADD COLUMN dead_time_fraction    REAL;
ALTER TABLE spills ADD COLUMN end_of_burst          INTEGER NOT NULL DEFAULT 0 CHECK (end_of_burst IN (0, 1));
`;
