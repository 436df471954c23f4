-- 0001: people, needs and their lifecycle, assets, circles, missions, outbox, dialog state.
-- Times are ISO 8601 UTC text ("2026-11-25T21:43:00+00:00").

CREATE TABLE persons (
    id            INTEGER PRIMARY KEY,
    first_name    TEXT,
    locale        TEXT NOT NULL DEFAULT 'fr',
    place         TEXT,
    interests     TEXT NOT NULL DEFAULT '[]',
    consented_at  TEXT,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT
);

CREATE TABLE identities (
    id              INTEGER PRIMARY KEY,
    person_id       INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    channel         TEXT NOT NULL,
    external_id     TEXT NOT NULL,
    display_name    TEXT,
    unreachable_at  TEXT,
    last_seen_at    TEXT,
    UNIQUE (channel, external_id)
);
CREATE INDEX identities_person ON identities(person_id);

CREATE TABLE person_roles (
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('referent', 'noyau')),
    granted_at  TEXT NOT NULL,
    granted_by  TEXT,
    PRIMARY KEY (person_id, role)
);

CREATE TABLE themes (
    code      TEXT PRIMARY KEY,
    label_fr  TEXT NOT NULL,
    label_en  TEXT NOT NULL,
    position  INTEGER NOT NULL DEFAULT 0,
    active    INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE circles (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('mission', 'work', 'activities', 'thematic', 'project')),
    name        TEXT NOT NULL,
    purpose     TEXT NOT NULL DEFAULT '',
    task        TEXT,
    theme       TEXT REFERENCES themes(code),
    need_id     INTEGER,
    created_at  TEXT NOT NULL,
    archived_at TEXT
);
CREATE UNIQUE INDEX circles_name ON circles(name COLLATE NOCASE) WHERE archived_at IS NULL;

CREATE TABLE needs (
    id              INTEGER PRIMARY KEY,
    author_id       INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    text            TEXT NOT NULL,
    theme           TEXT REFERENCES themes(code),
    place           TEXT,
    lat             REAL,
    lon             REAL,
    photo_ref       TEXT,
    status          TEXT NOT NULL,
    carrier_id      INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    merged_into     INTEGER REFERENCES needs(id),
    circle_id       INTEGER REFERENCES circles(id),
    decline_reason  TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX needs_status ON needs(status);
CREATE INDEX needs_author ON needs(author_id);

CREATE TABLE need_moves (
    id           INTEGER PRIMARY KEY,
    need_id      INTEGER NOT NULL REFERENCES needs(id) ON DELETE CASCADE,
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor_id     INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    note         TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX need_moves_need ON need_moves(need_id);

CREATE TABLE supports (
    need_id     INTEGER NOT NULL REFERENCES needs(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (need_id, person_id)
) WITHOUT ROWID;
CREATE INDEX supports_person ON supports(person_id);

-- Similar-need search: accents and case folded by the tokenizer.
CREATE VIRTUAL TABLE needs_fts USING fts5(
    text, place, content='needs', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER needs_fts_insert AFTER INSERT ON needs BEGIN
    INSERT INTO needs_fts(rowid, text, place) VALUES (new.id, new.text, coalesce(new.place, ''));
END;
CREATE TRIGGER needs_fts_delete AFTER DELETE ON needs BEGIN
    INSERT INTO needs_fts(needs_fts, rowid, text, place) VALUES ('delete', old.id, old.text, coalesce(old.place, ''));
END;
CREATE TRIGGER needs_fts_update AFTER UPDATE OF text, place ON needs BEGIN
    INSERT INTO needs_fts(needs_fts, rowid, text, place) VALUES ('delete', old.id, old.text, coalesce(old.place, ''));
    INSERT INTO needs_fts(rowid, text, place) VALUES (new.id, new.text, coalesce(new.place, ''));
END;

CREATE TABLE assets (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER REFERENCES persons(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('skill', 'tool', 'place', 'actor')),
    description   TEXT NOT NULL,
    themes        TEXT NOT NULL DEFAULT '[]',
    availability  TEXT,
    created_at    TEXT NOT NULL,
    withdrawn_at  TEXT
);

CREATE TABLE memberships (
    circle_id  INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('member', 'coordinator')),
    joined_at  TEXT NOT NULL,
    PRIMARY KEY (circle_id, person_id)
) WITHOUT ROWID;
CREATE INDEX memberships_person ON memberships(person_id);

CREATE TABLE missions (
    id            INTEGER PRIMARY KEY,
    circle_id     INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    starts_at     TEXT NOT NULL,
    places        INTEGER NOT NULL CHECK (places > 0),
    created_by    INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    cancelled_at  TEXT
);
CREATE INDEX missions_circle ON missions(circle_id);

CREATE TABLE mission_takers (
    mission_id  INTEGER NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    taken_at    TEXT NOT NULL,
    PRIMARY KEY (mission_id, person_id)
) WITHOUT ROWID;

-- Everything sent that is not a direct reply: one row per recipient, written in the same
-- transaction as the change that caused it; the dedup key makes a repeated cause add nothing.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    dedup_key        TEXT NOT NULL UNIQUE,
    person_id        INTEGER REFERENCES persons(id) ON DELETE CASCADE,
    channel          TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    locale           TEXT NOT NULL,
    kind             TEXT NOT NULL,
    params           TEXT NOT NULL DEFAULT '{}',
    priority         INTEGER NOT NULL DEFAULT 5,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'unreachable')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    not_before       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    last_error       TEXT
);
CREATE INDEX outbox_due ON outbox(channel, status, priority, not_before);

-- A conversation in progress, per identity: a restart loses nothing.
CREATE TABLE dialog_state (
    identity_id  INTEGER PRIMARY KEY REFERENCES identities(id) ON DELETE CASCADE,
    flow         TEXT NOT NULL,
    step         TEXT NOT NULL,
    data         TEXT NOT NULL DEFAULT '{}',
    nonce        TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- Small durable settings of the adapters (Matrix sync token, device id...).
CREATE TABLE kv (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
