-- 0009: a mission has a place (where to meet) and may have an end time; a cancelled mission
-- keeps the reason its takers were given.
ALTER TABLE missions ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE missions ADD COLUMN ends_at TEXT;
ALTER TABLE missions ADD COLUMN cancel_note TEXT;

-- And, on Matrix, the lettered choices a room shows last (a notification's, a card's shown beside
-- the question): « a » answers them, while a number still answers the question (10.3).
ALTER TABLE matrix_room_choices ADD COLUMN lettered TEXT NOT NULL DEFAULT '[]';
