"""Profile and language on a real SQLite file: restarts in the middle of a change."""

from __future__ import annotations

from dialogs.engine import Engine
from lte_core.services._common import person_of
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen


async def test_interests_and_name_across_restarts(engine: Engine, reopened: list[Database]) -> None:
    alice = await onboard(Person(engine, "alice"))
    await alice.command("profil")
    await alice.pick("interests")
    await alice.pick("eau")
    water_again = alice.option_for("eau").token
    for _ in range(2):
        new = await reopen(alice.engine)
        reopened.append(new.db)
        alice.engine = new
        assert await dialog_state(alice) == ("profile", "interests")
        await alice.pick("habitat")
    await alice.choose(water_again)  # a button of an earlier message: expired, nothing changes
    await alice.pick("done")
    await alice.pick("first_name")
    new = await reopen(alice.engine)
    reopened.append(new.db)
    alice.engine = new
    await alice.send("Alix")
    pid = await person_id(alice)
    async with UnitOfWork(new.db) as uow:
        person = await person_of(uow, pid)
    # habitat toggled twice (on, off) around the restarts; water stays.
    assert (person.first_name, person.interests) == ("Alix", ["eau"])


async def test_language_question_across_a_restart(engine: Engine, reopened: list[Database]) -> None:
    alice = await onboard(Person(engine, "alice"))
    await alice.command("langue")
    english = alice.option_for("en").token
    new = await reopen(engine)
    reopened.append(new.db)
    alice.engine = new
    await alice.choose(english)
    pid = await person_id(alice)
    async with UnitOfWork(new.db) as uow:
        assert (await person_of(uow, pid)).locale == "en"
    assert await dialog_state(alice) is None
