// Kaons on target per run in run_totals, beside the EOT, kept by the same triggers in each spill's own
// transaction, so the run list shows a hadron run's KOT without summing its spills. NULL while none of the
// run's spills counted kaons (the setups without a CEDAR, and runs taken before 0020).
export default /* sql */ `
ALTER TABLE run_totals ADD COLUMN kot REAL;
UPDATE run_totals SET kot = (SELECT sum(kot) FROM spill_dq d WHERE d.run = run_totals.run);

DROP TRIGGER run_totals_dq;
CREATE TRIGGER run_totals_dq AFTER INSERT ON spill_dq BEGIN
  UPDATE run_totals SET eot = eot + new.eot,
    kot = CASE WHEN new.kot IS NULL THEN kot ELSE coalesce(kot, 0) + new.kot END,
    good = good + (new.verdict = 'good'), medium = medium + (new.verdict = 'medium'),
    bad = bad + (new.verdict = 'bad'), unjudged = unjudged + (new.verdict = 'null')
   WHERE run = new.run;
END;
DROP TRIGGER run_totals_dq_gone;
CREATE TRIGGER run_totals_dq_gone AFTER DELETE ON spill_dq BEGIN
  UPDATE run_totals SET eot = eot - old.eot,
    kot = CASE WHEN old.kot IS NULL THEN kot ELSE kot - old.kot END,
    good = good - (old.verdict = 'good'), medium = medium - (old.verdict = 'medium'),
    bad = bad - (old.verdict = 'bad'), unjudged = unjudged - (old.verdict = 'null')
   WHERE run = old.run;
END;
DROP TRIGGER run_totals_dq_changed;
CREATE TRIGGER run_totals_dq_changed AFTER UPDATE OF verdict, eot, kot ON spill_dq BEGIN
  UPDATE run_totals SET eot = eot - old.eot + new.eot,
    kot = CASE WHEN old.kot IS NULL AND new.kot IS NULL THEN kot ELSE coalesce(kot, 0) - coalesce(old.kot, 0) + coalesce(new.kot, 0) END,
    good = good - (old.verdict = 'good') + (new.verdict = 'good'),
    medium = medium - (old.verdict = 'medium') + (new.verdict = 'medium'),
    bad = bad - (old.verdict = 'bad') + (new.verdict = 'bad'),
    unjudged = unjudged - (old.verdict = 'null') + (new.verdict = 'null')
   WHERE run = new.run;
END;
`;
