// Kaons on target (KOT) per spill, beside the setup's own count in `eot`: a hadron beam with a CEDAR counts
// its K⁻ from the CEDAR's tag on the beam triggers (src-main/dq/eot.ts). NULL for setups that count no kaons.
export default /* sql */ `
ALTER TABLE spill_dq ADD COLUMN kot REAL CHECK (kot IS NULL OR kot >= 0);
`;
