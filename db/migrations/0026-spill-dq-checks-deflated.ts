// A spill's DQ checks deflated (issue 19): their JSON text was ≈ 3.4 kB a spill, ≈ 0.8 kB deflated. A row
// written from now on has '' in `checks` and the deflated JSON in `checks_deflated`
// (src-main/archive/deflated-text.ts); the rows already stored keep their text and are read as before
// (nothing is rewritten: instant on a season's database, nothing to lose).
export default /* sql */ `
ALTER TABLE spill_dq ADD COLUMN checks_deflated BLOB CHECK (checks_deflated IS NULL OR checks = '');
`;
