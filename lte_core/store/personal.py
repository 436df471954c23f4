"""Where the database keeps something about a person: the one list that linking, export and
erasure work from.

Every column that references ``persons(id)`` or ``identities(id)`` must be named here (a test
reads the schema's foreign keys and fails on one that is not), so that a new table cannot hold a
person's data that ``/lier`` would not merge, ``/mesdonnees`` would not show or ``/oublier`` would
not erase.
"""

from __future__ import annotations

from typing import Final, Literal

# table -> the columns holding a person's id (``persons.id``).
PERSON_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "persons": ("id",),
    "identities": ("person_id",),
    "person_roles": ("person_id",),
    "needs": ("author_id", "carrier_id"),
    "need_moves": ("actor_id",),
    "supports": ("person_id",),
    "assets": ("owner_id",),
    "memberships": ("person_id",),
    "missions": ("created_by",),
    "mission_takers": ("person_id",),
    "outbox": ("person_id",),
    "reports": ("reporter_id",),
    "web_links": ("person_id",),
    "web_sessions": ("person_id",),
    "socle_ticks": ("done_by",),
    # Events (0010).
    "events": ("created_by",),
    "registrations": ("person_id", "checked_by"),
    "programme_subscribers": ("person_id",),
    "reminders": ("person_id",),
    "milestones": ("done_by",),
    "proposals": ("author_id",),
    "need_alerts": ("person_id",),
    "help_offers": ("helper_id", "recipient_id"),
    "help_messages": ("sender_id",),
    "circle_messages": ("sender_id",),
    # Polls (0011). `secret_ballots` has, on purpose, no person column at all.
    "polls": ("created_by",),
    "ballots": ("person_id",),
    "poll_voters": ("person_id",),
    "assembly_members": ("person_id",),
    "link_codes": ("person_id",),
    "link_tries": ("person_id",),
}

# table -> the columns holding an identity's id (``identities.id``): a channel's account.
IDENTITY_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "dialog_state": ("identity_id",),
    "matrix_direct_rooms": ("identity_id",),
    "matrix_declined_invites": ("identity_id",),
}

# Person ids kept in a value rather than a column (no foreign key can name them).
PERSONS_IN_VALUES: Final[dict[str, str]] = {
    "outbox_fanout": "recipients: a JSON array of person ids",
}

# How ``/oublier`` treats each column above, in one place (a test fails on a column without one):
# "delete" the rows, or "null": the row stays with the column set NULL (a need stays, without
# its author; a report still counts, without its reporter). ``persons.id`` and
# ``identities.person_id`` go last, with the person.
Erasure = Literal["delete", "null"]
ERASURE: Final[dict[str, dict[str, Erasure]]] = {
    "persons": {"id": "delete"},
    "identities": {"person_id": "delete"},
    "person_roles": {"person_id": "delete"},
    "needs": {"author_id": "null", "carrier_id": "null"},
    "need_moves": {"actor_id": "null"},
    "supports": {"person_id": "delete"},
    "assets": {"owner_id": "delete"},
    "memberships": {"person_id": "delete"},
    "missions": {"created_by": "null"},
    "mission_takers": {"person_id": "delete"},
    "outbox": {"person_id": "delete"},
    "reports": {"reporter_id": "null"},
    "events": {"created_by": "null"},
    "registrations": {"person_id": "delete", "checked_by": "null"},
    "programme_subscribers": {"person_id": "delete"},
    "reminders": {"person_id": "delete"},
    "milestones": {"done_by": "null"},
    # The chain (0012): a proposal is the work circle's and stays, without its writer; alerts,
    # offers of help and the messages a person wrote go with them.
    "proposals": {"author_id": "null"},
    "need_alerts": {"person_id": "delete"},
    "help_offers": {"helper_id": "delete", "recipient_id": "delete"},
    "help_messages": {"sender_id": "delete"},
    "circle_messages": {"sender_id": "delete"},
    # Polls (0011): closed polls keep their results (saved at closing); an open poll loses the
    # person's ballot. A secret ballot holds no person: it stays, uncountable to anyone.
    "polls": {"created_by": "null"},
    "ballots": {"person_id": "delete"},
    "poll_voters": {"person_id": "delete"},
    "assembly_members": {"person_id": "delete"},
    "link_codes": {"person_id": "delete"},
    "link_tries": {"person_id": "delete"},
    "web_links": {"person_id": "delete"},
    "web_sessions": {"person_id": "delete"},
    "socle_ticks": {"done_by": "null"},
    "dialog_state": {"identity_id": "delete"},
    "matrix_direct_rooms": {"identity_id": "delete"},
    "matrix_declined_invites": {"identity_id": "delete"},
}

# Tables whose rows name a channel account by its external id (not by a foreign key): what the
# erasure also deletes for each identity of the person. table -> (channel column or None for a
# single-channel table's channel, external id column).
EXTERNAL_ID_COLUMNS: Final[dict[str, tuple[str, str]]] = {
    "outbox": ("channel", "external_id"),
    "matrix_direct_rooms": ("'matrix'", "user_id"),
    "matrix_declined_invites": ("'matrix'", "user_id"),
}

# kv keys that hold something of one identity, as patterns (``{channel}``, ``{external_id}``,
# ``{person_id}``): deleted with the person. The Matrix keys are those moved out by 0003.
PERSONS_IN_KV: Final[tuple[str, ...]] = (
    "matrix.dm.{external_id}",
    "matrix.declined.{external_id}",
)

# Columns whose name looks personal but that hold no person (checked by the same test).
NOT_A_PERSON: Final[frozenset[tuple[str, str]]] = frozenset(
    {
        ("person_roles", "granted_by"),  # "LTE_ADMINS", "cli" or a noyau member's id as text
        ("matrix_account", "user_id"),  # the bot's own account
        ("matrix_direct_rooms", "user_id"),  # an external id: EXTERNAL_ID_COLUMNS
        ("matrix_declined_invites", "user_id"),
    }
)


def personal_tables() -> list[str]:
    """Every table that holds a person id or an identity id, in the order they are listed."""
    return list(dict.fromkeys([*PERSON_COLUMNS, *IDENTITY_COLUMNS]))
