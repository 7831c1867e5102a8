// The run registry (issue 16): who started and stopped each run (user, role, and the kind of client when the
// session says it: the desktop window, a browser, the command line; NULL on runs taken before: "not
// recorded"); the reviewers' sign-offs of runs and spills, append-only; and per-run totals kept by triggers in
// the spill's own transaction, so a list of ten thousand runs filters and sorts on columns, never on a
// GROUP BY over millions of spills.
export default /* sql */ `
ALTER TABLE runs ADD COLUMN started_by   TEXT;
ALTER TABLE runs ADD COLUMN started_role TEXT CHECK (started_role IN ('viewer', 'shifter', 'expert', 'admin'));
ALTER TABLE runs ADD COLUMN started_via  TEXT CHECK (started_via IN ('window', 'browser', 'cli'));
ALTER TABLE runs ADD COLUMN stopped_by   TEXT;
ALTER TABLE runs ADD COLUMN stopped_role TEXT CHECK (stopped_role IN ('viewer', 'shifter', 'expert', 'admin'));
ALTER TABLE runs ADD COLUMN stopped_via  TEXT CHECK (stopped_via IN ('window', 'browser', 'cli'));

CREATE INDEX runs_started_at ON runs (started_at);
CREATE INDEX runs_setup ON runs (setup, started_at);
CREATE INDEX runs_type ON runs (type, started_at);

-- A reviewer's verdict on a whole run (spill NULL) or one spill, beside the automatic one. Append-only: the
-- sign-off in force for (run, spill) is its row with the highest id; the rows before it are its history.
CREATE TABLE run_signoffs (
  id      INTEGER PRIMARY KEY,
  run     INTEGER NOT NULL REFERENCES runs (number),
  spill   INTEGER,
  verdict TEXT    NOT NULL CHECK (verdict IN ('good', 'bad', 'needs-look')),
  reason  TEXT    NOT NULL CHECK (length(trim(reason)) > 0),
  user    TEXT    NOT NULL,
  role    TEXT    NOT NULL,
  at      INTEGER NOT NULL
) STRICT;
CREATE INDEX run_signoffs_subject ON run_signoffs (run, spill, id);
CREATE TRIGGER run_signoffs_no_update BEFORE UPDATE ON run_signoffs BEGIN
  SELECT RAISE(ABORT, 'sign-offs are append-only: add a new sign-off instead');
END;
CREATE TRIGGER run_signoffs_no_delete BEFORE DELETE ON run_signoffs BEGIN
  SELECT RAISE(ABORT, 'sign-offs are append-only: add a new sign-off instead');
END;

-- The sign-off in force for each signed (run, spill), spill NULL for the run's own.
CREATE VIEW run_signoffs_in_force AS
  SELECT s.* FROM run_signoffs s
   WHERE s.id = (SELECT max(t.id) FROM run_signoffs t WHERE t.run = s.run AND t.spill IS s.spill);

-- Per-run totals of the automatic record: spills, events, EOT, spills per DQ verdict; and the run's own
-- sign-off in force (NULL: none) with the number of its spills signed off.
CREATE TABLE run_totals (
  run          INTEGER PRIMARY KEY,
  spills       INTEGER NOT NULL DEFAULT 0,
  events       INTEGER NOT NULL DEFAULT 0,
  eot          REAL    NOT NULL DEFAULT 0,
  good         INTEGER NOT NULL DEFAULT 0,
  medium       INTEGER NOT NULL DEFAULT 0,
  bad          INTEGER NOT NULL DEFAULT 0,
  unjudged     INTEGER NOT NULL DEFAULT 0,
  signoff      TEXT    CHECK (signoff IN ('good', 'bad', 'needs-look')),
  spill_signoffs INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX run_totals_eot ON run_totals (eot);

INSERT INTO run_totals (run) SELECT number FROM runs;
UPDATE run_totals SET
  spills = (SELECT count(*) FROM spills s WHERE s.run = run_totals.run),
  events = (SELECT coalesce(sum(events_seen), 0) FROM spills s WHERE s.run = run_totals.run),
  eot    = (SELECT coalesce(sum(eot), 0) FROM spill_dq d WHERE d.run = run_totals.run),
  good   = (SELECT count(*) FROM spill_dq d WHERE d.run = run_totals.run AND d.verdict = 'good'),
  medium = (SELECT count(*) FROM spill_dq d WHERE d.run = run_totals.run AND d.verdict = 'medium'),
  bad    = (SELECT count(*) FROM spill_dq d WHERE d.run = run_totals.run AND d.verdict = 'bad'),
  unjudged = (SELECT count(*) FROM spill_dq d WHERE d.run = run_totals.run AND d.verdict = 'null');

CREATE TRIGGER run_totals_run AFTER INSERT ON runs BEGIN
  INSERT INTO run_totals (run) VALUES (new.number);
END;
CREATE TRIGGER run_totals_run_gone AFTER DELETE ON runs BEGIN
  DELETE FROM run_totals WHERE run = old.number;
END;
CREATE TRIGGER run_totals_spill AFTER INSERT ON spills BEGIN
  UPDATE run_totals SET spills = spills + 1, events = events + new.events_seen WHERE run = new.run;
END;
CREATE TRIGGER run_totals_spill_gone AFTER DELETE ON spills BEGIN
  UPDATE run_totals SET spills = spills - 1, events = events - old.events_seen WHERE run = old.run;
END;
CREATE TRIGGER run_totals_dq AFTER INSERT ON spill_dq BEGIN
  UPDATE run_totals SET eot = eot + new.eot,
    good = good + (new.verdict = 'good'), medium = medium + (new.verdict = 'medium'),
    bad = bad + (new.verdict = 'bad'), unjudged = unjudged + (new.verdict = 'null')
   WHERE run = new.run;
END;
CREATE TRIGGER run_totals_dq_gone AFTER DELETE ON spill_dq BEGIN
  UPDATE run_totals SET eot = eot - old.eot,
    good = good - (old.verdict = 'good'), medium = medium - (old.verdict = 'medium'),
    bad = bad - (old.verdict = 'bad'), unjudged = unjudged - (old.verdict = 'null')
   WHERE run = old.run;
END;
CREATE TRIGGER run_totals_dq_changed AFTER UPDATE OF verdict, eot ON spill_dq BEGIN
  UPDATE run_totals SET eot = eot - old.eot + new.eot,
    good = good - (old.verdict = 'good') + (new.verdict = 'good'),
    medium = medium - (old.verdict = 'medium') + (new.verdict = 'medium'),
    bad = bad - (old.verdict = 'bad') + (new.verdict = 'bad'),
    unjudged = unjudged - (old.verdict = 'null') + (new.verdict = 'null')
   WHERE run = new.run;
END;
CREATE TRIGGER run_totals_signoff AFTER INSERT ON run_signoffs BEGIN
  UPDATE run_totals SET
    signoff = CASE WHEN new.spill IS NULL THEN new.verdict ELSE signoff END,
    spill_signoffs = (SELECT count(DISTINCT spill) FROM run_signoffs s WHERE s.run = new.run AND s.spill IS NOT NULL)
   WHERE run = new.run;
END;
`;
