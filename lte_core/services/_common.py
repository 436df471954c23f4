"""What every use case needs: the actor, consent, and notifications through the outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..domain import Actor, NotAllowed, NotFound, Person, Refused
from ..notices import Notice
from ..store import UnitOfWork
from ..store.outbox import FANOUT_AT

# Lower runs first: what concerns a person directly goes before bulk broadcasts.
PRIORITY_PERSONAL = 3
PRIORITY_BULK = 6


async def person_of(uow: UnitOfWork, person_id: int) -> Person:
    person = await uow.people.get(person_id)
    if person is None:
        raise NotFound("person", person_id)
    return person


async def consenting(uow: UnitOfWork, person_id: int) -> Person:
    """The person, who must have accepted what is kept and why before taking part."""
    person = await person_of(uow, person_id)
    if not person.consented:
        raise Refused("consent_required")
    return person


async def actor(uow: UnitOfWork, person_id: int) -> Actor:
    return await uow.people.actor(person_id)


async def require_noyau(uow: UnitOfWork, person_id: int, action: str) -> Actor:
    who = await actor(uow, person_id)
    if not who.is_noyau:
        raise NotAllowed(action)
    return who


async def notify(
    uow: UnitOfWork,
    recipients: Iterable[int | None],
    notice: Notice,
    *,
    key: str,
    now: datetime,
    exclude: Iterable[int | None] = (),
    priority: int = PRIORITY_PERSONAL,
) -> int:
    """Queue one message per recipient (deduplicated by `key`), in the caller's transaction.

    Each row carries the recipient's language; the text is rendered when it is sent."""
    skip = {p for p in exclude if p is not None}
    # One statement for the whole list (a 10 000-member circle included): who is reachable,
    # where, and in which language is read by the database, not person by person.
    ids = [p for p in dict.fromkeys(recipients) if p is not None and p not in skip]
    # A crowd's rows are written after this transaction, a chunk at a time (`expand_fanouts`):
    # the cause commits at once and no conversation waits behind ten thousand inserts.
    queue = uow.outbox.fan_out if len(ids) > FANOUT_AT else uow.outbox.put_many
    return await queue(ids, key=key, kind=notice.kind, params=notice.params(), priority=priority, now=now)
