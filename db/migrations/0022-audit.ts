// One audit trail of every control action, in every domain (run transitions, HV writes, alarm actions,
// calibration approvals and activations, sign-offs, fault injection, users and tokens, site changes, amended
// logbook entries): who, with which role, from where, when, what, old → new, why, and how it ended. The
// domains' own tables (hv_audit, the alarm log, the device log) stay; this is the one place to query all of
// it. Written only through src-main/audit/audit-trail.ts. Rows are never changed nor removed: the triggers
// refuse it (UPDATE, DELETE and INSERT OR REPLACE), so a mistaken or malicious write fails loudly instead of
// rewriting history.
export default /* sql */ `
CREATE TABLE audit (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  user      TEXT    NOT NULL,
  role      TEXT    NOT NULL CHECK (role IN ('viewer', 'shifter', 'expert', 'admin')),
  -- where the action came from: the desktop window, a browser page, a script (na64rc ctl), the server itself
  via       TEXT    NOT NULL CHECK (via IN ('window', 'browser', 'cli', 'server')),
  -- the client's network address (a browser's or a script's); NULL for the window and the server
  address   TEXT,
  domain    TEXT    NOT NULL,
  action    TEXT    NOT NULL,
  target    TEXT    NOT NULL,
  old_value TEXT,
  new_value TEXT,
  reason    TEXT    NOT NULL DEFAULT '',
  result    TEXT    NOT NULL CHECK (result IN ('ok', 'refused', 'failed')),
  -- why it was refused or failed, or what went only partly (an HV supply refusing one channel)
  detail    TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_by_time ON audit (at);
CREATE INDEX audit_by_domain ON audit (domain, at);
CREATE INDEX audit_by_user ON audit (user, at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

-- INSERT OR REPLACE deletes the row it collides with without firing DELETE triggers: refuse it before.
CREATE TRIGGER audit_no_replace BEFORE INSERT ON audit
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'the audit trail is append-only');
END;

-- The HV audit table had the same hole since migration 4.
CREATE TRIGGER hv_audit_no_replace BEFORE INSERT ON hv_audit
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM hv_audit WHERE id = NEW.id)
BEGIN
  SELECT RAISE(ABORT, 'the HV audit trail is append-only');
END;
`;
