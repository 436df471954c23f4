"""A coordinator manages a mission (10.7): hears when a place is given up, changes or cancels it
(those with a place are told), writes to those coming; a mission has a place and an end time;
an archived circle's missions take no more places."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialogs.contract import Reply
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import Circle, CircleKind, Invalid, Mission, NotAllowed
from lte_core.services import circles
from lte_core.store import Database, OutboxMessage, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id
from tests.support.robust import said, said_n

SOON = datetime(2026, 12, 12, 17, 30, tzinfo=UTC)  # 18:30 in Paris


@pytest.fixture
async def coord(engine: Engine) -> Person:
    return await onboard(Person(engine, "coord"), "Claude")


@pytest.fixture
async def market(db: Database, clock: FixedClock, coord: Person, alice: Person, bob: Person) -> Circle:
    coord_id, members = await person_id(coord), [await person_id(alice), await person_id(bob)]
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Marché", "Tenir le stand", now=clock.now()
        )
        await circles.appoint_coordinator(uow, None, circle.id, coord_id, clock.now())
        for member in members:
            await circles.join_circle(uow, member, circle.id, clock.now())
    return circle


@pytest.fixture
async def stand(db: Database, clock: FixedClock, coord: Person, market: Circle, alice: Person) -> Mission:
    """A mission of two places; Alice has one."""
    by = await person_id(coord)
    async with UnitOfWork(db) as uow:
        made, _ = await circles.create_mission(
            uow, by, market.id, "Stand du samedi", "", SOON, 2, now=clock.now(), place="Halle"
        )
    await alice.choose(f"g.take.{made.id}")
    return made


async def outbox(person: Person, kind: str) -> list[OutboxMessage]:
    async with UnitOfWork(person.engine.db) as uow:
        rows = await uow.outbox.for_recipient(person.channel, person.user_id)
    return [r for r in rows if r.kind == kind]


def shown(person: Person, row: OutboxMessage) -> Reply:
    [note] = person.engine.render(row)
    assert isinstance(note, Reply)
    return note


async def open_card(person: Person, mission: Mission) -> None:
    await person.command("missions")
    await person.pick(f"m{mission.id}")
    assert await dialog_state(person) == ("missions", "card")


async def test_the_coordinator_hears_when_a_place_is_given_up_and_opens_the_mission(
    alice: Person, coord: Person, stand: Mission
) -> None:
    await alice.choose(f"g.drop.{stand.id}")
    [row] = await outbox(coord, "mission_left")
    note = shown(coord, row)
    assert "Alice" in str(note.text) and "0/2" in str(note.text)
    await coord.choose(note.options[0].token)  # « Voir la mission »
    assert await dialog_state(coord) == ("missions", "card")
    assert "Halle" in coord.text and "edit" in coord.values


async def test_changing_the_date_and_place_tells_those_with_a_place_only(
    alice: Person, bob: Person, coord: Person, stand: Mission, db: Database
) -> None:
    await open_card(coord, stand)
    await coord.pick("edit")
    assert await dialog_state(coord) == ("missions", "edit")
    await coord.pick("f.when")
    await coord.send("13/12/2026 10h")
    assert said(coord, "Saved.") in coord.text
    assert (
        said_n(coord, "The person with a place will be told.", "The {n} people with a place will be told.", 1)
        in coord.text
    )
    assert await dialog_state(coord) == ("missions", "card")
    await coord.pick("edit")
    await coord.pick("f.place")
    await coord.send("Place de la <b>Mairie</b>")
    async with UnitOfWork(db) as uow:
        now = await uow.missions.get(stand.id)
    assert now is not None and now.place == "Place de la <b>Mairie</b>"
    assert now.starts_at == datetime(2026, 12, 13, 9, 0, tzinfo=UTC)

    rows = await outbox(alice, "mission_changed")
    assert len(rows) == 2  # one message per change
    last = shown(alice, rows[-1])
    assert "Place de la &lt;b&gt;Mairie&lt;/b&gt;" in str(last.text)
    assert "dimanche 13 décembre 2026 à 10\u00a0h" in str(last.text)
    assert [o.token for o in last.options] == [f"g.mis.{stand.id}", f"g.drop.{stand.id}"]
    assert await outbox(bob, "mission_changed") == []  # no place: not told

    # A description alone is nothing those coming must act on: nobody is told.
    await coord.pick("edit")
    await coord.pick("f.description")
    await coord.send("Apporter une table")
    assert len(await outbox(alice, "mission_changed")) == 2


async def test_the_end_time_and_the_places_are_checked(alice: Person, coord: Person, stand: Mission) -> None:
    await open_card(coord, stand)
    await coord.pick("edit")
    await coord.pick("f.ends")
    await coord.send("17h")  # before the 18:30 start
    assert "18\u00a0h\u00a030" in coord.text and await dialog_state(coord) == ("missions", "edit_value")
    await coord.send("21h")
    assert "jusqu’à 21\u00a0h" in coord.text
    await coord.pick("edit")
    await coord.pick("f.places")
    await coord.send("0")
    assert await dialog_state(coord) == ("missions", "edit_value")
    await coord.send("1")  # Alice's place fits
    assert said(coord, "Saved.") in coord.text
    await coord.pick("edit")
    await coord.pick("f.ends")
    await coord.pick("skip")  # « Retirer »: no end any more
    assert "jusqu’à" not in coord.text.rsplit("Enregistré", 1)[-1]


async def test_cancelling_tells_those_with_a_place_with_the_reason(
    alice: Person, bob: Person, coord: Person, stand: Mission
) -> None:
    await open_card(coord, stand)
    await coord.pick("cancel")
    assert await dialog_state(coord) == ("missions", "cancel")
    await coord.pick("keep")
    assert await dialog_state(coord) == ("missions", "card")
    await coord.pick("cancel")
    await coord.send("Il va pleuvoir <b>fort</b>")
    assert said(coord, "“{title}” is cancelled.", title="Stand du samedi") in coord.text
    [row] = await outbox(alice, "mission_cancelled")
    note = shown(alice, row)
    assert "Il va pleuvoir &lt;b&gt;fort&lt;/b&gt;" in str(note.text)
    assert await outbox(bob, "mission_cancelled") == []
    # The old « Je viens » on Bob's notice is refused, and the mission is no longer listed.
    [new] = await outbox(bob, "mission_new")
    await bob.choose(shown(bob, new).options[0].token)
    assert said(bob, "“{mission}” is closed.", mission="Stand du samedi") in bob.text
    await alice.command("missions")
    assert f"m{stand.id}" not in alice.values


async def test_the_coordinator_writes_to_those_coming(
    alice: Person, bob: Person, coord: Person, stand: Mission
) -> None:
    await open_card(coord, stand)
    await coord.pick("write")
    await coord.send("Rendez-vous à 18 h <script>x</script>")
    assert (
        said_n(
            coord,
            "Your message is on its way to the person with a place.",
            "Your message is on its way to the {n} people with a place.",
            1,
        )
        in coord.text
    )
    [row] = await outbox(alice, "mission_message")
    note = shown(alice, row)
    assert "Claude" in str(note.text) and "&lt;script&gt;x&lt;/script&gt;" in str(note.text)
    assert await outbox(bob, "mission_message") == []


async def test_only_the_circle_s_coordinators_manage_a_mission(
    db: Database, clock: FixedClock, alice: Person, stand: Mission
) -> None:
    alice_id = await person_id(alice)
    async with UnitOfWork(db) as uow:
        for work in (
            circles.update_mission(uow, alice_id, stand.id, now=clock.now(), title="Pris"),
            circles.cancel_mission(uow, alice_id, stand.id, "", now=clock.now()),
            circles.message_takers(uow, alice_id, stand.id, "Salut", now=clock.now()),
        ):
            with pytest.raises(NotAllowed):
                await work
    await alice.command("missions")
    await alice.pick(f"m{stand.id}")
    assert "edit" not in alice.values and "cancel" not in alice.values and "write" not in alice.values


async def test_fewer_places_than_taken_and_an_end_before_the_start_are_refused(
    db: Database, clock: FixedClock, coord: Person, bob: Person, stand: Mission
) -> None:
    await bob.choose(f"g.take.{stand.id}")
    by = await person_id(coord)
    async with UnitOfWork(db) as uow:
        with pytest.raises(Invalid) as err:
            await circles.update_mission(uow, by, stand.id, now=clock.now(), places=1)
        assert err.value.code == "places_below_taken"
        with pytest.raises(Invalid) as err:
            await circles.update_mission(
                uow, by, stand.id, now=clock.now(), ends_at=SOON - timedelta(hours=1)
            )
        assert err.value.code == "ends_before_start"


async def test_an_archived_circle_s_mission_takes_no_more_places(
    db: Database, clock: FixedClock, bob: Person, market: Circle, stand: Mission
) -> None:
    async with UnitOfWork(db) as uow:
        await circles.archive_circle(uow, None, market.id, clock.now())
    await bob.choose(f"g.take.{stand.id}")
    assert said(bob, "“{mission}” is closed.", mission="Stand du samedi") in bob.text
    await bob.command("missions")
    assert f"m{stand.id}" not in bob.values
