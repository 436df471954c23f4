"""Telegram channel throughput, against the fake Bot API server, in one run:

(a) N residents (onboarded beforehand, through the services) each go through the whole
    express-a-need conversation (/besoin, the text, "Mine is different" when similar needs show,
    a theme, skip the place, skip the photo, "Send it"), all at once, each sending the next input
    as soon as the reply to the previous one arrived: updates per second;
(b) the baseline: a bare python-telegram-bot echo bot, built the same way (same Application
    settings, long polling), gets the same updates the same way;
    then both under a gentle pace (20 updates/s): p50 and p99 of the reply latency (update
    injected → reply received by the server);
(c) a mission broadcast to 10 000 members with the server enforcing R messages/s overall and
    1/s per chat: achieved rate / R, and the number of 429s (must be 0).

Prints human lines, then one JSON line last. Usage:
    .venv/bin/python bench/telegram_throughput.py [--residents 200] [--rate 30] [--recipients 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import CallbackQueryHandler, ContextTypes, MessageHandler, filters  # noqa: E402

from bots.app import App, open_app  # noqa: E402
from bots.telegram import TelegramChannel, build_application  # noqa: E402
from lte_core.config import Secret, Settings, TelegramSettings  # noqa: E402
from lte_core.domain import CircleKind  # noqa: E402
from lte_core.services import circles, people  # noqa: E402
from lte_core.store import UnitOfWork  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "123456:AAFakeTokenForBenchmarks_0123456789ab"
NOYAU = 999
WORDS = (
    "jardin partagé composteur navette bancs ombre fontaine atelier vélo réparation bibliothèque "
    "grainothèque marché producteurs local covoiturage école crèche lavoir hameau chemin piéton "
    "éclairage solaire récupération eau pluie ruches verger cantine bio salle associative"
).split()


class Replies:
    """Futures resolved when the bot has answered a chat: a resident waits on its own."""

    def __init__(self) -> None:
        self.waiting: dict[int, asyncio.Future[None]] = {}

    def expect(self, chat_id: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self.waiting[chat_id] = future
        return future

    def done(self, chat_id: int) -> None:
        future = self.waiting.pop(chat_id, None)
        if future is not None and not future.done():
            future.set_result(None)


class Pacer:
    """Hands out send slots at a fixed rate (the gentle pace)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = time.monotonic()

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(self.next, now)
        self.next = slot + self.interval
        await asyncio.sleep(slot - now)


class Driver:
    """Injects a resident's updates into the fake server and times the bot's answer."""

    def __init__(self, tg: FakeTelegram, replies: Replies, pacer: Pacer | None = None) -> None:
        self.tg = tg
        self.replies = replies
        self.pacer = pacer
        self.latencies: list[float] = []
        self.updates = 0

    async def _timed(self, chat_id: int, inject: Callable[[], object]) -> float:
        if self.pacer is not None:
            await self.pacer.wait()
        future = self.replies.expect(chat_id)
        t0 = time.perf_counter()
        inject()
        await asyncio.wait_for(future, 60)
        elapsed = time.perf_counter() - t0
        self.latencies.append(elapsed)
        self.updates += 1
        return elapsed

    async def send(self, uid: int, text: str) -> float:
        return await self._timed(uid, lambda: self.tg.user_message(uid, text, language_code="en"))

    async def press(self, uid: int, message_id: int, data: str) -> float:
        return await self._timed(
            uid, lambda: self.tg.user_press(uid, message_id, data, language_code="en", strict=False)
        )

    def button(self, uid: int, label: str) -> tuple[int, str] | None:
        for message in reversed(self.tg.messages_to(uid)):
            for b in message.buttons:
                if b["text"] == label:
                    return message.message_id, b["callback_data"]
        return None


async def express_a_need(driver: Driver, uid: int, text: str) -> list[str]:
    """The whole conversation; returns the kinds of updates sent, for the echo bot's replay."""
    kinds = ["msg", "msg"]
    await driver.send(uid, "/besoin")
    await driver.send(uid, text)
    different = driver.button(uid, "Mine is different")
    if different is not None:
        await driver.press(uid, *different)
        kinds.append("press")
    for label in ("Food", "Skip", "Skip", "Send it"):
        found = driver.button(uid, label)
        if found is None:
            raise RuntimeError(f"resident {uid}: no button {label!r}: {driver.tg.texts_to(uid)[-2:]}")
        await driver.press(uid, *found)
        kinds.append("press")
    if "Your need is recorded as B-" not in driver.tg.last_message(uid).text:
        raise RuntimeError(f"resident {uid}: no need recorded: {driver.tg.texts_to(uid)[-2:]}")
    return kinds


async def replay(driver: Driver, uid: int, kinds: list[str], text: str) -> None:
    """The same updates, for the echo bot: messages, and presses on its last message."""
    for i, kind in enumerate(kinds):
        if kind == "msg":
            await driver.send(uid, text if i else "/besoin")
        else:
            last = driver.tg.last_message(uid)
            await driver.press(uid, last.message_id, f"e.{i}")


def need_text(rng: random.Random) -> str:
    return " ".join(rng.sample(WORDS, 4)).capitalize()


def settings_for(tg: FakeTelegram, db_path: Path, rate: float = 30.0) -> Settings:
    telegram = TelegramSettings(Secret(TOKEN), base_url=tg.base_url, rate_per_second=rate)
    return Settings(db_path=str(db_path), admins=frozenset({f"telegram:{NOYAU}"}), telegram=telegram)


async def onboard(app: App, uids: list[int]) -> None:
    """Residents who already went through onboarding (language, consent), in one transaction."""
    now = app.clock.now()
    async with UnitOfWork(app.db) as uow:
        for uid in uids:
            who = await people.identify(uow, "telegram", str(uid), now=now, locale_hint="en")
            await people.give_consent(uow, who.person.id, now)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# (a) the bot ---------------------------------------------------------------------------------------


async def bench_bot(
    workdir: Path, residents: int, gentle: float, rng: random.Random
) -> tuple[int, float, list[list[str]], list[list[str]], list[float]]:
    async with FakeTelegram(token=TOKEN) as tg:
        app = await open_app(settings_for(tg, workdir / "bot.sqlite3"))
        uids = [10_000 + i for i in range(residents)]
        gentle_uids = [20_000 + i for i in range(max(residents // 4, 20))]
        await onboard(app, uids + gentle_uids)
        replies = Replies()
        channel = TelegramChannel(app)
        channel.on_handled = replies.done
        await channel.start()
        try:
            driver = Driver(tg, replies)
            texts = [need_text(rng) for _ in uids]
            t0 = time.perf_counter()
            kinds = await asyncio.gather(
                *(express_a_need(driver, u, t) for u, t in zip(uids, texts, strict=True))
            )
            elapsed = time.perf_counter() - t0
            async with UnitOfWork(app.db) as uow, uow.db.conn.execute("SELECT count(*) FROM needs") as cur:
                row = await cur.fetchone()
            assert row is not None and row[0] == residents, row

            paced = Driver(tg, replies, Pacer(gentle))
            gentle_kinds = await asyncio.gather(
                *(express_a_need(paced, u, need_text(rng)) for u in gentle_uids)
            )
        finally:
            await channel.stop()
            await app.close()
    return driver.updates, elapsed, list(kinds), list(gentle_kinds), paced.latencies


# (b) the echo bot ----------------------------------------------------------------------------------


async def bench_echo(
    kinds: list[list[str]], gentle_kinds: list[list[str]], gentle: float
) -> tuple[int, float, list[float]]:
    async with FakeTelegram(token=TOKEN) as tg:
        replies = Replies()
        application = build_application(TelegramSettings(Secret(TOKEN), base_url=tg.base_url))

        async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.message
            assert message is not None and message.text is not None
            try:
                await message.reply_text(message.text)
            finally:
                replies.done(message.chat.id)

        async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            query = update.callback_query
            assert query is not None and query.message is not None
            try:
                await query.answer()
                await query.edit_message_text(f"{query.data} {update.update_id}")
            finally:
                replies.done(query.message.chat.id)

        application.add_handler(CallbackQueryHandler(on_press))
        application.add_handler(
            MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, on_message)
        )
        await application.initialize()
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(
            poll_interval=0, timeout=timedelta(seconds=10), allowed_updates=["message", "callback_query"]
        )
        try:
            driver = Driver(tg, replies)
            t0 = time.perf_counter()
            await asyncio.gather(*(replay(driver, 10_000 + i, k, "Un besoin") for i, k in enumerate(kinds)))
            elapsed = time.perf_counter() - t0
            paced = Driver(tg, replies, Pacer(gentle))
            await asyncio.gather(
                *(replay(paced, 20_000 + i, k, "Un besoin") for i, k in enumerate(gentle_kinds))
            )
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
    return driver.updates, elapsed, paced.latencies


# (c) the broadcast ---------------------------------------------------------------------------------


async def bench_broadcast(workdir: Path, recipients: int, rate: float) -> tuple[float, int, float]:
    async with FakeTelegram(token=TOKEN) as tg:
        app = await open_app(settings_for(tg, workdir / "broadcast.sqlite3", rate))
        now = app.clock.now()
        async with UnitOfWork(app.db) as uow:
            noyau = await people.identify(uow, "telegram", str(NOYAU), now=now, admins=app.settings.admins)
            await people.give_consent(uow, noyau.person.id, now)
            circle = await circles.create_circle(uow, None, CircleKind.MISSION, "Tous", "", now=now)
            for i in range(recipients):
                who = await people.identify(uow, "telegram", str(100_000 + i), now=now, locale_hint="fr")
                await people.give_consent(uow, who.person.id, now)
                await circles.join_circle(uow, who.person.id, circle.id, now)
        channel = TelegramChannel(app)
        await channel.start()
        tg.reset()
        tg.rate_limit(per_second=rate, per_chat_per_second=1)
        try:
            async with UnitOfWork(app.db) as uow:
                _, queued = await circles.create_mission(
                    uow,
                    noyau.person.id,
                    circle.id,
                    "Grand nettoyage",
                    "",
                    now + timedelta(days=7),
                    50,
                    now=now,
                )
            assert queued == recipients, queued
            t0 = time.monotonic()
            app.wake_outbox()
            deadline = t0 + recipients / rate * 3 + 60
            sent = 0
            while sent < recipients and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                sent = sum(1 for c in tg.sent if c.ok and c.method == "sendMessage")
            last = max(c.time for c in tg.sent if c.ok and c.method == "sendMessage")
            achieved = sent / (last - t0)
        finally:
            await channel.stop()
            await app.close()
    return achieved, tg.throttled, last - t0


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--gentle", type=float, default=20.0, help="updates/s for the latency figures")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=30.0, help="the broadcast's limit R (messages/s)")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory(prefix="lte-bench-") as tmp:
        workdir = Path(tmp)
        updates, bot_s, kinds, gentle_kinds, bot_lat = await bench_bot(
            workdir, args.residents, args.gentle, rng
        )
        bot_rate = updates / bot_s
        print(f"bot:  {args.residents} residents (onboarded beforehand), {updates} updates in {bot_s:.2f}s "
              f"= {bot_rate:.0f} updates/s")  # fmt: skip
        echo_updates, echo_s, echo_lat = await bench_echo(kinds, gentle_kinds, args.gentle)
        assert echo_updates == updates, (echo_updates, updates)
        echo_rate = echo_updates / echo_s
        print(f"echo: {echo_updates} updates in {echo_s:.2f}s = {echo_rate:.0f} updates/s")
        ratio = bot_rate / echo_rate
        p50, p99 = percentile(bot_lat, 0.5) * 1000, percentile(bot_lat, 0.99) * 1000
        print(f"ratio bot/echo: {ratio:.2f}")
        print(
            f"latency at {args.gentle:g} updates/s ({len(bot_lat)} replies): bot p50 {p50:.1f} ms, "
            f"p99 {p99:.1f} ms; echo p50 {percentile(echo_lat, 0.5) * 1000:.1f} ms, "
            f"p99 {percentile(echo_lat, 0.99) * 1000:.1f} ms"
        )
        achieved, throttled, seconds = await bench_broadcast(workdir, args.recipients, args.rate)
        print(
            f"broadcast: {args.recipients} recipients in {seconds:.1f}s = {achieved:.1f} msg/s "
            f"for a limit of {args.rate:g}/s ({achieved / args.rate:.2f}), {throttled} answered 429"
        )
    print(
        json.dumps(
            {
                "bench": "telegram_throughput",
                "updates": updates,
                "bot_updates_per_s": round(bot_rate, 1),
                "echo_updates_per_s": round(echo_rate, 1),
                "ratio": round(ratio, 3),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "echo_p50_ms": round(percentile(echo_lat, 0.5) * 1000, 2),
                "echo_p99_ms": round(percentile(echo_lat, 0.99) * 1000, 2),
                "residents": args.residents,
                "onboarding": "before",
                "broadcast_recipients": args.recipients,
                "broadcast_rate_limit": args.rate,
                "broadcast_rate": round(achieved, 2),
                "broadcast_ratio": round(achieved / args.rate, 3),
                "throttled_429": throttled,
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
