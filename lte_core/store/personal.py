"""Where the database keeps something about a person: the one list that linking, export and
erasure work from.

Every column that references ``persons(id)`` or ``identities(id)`` must be named here (a test
reads the schema's foreign keys and fails on one that is not), so that a new table cannot hold a
person's data that ``/lier`` would not merge, ``/mesdonnees`` would not show or ``/oublier`` would
not erase.
"""

from __future__ import annotations

from typing import Final

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
