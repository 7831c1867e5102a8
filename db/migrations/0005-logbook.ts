// The electronic logbook. Entries (people's and the system's) form threads; every edit keeps the previous
// text in logbook_revisions; links and tags are rows so filters use indexes; attachment files live under the
// data directory by SHA-256 (logbook_files holds what was sniffed from them, never the bytes). logbook_fts is
// an external-content FTS5 index over title, body and tags, kept in step by triggers.
export default /* sql */ `
CREATE TABLE logbook_entries (
  id           INTEGER PRIMARY KEY,
  thread_id    INTEGER NOT NULL REFERENCES logbook_entries (id) DEFERRABLE INITIALLY DEFERRED,
  parent_id    INTEGER REFERENCES logbook_entries (id),
  origin       TEXT    NOT NULL CHECK (origin IN ('person', 'system')),
  kind         TEXT    NOT NULL,
  author       TEXT    NOT NULL,
  author_role  TEXT    CHECK (author_role IN ('viewer', 'shifter', 'expert', 'admin')),
  shift        TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  edited_by    TEXT,
  revision     INTEGER NOT NULL DEFAULT 1,
  title        TEXT    NOT NULL,
  body         TEXT    NOT NULL,
  tags         TEXT    NOT NULL DEFAULT '',
  links        TEXT    NOT NULL DEFAULT '[]',
  facts        TEXT    NOT NULL DEFAULT '{}',
  attachments  INTEGER NOT NULL DEFAULT 0,
  thread_state TEXT    NOT NULL DEFAULT 'open' CHECK (thread_state IN ('open', 'closed'))
) STRICT;
CREATE INDEX logbook_entries_thread ON logbook_entries (thread_id, id);
CREATE INDEX logbook_entries_created ON logbook_entries (created_at);
CREATE INDEX logbook_entries_author ON logbook_entries (author, id);

CREATE TABLE logbook_revisions (
  entry_id    INTEGER NOT NULL REFERENCES logbook_entries (id),
  revision    INTEGER NOT NULL,
  title       TEXT    NOT NULL,
  body        TEXT    NOT NULL,
  tags        TEXT    NOT NULL,
  links       TEXT    NOT NULL,
  attachments TEXT    NOT NULL,
  edited_by   TEXT    NOT NULL,
  edited_at   INTEGER NOT NULL,
  PRIMARY KEY (entry_id, revision)
) STRICT;

CREATE TABLE logbook_tags (
  entry_id INTEGER NOT NULL REFERENCES logbook_entries (id),
  tag      TEXT    NOT NULL,
  PRIMARY KEY (tag, entry_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX logbook_tags_entry ON logbook_tags (entry_id);

-- run/spill links are checked against the archive when written; alarm and HV-snapshot ids belong to
-- domains that resolve them.
CREATE TABLE logbook_links (
  entry_id INTEGER NOT NULL REFERENCES logbook_entries (id),
  kind     TEXT    NOT NULL CHECK (kind IN ('run', 'spill', 'alarm', 'hv-snapshot')),
  run      INTEGER,
  spill    INTEGER,
  ref      TEXT
) STRICT;
CREATE INDEX logbook_links_run ON logbook_links (run, entry_id) WHERE run IS NOT NULL;
CREATE INDEX logbook_links_entry ON logbook_links (entry_id);

CREATE TABLE logbook_files (
  hash      TEXT    PRIMARY KEY,
  size      INTEGER NOT NULL,
  mime      TEXT    NOT NULL,
  kind      TEXT    NOT NULL CHECK (kind IN ('image', 'active', 'file')),
  thumbnail INTEGER NOT NULL,
  stored_at INTEGER NOT NULL
) STRICT;

CREATE TABLE logbook_entry_files (
  entry_id INTEGER NOT NULL REFERENCES logbook_entries (id),
  position INTEGER NOT NULL,
  hash     TEXT    NOT NULL REFERENCES logbook_files (hash),
  name     TEXT    NOT NULL,
  PRIMARY KEY (entry_id, position)
) STRICT;

CREATE VIRTUAL TABLE logbook_fts USING fts5 (
  title, body, tags,
  content = 'logbook_entries', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER logbook_fts_insert AFTER INSERT ON logbook_entries BEGIN
  INSERT INTO logbook_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
CREATE TRIGGER logbook_fts_update AFTER UPDATE OF title, body, tags ON logbook_entries BEGIN
  INSERT INTO logbook_fts (logbook_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
  INSERT INTO logbook_fts (rowid, title, body, tags) VALUES (new.id, new.title, new.body, new.tags);
END;
CREATE TRIGGER logbook_fts_delete AFTER DELETE ON logbook_entries BEGIN
  INSERT INTO logbook_fts (logbook_fts, rowid, title, body, tags) VALUES ('delete', old.id, old.title, old.body, old.tags);
END;
`;
