"""Events on Matrix, end to end against the real Synapse: a resident registers by typing the
numbered choices, and the scheduler's reminder arrives in their direct room, once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from bots.app import start_scheduler
from lte_core.services import events, people
from lte_core.store import UnitOfWork
from tests.support.synapse import Synapse

from .residents import Bot, Resident

pytestmark = pytest.mark.e2e


async def test_a_reminder_reaches_the_direct_room(synapse: Synapse, bot: Bot) -> None:
    assert bot.runtime is not None
    runtime = bot.runtime
    settings = replace(runtime.settings, reminders=(timedelta(seconds=4),), quiet_hours=None)
    runtime.settings = settings
    runtime.engine.settings = settings
    person = await Resident(synapse, bot.user_id).start()
    scheduler = None
    try:
        now = runtime.clock.now()
        async with UnitOfWork(runtime.db) as uow:
            who = await people.identify(uow, "matrix", person.user_id, now=now)
            await people.give_consent(uow, who.person.id, now)
            await people.finish_onboarding(uow, who.person.id, now)
            await people.update_profile(uow, who.person.id, locale="en")
            await events.create_event(
                uow,
                None,
                "Réunion d'ouverture",
                now + timedelta(seconds=25),
                now=now,
                place="Salle des fêtes",
            )
        await person.open_dm()
        await person.wait_joined()
        scheduler = await start_scheduler(runtime)
        await person.ask("!events", "Coming events")
        await person.choose("Réunion", "Salle des fêtes")
        await person.choose("I'm coming", "You are registered")
        await person.expect("Reminder: Réunion d'ouverture starts", within=40)
        await asyncio.sleep(1)
        assert sum("Reminder:" in b for b in person.bodies()) == 1
    finally:
        if scheduler is not None:
            await scheduler.stop()
        await person.close()
