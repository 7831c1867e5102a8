// A spill's LED record stored once, compactly (issue 19). Its cells' JSON (per ECAL cell: the LED amplitude,
// the gain factor applied and its source) was ≈ 3.9 kB a spill, written out in full with every cell's name;
// deflated it is ≈ 1.4 kB (the amplitudes are measured values, kept to the last bit). A row written from now
// on has '' in `cells` and the deflated JSON in `cells_deflated` (src-main/archive/deflated-text.ts); the rows
// already stored keep their text and are read as before. spill_channel_figures keeps its copy of the
// amplitude and factor: it is the trend index (migration 0015), rebuilt from this record, and a trend over
// 40,000 spills cannot inflate 40,000 records.
export default /* sql */ `
ALTER TABLE spill_led ADD COLUMN cells_deflated BLOB CHECK (cells_deflated IS NULL OR cells = '');
`;
