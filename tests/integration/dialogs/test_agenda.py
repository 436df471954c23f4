"""Events through the engine on a real SQLite file: the noyau creates and announces one, residents
register (« Je viens ») until it is full, the waiting list is promoted, the organiser sees who
comes and checks people in, a QR scan checks in, the programme's digest, the milestones; bad
input is answered and loses nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from dialogs.choices import CheckinAction, EventAction
from dialogs.contract import FileReply
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.domain.events import EventKind
from lte_core.services import events, reminders
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, onboard, person_id


@pytest.fixture
async def camille(engine: Engine) -> Person:
    return await onboard(Person(engine, "camille"), "Camille")  # noyau (LTE_ADMINS)


async def outbox(db: Database, kind: str) -> list[tuple[str, dict[str, object]]]:
    async with db.conn.execute(
        "SELECT external_id, params FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    ) as cur:
        return [(r[0], json.loads(r[1])) for r in await cur.fetchall()]


async def an_event(
    db: Database, clock: FixedClock, capacity: int | None = 2, title: str = "Atelier compost"
) -> int:
    async with UnitOfWork(db) as uow:
        event = await events.create_event(
            uow,
            None,
            title,
            clock.now() + timedelta(days=2),
            now=clock.now(),
            capacity=capacity,
            place="Jardin",
            kind=EventKind.WORKSHOP,
            programme="La semaine",
        )
    return event.id


async def test_the_noyau_creates_an_event_in_a_short_flow_and_announces_it(
    db: Database, clock: FixedClock, camille: Person, alice: Person, bob: Person
) -> None:
    await camille.command("nouvelevenement")
    await camille.pick("all")
    await camille.send("Visionnage <b>et</b> discussion")
    await camille.pick("screening")
    await camille.send("01/01/2026 18h")
    assert "déjà passée" in camille.text
    await camille.send("demain 18h30")
    await camille.send("Cinéma Le Rex")
    await camille.send("beaucoup")
    assert "nombre" in camille.text  # asked again
    await camille.send("30 places")
    assert "Visionnage &lt;b&gt;et&lt;/b&gt; discussion" in camille.markup
    await camille.pick("send")
    assert "L'événement est créé" in camille.text
    await camille.pick("announce")
    assert "2 personnes" in camille.text
    work = reminders.AnnouncementWork(engine_settings(camille), clock)
    assert await work.run_due(db, clock.now()) == 1
    told = await outbox(db, "event_new")
    assert sorted(r[0] for r in told) == ["alice", "bob"]


def engine_settings(person: Person):  # type: ignore[no-untyped-def]
    return person.engine.settings


async def test_two_places_three_people_the_waiting_list_and_the_promotion(
    db: Database, clock: FixedClock, camille: Person, alice: Person, bob: Person, engine: Engine
) -> None:
    event_id = await an_event(db, clock)
    cyd = await onboard(Person(engine, "cyd"), "Cyd")
    for person in (alice, bob):
        await person.command("agenda")
        await person.pick(f"e{event_id}")
        assert "2 places restantes" in person.text or "1 place restante" in person.text
        await person.press("Je viens")
        assert "Vous êtes inscrit" in person.text
    await cyd.command("agenda", f"E-{event_id}")
    assert "liste d'attente est ouverte" in cyd.text
    await cyd.press("liste d'attente")
    assert "position 1" in cyd.text
    # The .ics of a registration.
    await alice.choose(EventAction.ics(event_id).pack())
    files = [r for r in alice.last if isinstance(r, FileReply)]
    assert files and files[0].mime == "text/calendar" and b"BEGIN:VEVENT" in files[0].data
    # Alice cancels from a reminder's button: Cyd is promoted and told.
    await alice.choose(EventAction.leave(event_id).pack())
    assert "n'êtes plus sur la liste" in alice.text
    assert [r[0] for r in await outbox(db, "event_promoted")] == ["cyd"]
    # The organiser sees who comes, and marks Bob present.
    await camille.command("agenda", f"E-{event_id}")
    await camille.pick("who")
    assert "Bob" in camille.text and "Cyd" in camille.text and "Alice" not in camille.text
    await camille.pick(f"p{await person_id(bob)}")
    assert "1 notée présente" in camille.text or "1 notées présentes" in camille.text
    # Cyd scans the check-in QR code the day of the event.
    async with UnitOfWork(db, read_only=True) as uow:
        code = (await events.get_event(uow, event_id)).checkin_code
    clock.advance(days=2)
    await cyd.command("start", CheckinAction("checkin", code).deep_link(code))
    assert "noté présent" in cyd.text
    async with UnitOfWork(db, read_only=True) as uow:
        exported = [r async for r in events.iter_events(uow, engine.settings.tz)]
    assert (exported[0]["registered"], exported[0]["waiting"], exported[0]["attended"]) == (2, 0, 2)


async def test_a_forged_or_stale_button_is_answered_politely(
    db: Database, clock: FixedClock, alice: Person, camille: Person
) -> None:
    await alice.choose(EventAction.come(987654).pack())
    assert "introuvable" in alice.text.lower()
    await alice.command("start", "checkin_123456789")
    assert "pas (ou plus) valable" in alice.text
    event_id = await an_event(db, clock)
    await alice.choose(EventAction.leave(event_id).pack())
    assert "n'étiez pas sur la liste" in alice.text
    await alice.command("agenda", f"E-{event_id}")
    assert "Atelier compost" in alice.text and "Qui vient" not in alice.text  # no organiser's button


async def test_the_programme_day_by_day_and_its_morning_digest(
    db: Database, clock: FixedClock, alice: Person, engine: Engine
) -> None:
    clock.at = datetime(2027, 3, 14, 12, 0, tzinfo=UTC)
    async with UnitOfWork(db) as uow:
        for day, title in ((15, "Réunion d'ouverture"), (16, "Atelier compost"), (16, "Visionnage")):
            await events.create_event(
                uow,
                None,
                title,
                datetime(2027, 3, day, 17, 0, tzinfo=UTC),
                now=clock.now(),
                programme="La semaine",
            )
    await alice.command("semaine")
    assert "Réunion d'ouverture" in alice.text and "Jour 1 sur 2" in alice.text
    await alice.pick("next")
    assert "Atelier compost" in alice.text and "Visionnage" in alice.text
    await alice.press("chaque matin")
    work = reminders.DigestWork(engine.settings, clock)
    due = await work.next_due(db)
    assert due == datetime(2027, 3, 15, 7, 0, tzinfo=UTC)  # 8 h in Paris
    clock.at = due
    assert await work.run_due(db, clock.now()) == 1
    ((who, params),) = await outbox(db, "programme_digest")
    assert who == "alice" and [e["title"] for e in params["events"]] == ["Réunion d'ouverture"]  # type: ignore[index]


async def test_the_noyau_ticks_off_a_milestone_and_residents_read_them(
    db: Database, clock: FixedClock, camille: Person, alice: Person
) -> None:
    async with UnitOfWork(db) as uow:
        first = await events.add_milestone(uow, None, "Ouvrir le tableau de pilotage", date(2027, 1, 15))
        await events.add_milestone(uow, None, "Une semaine pour activer un nouveau monde", date(2027, 3, 15))
    await camille.command("jalons")
    assert "0 sur 2 points de passage franchis" in camille.text
    await camille.pick(f"m{first}")
    assert "1 sur 2 points de passage franchis" in camille.text
    await alice.command("milestones")
    assert "Ouvrir le tableau" in alice.text and alice.values == ["g.cmd.menu"]  # nothing to tick


async def test_the_deep_link_event_n_opens_the_card_even_before_onboarding(
    db: Database, clock: FixedClock, engine: Engine
) -> None:
    event_id = await an_event(db, clock, title="Conférence <pivot>")
    newcomer = Person(engine, "newcomer")
    await newcomer.command("start", EventAction.deep_link(event_id))
    assert "Conférence" not in newcomer.text  # the onboarding comes first
    await onboard(newcomer, "Nina")
    assert "Conférence &lt;pivot&gt;" in newcomer.markup and "Je viens" in [o.label for o in newcomer.options]
