"""The circles (/cercles): by kind with their purpose, a card to join or leave, my circles and roles."""

from __future__ import annotations

from typing import Any

import pytest

from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import Circle, CircleKind, CircleTask, MemberRole
from lte_core.services import circles
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen
from tests.support.robust import bad_inputs, said, the_circle


async def make(
    db: Database, clock: FixedClock, kind: CircleKind, name: str, purpose: str, **kw: Any
) -> Circle:
    async with UnitOfWork(db) as uow:
        return await circles.create_circle(uow, None, kind, name, purpose, now=clock.now(), **kw)


@pytest.fixture
async def territory(db: Database, clock: FixedClock) -> dict[str, Circle]:
    return {
        "tri": await make(
            db,
            clock,
            CircleKind.MISSION,
            "Tri des besoins",
            "Trier les besoins exprimés",
            task=CircleTask.SORT_NEEDS,
        ),
        "jardins": await make(
            db, clock, CircleKind.THEMATIC, "Jardins", "Des jardins <partout>", theme="alimentation"
        ),
        "velo": await make(db, clock, CircleKind.WORK, "Atelier vélo", "Réparer ensemble"),
    }


async def role(db: Database, circle: Circle, person: Person) -> MemberRole | None:
    pid = await person_id(person)
    async with UnitOfWork(db) as uow:
        membership = await uow.circles.membership(circle.id, pid)
    return membership.role if membership else None


async def test_an_empty_territory_gets_a_friendly_line(alice: Person) -> None:
    await alice.command("cercles")
    assert (
        said(
            alice,
            "There are no circles in the territory yet. The preparation team opens them as "
            "the territory gets organised: you will find them here.",
        )
        in alice.text
    )
    assert await dialog_state(alice) is None


async def test_circles_by_kind_with_their_purpose_then_join_and_leave(
    alice: Person, territory: dict[str, Circle], db: Database
) -> None:
    tri, jardins = territory["tri"], territory["jardins"]
    await alice.command("circles")
    assert await dialog_state(alice) == ("circles", "list")
    for kind in ("Mission circles", "Work circles", "Thematic circles"):
        assert said(alice, kind) in alice.text
    assert "Trier les besoins exprimés" in alice.text
    assert "Des jardins &lt;partout&gt;" in alice.markup  # user text escaped in the markup
    # Grouped by kind in the method's order: mission, work, then thematic.
    assert (
        alice.text.index("Tri des besoins") < alice.text.index("Atelier vélo") < alice.text.index("Jardins")
    )
    assert alice.values == [f"c{tri.id}", f"c{territory['velo'].id}", f"c{jardins.id}", "mine"]

    await alice.pick(f"c{jardins.id}")
    assert await dialog_state(alice) == ("circles", "card")
    assert "Des jardins <partout>" in alice.text
    assert f"g.join.{jardins.id}" in alice.values and f"g.leave.{jardins.id}" not in alice.values

    await alice.pick(f"g.join.{jardins.id}")
    assert (
        said(
            alice, "Welcome to {circle}! You will receive its missions.", circle=the_circle(alice, "Jardins")
        )
        in alice.text
    )
    assert await role(db, jardins, alice) is MemberRole.MEMBER
    # The card comes back up to date: Leave instead of Join, one member more.
    assert await dialog_state(alice) == ("circles", "card")
    assert f"g.leave.{jardins.id}" in alice.values and f"g.join.{jardins.id}" not in alice.values
    assert said(alice, "You are a member of this circle: you receive its missions.") in alice.text

    await alice.pick(f"g.leave.{jardins.id}")
    assert said(alice, "You left {circle}.", circle=the_circle(alice, "Jardins")) in alice.text
    assert await role(db, jardins, alice) is None
    assert f"g.join.{jardins.id}" in alice.values

    await alice.pick("back")
    assert await dialog_state(alice) == ("circles", "list")


async def test_joining_twice_is_explained_and_the_card_stays(
    alice: Person, territory: dict[str, Circle]
) -> None:
    jardins = territory["jardins"]
    await alice.command("cercles")
    await alice.pick(f"c{jardins.id}")
    join = alice.option_for(f"g.join.{jardins.id}").token
    await alice.choose(join)
    await alice.choose(join)  # the old button, pressed again: the service refuses
    assert said(alice, "You are already a member of “{circle}”.", circle="Jardins") in alice.text
    assert await dialog_state(alice) == ("circles", "card")
    assert alice.text.count("Jardins") >= 1 and len(alice.last) == 2  # the reason, the card once


async def test_my_circles_shows_each_role(
    alice: Person, territory: dict[str, Circle], db: Database, clock: FixedClock
) -> None:
    tri, jardins = territory["tri"], territory["jardins"]
    pid = await person_id(alice)
    async with UnitOfWork(db) as uow:
        await circles.appoint_coordinator(uow, None, tri.id, pid, clock.now())
        await circles.join_circle(uow, pid, jardins.id, clock.now())
    await alice.command("cercles")
    assert "✓ Tri des besoins" in [o.label for o in alice.options]
    await alice.pick("mine")
    assert await dialog_state(alice) == ("circles", "mine")
    assert said(alice, "coordinator") in alice.text and said(alice, "member") in alice.text
    assert alice.values == [f"c{jardins.id}", f"c{tri.id}", "all"]  # by name

    await alice.pick(f"c{tri.id}")
    assert said(alice, "You coordinate this circle.") in alice.text
    assert {"g.cmd.missions", "g.cmd.new_mission", f"g.leave.{tri.id}", "back"} <= set(alice.values)
    await alice.pick("back")  # back where the card came from
    assert await dialog_state(alice) == ("circles", "mine")
    await alice.pick("all")
    assert await dialog_state(alice) == ("circles", "list")


async def test_my_circles_when_in_none_shows_all_of_them(alice: Person, territory: dict[str, Circle]) -> None:
    await alice.command("cercles")
    await alice.pick("mine")
    assert said(alice, "You are not in any circle yet: choose one below to join it.") in alice.text
    assert await dialog_state(alice) == ("circles", "list")


async def test_many_circles_come_a_page_at_a_time(alice: Person, db: Database, clock: FixedClock) -> None:
    for i in range(11):
        await make(db, clock, CircleKind.THEMATIC, f"Cercle {i:02d}", "")
    await alice.command("cercles")
    assert len([v for v in alice.values if v.startswith("c")]) == 8
    assert "next" in alice.values and "prev" not in alice.values
    await alice.pick("next")
    assert [o.label for o in alice.options if o.token.partition(".")[2].startswith("c")] == [
        "Cercle 08",
        "Cercle 09",
        "Cercle 10",
    ]
    assert "prev" in alice.values and "next" not in alice.values
    await alice.pick("prev")
    assert "Cercle 00" in alice.text


async def test_a_circle_removed_meanwhile_is_said_and_the_list_comes_back(
    alice: Person, territory: dict[str, Circle], db: Database
) -> None:
    velo = territory["velo"]
    await alice.command("cercles")
    async with UnitOfWork(db) as uow:
        await uow.db.conn.execute(
            "UPDATE circles SET archived_at = '2026-11-25T09:00:00+00:00' WHERE id = ?", (velo.id,)
        )
    await alice.pick(f"c{velo.id}")
    assert (
        said(alice, "I could not find that {what} ({ref}).", what=said(alice, "circle"), ref=str(velo.id))
        in alice.text
    )
    assert await dialog_state(alice) == ("circles", "list")
    assert f"c{velo.id}" not in alice.values


async def test_bad_inputs_at_every_step(alice: Person, territory: dict[str, Circle], engine: Engine) -> None:
    other = await onboard(Person(engine, "zoe"), "Zoé")
    await other.command("actif")
    foreign = other.option_for("skill").token

    await alice.command("cercles")
    list_token = alice.option_for(f"c{territory['tri'].id}").token
    await bad_inputs(alice, typed=False, foreign=foreign)
    await alice.pick("mine")
    await bad_inputs(alice, typed=False, stale=list_token, foreign=foreign)
    await alice.pick(f"c{territory['tri'].id}")
    await bad_inputs(alice, typed=False, stale=list_token, foreign=foreign)
    # Typed answers: the number of a choice, or its label, accents and case aside.
    await alice.send("2")  # Join is the first choice, Back the second
    assert await dialog_state(alice) == ("circles", "list")
    await alice.send("atelier VELO")
    assert await dialog_state(alice) == ("circles", "card")
    assert "Réparer ensemble" in alice.text


async def test_a_resident_who_has_not_consented_is_onboarded_first(
    engine: Engine, territory: dict[str, Circle]
) -> None:
    newcomer = Person(engine, "newcomer")
    await newcomer.command("cercles")
    assert await dialog_state(newcomer) == ("onboarding", "language")
    await newcomer.pick("fr")
    await newcomer.pick("yes")
    await newcomer.pick("skip")
    await newcomer.pick("skip")
    await newcomer.pick("done")
    assert await dialog_state(newcomer) == ("circles", "list")


async def test_a_restart_in_the_middle_loses_nothing(alice: Person, territory: dict[str, Circle]) -> None:
    jardins = territory["jardins"]
    await alice.command("cercles")
    await alice.pick(f"c{jardins.id}")
    engine = await reopen(alice.engine)
    try:
        again = Person(engine, "alice")
        await again.send("1")  # typed: "Join this circle", the first choice of the card still waiting
        assert await dialog_state(again) == ("circles", "card")
        assert f"g.leave.{jardins.id}" in again.values
        pid = await person_id(again)
        async with UnitOfWork(engine.db) as uow:
            assert await uow.circles.member_ids(jardins.id) == [pid]
    finally:
        await engine.db.close()
