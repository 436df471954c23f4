-- 0006: how many times a start found an outbox row still `sending` (its sender was killed while
-- the message was in the air). Requeued the first time; the second time it is given up, so that a
-- message never goes out more than twice.
ALTER TABLE outbox ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0;
