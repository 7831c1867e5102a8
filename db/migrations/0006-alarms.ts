// Alarm state (one row per alarm, the whole record as JSON so a restart restores it exactly) and the
// append-only alarm log of every transition and operator action.
export default /* sql */ `
CREATE TABLE alarm_state (
  id     TEXT PRIMARY KEY,
  record TEXT NOT NULL
) STRICT;

CREATE TABLE alarm_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         INTEGER NOT NULL,
  alarm      TEXT    NOT NULL,
  kind       TEXT    NOT NULL,
  from_state TEXT    NOT NULL,
  to_state   TEXT    NOT NULL,
  priority   TEXT,
  value      REAL,
  user       TEXT,
  role       TEXT,
  reason     TEXT
) STRICT;

CREATE INDEX alarm_log_at ON alarm_log (at);
CREATE INDEX alarm_log_alarm ON alarm_log (alarm, at);

CREATE TRIGGER alarm_log_no_update BEFORE UPDATE ON alarm_log
BEGIN SELECT RAISE(ABORT, 'the alarm log is append-only'); END;
CREATE TRIGGER alarm_log_no_delete BEFORE DELETE ON alarm_log
BEGIN SELECT RAISE(ABORT, 'the alarm log is append-only'); END;
`;
