// Blinding (issue 17): the events in a spill's signal box never reach an open histogram or count. Their
// histograms and their count are kept here, sealed: AES-256-GCM with the data directory's key
// (blinding.key, owner-only, never in this file), so neither the API nor a copy of the database shows the
// box until an expert unblinds the run. From this migration on, spill_dq.signal_candidates holds 0 for
// new spills: their count is in the sealed payload.
export default /* sql */ `
CREATE TABLE dq_sealed_spills (
  run     INTEGER NOT NULL,
  spill   INTEGER NOT NULL,
  payload BLOB    NOT NULL,
  PRIMARY KEY (run, spill),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;
`;
