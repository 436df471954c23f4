-- 0011: the deliberative assembly's polls, its roll, and the codes that link two channels.

CREATE TABLE polls (
    id                 INTEGER PRIMARY KEY,
    question           TEXT NOT NULL,
    description        TEXT NOT NULL DEFAULT '',
    method             TEXT NOT NULL CHECK (method IN ('single', 'approval', 'judgment')),
    electorate         TEXT NOT NULL DEFAULT 'all' CHECK (electorate IN ('all', 'assembly', 'circle')),
    circle_id          INTEGER REFERENCES circles(id),
    secret             INTEGER NOT NULL DEFAULT 0,
    quorum             INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'open', 'closed')),
    opens_at           TEXT NOT NULL,
    closes_at          TEXT NOT NULL,
    from_needs         INTEGER NOT NULL DEFAULT 0,
    created_by         INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL,
    reminded_at        TEXT,
    closed_at          TEXT,
    eligible_at_close  INTEGER,
    results            TEXT,             -- JSON: the results as they were at closing, kept as sent
    advanced_at        TEXT
);
CREATE INDEX polls_due ON polls(status, opens_at, closes_at);

CREATE TABLE poll_options (
    poll_id   INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    position  INTEGER NOT NULL,
    label     TEXT NOT NULL,
    need_id   INTEGER REFERENCES needs(id) ON DELETE SET NULL,
    PRIMARY KEY (poll_id, position)
) WITHOUT ROWID;

-- A ballot of a poll that is not secret: one per person and poll, replaced when changed.
CREATE TABLE ballots (
    poll_id    INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    choice     TEXT NOT NULL,            -- JSON: chosen option indexes, or one grade per option
    cast_at    TEXT NOT NULL,
    PRIMARY KEY (poll_id, person_id)
) WITHOUT ROWID;
CREATE INDEX ballots_person ON ballots(person_id);

-- A secret poll keeps who voted and what was voted in two tables that share nothing but the
-- poll: the register of voters (no time, no order: its key sorts it by person) ...
CREATE TABLE poll_voters (
    poll_id    INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    PRIMARY KEY (poll_id, person_id)
) WITHOUT ROWID;
CREATE INDEX poll_voters_person ON poll_voters(person_id);

-- ... and the ballots, with no person, no time and no rowid: the key is random (128 bits), so the
-- table's b-tree keeps them in an order that says nothing of when each was cast.
CREATE TABLE secret_ballots (
    poll_id  INTEGER NOT NULL REFERENCES polls(id) ON DELETE CASCADE,
    id       BLOB NOT NULL,
    choice   TEXT NOT NULL,
    PRIMARY KEY (poll_id, id)
) WITHOUT ROWID;

-- The deliberative assembly's roll.
CREATE TABLE assembly_members (
    person_id  INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    added_at   TEXT NOT NULL
);

-- /lier: a one-time code shown on one channel, typed on another, within its time.
CREATE TABLE link_codes (
    code        TEXT PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX link_codes_person ON link_codes(person_id);

-- Wrong codes typed by a person, counted in a window: a few tries, then wait.
CREATE TABLE link_tries (
    person_id  INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    failures   INTEGER NOT NULL DEFAULT 0,
    since      TEXT NOT NULL
);
