"""The assembly's votes on Matrix, the real matrix-nio against the real Synapse: `!votes V-1`
starts an MSC3381 poll, the resident's `org.matrix.msc3381.poll.response` from the timeline is a
ballot; a majority-judgment ballot is answered with the numbered text fallback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from nio import RoomSendResponse

from bots.matrix.render import POLL_START
from lte_core.domain.polls import PollMethod
from lte_core.services import people, polls
from lte_core.store import UnitOfWork
from tests.support.synapse import Synapse

from .residents import Bot, Resident, eventually

pytestmark = pytest.mark.e2e


@pytest.fixture
async def resident(synapse: Synapse, bot: Bot) -> AsyncIterator[Resident]:
    person = await Resident(synapse, bot.user_id).start()
    try:
        assert bot.runtime is not None
        async with UnitOfWork(bot.runtime.db) as uow:
            now = bot.runtime.clock.now()
            who = await people.identify(uow, "matrix", person.user_id, now=now)
            await people.give_consent(uow, who.person.id, now)
            await people.finish_onboarding(uow, who.person.id, now)
            await people.update_profile(uow, who.person.id, locale="en")
        await person.open_dm()
        await person.wait_joined()
        yield person
    finally:
        await person.close()


async def new_poll(bot: Bot, method: PollMethod) -> int:
    assert bot.runtime is not None
    now = bot.runtime.clock.now()
    async with UnitOfWork(bot.runtime.db) as uow:
        poll = await polls.create_poll(
            uow,
            None,
            "Which evening?",
            ["Monday", "Tuesday", "Thursday"],
            now=now,
            closes_at=now + timedelta(days=2),
            method=method,
        )
    return poll.id


async def ballots(bot: Bot) -> list[tuple[Any, ...]]:
    assert bot.runtime is not None
    rows = await bot.runtime.db.conn.execute_fetchall("SELECT poll_id, choice FROM ballots ORDER BY poll_id")
    return [tuple(r) for r in rows]


async def test_a_poll_event_answered_from_the_timeline_is_a_ballot(bot: Bot, resident: Resident) -> None:
    assert resident.client is not None
    poll_id = await new_poll(bot, PollMethod.SINGLE)
    before = len(resident.replies())
    await resident.send(f"!votes V-{poll_id}")

    def start() -> dict[str, Any] | None:
        found = [
            e
            for e in resident.events.get(resident.room_id, [])
            if e.get("type") == POLL_START and e.get("sender") != resident.user_id
        ]
        return found[-1] if found else None

    event = await eventually(start)
    assert [a["org.matrix.msc1767.text"] for a in event["content"][POLL_START]["answers"]] == [
        "Monday",
        "Tuesday",
        "Thursday",
    ]
    assert "1. Monday" in event["content"]["body"]  # the numbered fallback
    sent = await resident.client.room_send(
        resident.room_id,
        "org.matrix.msc3381.poll.response",
        {
            "m.relates_to": {"rel_type": "m.reference", "event_id": event["event_id"]},
            "org.matrix.msc3381.poll.response": {"answers": ["2"]},
        },
    )
    assert isinstance(sent, RoomSendResponse), sent
    await resident.expect("is recorded", before)
    assert await ballots(bot) == [(poll_id, "[2]")]


async def test_the_numbered_fallback_answers_a_judgment_ballot(bot: Bot, resident: Resident) -> None:
    poll_id = await new_poll(bot, PollMethod.JUDGMENT)
    await resident.ask(f"!votes V-{poll_id}", "What grade")
    await resident.choose("Very good", "Tuesday")
    await resident.choose("Reject", "Thursday")
    await resident.choose("Excellent", "Your ballot on")
    await resident.choose("Confirm my ballot", "is recorded")
    assert await ballots(bot) == [(poll_id, "[1, 6, 0]")]
