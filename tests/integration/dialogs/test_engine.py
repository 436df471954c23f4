"""The engine's own guarantees: order per person, floods slowed, never a crash."""

from __future__ import annotations

import asyncio

from dialogs.contract import Command, Incoming, Reply, Text, to_plain
from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.store import Database


def said(replies: list[object]) -> str:
    return "\n".join(to_plain(r.text) for r in replies if isinstance(r, Reply))


async def test_one_persons_messages_are_answered_in_order(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    engine = Engine(db, settings, clock)
    await engine.handle(Incoming("terminal", "ada", Command("start"), "en"))
    inputs = [Incoming("terminal", "ada", Command("aide" if i % 2 else "menu"), "en") for i in range(20)]
    answers = await asyncio.gather(*(engine.handle(i) for i in inputs))
    for i, replies in enumerate(answers):
        assert ("/need —" in said(replies)) == bool(i % 2)  # help names the English commands


async def test_a_flood_is_slowed_and_beyond_the_queue_asked_to_wait(
    db: Database, settings: Settings, clock: FixedClock
) -> None:
    engine = Engine(db, settings, clock, flood_burst=3, flood_rate=20.0, flood_queue=8)
    loop = asyncio.get_running_loop()
    start = loop.time()
    answers = await asyncio.gather(
        *(engine.handle(Incoming("telegram", "spam", Text(f"msg {i}"), "en")) for i in range(10))
    )
    elapsed = loop.time() - start
    refused = [a for a in answers if "faster than I can read" in said(a)]
    assert len(refused) == 2  # the ninth and tenth found eight already waiting
    assert elapsed >= 4 / 20  # the three first went at once, the five others at 20 a second
    other = await engine.handle(Incoming("telegram", "calm", Command("aide"), "en"))
    assert "/need —" in said(other)  # someone else is not slowed by the flood
