"""Events on a real SQLite file: the waiting list, reminders queued exactly once, a restart across
the due time (late, or missed once started), moved and cancelled events, programme loads, the
scheduler waking at the due row."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bots.scheduler import JOB_DEFAULTS, Scheduler
from lte_core.clock import FixedClock, SystemClock
from lte_core.config import Settings
from lte_core.ics import event_ics, parse_csv, parse_ics
from lte_core.services import events, people, reminders
from lte_core.store import Database, UnitOfWork

TZ = ZoneInfo("Europe/Paris")
TWO_MIN = Settings(reminders=(timedelta(minutes=2),), quiet_hours=None)


async def resident(uow: UnitOfWork, name: str, clock: FixedClock | SystemClock) -> int:
    who = await people.identify(uow, "terminal", name, now=clock.now(), locale_hint="fr")
    await people.update_profile(uow, who.person.id, first_name=name.capitalize())
    await people.give_consent(uow, who.person.id, clock.now())
    return who.person.id


async def rows(db: Database, kind: str) -> list[tuple[str, str]]:
    async with db.conn.execute(
        "SELECT external_id, params FROM outbox WHERE kind = ? ORDER BY id", (kind,)
    ) as cur:
        return [(r[0], r[1]) for r in await cur.fetchall()]


async def reminder_statuses(db: Database) -> list[str]:
    async with db.conn.execute("SELECT status FROM reminders ORDER BY id") as cur:
        return [r[0] for r in await cur.fetchall()]


async def setup_event(
    db: Database, clock: FixedClock, *, capacity: int | None = 2, starts_in: timedelta
) -> tuple[int, list[int]]:
    async with UnitOfWork(db) as uow:
        ids = [await resident(uow, n, clock) for n in ("ada", "bob", "cyd")]
        event = await events.create_event(
            uow,
            None,
            "Atelier compost",
            clock.now() + starts_in,
            now=clock.now(),
            capacity=capacity,
            place="Jardin",
        )
    return event.id, ids


async def test_two_places_three_people_the_third_waits_and_is_promoted_and_told(
    db: Database, clock: FixedClock
) -> None:
    event_id, (ada, bob, cyd) = await setup_event(db, clock, starts_in=timedelta(days=2))
    offsets = TWO_MIN.reminders
    async with UnitOfWork(db) as uow:
        assert (
            await events.register(uow, ada, event_id, now=clock.now(), offsets=offsets)
        ).status == "registered"
        assert (
            await events.register(uow, bob, event_id, now=clock.now(), offsets=offsets)
        ).status == "registered"
        third = await events.register(uow, cyd, event_id, now=clock.now(), offsets=offsets)
        assert (third.status, third.position) == ("waiting", 1)
        again = await events.register(uow, cyd, event_id, now=clock.now(), offsets=offsets)
        assert not again.changed and again.status == "waiting"
    async with UnitOfWork(db) as uow:
        _standing, promoted = await events.unregister(uow, ada, event_id, now=clock.now(), offsets=offsets)
    assert promoted == [cyd]
    assert [r[0] for r in await rows(db, "event_promoted")] == ["cyd"]
    async with UnitOfWork(db, read_only=True) as uow:
        event = await events.get_event(uow, event_id)
        assert (event.registered, event.waiting) == (2, 0)
        exported = [r async for r in events.iter_events(uow, TZ)]
    assert exported[0]["registered"] == 2 and exported[0]["waiting"] == 0
    # Ada's reminder was cancelled, Cyd got one.
    async with db.conn.execute("SELECT person_id, status FROM reminders ORDER BY person_id") as cur:
        assert {tuple(r) for r in await cur.fetchall()} == {
            (ada, "cancelled"),
            (bob, "pending"),
            (cyd, "pending"),
        }


async def test_each_registered_person_gets_exactly_one_reminder_two_minutes_before(
    db: Database, clock: FixedClock
) -> None:
    event_id, (ada, bob, _cyd) = await setup_event(db, clock, starts_in=timedelta(minutes=10))
    async with UnitOfWork(db) as uow:
        for p in (ada, bob):
            await events.register(uow, p, event_id, now=clock.now(), offsets=TWO_MIN.reminders)
    work = reminders.ReminderWork(TWO_MIN, clock)
    assert await work.next_due(db) == clock.now() + timedelta(minutes=8)
    clock.advance(minutes=7, seconds=59)
    assert await work.run_due(db, clock.now()) == 0
    clock.advance(seconds=1)
    assert await work.run_due(db, clock.now()) == 2
    assert await work.run_due(db, clock.now()) == 0  # run again: nothing twice
    sent = await rows(db, "event_reminder")
    assert sorted(r[0] for r in sent) == ["ada", "bob"]
    assert json.loads(sent[0][1])["late"] is False
    assert await reminder_statuses(db) == ["sent", "sent"]


async def test_a_restart_across_the_due_time_sends_late_and_an_event_started_meanwhile_sends_nothing(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "lte.sqlite3"
    db = await Database(path).open()
    soon, _ = await setup_event(db, clock, starts_in=timedelta(minutes=10))
    async with UnitOfWork(db) as uow:
        early = await events.create_event(
            uow, None, "Réunion", clock.now() + timedelta(minutes=5), now=clock.now()
        )
        ada = (await uow.people.whois("terminal", "ada"))[1].id  # type: ignore[index]
        for e in (soon, early.id):
            await events.register(uow, ada, e, now=clock.now(), offsets=TWO_MIN.reminders)
    await db.close()  # the bot stops; both reminders fall due while it is down
    # Back 9 min 30 s later: "soon" (at +10 min) was due at +8 min and has not started; "early"
    # (at +5 min) has.
    clock.advance(minutes=9, seconds=30)
    db = await Database(path).open()
    try:
        work = reminders.ReminderWork(TWO_MIN, clock)
        assert await work.next_due(db) is not None
        assert await work.run_due(db, clock.now()) == 2
        sent = await rows(db, "event_reminder")
        assert len(sent) == 1 and json.loads(sent[0][1])["event_id"] == soon
        async with db.conn.execute("SELECT event_id, status FROM reminders ORDER BY event_id") as cur:
            assert {tuple(r) for r in await cur.fetchall()} == {(soon, "late"), (early.id, "missed")}
        assert await work.run_due(db, clock.now()) == 0
    finally:
        await db.close()


async def test_moving_an_event_moves_its_reminders_and_cancelling_it_tells_and_cancels(
    db: Database, clock: FixedClock
) -> None:
    event_id, (ada, bob, _cyd) = await setup_event(db, clock, starts_in=timedelta(hours=3))
    async with UnitOfWork(db) as uow:
        for p in (ada, bob):
            await events.register(uow, p, event_id, now=clock.now(), offsets=TWO_MIN.reminders)
        event = await events.get_event(uow, event_id)
        later = replace(event, starts_at=event.starts_at + timedelta(days=1))
        await events.change_event(uow, None, event, later, now=clock.now(), offsets=TWO_MIN.reminders)
    work = reminders.ReminderWork(TWO_MIN, clock)
    assert await work.next_due(db) == event.starts_at + timedelta(days=1) - timedelta(minutes=2)
    assert sorted(r[0] for r in await rows(db, "event_changed")) == ["ada", "bob"]
    async with UnitOfWork(db) as uow:
        _e, told = await events.cancel_event(uow, None, event_id, now=clock.now())
    assert told == 2
    assert await reminder_statuses(db) == ["cancelled", "cancelled"]
    clock.advance(days=2)
    assert await work.run_due(db, clock.now()) == 0
    assert await rows(db, "event_reminder") == []


async def test_loading_the_same_programme_again_updates_instead_of_duplicating(
    db: Database, clock: FixedClock
) -> None:
    csv_text = (
        "title,starts,ends,place,kind,capacity,description\n"
        "Atelier compost,2027-03-16 14:00,2027-03-16 16:00,Jardin,,2,\n"
        "Conférence pivot,2027-03-19T18:30,,Mairie,conference,,\n"
    )
    async with UnitOfWork(db) as uow:
        first = await events.load_programme(
            uow, "La semaine", parse_csv(csv_text, TZ), now=clock.now(), offsets=()
        )
    assert first.added == 2
    moved = csv_text.replace("2027-03-19T18:30", "2027-03-20T18:30")
    async with UnitOfWork(db) as uow:
        second = await events.load_programme(
            uow, "la semaine", parse_csv(moved, TZ), now=clock.now(), offsets=()
        )
        found = await events.programme_events(uow, "La semaine")
    assert (second.added, second.updated, second.unchanged) == (0, 1, 1)
    assert found is not None and len(found[2]) == 2
    assert found[2][1].starts_at == datetime(2027, 3, 20, 17, 30, tzinfo=UTC)
    # An .ics of one event parses back with its zone.
    data = event_ics(found[2][0], TZ)
    back = parse_ics(data, TZ)
    assert back[0].starts_at == found[2][0].starts_at and b"TZID=Europe/Paris" in data


async def test_the_scheduler_wakes_at_the_due_row_and_queues_the_reminder(tmp_path: Path) -> None:
    clock = SystemClock()
    db = await Database(tmp_path / "lte.sqlite3").open()
    queued = asyncio.Event()
    try:
        offsets = (timedelta(seconds=2),)
        settings = Settings(reminders=offsets, quiet_hours=None)
        async with UnitOfWork(db) as uow:
            ada = await resident(uow, "ada", clock)
            event = await events.create_event(
                uow, None, "Réunion", clock.now() + timedelta(seconds=3), now=clock.now()
            )
            await events.register(uow, ada, event.id, now=clock.now(), offsets=offsets)
        scheduler = Scheduler(db, reminders.work(settings, clock), clock=clock, on_queued=queued.set)
        await scheduler.start()
        assert scheduler.aps.get_job("lte-due") is not None
        assert JOB_DEFAULTS["misfire_grace_time"] is None
        await asyncio.wait_for(queued.wait(), 5)
        assert len(await rows(db, "event_reminder")) == 1
        await scheduler.stop()
    finally:
        await db.close()


async def test_those_who_took_a_place_on_a_mission_are_reminded_and_not_after_giving_it_up(
    db: Database, clock: FixedClock
) -> None:
    from lte_core.domain import CircleKind
    from lte_core.services import circles

    async with UnitOfWork(db) as uow:
        ada, bob = await resident(uow, "ada", clock), await resident(uow, "bob", clock)
        circle = await circles.create_circle(uow, None, CircleKind.MISSION, "Marché", "", now=clock.now())
        await circles.appoint_coordinator(uow, None, circle.id, ada, clock.now())
        await circles.join_circle(uow, bob, circle.id, clock.now())
        mission, _ = await circles.create_mission(
            uow, ada, circle.id, "Tenir le stand", "", clock.now() + timedelta(hours=1), 3, now=clock.now()
        )
        await circles.take_place(uow, bob, mission.id, clock.now())
        await circles.take_place(uow, ada, mission.id, clock.now())
    work = reminders.ReminderWork(TWO_MIN, clock)
    assert await work.next_due(db) == mission.starts_at - timedelta(minutes=2)
    async with UnitOfWork(db) as uow:
        await circles.leave_place(uow, ada, mission.id, clock.now())
    clock.advance(minutes=58)
    assert await work.run_due(db, clock.now()) == 1  # Ada's was cancelled when she gave up her place
    sent = await rows(db, "mission_reminder")
    assert [r[0] for r in sent] == ["bob"]
    assert sorted(await reminder_statuses(db)) == ["cancelled", "sent"]


async def test_quiet_hours_hold_a_reminder_unless_its_event_starts_inside_them(db: Database) -> None:
    clock = FixedClock(datetime(2027, 3, 16, 21, 0, tzinfo=UTC))  # 22 h in Paris
    settings = Settings(reminders=(timedelta(hours=1),))  # quiet 21:00-08:00 (the default)
    async with UnitOfWork(db) as uow:
        ada = await resident(uow, "ada", clock)
        late_evening = await events.create_event(
            uow, None, "Veillée", clock.now() + timedelta(hours=1, minutes=30), now=clock.now()
        )
        morning = await events.create_event(
            uow, None, "Marché", clock.now() + timedelta(hours=9, minutes=30), now=clock.now()
        )
        for e in (late_evening, morning):
            await events.register(uow, ada, e.id, now=clock.now(), offsets=settings.reminders)
    work = reminders.ReminderWork(settings, clock)
    clock.advance(minutes=30)  # 22 h 30: the Veillée's reminder (23 h 30 event)
    await work.run_due(db, clock.now())
    clock.advance(hours=8)  # 6 h 30 in Paris: the Marché starts at 7 h 30, inside the quiet hours: not held
    await work.run_due(db, clock.now())
    async with db.conn.execute("SELECT params, not_before, created_at FROM outbox ORDER BY id") as cur:
        queued = [(json.loads(r[0])["title"], r[1], r[2]) for r in await cur.fetchall()]
    assert [(t, nb == at) for t, nb, at in queued] == [("Veillée", True), ("Marché", True)]
    # An event after the quiet hours: its reminder due inside them waits for 8 h.
    clock2 = FixedClock(datetime(2027, 3, 17, 5, 0, tzinfo=UTC))  # 6 h in Paris
    async with UnitOfWork(db) as uow:
        fair = await events.create_event(
            uow, None, "Foire", clock2.now() + timedelta(hours=4), now=clock2.now()
        )
        await events.register(uow, ada, fair.id, now=clock2.now(), offsets=(timedelta(hours=3, minutes=30),))
    work = reminders.ReminderWork(Settings(reminders=(timedelta(hours=3, minutes=30),)), clock2)
    clock2.advance(minutes=30)  # due at 6 h 30 Paris, inside the quiet hours; the Foire is at 10 h
    await work.run_due(db, clock2.now())
    async with db.conn.execute("SELECT not_before FROM outbox WHERE params LIKE '%Foire%'") as cur:
        (held,) = await cur.fetchone()  # type: ignore[misc]
    assert held == "2027-03-17T07:00:00+00:00"  # 8 h in Paris
