"""The assembly's votes on Telegram, with the real python-telegram-bot against the fake Bot API:
the invitation through the outbox, a native poll (not anonymous) answered and withdrawn, a
majority-judgment ballot by buttons, a secret poll by buttons only, the results for everyone."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from lte_core import due
from lte_core.domain.polls import PollMethod
from lte_core.services import people, polls
from tests.support.fake_telegram import FakeTelegram

from .harness import Bot, Resident

pytestmark = pytest.mark.e2e

ALICE, BOB = 501, 502


async def residents(bot: Bot) -> tuple[Resident, Resident]:
    alice, bob = Resident(bot, ALICE, name="Alice"), Resident(bot, BOB, lang="fr", name="Bob")
    await alice.onboard()
    await bob.say("/start")
    for label in ("Français", "J'accepte", "Passer", "Passer", "Terminé"):
        await bob.press(label)
    return alice, bob


async def new_poll(
    bot: Bot,
    method: PollMethod = PollMethod.SINGLE,
    *,
    secret: bool = False,
    lasts: timedelta = timedelta(days=2),
) -> int:
    assert bot.app is not None
    now = bot.app.clock.now()
    async with bot.uow() as uow:
        poll = await polls.create_poll(
            uow,
            None,
            "Which evening for the repair café?",
            ["Monday", "Tuesday", "Thursday"],
            now=now,
            closes_at=now + lasts,
            method=method,
            secret=secret,
        )
    bot.app.wake_outbox()
    return poll.id


async def until(check: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_a_native_poll_answer_is_a_ballot_and_an_empty_one_withdraws_it(
    bot: Bot, tg: FakeTelegram
) -> None:
    alice, bob = await residents(bot)
    poll_id = await new_poll(bot, lasts=timedelta(seconds=6))
    await until(lambda: any("Vote" == b["text"] for m in alice.messages for b in m.buttons))
    await until(lambda: any("Voter" == b["text"] for m in bob.messages for b in m.buttons))
    await alice.press("Vote")
    await tg.wait_sent("sendPoll", ALICE)
    native = tg.polls[max(tg.polls)]
    assert native["is_anonymous"] is False and native["allows_multiple_answers"] is False
    assert [o["text"] for o in native["options"]] == ["Monday", "Tuesday", "Thursday"]
    tg.user_poll_answer(ALICE, native["id"], [1], language_code="en")
    bot.injected += 1
    await bot.settle()
    assert "your ballot on V-1 is recorded" in alice.last and "Tuesday" in alice.last
    rows = await bot.rows("SELECT choice FROM ballots WHERE poll_id = ?", poll_id)
    assert rows == [("[1]",)]
    tg.user_poll_answer(ALICE, native["id"], [], language_code="en")
    bot.injected += 1
    await bot.settle()
    assert "withdrawn" in alice.last
    assert await bot.rows("SELECT choice FROM ballots") == []
    # Bob votes by the native poll too, in French.
    await bob.press("Voter")
    native_bob = tg.polls[max(tg.polls)]
    tg.user_poll_answer(BOB, native_bob["id"], [2], first_name="Bob", language_code="fr")
    bot.injected += 1
    await bot.settle()
    assert "votre bulletin sur V-1 est enregistré" in bob.last
    # It closes on time: both get the results, Bob's Thursday wins.
    assert bot.app is not None
    work = next(w for w in due.all_work() if w.name == "polls")
    due_at = await work.next_due(bot.app.db)
    assert due_at is not None
    await asyncio.sleep(max(0.0, (due_at - bot.app.clock.now()).total_seconds()) + 0.05)
    assert await work.run_due(bot.app.db, bot.app.clock.now()) == 1
    bot.app.wake_outbox()
    await until(lambda: "Winner: Thursday" in alice.last)
    await until(lambda: "Gagnant\u00a0: Thursday" in bob.last)
    assert not bot.html_errors()


async def test_majority_judgment_by_buttons(bot: Bot) -> None:
    alice, _ = await residents(bot)
    poll_id = await new_poll(bot, PollMethod.JUDGMENT)
    await until(lambda: any("Vote" == b["text"] for m in alice.messages for b in m.buttons))
    await alice.press("Vote")
    assert alice.labels == [
        "Excellent",
        "Very good",
        "Good",
        "Fairly good",
        "Passable",
        "Insufficient",
        "Reject",
    ]
    for grade in ("Very good", "Reject", "Excellent"):
        await alice.press(grade)
    assert "Monday: Very good" in alice.last and "Thursday: Excellent" in alice.last
    await alice.press("Confirm my ballot")
    assert "is recorded" in alice.last
    assert await bot.rows("SELECT choice FROM ballots WHERE poll_id = ?", poll_id) == [("[1, 6, 0]",)]


async def test_a_secret_poll_is_never_a_native_poll(bot: Bot, tg: FakeTelegram) -> None:
    alice, _ = await residents(bot)
    await new_poll(bot, secret=True)
    await until(lambda: any("Vote" == b["text"] for m in alice.messages for b in m.buttons))
    await alice.press("Vote")
    assert not tg.polls and alice.labels == ["Monday", "Tuesday", "Thursday"]
    await alice.press("Tuesday")
    await alice.press("Confirm my ballot")
    assert "secret ballot on V-1 is cast" in alice.last
    assert await bot.rows("SELECT count(*) FROM secret_ballots") == [(1,)]
    assert await bot.rows("SELECT count(*) FROM ballots") == [(0,)]
    assert bot.app is not None
    async with bot.uow() as uow:  # the noyau is not touched by this test: its people exist
        assert (await people.identify(uow, "telegram", str(ALICE), now=bot.app.clock.now())).person.consented
