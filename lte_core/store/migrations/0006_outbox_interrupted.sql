-- 0006: how many times a start found an outbox row still `sending` (its sender was killed while
-- the message was in the air). Queued again the first time; the second time it is given up, so
-- that a message never goes out more than twice.
ALTER TABLE outbox ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
-- The ALTER makes this connection's full-text index reload its configuration at its next use: a
-- read here does it now, in the migration, rather than in the first conversation's step.
SELECT count(*) FROM needs_fts WHERE rowid = 0;
