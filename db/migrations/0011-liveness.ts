// Liveness (issue: liveness from facts): the database writer's heartbeat is a committed write, so each
// source's last beat is kept in a one-row-per-source table the core writes once a second. What a restart
// finds there says when each source was last known alive.
export default /* sql */ `
CREATE TABLE liveness (
  source TEXT PRIMARY KEY,
  at     REAL NOT NULL
) STRICT;
`;
