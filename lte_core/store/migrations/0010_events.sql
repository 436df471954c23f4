-- 0010: the preparation year and the semaine: programmes, events, registrations (with a waiting
-- list), reminders and digests as rows (the scheduler only wakes the core), milestones.
-- Times are ISO 8601 UTC text; a digest's `day` and a milestone's `due_on` are local dates.

CREATE TABLE programmes (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX programmes_name ON programmes(name COLLATE NOCASE);

CREATE TABLE events (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    kind          TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('meeting', 'screening', 'discussion',
                  'workshop', 'training', 'conference', 'simulation', 'other')),
    starts_at     TEXT NOT NULL,
    ends_at       TEXT,
    place         TEXT NOT NULL DEFAULT '',
    capacity      INTEGER CHECK (capacity IS NULL OR capacity > 0),
    circle_id     INTEGER REFERENCES circles(id) ON DELETE SET NULL,
    programme_id  INTEGER REFERENCES programmes(id) ON DELETE SET NULL,
    source_uid    TEXT,          -- the key of a loaded file's event: its UID (ics) or title+start (CSV)
    checkin_code  INTEGER NOT NULL UNIQUE,  -- what the check-in QR code carries (not the id: not guessable)
    created_by    INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    cancelled_at  TEXT,
    announce_at   TEXT,          -- an announcement waiting (quiet hours): sent then by the scheduler
    announced_at  TEXT
);
CREATE INDEX events_starts ON events(starts_at) WHERE cancelled_at IS NULL;
CREATE INDEX events_programme ON events(programme_id, starts_at);
CREATE UNIQUE INDEX events_source ON events(programme_id, source_uid) WHERE source_uid IS NOT NULL;
CREATE INDEX events_announce ON events(announce_at) WHERE announce_at IS NOT NULL AND announced_at IS NULL;

-- One row per person and event: registered or waiting (in `seq` order), or cancelled; attended
-- once checked in.
CREATE TABLE registrations (
    event_id      INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    person_id     INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    status        TEXT NOT NULL CHECK (status IN ('registered', 'waiting', 'cancelled')),
    seq           INTEGER NOT NULL,     -- order of asking: the waiting list's order
    since         TEXT NOT NULL,        -- when it took this status (a promotion: when promoted)
    created_at    TEXT NOT NULL,
    attended_at   TEXT,
    checked_by    INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    PRIMARY KEY (event_id, person_id)
) WITHOUT ROWID;
CREATE INDEX registrations_list ON registrations(event_id, status, seq);
CREATE INDEX registrations_person ON registrations(person_id, status);

CREATE TABLE programme_subscribers (
    programme_id   INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    person_id      INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    subscribed_at  TEXT NOT NULL,
    PRIMARY KEY (programme_id, person_id)
) WITHOUT ROWID;
CREATE INDEX programme_subscribers_person ON programme_subscribers(person_id);

-- A reminder of an event (its registered people) or of a mission (those who took a place), at
-- one offset before its start: pending until handled, then sent, late (sent after its time,
-- before the start), missed (the start had passed: nothing sent) or cancelled.
CREATE TABLE reminders (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE,
    event_id    INTEGER REFERENCES events(id) ON DELETE CASCADE,
    mission_id  INTEGER REFERENCES missions(id) ON DELETE CASCADE,
    offset_s    INTEGER NOT NULL,
    due_at      TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'late', 'missed', 'cancelled')),
    handled_at  TEXT,
    CHECK ((event_id IS NULL) <> (mission_id IS NULL))
);
CREATE UNIQUE INDEX reminders_event ON reminders(event_id, offset_s, person_id) WHERE event_id IS NOT NULL;
CREATE UNIQUE INDEX reminders_mission ON reminders(mission_id, offset_s, person_id) WHERE mission_id IS NOT NULL;
CREATE INDEX reminders_due ON reminders(due_at) WHERE status = 'pending';
CREATE INDEX reminders_person ON reminders(person_id);

-- A programme's morning digest of one (local) day.
CREATE TABLE digests (
    id            INTEGER PRIMARY KEY,
    programme_id  INTEGER NOT NULL REFERENCES programmes(id) ON DELETE CASCADE,
    day           TEXT NOT NULL,
    due_at        TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'sent', 'late', 'missed', 'cancelled')),
    handled_at    TEXT,
    UNIQUE (programme_id, day)
);
CREATE INDEX digests_due ON digests(due_at) WHERE status = 'pending';

-- The preparation year's points de passage (read by the web tableau too: keep these columns).
CREATE TABLE milestones (
    id        INTEGER PRIMARY KEY,
    title     TEXT NOT NULL,
    due_on    TEXT NOT NULL /* ISO date, local */,
    done_at   TEXT /* ISO UTC or NULL */,
    done_by   INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    position  INTEGER NOT NULL DEFAULT 0
);
