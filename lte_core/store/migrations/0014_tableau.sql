-- 0014: the tableau de pilotage (DESIGN §11): one-time links and sessions of the web page, the
-- socle commun checklist of the brochure and its ticks, and indexes for the weekly figures.
-- Links and sessions keep a hash of their token (SHA-256, hex), never the token: a copy of the
-- file opens nothing.

-- A link the bot sent to a noyau member or a referent (/tableau): single use, 15 minutes.
CREATE TABLE web_links (
    token_hash  TEXT PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX web_links_person ON web_links(person_id);

-- A browser let in by a link: the cookie holds the token. It ends when idle too long, when it is
-- too old, at logout, and when its person holds neither noyau nor referent any more.
CREATE TABLE web_sessions (
    token_hash    TEXT PRIMARY KEY,
    person_id     INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX web_sessions_person ON web_sessions(person_id);

-- A revoked role closes its sessions and its unused links at once (the web page checks the role
-- at every request too).
CREATE TRIGGER web_role_revoked AFTER DELETE ON person_roles
WHEN NOT EXISTS (SELECT 1 FROM person_roles WHERE person_id = OLD.person_id AND role IN ('noyau', 'referent'))
BEGIN
    DELETE FROM web_sessions WHERE person_id = OLD.person_id;
    DELETE FROM web_links WHERE person_id = OLD.person_id;
END;

-- The socle commun (« Avant toute bifurcation, la démarche repose sur un socle partagé »): its
-- items, in the brochure's order; their labels are in the catalogs, by code.
CREATE TABLE socle_items (
    code      TEXT PRIMARY KEY,
    position  INTEGER NOT NULL
);
INSERT INTO socle_items (code, position) VALUES
    ('cadrage', 1),
    ('noyau', 2),
    ('lecture', 3),
    ('mobilisation', 4),
    ('methode', 5),
    ('bascule', 6);

-- An item ticked off by the noyau: when, by whom; unticking deletes the row.
CREATE TABLE socle_ticks (
    code     TEXT PRIMARY KEY REFERENCES socle_items(code) ON DELETE CASCADE,
    done_at  TEXT NOT NULL,
    done_by  INTEGER REFERENCES persons(id) ON DELETE SET NULL
);
CREATE INDEX socle_ticks_done_by ON socle_ticks(done_by);

-- The weekly figures (new people, active people, supports, needs per week) read one range of
-- dates per week from an index that holds who did it too, never the whole table.
CREATE INDEX persons_created ON persons(created_at);
CREATE INDEX supports_created ON supports(created_at);  -- holds (need_id, person_id): the key
CREATE INDEX needs_created ON needs(created_at, author_id);
CREATE INDEX need_moves_at ON need_moves(at, actor_id);
CREATE INDEX memberships_joined_at ON memberships(joined_at, person_id);
CREATE INDEX mission_takers_taken ON mission_takers(taken_at, person_id);
CREATE INDEX assets_created ON assets(created_at, owner_id);
-- Needs by commune: the place as typed, case and spaces aside, grouped from the index alone.
CREATE INDEX needs_place ON needs(lower(trim(place)), status, place) WHERE place IS NOT NULL;

-- The funnel of the chain, kept as the needs move (a pass over their whole history at every
-- view of the page would cost a second at 50 000 needs): how far each need got along the chain
-- (0 expressed … 8 realised; a need that skipped a step passed it all the same), since when it
-- is in its status, and how long each stay in a status lasted (its median is read from the index).
ALTER TABLE needs ADD COLUMN furthest INTEGER NOT NULL DEFAULT 0;
ALTER TABLE needs ADD COLUMN status_since TEXT;
CREATE TABLE need_stays (
    id       INTEGER PRIMARY KEY,
    need_id  INTEGER NOT NULL REFERENCES needs(id) ON DELETE CASCADE,
    status   TEXT NOT NULL,
    days     REAL NOT NULL
);
CREATE INDEX need_stays_need ON need_stays(need_id);
CREATE INDEX need_stays_status ON need_stays(status, days);
CREATE INDEX needs_furthest ON needs(furthest);
CREATE INDEX needs_status_since ON needs(status, status_since);

CREATE TRIGGER need_moves_tableau AFTER INSERT ON need_moves
BEGIN
    INSERT INTO need_stays (need_id, status, days)
    SELECT NEW.need_id, m.to_status, julianday(NEW.at) - julianday(m.at) FROM need_moves m
    WHERE m.need_id = NEW.need_id AND m.id < NEW.id ORDER BY m.id DESC LIMIT 1;
    UPDATE needs SET furthest = max(furthest, CASE NEW.to_status WHEN 'expressed' THEN 0 WHEN 'in_study' THEN 1 WHEN 'sorted' THEN 2 WHEN 'presented' THEN 3 WHEN 'in_circle' THEN 4 WHEN 'proposed' THEN 5 WHEN 'assigned' THEN 6 WHEN 'in_project' THEN 7 WHEN 'realised' THEN 8 ELSE 0 END), status_since = NEW.at
    WHERE id = NEW.need_id;
END;

-- What the history says already.
INSERT INTO need_stays (need_id, status, days)
SELECT need_id, to_status, next_t - t FROM (
    SELECT need_id, to_status, julianday(at) AS t,
           lead(julianday(at)) OVER (PARTITION BY need_id ORDER BY id) AS next_t
    FROM need_moves)
WHERE next_t IS NOT NULL;
UPDATE needs SET
    furthest = max(CASE status WHEN 'expressed' THEN 0 WHEN 'in_study' THEN 1 WHEN 'sorted' THEN 2 WHEN 'presented' THEN 3 WHEN 'in_circle' THEN 4 WHEN 'proposed' THEN 5 WHEN 'assigned' THEN 6 WHEN 'in_project' THEN 7 WHEN 'realised' THEN 8 ELSE 0 END, coalesce(
        (SELECT max(CASE m.to_status WHEN 'expressed' THEN 0 WHEN 'in_study' THEN 1 WHEN 'sorted' THEN 2 WHEN 'presented' THEN 3 WHEN 'in_circle' THEN 4 WHEN 'proposed' THEN 5 WHEN 'assigned' THEN 6 WHEN 'in_project' THEN 7 WHEN 'realised' THEN 8 ELSE 0 END) FROM need_moves m WHERE m.need_id = needs.id), 0)),
    status_since = coalesce((SELECT m.at FROM need_moves m WHERE m.need_id = needs.id ORDER BY m.id DESC LIMIT 1),
                            created_at);
-- The ALTER makes this connection's full-text index reload its configuration: now, not in the
-- first conversation's step.
SELECT count(*) FROM needs_fts WHERE rowid = 0;
-- People by channel, from the index alone.
CREATE INDEX identities_channel ON identities(channel, person_id, unreachable_at);

-- The needs most supported: a count kept beside each need as supports come and go (a merge's
-- supports follow one by one, an erased person's go with them), so that the top ten are read
-- from an index rather than by counting every support; what is shown is counted again.
ALTER TABLE needs ADD COLUMN supports_count INTEGER NOT NULL DEFAULT 0;
UPDATE needs SET supports_count = (SELECT count(*) FROM supports s WHERE s.need_id = needs.id);
CREATE INDEX needs_supported ON needs(supports_count DESC, id);
CREATE TRIGGER supports_counted AFTER INSERT ON supports
BEGIN
    UPDATE needs SET supports_count = supports_count + 1 WHERE id = NEW.need_id;
END;
CREATE TRIGGER supports_uncounted AFTER DELETE ON supports
BEGIN
    UPDATE needs SET supports_count = supports_count - 1 WHERE id = OLD.need_id;
END;
CREATE TRIGGER supports_moved AFTER UPDATE OF need_id ON supports
BEGIN
    UPDATE needs SET supports_count = supports_count - 1 WHERE id = OLD.need_id;
    UPDATE needs SET supports_count = supports_count + 1 WHERE id = NEW.need_id;
END;
SELECT count(*) FROM needs_fts WHERE rowid = 0;
