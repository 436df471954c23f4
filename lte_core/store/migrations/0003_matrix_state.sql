-- The Matrix adapter's state in tables of its own (it was in kv, under matrix.* keys), so that
-- what concerns a person can be found, exported and forgotten with them. Never a password.

-- The bot's account on the homeserver (one row: another account replaces it).
CREATE TABLE matrix_account (
    user_id          TEXT PRIMARY KEY,             -- the bot's mxid
    device_id        TEXT NOT NULL DEFAULT '',
    access_token     TEXT NOT NULL DEFAULT '',     -- '' when the settings give it (LTE_MATRIX_ACCESS_TOKEN)
    sync_token       TEXT,                         -- next_batch of the last sync fully handled
    history_before   INTEGER                       -- ms: the first sync; older messages are history
);

-- A person's direct room with the bot. Tied to their identity: forgetting them forgets it.
CREATE TABLE matrix_direct_rooms (
    user_id      TEXT PRIMARY KEY,                 -- the person's mxid
    room_id      TEXT NOT NULL,
    identity_id  INTEGER REFERENCES identities(id) ON DELETE CASCADE
);
CREATE INDEX matrix_direct_rooms_identity ON matrix_direct_rooms(identity_id);

-- People who declined the bot's invitation: the outbox stops inviting them.
CREATE TABLE matrix_declined_invites (
    user_id      TEXT PRIMARY KEY,
    identity_id  INTEGER REFERENCES identities(id) ON DELETE CASCADE
);
CREATE INDEX matrix_declined_invites_identity ON matrix_declined_invites(identity_id);

-- The numbered choices shown last in a room: what a typed number answers. A direct room's go
-- with it (and so with its person).
CREATE TABLE matrix_room_choices (
    room_id  TEXT PRIMARY KEY,
    options  TEXT NOT NULL                         -- JSON [[token, label], ...]
);
CREATE TRIGGER matrix_direct_room_gone AFTER DELETE ON matrix_direct_rooms
BEGIN
    DELETE FROM matrix_room_choices WHERE room_id = OLD.room_id;
END;

-- What kv held, moved.
INSERT INTO matrix_account (user_id, device_id, access_token, sync_token, history_before)
SELECT json_extract(value, '$.user_id'),
       COALESCE(json_extract(value, '$.device_id'), ''),
       COALESCE(json_extract(value, '$.access_token'), ''),
       (SELECT value FROM kv WHERE key = 'matrix.next_batch'),
       (SELECT CAST(value AS INTEGER) FROM kv WHERE key = 'matrix.epoch_ms')
FROM kv
WHERE key = 'matrix.session' AND json_valid(value) AND COALESCE(json_extract(value, '$.user_id'), '') <> '';

INSERT INTO matrix_direct_rooms (user_id, room_id, identity_id)
SELECT substr(key, 11), value,
       (SELECT id FROM identities WHERE channel = 'matrix' AND external_id = substr(kv.key, 11))
FROM kv
WHERE substr(key, 1, 10) = 'matrix.dm.' AND length(key) > 10 AND value <> '';

INSERT INTO matrix_declined_invites (user_id, identity_id)
SELECT substr(key, 17),
       (SELECT id FROM identities WHERE channel = 'matrix' AND external_id = substr(kv.key, 17))
FROM kv
WHERE substr(key, 1, 16) = 'matrix.declined.' AND length(key) > 16;

INSERT INTO matrix_room_choices (room_id, options)
SELECT substr(key, 13), value
FROM kv
WHERE substr(key, 1, 12) = 'matrix.opts.' AND length(key) > 12 AND json_valid(value);

DELETE FROM kv
WHERE key IN ('matrix.session', 'matrix.next_batch', 'matrix.epoch_ms')
   OR substr(key, 1, 10) = 'matrix.dm.'
   OR substr(key, 1, 16) = 'matrix.declined.'
   OR substr(key, 1, 12) = 'matrix.opts.';
