-- 0009: a mission has a place (where to meet) and may have an end time; a cancelled mission
-- keeps the reason its takers were given.
ALTER TABLE missions ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE missions ADD COLUMN ends_at TEXT;
ALTER TABLE missions ADD COLUMN cancel_note TEXT;
