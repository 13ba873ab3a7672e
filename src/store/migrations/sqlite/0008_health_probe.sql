-- One row that `GET /healthz` rewrites: a read alone would report a pool whose
-- disk is full (or whose file turned read-only) as healthy.
CREATE TABLE health_probe (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at  INTEGER NOT NULL
) STRICT;
