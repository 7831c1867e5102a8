// A spill's histograms in one row (issue 19: under 1 GB per 40,000 spills): the set of them in one blob
// (src-main/archive/histogram-set.ts: an index of names, kinds and lengths, then the histograms packed as
// `bins+deflate` packs them, deflated together), instead of one row of spill_histograms per histogram, whose
// 51 keys and primary-key index cost ≈ 3.9 kB a spill. New spills are written here only. The rows of spill_histograms already stored stay as
// they are and are read as before (src-main/archive/spill-histograms.ts reads both): nothing is rewritten,
// so the migration is instant on a season's database and cannot lose a histogram.
export default /* sql */ `
CREATE TABLE spill_histogram_sets (
  run      INTEGER NOT NULL,
  spill    INTEGER NOT NULL,
  encoding TEXT    NOT NULL,
  data     BLOB    NOT NULL,
  PRIMARY KEY (run, spill),
  FOREIGN KEY (run, spill) REFERENCES spills (run, spill)
) STRICT;
`;
