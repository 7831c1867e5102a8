// Kaons on target per run in run_totals, beside the EOT, kept by triggers of their own in each spill's own
// transaction (0013's triggers keep the rest), so the run list shows a hadron run's KOT without summing its
// spills. NULL while none of the run's spills counted kaons (the setups without a CEDAR, runs before 0020).
export default /* sql */ `
ALTER TABLE run_totals ADD COLUMN kot REAL;
UPDATE run_totals SET kot = (SELECT sum(kot) FROM spill_dq d WHERE d.run = run_totals.run);

CREATE TRIGGER run_totals_kot AFTER INSERT ON spill_dq WHEN new.kot IS NOT NULL BEGIN
  UPDATE run_totals SET kot = coalesce(kot, 0) + new.kot WHERE run = new.run;
END;
CREATE TRIGGER run_totals_kot_gone AFTER DELETE ON spill_dq WHEN old.kot IS NOT NULL BEGIN
  UPDATE run_totals SET kot = kot - old.kot WHERE run = old.run;
END;
CREATE TRIGGER run_totals_kot_changed AFTER UPDATE OF kot ON spill_dq WHEN old.kot IS NOT new.kot BEGIN
  UPDATE run_totals SET kot = coalesce(kot, 0) - coalesce(old.kot, 0) + coalesce(new.kot, 0) WHERE run = new.run;
END;
`;
