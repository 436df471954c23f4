"""The outbox through Telegram: a mission broadcast meets a 429 and a blocked member, a crash
leaves messages in flight, and notifications carry buttons that work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from lte_core.domain import CircleKind
from lte_core.services import circles, people
from tests.support.fake_telegram import FakeTelegram

from .harness import NOYAU, Bot, Resident

pytestmark = pytest.mark.e2e

MEMBERS = list(range(2001, 2011))
SLOW, BLOCKED = 2003, 2005


@pytest.fixture
async def bot(tg: FakeTelegram, tmp_path: Path) -> AsyncIterator[Bot]:
    harness = Bot(tg, tmp_path / "lte.sqlite3")
    yield harness
    await harness.close()
    assert harness.html_errors() == []


async def circle_with_members(bot: Bot) -> int:
    """A circle coordinated by the noyau, whose members all talk to the bot on Telegram."""
    assert bot.app is not None
    now = bot.app.clock.now()
    async with bot.uow() as uow:
        noyau = await people.identify(uow, "telegram", str(NOYAU), now=now, admins=bot.settings.admins)
        await people.give_consent(uow, noyau.person.id, now)
        circle = await circles.create_circle(uow, None, CircleKind.MISSION, "Accueil", "Accueillir", now=now)
        await circles.appoint_coordinator(uow, None, circle.id, noyau.person.id, now)
        for uid in MEMBERS:
            who = await people.identify(uow, "telegram", str(uid), now=now, locale_hint="en")
            await people.give_consent(uow, who.person.id, now)
            await circles.join_circle(uow, who.person.id, circle.id, now)
    return circle.id


async def create_mission(bot: Bot, circle_id: int) -> int:
    assert bot.app is not None
    now = bot.app.clock.now()
    async with bot.uow() as uow:
        noyau = await people.identify(uow, "telegram", str(NOYAU), now=now)
        mission, queued = await circles.create_mission(
            uow,
            noyau.person.id,
            circle_id,
            "Tenir le stand",
            "Au marché",
            now + timedelta(days=3),
            4,
            now=now,
        )
    assert queued == len(MEMBERS)
    bot.app.wake_outbox()
    return mission.id


async def statuses(bot: Bot) -> dict[str, str]:
    return dict(await bot.rows("SELECT external_id, status FROM outbox"))  # type: ignore[arg-type]


async def test_broadcast_through_a_429_and_a_blocked_member(bot: Bot) -> None:
    tg = bot.tg
    channel = await bot.open()
    circle_id = await circle_with_members(bot)
    tg.fail_next("sendMessage", chat_id=SLOW, retry_after=1)
    tg.block(BLOCKED)
    await create_mission(bot, circle_id)

    reachable = [uid for uid in MEMBERS if uid != BLOCKED]
    for uid in reachable:
        await tg.wait_sent("sendMessage", chat_id=uid, timeout=10)
    assert channel.dispatcher is not None
    await channel.dispatcher.drain(timeout=10)

    for uid in reachable:
        (message,) = tg.messages_to(uid)
        assert "New mission in the circle Accueil: Tenir le stand" in message.text
        assert message.button_data == [f"g.take.{1}"]
    # The 429 paused that member only: the others went out before the retry, and it came after.
    (limited,) = tg.calls("sendMessage", chat_id=SLOW, ok=False)
    (retried,) = tg.calls("sendMessage", chat_id=SLOW, ok=True)
    assert retried.time - limited.time >= 0.95
    assert max(c.time for uid in reachable if uid != SLOW for c in tg.calls("sendMessage", chat_id=uid)) < (
        retried.time
    )
    # The blocked member is marked unreachable and their message is not retried.
    assert tg.messages_to(BLOCKED) == []
    assert len(tg.calls("sendMessage", chat_id=BLOCKED)) == 1
    rows = await statuses(bot)
    assert rows.pop(str(BLOCKED)) == "unreachable"
    assert set(rows.values()) == {"sent"}
    assert await bot.rows(
        "SELECT unreachable_at IS NOT NULL FROM identities WHERE external_id = ?", str(BLOCKED)
    ) == [(1,)]
    assert await bot.rows("SELECT count(*) FROM identities WHERE unreachable_at IS NOT NULL") == [(1,)]


async def test_notification_button_takes_a_place(bot: Bot) -> None:
    await bot.open()
    circle_id = await circle_with_members(bot)
    await create_mission(bot, circle_id)
    await bot.tg.wait_sent("sendMessage", chat_id=MEMBERS[0], timeout=10)
    member = Resident(bot, MEMBERS[0])
    await member.press("I'm in")
    assert "You have a place on this mission" in member.last
    # The coordinator hears of it through the outbox.
    told = await bot.tg.wait_for(lambda c: c.chat_id == NOYAU and c.method == "sendMessage", timeout=10)
    assert "Tenir le stand" in (told.plain or "") and "1/4" in (told.plain or "")


async def test_nothing_pending_is_lost_in_a_crash(bot: Bot) -> None:
    # The bot is down: the broadcast is queued, and the last run had claimed some rows when it died.
    await bot.open(start=False)
    circle_id = await circle_with_members(bot)
    await create_mission(bot, circle_id)
    assert bot.app is not None
    async with bot.uow() as uow:
        in_flight = await uow.outbox.claim("telegram", bot.app.clock.now(), 4)
    assert len(in_flight) == 4
    assert sorted(set((await statuses(bot)).values())) == ["pending", "sending"]
    await bot.close()

    channel = await bot.open()
    for uid in MEMBERS:
        await bot.tg.wait_sent("sendMessage", chat_id=uid, timeout=10)
    assert channel.dispatcher is not None
    await channel.dispatcher.drain(timeout=10)
    assert set((await statuses(bot)).values()) == {"sent"}
    assert all(len(bot.tg.messages_to(uid)) == 1 for uid in MEMBERS)


async def test_stop_in_the_middle_of_a_broadcast_then_resume(bot: Bot) -> None:
    # 4 messages a second: the stop comes while most are still queued.
    bot.rate = 4.0
    await bot.open()
    circle_id = await circle_with_members(bot)
    await create_mission(bot, circle_id)
    await bot.tg.wait_sent("sendMessage", count=2, timeout=10)
    await bot.close()
    sent_before = len(bot.tg.calls("sendMessage", ok=True))
    assert sent_before < len(MEMBERS)
    bot.rate = 100.0
    channel = await bot.open()
    assert channel.dispatcher is not None
    await channel.dispatcher.drain(timeout=10)
    await asyncio.sleep(0)
    assert set((await statuses(bot)).values()) == {"sent"}
    assert sorted(c.chat_id for c in bot.tg.calls("sendMessage", ok=True)) == MEMBERS  # each once
