"""Browsing on a real SQLite file: a restart between two pages, many people supporting at once."""

from __future__ import annotations

import asyncio

from dialogs.engine import Engine
from lte_core.services import needs
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, express_needs, onboard, reopen


def support_values(person: Person) -> list[str]:
    return [v for v in person.values if v[:1] in "su" and v[1:].isdigit()]


async def test_next_page_after_a_restart(engine: Engine, reopened: list[Database]) -> None:
    alice = await onboard(Person(engine, "alice"))
    bob = await onboard(Person(engine, "bob"), "Bob")
    await express_needs(
        alice, *(f"Panneaux solaires sur le bâtiment {i}" for i in range(1, 9)), theme="energie"
    )
    await bob.command("besoins", "énergie")
    await bob.pick("s8")
    following = bob.option_for("next").token
    new = await reopen(engine)
    reopened.append(new.db)
    bob.engine = alice.engine = new
    assert await dialog_state(bob) == ("browse", "page")
    await bob.choose(following)  # pressed after the restart
    assert support_values(bob) == ["s3", "s2", "s1"]
    await bob.pick("prev")
    assert support_values(bob) == ["u8", "s7", "s6", "s5", "s4"]  # the support survived too


async def test_many_people_support_at_once(engine: Engine, db: Database) -> None:
    alice = await onboard(Person(engine, "alice"))
    await express_needs(alice, "Une chaufferie bois collective", theme="energie")
    crowd = [await onboard(Person(engine, f"p{i}"), f"P{i}") for i in range(8)]
    for person in crowd:
        await person.command("besoins")
    await asyncio.gather(*(person.pick("s1") for person in crowd))
    # Twice the same press from one person, at the same time: one support only.
    twice = crowd[0]
    await twice.command("besoins")
    await asyncio.gather(twice.pick("u1"), twice.pick("u1"))
    async with UnitOfWork(db) as uow:
        assert (await needs.get_need(uow, 1)).supports == 7
    for person in crowd[1:]:
        assert support_values(person) == ["u1"]
