// Personal access tokens: a user name and a role per token. Only the SHA-256 of a token is stored, so the
// database file does not grant access to whoever can read it.
export default /* sql */ `
CREATE TABLE access_tokens (
  user       TEXT    NOT NULL,
  role       TEXT    NOT NULL CHECK (role IN ('viewer', 'shifter', 'expert', 'admin')),
  token_hash TEXT    NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  created_by TEXT    NOT NULL,
  revoked_at INTEGER
) STRICT;

CREATE UNIQUE INDEX access_tokens_one_active_per_user ON access_tokens (user) WHERE revoked_at IS NULL;
`;
