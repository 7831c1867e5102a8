// The missing-energy selection's efficiency for A′ → invisible, per setup and A′ mass, measured on signal
// Monte Carlo (`na64rc signal-efficiency --record`): how many were generated (the generator's truth), how many
// the trigger kept and how many the selection put in the signal box, with the cuts it was measured with (a
// measurement with other cuts than the server's is refused, so every row describes a selection that ran).
export default /* sql */ `
CREATE TABLE signal_efficiency (
  id          INTEGER PRIMARY KEY,
  setup       TEXT    NOT NULL,
  mass_mev    REAL    NOT NULL CHECK (mass_mev > 0),
  generated   INTEGER NOT NULL CHECK (generated > 0),
  triggered   INTEGER NOT NULL CHECK (triggered BETWEEN 0 AND generated),
  selected    INTEGER NOT NULL CHECK (selected BETWEEN 0 AND triggered),
  method      TEXT    NOT NULL,
  cuts        TEXT    NOT NULL,
  recorded_at INTEGER NOT NULL,
  recorded_by TEXT    NOT NULL
) STRICT;
CREATE INDEX signal_efficiency_by_setup ON signal_efficiency (setup, mass_mev, recorded_at);
`;
