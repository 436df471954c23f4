"""/lier: two channels' identities become one person (one person, one vote).

A person asks for a code on one channel (`new_code`): six characters from an alphabet without
look-alikes (0/O, 1/I/L), valid ten minutes, used once. Typed on another channel (`redeem`), it
merges the person typing it into the one who asked, or the other way round: the older person is
kept. A person who types wrong codes has a few tries per ten minutes, then waits.

The merge is written once, over `lte_core.store.personal.PERSON_COLUMNS`: every column there
that holds the person who goes is moved to the person who stays, so a table added later is
merged too. Where both have a row that may exist once (a support, a membership, a role, a ballot,
a place on the roll) it counts once: the stayer's row is kept — with these exceptions, run first:
a coordinator on either side stays a coordinator; of two ballots on the same open poll the latest
is kept; a support of one's own need disappears (one already stands behind it)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import NotFound, Refused
from ..store import UnitOfWork, personal
from ._common import consenting

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5  # wrong codes a person may type per window
TRY_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class LinkCode:
    code: str
    expires_at: datetime


def normalize_code(text: str) -> str:
    """What a person typed, as a code: case, spaces and dashes aside, O read as 0 is not needed
    (the alphabet has neither 0 nor O)."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


async def new_code(uow: UnitOfWork, person_id: int, now: datetime) -> LinkCode:
    """A fresh one-time code for this person (an earlier one of theirs is replaced)."""
    await consenting(uow, person_id)
    await uow.links.purge(now)
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        rows = await uow.conn.execute_fetchall("SELECT 1 FROM link_codes WHERE code = ?", (code,))
        if not rows:
            break
    expires = now + CODE_TTL
    await uow.links.put(code, person_id, now, expires)
    return LinkCode(code, expires)


@dataclass(frozen=True)
class Linked:
    kept: int  # the person who stays
    gone: int  # the person merged into it
    identities: int  # how many identities the person has now


async def redeem(uow: UnitOfWork, person_id: int, typed: str, now: datetime) -> Linked | Refused:
    """Type a code shown on another channel: the two people become one. A wrong code comes back
    as a value, not raised: the try it counts must be committed, not rolled back with a refusal."""
    failures, since = await uow.links.failures(person_id)
    window_open = since is not None and now - since < TRY_WINDOW
    if window_open and failures >= MAX_TRIES:
        assert since is not None
        wait = int((since + TRY_WINDOW - now).total_seconds() // 60) + 1
        return Refused("link_too_many_tries", minutes=max(1, wait))
    code = normalize_code(typed)
    owner = await uow.links.take(code, now) if len(code) == CODE_LENGTH else None
    if owner is None:
        count = await uow.links.fail(person_id, now, reset=not window_open)
        return Refused("link_bad_code", left=max(0, MAX_TRIES - count))
    await uow.links.clear_failures(person_id)
    if owner == person_id:
        return Refused("link_same_person")
    kept, gone = sorted((owner, person_id))
    await merge_persons(uow, kept, gone)
    return Linked(kept, gone, len(await uow.people.identities_of(kept)))


async def merge_persons(uow: UnitOfWork, kept: int, gone: int) -> None:
    """Move everything of `gone` to `kept`, then delete `gone`. Nothing is lost, nothing counts twice."""
    conn = uow.conn
    a, b = await uow.people.get(kept), await uow.people.get(gone)
    if a is None:
        raise NotFound("person", kept)
    if b is None:
        raise NotFound("person", gone)
    # The profile: what the stayer lacks comes from the other; consent and onboarding, the earliest.
    a.first_name = a.first_name or b.first_name
    a.place = a.place or b.place
    a.interests = list(dict.fromkeys([*a.interests, *b.interests]))
    dates = [d for d in (a.consented_at, b.consented_at) if d is not None]
    a.consented_at = min(dates) if dates else None
    boarded = [d for d in (a.onboarded_at, b.onboarded_at) if d is not None]
    a.onboarded_at = min(boarded) if boarded else None
    await uow.people.save(a)
    await conn.execute(
        "UPDATE persons SET created_at = min(created_at, (SELECT created_at FROM persons WHERE id = ?)) "
        "WHERE id = ?",
        (gone, kept),
    )
    # Collisions with a rule of their own, before the generic move.
    await conn.execute(
        "UPDATE memberships SET role = 'coordinator' WHERE person_id = ? AND role = 'member' AND circle_id IN "
        "(SELECT circle_id FROM memberships WHERE person_id = ? AND role = 'coordinator')",
        (kept, gone),
    )
    await conn.execute(
        # Of two ballots on the same open poll, the latest counts: the stayer's older one goes.
        "DELETE FROM ballots WHERE person_id = ? AND poll_id IN (SELECT b.poll_id FROM ballots b "
        "JOIN polls p ON p.id = b.poll_id AND p.status != 'closed' WHERE b.person_id = ? "
        "AND b.cast_at > (SELECT cast_at FROM ballots k WHERE k.person_id = ? AND k.poll_id = b.poll_id))",
        (kept, gone, kept),
    )
    # Every person column, of every table: a row that would be there twice stays once.
    for table, columns in personal.PERSON_COLUMNS.items():
        if table == "persons":
            continue
        for column in columns:
            await conn.execute(
                f'UPDATE OR IGNORE "{table}" SET "{column}" = ? WHERE "{column}" = ?', (kept, gone)
            )
            await conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (gone,))
    for table, what in personal.PERSONS_IN_VALUES.items():
        column = what.split(":", 1)[0].strip()
        await _merge_json_ids(uow, table, column, kept, gone)
    await conn.execute(
        "DELETE FROM supports WHERE person_id = ? AND need_id IN (SELECT id FROM needs WHERE author_id = ?)",
        (kept, kept),
    )
    await conn.execute("DELETE FROM persons WHERE id = ?", (gone,))


async def _merge_json_ids(uow: UnitOfWork, table: str, column: str, kept: int, gone: int) -> None:
    """A JSON array of person ids (a crowd's recipients): `gone` becomes `kept`, once."""
    rows = await uow.conn.execute_fetchall(f'SELECT rowid, "{column}" FROM "{table}"')
    for row in rows:
        try:
            ids = json.loads(row[1])
        except (TypeError, ValueError):
            continue
        if not isinstance(ids, list) or gone not in ids:
            continue
        # Replaced in place, not deduplicated: `next_index` counts positions in this list (a
        # second row for the same person is refused by its dedup key).
        merged = [kept if i == gone else i for i in ids]
        await uow.conn.execute(
            f'UPDATE "{table}" SET "{column}" = ? WHERE rowid = ?', (json.dumps(merged), row[0])
        )


__all__ = [
    "CODE_TTL",
    "LinkCode",
    "Linked",
    "merge_persons",
    "new_code",
    "normalize_code",
    "redeem",
]
