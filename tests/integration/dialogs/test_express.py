"""Expressing needs on a real SQLite file: several people, a restart at every step, the export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from dialogs.contract import CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO
from dialogs.engine import Engine
from lte_core.services import needs
from lte_core.services.export import export_needs
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen

TELEGRAM = frozenset({CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO})
TEXT = "Un <i>verger</i> communal & des ruches 🐝"
Restart = Callable[..., Awaitable[Engine]]


@pytest.fixture
async def restart() -> AsyncIterator[Restart]:
    """Stop the bot and start it again on the same file; the people talk to the new engine."""
    opened: list[Database] = []

    async def again(*people: Person) -> Engine:
        new = await reopen(people[0].engine)
        opened.append(new.db)
        for person in people:
            person.engine = new
        return new

    yield again
    for database in opened:
        await database.close()


async def answer(person: Person, step: str) -> None:
    """What a person answers at each step, the long way (no skipping)."""
    if step == "text":
        await person.send(TEXT)
    elif step == "similar":
        await person.pick("different")
    elif step == "theme":
        await person.pick("eau")
    elif step == "place":
        await person.send("Les Essarts")
    elif step == "photo":
        await person.photo("AgAC-verger")
    elif step == "recap":
        await person.pick("send")


@pytest.mark.parametrize("stop_at", ["text", "similar", "theme", "place", "photo", "recap"])
async def test_a_restart_at_any_step_loses_nothing(
    engine: Engine, restart: Restart, db: Database, clock: Any, stop_at: str
) -> None:
    someone = await onboard(Person(engine, "someone"), "Sam")
    sam_id = await person_id(someone)
    async with UnitOfWork(db) as uow:
        await needs.express_need(uow, sam_id, "Des ruches au verger", now=clock.now())
    alice = await onboard(Person(engine, "alice", capabilities=TELEGRAM))
    await alice.command("besoin")
    while (state := await dialog_state(alice)) is not None and state[1] != stop_at:
        await answer(alice, state[1])
    assert await dialog_state(alice) == ("express", stop_at)
    on_screen = alice.options
    new = await restart(alice, someone)
    assert await dialog_state(alice) == ("express", stop_at)
    if on_screen:
        # A button shown before the restart still works after it: the first one.
        await alice.choose(on_screen[0].token)
    while (state := await dialog_state(alice)) is not None:
        await answer(alice, state[1])
    assert "B-" in alice.text
    alice_id = await person_id(alice)
    async with UnitOfWork(new.db) as uow:
        mine = await needs.my_needs(uow, alice_id)
        supported = (await needs.get_need(uow, 1)).supports
    if stop_at == "similar":  # its first button: "Support B-1 instead"
        assert mine == [] and supported == 1
        return
    [stored] = mine
    expected_theme = "alimentation" if stop_at == "theme" else "eau"
    expected_place = None if stop_at == "place" else "Les Essarts"
    expected_photo = None if stop_at == "photo" else "AgAC-verger"
    assert (stored.ref, stored.text, stored.theme, stored.place, stored.photo_ref) == (
        "B-2",
        TEXT,
        expected_theme,
        expected_place,
        expected_photo,
    )


async def test_three_people_one_need_and_the_export(engine: Engine, db: Database, settings: Any) -> None:
    alice = await onboard(Person(engine, "alice", capabilities=TELEGRAM))
    bob = await onboard(Person(engine, "bob"), "Bob")
    carol = await onboard(Person(engine, "carol", locale_hint="en"), "Carol")
    await alice.send("/besoin Un atelier de réparation de vélos")
    await alice.pick("reparation")
    await alice.location(45.2, 5.7)
    await alice.pick("skip")
    await alice.pick("send")
    await bob.send("/need atelier vélos")
    await bob.pick("s1")
    await carol.command("needs")
    await carol.pick("s1")
    await carol.pick("done")
    async with UnitOfWork(db) as uow:
        [row] = await export_needs(uow, settings.tz)
    assert {k: row[k] for k in ("ref", "text", "theme", "status", "supports")} == {
        "ref": "B-1",
        "text": "Un atelier de réparation de vélos",
        "theme": "reparation",
        "status": "expressed",
        "supports": 2,
    }
    assert (row["lat"], row["lon"]) == (45.2, 5.7)
