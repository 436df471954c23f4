-- 0004: what the browse pages by theme ask: the open needs of a theme, newest first, and how many.
-- (theme, status) then the rowid: each status of the theme is a range already in id order, and the
-- count reads the index alone, not 50 000 rows.
CREATE INDEX needs_theme_status ON needs(theme, status);
