"""Events through Telegram (the real ptb against the fake Bot API): « I'm coming » from the agenda,
the .ics document that parses in a calendar library, the reminder that arrives from the
scheduler, a full event's waiting list and its promotion told to the person."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import icalendar
import pytest

from bots.app import start_scheduler
from lte_core.services import events
from tests.support.fake_telegram import FakeTelegram

from .harness import Bot, Resident

pytestmark = pytest.mark.e2e


@pytest.fixture
async def bot(tg: FakeTelegram, tmp_path: Path) -> AsyncIterator[Bot]:
    harness = Bot(tg, tmp_path / "lte.sqlite3")
    yield harness
    await harness.close()
    assert harness.html_errors() == []


def short_reminders(bot: Bot, seconds: int) -> None:
    """LTE_REMINDERS=<seconds>s, no quiet hours, for the engine and the scheduler alike."""
    assert bot.app is not None
    settings = replace(bot.app.settings, reminders=(timedelta(seconds=seconds),), quiet_hours=None)
    bot.app.settings = settings
    bot.app.engine.settings = settings


async def wait_for(resident: Resident, words: str, timeout: float = 10.0) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        for m in resident.messages:
            if words in m.text:
                return m.text
        await asyncio.sleep(0.1)
    raise AssertionError(f"no message with {words!r}: {[m.text for m in resident.messages]}")


async def test_register_get_the_ics_document_and_the_reminder(bot: Bot, tg: FakeTelegram) -> None:
    await bot.open()
    short_reminders(bot, 3)
    assert bot.app is not None
    now = bot.app.clock.now()
    async with bot.uow() as uow:
        event = await events.create_event(
            uow,
            None,
            "Atelier <compost>",
            now + timedelta(seconds=6),
            now=now,
            capacity=2,
            place="Jardin & co",
        )
    scheduler = await start_scheduler(bot.app)
    try:
        alice = Resident(bot, 3001)
        await alice.onboard()
        await alice.say("/events")
        await alice.press("Atelier")
        assert "2 places left" in alice.last
        await alice.press("I'm coming")
        assert "You are registered" in alice.last
        await alice.press("Add to my calendar")
        document = next(m for m in reversed(alice.messages) if m.kind == "document")
        assert document.kind == "document" and document.file is not None and document.file.data
        assert (document.file.filename or "").endswith(".ics")
        calendar = icalendar.Calendar.from_ical(document.file.data)
        (vevent,) = calendar.walk("VEVENT")
        assert str(vevent["SUMMARY"]) == "Atelier <compost>"
        assert vevent["DTSTART"].dt == event.starts_at
        assert str(vevent["DTSTART"].params["TZID"]) == "Europe/Paris"
        text = await wait_for(alice, "Reminder")
        assert "Atelier <compost>" in text
        await asyncio.sleep(0.5)
        assert sum("Reminder" in m.text for m in alice.messages) == 1
    finally:
        await scheduler.stop()


async def test_the_third_waits_and_is_promoted_when_someone_cancels(bot: Bot, tg: FakeTelegram) -> None:
    await bot.open()
    assert bot.app is not None
    now = bot.app.clock.now()
    async with bot.uow() as uow:
        await events.create_event(uow, None, "Conférence pivot", now + timedelta(days=3), now=now, capacity=2)
    people = [Resident(bot, uid, name=name) for uid, name in ((3101, "Ana"), (3102, "Ben"), (3103, "Cyd"))]
    for person in people:
        await person.onboard()
        await person.say("/agenda")
        await person.press("Conférence")
        await person.press("I'm coming") if person is not people[2] else await person.press("waiting list")
    assert "waiting list, number 1" in people[2].last
    await people[0].press("I'm not coming any more")
    text = await wait_for(people[2], "a place came free")
    assert "Conférence pivot" in text
    await people[2].press("Add to my calendar")
    assert any(m.kind == "document" for m in people[2].messages[-2:])
