"""One limit per field, said before it bites (issue 10): each text a person types is refused
beyond its own limit, with that number only, whether it is one character too long or 5 000 (the
engine no longer says 4 000 before the field can say 60)."""

from __future__ import annotations

import re

import pytest

from dialogs.engine import MAX_INPUT, Engine
from dialogs.refusals import describe
from lte_core.clock import FixedClock
from lte_core.domain import CircleKind, Invalid
from lte_core.domain.model import DESCRIPTION_MAX, NAME_MAX, NEED_TEXT_MAX, PLACE_MAX, TITLE_MAX
from lte_core.services import circles
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id
from tests.support.robust import first, said

LENGTHS = ("limit", "limit+1", 5000)


def sized(limit: int, length: int | str) -> str:
    n = limit if length == "limit" else limit + 1 if length == "limit+1" else int(length)
    return "é" * n


def numbers(text: str) -> set[str]:
    """The numbers a message says (« 1 000 » with its spaces is one)."""
    return {re.sub(r"\s", "", m) for m in re.findall(r"\d[\d\u00a0\u202f ]*\d|\d", text)}


async def check(person: Person, engine: Engine, text: str, limit: int, step: tuple[str, str]) -> None:
    """Typed at `step`: kept when at the limit, else refused with the limit, asked again."""
    await person.send(text)
    if len(text) <= limit:
        assert await dialog_state(person) != step, person.text
        return
    assert first(person) == said(person, "That is too long: {max} characters at most, please.", max=limit)
    assert numbers(person.text) <= {str(limit)}, person.text  # one number, the field's
    assert await dialog_state(person) == step


def test_every_field_limit_is_below_what_the_engine_keeps() -> None:
    assert max(NEED_TEXT_MAX, NAME_MAX, PLACE_MAX, TITLE_MAX, DESCRIPTION_MAX, 2 * NAME_MAX) < MAX_INPUT


@pytest.mark.parametrize("length", LENGTHS)
async def test_the_need_text(bob: Person, engine: Engine, length: int | str) -> None:
    await bob.command("besoin")
    await check(bob, engine, sized(NEED_TEXT_MAX, length), NEED_TEXT_MAX, ("express", "text"))


@pytest.mark.parametrize("length", LENGTHS)
async def test_the_place_of_a_need(bob: Person, engine: Engine, length: int | str) -> None:
    await bob.command("besoin")
    await bob.send("Des bancs sur la place du marché")
    await bob.pick("-")
    assert str(PLACE_MAX) in bob.text  # said before it bites
    await check(bob, engine, sized(PLACE_MAX, length), PLACE_MAX, ("express", "place"))


@pytest.mark.parametrize("length", LENGTHS)
async def test_the_first_name(alice: Person, engine: Engine, length: int | str) -> None:
    await alice.command("profile")
    await alice.pick("first_name")
    assert numbers(alice.text) == {str(NAME_MAX)}  # said before it bites: « 60 caractères au plus »
    await check(alice, engine, sized(NAME_MAX, length), NAME_MAX, ("profile", "first_name"))


@pytest.mark.parametrize("length", LENGTHS)
async def test_the_place_of_a_person(alice: Person, engine: Engine, length: int | str) -> None:
    await alice.command("profile")
    await alice.pick("place")
    assert numbers(alice.text) == {str(PLACE_MAX)}
    await check(alice, engine, sized(PLACE_MAX, length), PLACE_MAX, ("profile", "place"))


@pytest.mark.parametrize("length", LENGTHS)
async def test_an_offer(bob: Person, engine: Engine, length: int | str) -> None:
    await bob.command("offer")
    await bob.pick("skill")
    step = await dialog_state(bob)
    assert step is not None
    await check(bob, engine, sized(DESCRIPTION_MAX, length), DESCRIPTION_MAX, step)


@pytest.fixture
async def coord(engine: Engine, db: Database, clock: FixedClock) -> Person:
    coord = await onboard(Person(engine, "coord"), "Claude")
    coord_id = await person_id(coord)
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(uow, None, CircleKind.MISSION, "Marché", "", now=clock.now())
        await circles.appoint_coordinator(uow, None, circle.id, coord_id, clock.now())
    return coord


@pytest.mark.parametrize("length", LENGTHS)
async def test_a_mission_title(coord: Person, engine: Engine, length: int | str) -> None:
    await coord.command("nouvellemission")
    assert str(TITLE_MAX) in coord.text  # said before it bites
    await check(coord, engine, sized(TITLE_MAX, length), TITLE_MAX, ("new_mission", "title"))


@pytest.mark.parametrize("length", LENGTHS)
async def test_a_mission_description(coord: Person, engine: Engine, length: int | str) -> None:
    await coord.command("nouvellemission")
    await coord.send("Stand du samedi")
    await check(
        coord, engine, sized(DESCRIPTION_MAX, length), DESCRIPTION_MAX, ("new_mission", "description")
    )


@pytest.mark.parametrize("length", LENGTHS)
async def test_a_circle_name(db: Database, engine: Engine, clock: FixedClock, length: int | str) -> None:
    limit = 2 * NAME_MAX
    name = sized(limit, length)
    async with UnitOfWork(db) as uow:
        if len(name) <= limit:
            made = await circles.create_circle(uow, None, CircleKind.MISSION, name, "", now=clock.now())
            assert made.name == name
            return
        with pytest.raises(Invalid) as err:
            await circles.create_circle(uow, None, CircleKind.MISSION, name, "", now=clock.now())
    message = str(describe(engine.tr("fr"), err.value))
    assert numbers(message) == {str(limit)}, message


async def test_onboarding_says_the_limit_of_the_first_name(engine: Engine) -> None:
    zoe = Person(engine, "zoe")
    await zoe.command("start")
    await zoe.pick("fr")
    await zoe.pick("yes")
    assert await dialog_state(zoe) == ("onboarding", "first_name")
    assert str(NAME_MAX) in zoe.text
    await check(zoe, engine, sized(NAME_MAX, 5000), NAME_MAX, ("onboarding", "first_name"))
