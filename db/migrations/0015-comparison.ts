// Comparison and trends (issue 16).
// - A reference can be made from a whole run: its run-accumulated histograms through `spill` (the run's last
//   stored spill then). `scope` says which kind; `created_role` completes who/when/why (created_by,
//   created_at, comment) with the role the act was allowed by.
// - Per-spill figures for trends that are not columns of their own elsewhere: the ECAL peak width (from the
//   spill's ecal_energy histogram) and, per channel, the pedestal (from the spill's pedestals histogram) and
//   the LED amplitude and gain factor (copied out of spill_led's JSON). Derived from stored data, so they
//   can always be rebuilt: a spill without its spill_figures row has not been indexed yet. Keyed so that a
//   trend over a range of spills is one walk of a primary key.
// - Spills by end time: trends over a time range.
export default /* sql */ `
ALTER TABLE dq_references ADD COLUMN scope TEXT NOT NULL DEFAULT 'spill' CHECK (scope IN ('spill', 'run'));
ALTER TABLE dq_references ADD COLUMN created_role TEXT;

CREATE TABLE spill_figures (
  run            INTEGER NOT NULL,
  spill          INTEGER NOT NULL,
  -- σ of the ECAL electron peak: RMS of ecal_energy within ±3 expected resolutions of the peak, less the
  -- binning (Sheppard's w²/12); null when the spill has too few electrons
  ecal_width_gev REAL,
  PRIMARY KEY (run, spill),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT, WITHOUT ROWID;

CREATE TABLE spill_channel_figures (
  channel       TEXT    NOT NULL,
  run           INTEGER NOT NULL,
  spill         INTEGER NOT NULL,
  -- median pedestal in ADC counts; null when the channel had no pedestal sample in the spill
  pedestal      REAL,
  -- ECAL cells: the LED amplitude of the gap before the spill and the gain correction applied
  led_amplitude REAL,
  led_factor    REAL,
  PRIMARY KEY (channel, run, spill)
) STRICT, WITHOUT ROWID;

CREATE INDEX spills_by_end ON spills (ended_at);
`;
