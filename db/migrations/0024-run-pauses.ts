// The pauses of each run: who paused it (user, role, from where), why and after which spill, and who resumed
// it. A pause still open has no resumed_at. Append and close only: a pause is never rewritten.
export default /* sql */ `
CREATE TABLE run_pauses (
  id INTEGER PRIMARY KEY,
  run INTEGER NOT NULL REFERENCES runs(number),
  paused_at INTEGER NOT NULL,
  paused_by TEXT,
  paused_role TEXT,
  paused_via TEXT,
  reason TEXT NOT NULL,
  after_spill INTEGER NOT NULL,
  resumed_at INTEGER,
  resumed_by TEXT,
  resumed_role TEXT,
  resumed_via TEXT
);
CREATE INDEX run_pauses_run ON run_pauses(run, paused_at);
CREATE TRIGGER run_pauses_no_rewrite BEFORE UPDATE ON run_pauses WHEN old.resumed_at IS NOT NULL BEGIN
  SELECT RAISE(ABORT, 'a resumed pause is not rewritten');
END;
CREATE TRIGGER run_pauses_no_delete BEFORE DELETE ON run_pauses BEGIN
  SELECT RAISE(ABORT, 'pauses are kept');
END;
`;
