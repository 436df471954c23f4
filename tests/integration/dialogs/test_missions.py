"""Missions: a coordinator creates one (/nouvellemission), members hear of it and take places
(/missions, or "I'm in" from the notification), the coordinator sees who is coming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialogs.contract import Reply
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain import Circle, CircleKind, Mission
from lte_core.services import circles, moderation
from lte_core.store import Database, OutboxMessage, UnitOfWork
from tests.support.chat import Person, dialog_state, onboard, person_id, reopen
from tests.support.robust import bad_inputs, question, said, said_n, the_circle

SOON = datetime(2026, 12, 12, 17, 30, tzinfo=UTC)  # 18:30 in Paris


@pytest.fixture
async def coord(engine: Engine) -> Person:
    return await onboard(Person(engine, "coord"), "Claude")


@pytest.fixture
async def market(db: Database, clock: FixedClock, coord: Person, alice: Person, bob: Person) -> Circle:
    """A circle coordinated by Claude, with Alice and Bob as members."""
    coord_id, members = await person_id(coord), [await person_id(alice), await person_id(bob)]
    async with UnitOfWork(db) as uow:  # ids first: a second unit of work inside would wait forever
        circle = await circles.create_circle(
            uow, None, CircleKind.MISSION, "Marché", "Tenir le stand", now=clock.now()
        )
        await circles.appoint_coordinator(uow, None, circle.id, coord_id, clock.now())
        for member in members:
            await circles.join_circle(uow, member, circle.id, clock.now())
    return circle


async def mission(
    db: Database,
    clock: FixedClock,
    by: Person,
    circle: Circle,
    places: int = 2,
    title: str = "Stand du samedi",
) -> Mission:
    by_id = await person_id(by)
    async with UnitOfWork(db) as uow:
        made, _ = await circles.create_mission(
            uow, by_id, circle.id, title, "Au marché", SOON, places, now=clock.now()
        )
    return made


async def outbox(person: Person, kind: str | None = None) -> list[OutboxMessage]:
    async with UnitOfWork(person.engine.db) as uow:
        rows = await uow.outbox.for_recipient(person.channel, person.user_id)
    return [r for r in rows if kind is None or r.kind == kind]


async def takers(db: Database, mission_id: int) -> list[int]:
    async with UnitOfWork(db) as uow:
        return await uow.missions.taker_ids(mission_id)


async def missions_of(db: Database, circle: Circle) -> list[Mission]:
    async with UnitOfWork(db) as uow:
        return await uow.missions.of_circle(circle.id)


def when(person: Person, at: datetime) -> str:
    return person.engine.tr("fr").fmt.when(at)


# Creating a mission ---------------------------------------------------------------------------


async def create(
    coord: Person,
    title: str = "Stand du samedi",
    description: str | None = "Au marché",
    at: str = "12/12/2026 18:30",
    places: str = "2",
) -> None:
    await coord.command("nouvellemission")
    await coord.send(title)
    if description is None:
        await coord.pick("skip")
    else:
        await coord.send(description)
    await coord.send(at)
    await coord.pick("skip")  # no end time
    await coord.pick("skip")  # no place
    await coord.send(places)


async def test_a_coordinator_creates_a_mission_and_every_member_hears_of_it(
    coord: Person, alice: Person, bob: Person, market: Circle, db: Database
) -> None:
    outsider = await onboard(Person(coord.engine, "zoe"), "Zoé")
    await coord.command("nouvellemission")
    assert said(coord, "A new mission for {circle}.", circle=the_circle(coord, "Marché")) in coord.text
    assert await dialog_state(coord) == ("new_mission", "title")
    await coord.send("<b>Stand</b> du samedi 🌱")
    assert await dialog_state(coord) == ("new_mission", "description")
    await coord.send("Apporter des <script>tracts</script>")
    assert await dialog_state(coord) == ("new_mission", "when")
    await coord.send("12/12/2026 18h30")
    assert await dialog_state(coord) == ("new_mission", "ends")
    await coord.send("20h")  # that day: the end's day is the start's
    assert await dialog_state(coord) == ("new_mission", "place")
    await coord.send("Place du marché, <i>devant la fontaine</i>")
    assert await dialog_state(coord) == ("new_mission", "places")
    await coord.send("3")
    assert await dialog_state(coord) == ("new_mission", "confirm")
    assert when(coord, SOON) in coord.text
    assert "&lt;b&gt;Stand&lt;/b&gt; du samedi 🌱" in coord.markup and "<script>" not in coord.markup
    assert (
        said_n(coord, "{n} member of the circle will be told.", "{n} members of the circle will be told.", 2)
        in coord.text
    )
    assert await missions_of(db, market) == []  # nothing written before "Send"

    await coord.pick("send")
    assert said(coord, "The mission is created.") in coord.text
    assert (
        said_n(
            coord, "It was sent to {n} member of the circle.", "It was sent to {n} members of the circle.", 2
        )
        in coord.text
    )
    assert await dialog_state(coord) is None
    [made] = await missions_of(db, market)
    assert made.title == "<b>Stand</b> du samedi 🌱"  # stored exactly as typed
    assert made.description == "Apporter des <script>tracts</script>"
    assert made.starts_at == SOON and made.places == 3
    assert made.ends_at == SOON + timedelta(hours=1, minutes=30)
    assert made.place == "Place du marché, <i>devant la fontaine</i>"
    assert "jusqu’à 20\u00a0h" in coord.text or "jusqu'à 20\u00a0h" in coord.text
    assert "&lt;i&gt;devant la fontaine&lt;/i&gt;" in coord.markup

    for member in (alice, bob):
        [row] = await outbox(member)
        assert row.kind == "mission_new" and row.params["mission_id"] == made.id
    assert await outbox(coord) == [] and await outbox(outsider) == []

    # Alice presses "I'm in" on the notification as she receives it.
    [row] = await outbox(alice)
    [note] = coord.engine.render(row)
    assert isinstance(note, Reply) and "&lt;b&gt;Stand" in str(note.text)
    await alice.choose(note.options[0].token)
    assert said(alice, "You have a place on this mission. Thank you!") in alice.text
    assert await takers(db, made.id) == [await person_id(alice)]
    assert [r.kind for r in await outbox(coord)] == ["mission_taken"]

    # The coordinator sees who is coming.
    await coord.command("missions")
    await coord.pick(f"m{made.id}")
    await coord.pick("who")
    assert "Alice" in coord.text
    assert await dialog_state(coord) == ("missions", "card")


async def test_a_resident_who_coordinates_nothing_is_refused_clearly(alice: Person) -> None:
    await alice.command("newmission")
    assert (
        said(
            alice,
            "Only the coordinators of a circle and the preparation team can create missions. "
            "You can take a place on the missions of your circles.",
        )
        in alice.text
    )
    assert await dialog_state(alice) is None
    assert alice.values == ["g.cmd.missions"]


async def test_the_noyau_chooses_among_every_circle_a_page_at_a_time(
    engine: Engine, db: Database, clock: FixedClock, market: Circle
) -> None:
    async with UnitOfWork(db) as uow:
        for i in range(9):
            await circles.create_circle(uow, None, CircleKind.THEMATIC, f"Cercle {i}", "", now=clock.now())
    camille = await onboard(Person(engine, "camille"), "Camille")
    await camille.command("nouvellemission")
    assert await dialog_state(camille) == ("new_mission", "circle")
    assert len(camille.options) == 9 and camille.values[-1] == "next"
    await bad_inputs(camille, typed=False)
    await camille.pick("next")
    assert camille.values[-1] == "prev"
    await camille.pick("prev")
    stale = camille.option_for("next").token
    await camille.send("Marché")  # a circle by its name
    assert await dialog_state(camille) == ("new_mission", "title")
    await bad_inputs(camille, typed=True, stale=stale)
    await camille.send("Stand")
    await camille.pick("skip")
    await camille.send("demain 18h")
    await camille.pick("skip")
    await camille.pick("skip")
    await camille.send("1")
    await camille.pick("send")
    [made] = await missions_of(db, market)
    assert made.starts_at == datetime(2026, 11, 26, 17, 0, tzinfo=UTC) and made.description == ""


async def test_bad_inputs_at_each_typed_step_are_explained_and_asked_again(
    coord: Person, market: Circle, alice: Person
) -> None:
    await alice.command("cercles")
    foreign = alice.option_for(f"c{market.id}").token  # a choice of another flow
    await coord.command("nouvellemission")
    await bad_inputs(coord, typed=True, foreign=foreign)
    await coord.send("   ")
    assert said(coord, "That was empty: please write a few words.") in coord.text
    assert await dialog_state(coord) == ("new_mission", "title")
    await coord.send("x" * 121)
    assert "120" in coord.text and await dialog_state(coord) == ("new_mission", "title")
    await coord.send("Stand")
    stale = coord.option_for("skip").token
    await bad_inputs(coord, typed=True, foreign=foreign)
    await coord.send("y" * 1001)
    assert "1000" in coord.text and await dialog_state(coord) == ("new_mission", "description")
    await coord.send("Au marché")
    assert await dialog_state(coord) == ("new_mission", "when")
    await bad_inputs(coord, typed=True, stale=stale, foreign=foreign)
    await coord.send("demain 18h")
    assert await dialog_state(coord) == ("new_mission", "ends")
    await coord.send("17h")  # before the start
    assert await dialog_state(coord) == ("new_mission", "ends")
    await coord.pick("skip")
    assert await dialog_state(coord) == ("new_mission", "place")
    await coord.send("z" * 121)
    assert "120" in coord.text and await dialog_state(coord) == ("new_mission", "place")
    await coord.pick("skip")
    assert await dialog_state(coord) == ("new_mission", "places")
    await bad_inputs(coord, typed=True, stale=stale, foreign=foreign)
    await coord.send("🌱")
    assert await dialog_state(coord) == ("new_mission", "places")
    await coord.send("4")
    assert await dialog_state(coord) == ("new_mission", "confirm")
    await bad_inputs(coord, typed=False, stale=stale, foreign=foreign)


@pytest.mark.parametrize(
    ("typed", "msgid"),
    [
        ("bientôt", "I could not read that date. Please type the day and the time, for example {example}."),
        ("", "I could not read that date. Please type the day and the time, for example {example}."),
        ("🌱", "I could not read that date. Please type the day and the time, for example {example}."),
        ("demain", "Please give the time too, for example {example}."),
        ("31/02/2027 18h", "That day does not exist in the calendar: please check it."),
        ("24/11/2026 18:00", "That date is already past: please give a future date."),
        ("25/11/2026 9h", "That date is already past: please give a future date."),
        ("12/12/2035 10h", "That is more than three years away: please check the year."),
    ],
)
async def test_unreadable_or_past_dates_are_explained_with_an_example(
    coord: Person, market: Circle, typed: str, msgid: str
) -> None:
    await coord.command("nouvellemission")
    await coord.send("Stand")
    await coord.pick("skip")
    asked = question(coord)
    await coord.send(typed)
    assert said(coord, msgid, example="02/12/2026 18:30") in coord.text
    assert question(coord).text == asked.text
    assert await dialog_state(coord) == ("new_mission", "when")


@pytest.mark.parametrize("typed", ["0", "501", "-3", "dix", "", "2.5", "99999999999"])
async def test_places_must_be_a_number_from_1_to_500(coord: Person, market: Circle, typed: str) -> None:
    await coord.command("nouvellemission")
    await coord.send("Stand")
    await coord.pick("skip")
    await coord.send("demain 18h")
    await coord.pick("skip")
    await coord.pick("skip")
    await coord.send(typed)
    assert (
        said(coord, "Please type the number of places as a number from 1 to {max}, like 10.", max=500)
        in coord.text
    )
    assert await dialog_state(coord) == ("new_mission", "places")
    await coord.send("500 places")
    assert await dialog_state(coord) == ("new_mission", "confirm")


async def test_the_recap_can_change_each_answer_or_cancel(
    coord: Person, market: Circle, db: Database
) -> None:
    await create(coord)
    await bad_inputs(coord, typed=False)
    await coord.pick("edit_when")
    assert await dialog_state(coord) == ("new_mission", "when")
    await coord.send("tomorrow 6pm")
    assert await dialog_state(coord) == ("new_mission", "confirm")  # straight back to the recap
    await coord.pick("edit_title")
    await coord.send("Stand du dimanche")
    await coord.pick("edit_places")
    await coord.send("7")
    await coord.pick("edit_description")
    await coord.pick("skip")
    assert (
        "Stand du dimanche" in coord.text
        and when(coord, datetime(2026, 11, 26, 17, 0, tzinfo=UTC)) in coord.text
    )
    await coord.pick("cancel")
    assert said(coord, "Cancelled. Nothing more was recorded.") in coord.text
    assert await missions_of(db, market) == []


async def test_a_date_that_passed_while_the_recap_waited_is_asked_again(
    coord: Person, market: Circle, clock: FixedClock, db: Database
) -> None:
    await create(coord, at="demain 18h")
    clock.advance(days=2)
    await coord.pick("send")
    assert said(coord, "That date is already past: please give a future date.") in coord.text
    assert await dialog_state(coord) == ("new_mission", "when")
    await coord.send("12/12 18:30")
    await coord.pick("send")
    [made] = await missions_of(db, market)
    assert made.starts_at == SOON


async def test_a_restart_in_the_middle_loses_nothing(coord: Person, market: Circle, alice: Person) -> None:
    await coord.command("nouvellemission")
    await coord.send("Stand")
    await coord.pick("skip")
    engine = await reopen(coord.engine)
    try:
        again = Person(engine, "coord")
        await again.send("12/12/2026 18:30")
        await again.pick("skip")
        await again.pick("skip")
        await again.send("2")
        await again.pick("send")
        assert said(again, "The mission is created.") in again.text
        async with UnitOfWork(engine.db) as uow:
            [made] = await uow.missions.of_circle(market.id)
            assert made.title == "Stand" and made.starts_at == SOON
            assert [r.kind for r in await uow.outbox.for_recipient("terminal", "alice")] == ["mission_new"]
    finally:
        await engine.db.close()


# Taking places ----------------------------------------------------------------------------------


async def test_a_member_takes_a_place_and_gives_it_up_from_the_card(
    alice: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market)
    await alice.command("missions")
    assert await dialog_state(alice) == ("missions", "list")
    assert "Stand du samedi" in alice.text and when(alice, SOON) in alice.text
    assert "g.cmd.new_mission" not in alice.values  # not a coordinator
    await alice.pick(f"m{made.id}")
    assert await dialog_state(alice) == ("missions", "card")
    assert alice.values == [
        f"g.take.{made.id}",
        f"g.rpm.{made.id}",
        "back",
    ]  # no "who is coming" for a member

    await alice.pick(f"g.take.{made.id}")
    assert said(alice, "You have a place on this mission. Thank you!") in alice.text
    assert await takers(db, made.id) == [await person_id(alice)]
    # The card again, up to date: give up instead of take, one place left.
    assert await dialog_state(alice) == ("missions", "card")
    assert alice.values == [f"g.drop.{made.id}", f"g.rpm.{made.id}", "back"]
    assert said(alice, "You have a place on this mission.") in question(alice).text

    await alice.pick(f"g.drop.{made.id}")
    assert said(alice, "You gave up your place on “{title}”.", title="Stand du samedi") in alice.text
    assert await takers(db, made.id) == []
    assert alice.values == [f"g.take.{made.id}", f"g.rpm.{made.id}", "back"]
    await alice.pick("back")
    assert await dialog_state(alice) == ("missions", "list")


async def test_a_full_mission_refuses_the_next_taker(
    alice: Person, bob: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market, places=1)
    await alice.choose(f"g.take.{made.id}")
    await bob.command("missions")
    assert (
        said(bob, "There is no open mission in your circles right now. You will hear of the next ones.")
        in bob.text
    )
    [row] = await outbox(bob, "mission_new")
    [note] = bob.engine.render(row)
    assert isinstance(note, Reply)
    await bob.choose(note.options[0].token)
    assert said(bob, "“{mission}” is full: every place is taken.", mission="Stand du samedi") in bob.text
    assert await takers(db, made.id) == [await person_id(alice)]
    # Alice still sees it, since she has a place; the coordinator too.
    await alice.command("missions")
    assert f"m{made.id}" in alice.values
    await coord.command("missions")
    await coord.pick(f"m{made.id}")
    assert said(coord, "Every place is taken.") in coord.text
    # A coordinator's card: who comes, write to them, change or cancel the mission (10.7).
    assert coord.values == ["who", "write", "edit", "cancel", "back"]


async def test_the_coordinator_sees_who_is_coming_and_can_create_another(
    alice: Person, bob: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market, title="<i>Affiches</i>")
    await coord.command("missions")
    assert "g.cmd.new_mission" in coord.values
    await coord.pick(f"m{made.id}")
    await coord.pick("who")
    assert said(coord, "Nobody has taken a place on “{title}” yet.", title="<i>Affiches</i>") in coord.text
    assert "&lt;i&gt;Affiches" in coord.markup
    await alice.choose(f"g.take.{made.id}")
    await bob.choose(f"g.take.{made.id}")
    await coord.pick("who")
    assert "Alice" in coord.text and "Bob" in coord.text
    assert await dialog_state(coord) == ("missions", "card")
    await coord.pick("back")
    await coord.pick("g.cmd.new_mission")
    assert await dialog_state(coord) == ("new_mission", "title")


async def test_someone_in_no_circle_is_pointed_to_the_circles(engine: Engine, market: Circle) -> None:
    zoe = await onboard(Person(engine, "zoe"), "Zoé")
    await zoe.command("missions")
    assert said(zoe, "You are not in any circle yet: join one to receive its missions.") in zoe.text
    assert zoe.values == ["g.cmd.circles"]
    assert await dialog_state(zoe) is None


async def test_a_non_member_cannot_take_a_place(
    engine: Engine, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market)
    zoe = await onboard(Person(engine, "zoe"), "Zoé")
    await zoe.choose(f"g.take.{made.id}")
    assert said(zoe, "Sorry, your role does not allow that.") in zoe.text
    assert await takers(db, made.id) == []


async def test_missions_started_or_cancelled_are_not_listed(
    alice: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market)
    await alice.command("missions")
    await alice.pick(f"m{made.id}")
    clock.at = SOON + timedelta(minutes=1)
    await alice.pick("back")
    assert await dialog_state(alice) is None
    assert (
        said(alice, "There is no open mission in your circles right now. You will hear of the next ones.")
        in alice.text
    )


async def test_bad_inputs_in_the_missions_list_and_card(
    alice: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market)
    await alice.command("actif")
    foreign = alice.option_for("skill").token
    await alice.command("missions")
    stale = alice.option_for(f"m{made.id}").token
    await bad_inputs(alice, typed=False, foreign=foreign)
    await alice.send("1")
    assert await dialog_state(alice) == ("missions", "card")
    await bad_inputs(alice, typed=False, stale=stale, foreign=foreign)


async def test_i_m_in_from_a_notification_in_the_middle_of_another_flow(
    alice: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    made = await mission(db, clock, coord, market)
    await alice.command("actif")
    asked = question(alice)
    await alice.choose(f"g.take.{made.id}")
    assert said(alice, "You have a place on this mission. Thank you!") in alice.text
    assert question(alice).text == asked.text  # then the question she was at, again
    assert await dialog_state(alice) == ("offer", "kind")


async def test_many_missions_come_a_page_at_a_time(
    alice: Person, coord: Person, market: Circle, db: Database, clock: FixedClock
) -> None:
    for i in range(8):
        await mission(db, clock, coord, market, title=f"Mission {i}")
    await alice.command("missions")
    assert len([v for v in alice.values if v.startswith("m")]) == 6 and "next" in alice.values
    await alice.pick("next")
    assert len([v for v in alice.values if v.startswith("m")]) == 2 and "prev" in alice.values


async def test_a_mission_card_can_be_reported_and_a_hidden_one_leaves_the_members_list(
    db: Database, clock: FixedClock, coord: Person, alice: Person, bob: Person, market: Circle
) -> None:
    made = await mission(db, clock, coord, market, title="Vente de montres")
    await alice.command("missions")
    await alice.pick(f"m{made.id}")
    assert "Signaler" in [o.label for o in alice.options]
    await coord.command("missions")
    await coord.pick(f"m{made.id}")
    assert "Signaler" not in [o.label for o in coord.options]  # one's own mission
    async with UnitOfWork(db) as uow:
        await moderation.hide(uow, None, "mission", made.id, clock.now())
    await bob.command("missions")
    assert "Vente de montres" not in bob.text
    await bob.choose(f"g.take.{made.id}")
    assert await takers(db, made.id) == []
    await coord.command("missions")
    assert "Vente de montres" in coord.text  # its author still sees it
