-- The similar-need search matches the stems of what a need says (« composteur » and « compost »),
-- not its place: `stems` holds them, space-separated, computed in Python when the need is written
-- (lte_core.domain.stems); the needs written before are filled at the first search (NULL until
-- then, found by the partial index). The old index, over the words and the place, goes.
DROP TRIGGER needs_fts_insert;
DROP TRIGGER needs_fts_delete;
DROP TRIGGER needs_fts_update;
DROP TABLE needs_fts;

ALTER TABLE needs ADD COLUMN stems TEXT;
CREATE INDEX needs_unstemmed ON needs(id) WHERE stems IS NULL;

CREATE VIRTUAL TABLE needs_fts USING fts5(
    stems, content='needs', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER needs_fts_insert AFTER INSERT ON needs WHEN new.stems IS NOT NULL BEGIN
    INSERT INTO needs_fts(rowid, stems) VALUES (new.id, new.stems);
END;
CREATE TRIGGER needs_fts_delete AFTER DELETE ON needs WHEN old.stems IS NOT NULL BEGIN
    INSERT INTO needs_fts(needs_fts, rowid, stems) VALUES ('delete', old.id, old.stems);
END;
CREATE TRIGGER needs_fts_unstem AFTER UPDATE OF stems ON needs WHEN old.stems IS NOT NULL BEGIN
    INSERT INTO needs_fts(needs_fts, rowid, stems) VALUES ('delete', old.id, old.stems);
END;
CREATE TRIGGER needs_fts_stem AFTER UPDATE OF stems ON needs WHEN new.stems IS NOT NULL BEGIN
    INSERT INTO needs_fts(rowid, stems) VALUES (new.id, new.stems);
END;
