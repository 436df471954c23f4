-- 0013: privacy and moderation (DESIGN §8).

-- Reports: anyone may report a need, an asset or a mission, once per item (a second report by
-- the same person adds nothing). A restore by the noyau clears the reports counted so far
-- (`cleared_at`): the count starts again, and who already reported cannot report twice.
-- A reporter who is forgotten leaves their report, without them (the count stays honest).
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    item_kind    TEXT NOT NULL CHECK (item_kind IN ('need', 'asset', 'mission')),
    item_id      INTEGER NOT NULL,
    reporter_id  INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    reason       TEXT NOT NULL CHECK (reason IN ('spam', 'offensive', 'misplaced')),
    created_at   TEXT NOT NULL,
    cleared_at   TEXT
);
CREATE UNIQUE INDEX reports_once ON reports(item_kind, item_id, reporter_id);
CREATE INDEX reports_reporter ON reports(reporter_id);
CREATE INDEX reports_open ON reports(item_kind, item_id) WHERE cleared_at IS NULL;

-- Hidden (past LTE_REPORTS_TO_HIDE reports, or by the noyau): seen only by the author and the noyau.
ALTER TABLE needs ADD COLUMN hidden_at TEXT;
ALTER TABLE assets ADD COLUMN hidden_at TEXT;
ALTER TABLE missions ADD COLUMN hidden_at TEXT;

-- A person the noyau blocked: their messages get a polite notice and store nothing.
ALTER TABLE persons ADD COLUMN blocked_at TEXT;

-- The key of the pseudonyms in anonymous exports (HMAC-SHA256): made here, once, never shown,
-- so that a pseudonym cannot be recomputed from a person's id by someone without the database.
CREATE TABLE pseudonym_key (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    key  BLOB NOT NULL
);
INSERT INTO pseudonym_key (id, key) VALUES (1, randomblob(32));

-- Retention: the dialog states are cleared by age, delivered outbox rows pruned by age.
CREATE INDEX dialog_state_age ON dialog_state(updated_at);
CREATE INDEX outbox_delivered ON outbox(sent_at) WHERE status = 'sent';
-- What was pruned (or erased) still counts in the figures: per channel and status, a count.
CREATE TABLE outbox_pruned (
    channel  TEXT NOT NULL,
    status   TEXT NOT NULL,
    count    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (channel, status)
) WITHOUT ROWID;

-- The ALTERs make this connection's full-text index reload its configuration at its next use:
-- a read here does it now (as 0006 does).
SELECT count(*) FROM needs_fts WHERE rowid = 0;
