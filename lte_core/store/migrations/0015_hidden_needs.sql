-- 0015: the few hidden needs in an index of their own. Counting the needs someone may see is the
-- count by status (a covering index) less the hidden ones that are not theirs, read here: without
-- it, « hidden_at IS NULL OR author_id = ? » made every list of needs read the whole table.
CREATE INDEX needs_hidden ON needs(status, theme, author_id) WHERE hidden_at IS NOT NULL;
