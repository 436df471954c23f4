-- A broadcast to a crowd (a mission to a 10 000-member circle) is written in the transaction of
-- its cause as one row here; it is turned into its outbox rows, one per recipient, a chunk per
-- short transaction afterwards (and again after a crash), so no conversation waits behind it.
CREATE TABLE outbox_fanout (
    id          INTEGER PRIMARY KEY,
    dedup_key   TEXT NOT NULL UNIQUE,      -- the broadcast's key; its rows get `{key}:p{person}`
    kind        TEXT NOT NULL,
    params      TEXT NOT NULL DEFAULT '{}',
    priority    INTEGER NOT NULL DEFAULT 5,
    recipients  TEXT NOT NULL,             -- JSON array of person ids, in order
    next_index  INTEGER NOT NULL DEFAULT 0, -- how many of them have their row already
    created_at  TEXT NOT NULL
);

-- A circle's members in the order they joined, read from the index alone (a broadcast's list).
CREATE INDEX memberships_joined ON memberships(circle_id, joined_at, person_id);
