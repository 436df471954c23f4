-- 0012: the chain from a need to a project (DESIGN §4). A need's current circle is needs.circle_id;
-- a work or project circle's need is circles.need_id (both from 0001). Here: the proposals (each
-- revision a row), alerts by interest, help offered on a need and the messages relayed between
-- the two people, and what coordinators sent their circles (to throttle it).

CREATE TABLE proposals (
    id          INTEGER PRIMARY KEY,
    need_id     INTEGER NOT NULL REFERENCES needs(id) ON DELETE CASCADE,
    circle_id   INTEGER REFERENCES circles(id) ON DELETE SET NULL,
    author_id   INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    revision    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (need_id, revision)
);

-- One row per person who asked to hear of new needs: in their themes, in their commune, or both.
-- `last_need_id`: the newest need already told (or there when they subscribed).
CREATE TABLE need_alerts (
    person_id     INTEGER PRIMARY KEY REFERENCES persons(id) ON DELETE CASCADE,
    by_theme      INTEGER NOT NULL DEFAULT 0,
    by_place      INTEGER NOT NULL DEFAULT 0,
    last_need_id  INTEGER NOT NULL DEFAULT 0,
    last_sent_at  TEXT,
    created_at    TEXT NOT NULL
);

-- « Je peux aider »: someone whose asset matched a need offers it to the need's carrier (or author).
CREATE TABLE help_offers (
    id            INTEGER PRIMARY KEY,
    need_id       INTEGER NOT NULL REFERENCES needs(id) ON DELETE CASCADE,
    asset_id      INTEGER REFERENCES assets(id) ON DELETE SET NULL,
    helper_id     INTEGER REFERENCES persons(id) ON DELETE CASCADE,
    recipient_id  INTEGER REFERENCES persons(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    UNIQUE (need_id, helper_id)
);

-- What the two people of an offer wrote each other, relayed by the bot (neither sees the other's
-- channel account).
CREATE TABLE help_messages (
    id         INTEGER PRIMARY KEY,
    offer_id   INTEGER NOT NULL REFERENCES help_offers(id) ON DELETE CASCADE,
    sender_id  INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    text       TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX help_messages_offer ON help_messages(offer_id);

-- A coordinator's messages to a circle's members.
CREATE TABLE circle_messages (
    id         INTEGER PRIMARY KEY,
    circle_id  INTEGER NOT NULL REFERENCES circles(id) ON DELETE CASCADE,
    sender_id  INTEGER REFERENCES persons(id) ON DELETE SET NULL,
    text       TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX circle_messages_circle ON circle_messages(circle_id, at);
CREATE INDEX circles_need ON circles(need_id) WHERE need_id IS NOT NULL;
