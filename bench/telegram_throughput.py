"""Telegram channel throughput and latency, against the fake Bot API server, in one run.

For each crowd size (40 and 150 residents by default):

(a) the bot: every resident goes through the whole conversation at once, onboarding included
    (/start, English, I agree, a first name, a place, "Done", `/besoin <text>`, "Mine is
    different" when similar needs show, a theme, skip the place, skip the photo if asked,
    "Send it"), each sending the next input as soon as the reply to the previous one arrived:
    updates per second;
(b) the baseline: a bare python-telegram-bot echo bot built with ptb's defaults
    (`ApplicationBuilder().token(...).base_url(...).build()`: HTTPXRequest, sequential updates),
    long polling, gets the same updates the same way; the ratio bot/echo. Each bot first serves
    one resident, untimed, so that imports, catalogs and caches are warm;
(c) both again at a human pace (each resident sends one update every 1–2 s, jittered, starts
    spread over 2 s): p50 and p99 of the reply latency (update injected → the handler has sent
    its replies and the server answered them).

`--rtt 0.03` makes the fake server wait that long before answering each call (a network round
trip to Telegram; 0 by default), for both bots: where the order of calls matters, it shows.

Then (d) a mission broadcast with the server enforcing R messages/s overall and 1/s per chat:
achieved rate / R, and the number of 429s (must be 0).

Prints human lines, then one JSON line last. Usage:
    .venv/bin/python bench/telegram_throughput.py [--sizes 40,150] [--recipients 300] [--rate 30]
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
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bots.bootstrap import Runtime, open_runtime  # noqa: E402
from bots.telegram import TelegramChannel  # noqa: E402
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
NAMES = "Zoé Louis Inès Hugo Jade Noé Léa Malo Rose Yanis".split()
PLACES = "Bourg Hameau-des-Prés Quartier-Nord La-Gare Les-Vignes".split()


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


@dataclass
class Driver:
    """Injects a resident's updates into the fake server and times the bot's answer; with
    `pace`, each resident waits a jittered human pause before each update."""

    tg: FakeTelegram
    replies: Replies
    pace: tuple[float, float] | None = None
    seed: int = 0
    latencies: list[float] = field(default_factory=list)
    updates: int = 0
    _rngs: dict[int, random.Random] = field(default_factory=dict)

    async def _timed(self, chat_id: int, inject: Callable[[], object]) -> None:
        if self.pace is not None:
            rng = self._rngs.get(chat_id)
            if rng is None:  # the same pauses for the same resident, bot and echo alike
                rng = self._rngs[chat_id] = random.Random(self.seed * 1_000_003 + chat_id)
                await asyncio.sleep(rng.uniform(0, 2))
            await asyncio.sleep(rng.uniform(*self.pace))
        future = self.replies.expect(chat_id)
        t0 = time.perf_counter()
        inject()
        await asyncio.wait_for(future, 60)
        self.latencies.append(time.perf_counter() - t0)
        self.updates += 1

    async def send(self, uid: int, text: str) -> None:
        await self._timed(uid, lambda: self.tg.user_message(uid, text, language_code="en"))

    async def press(self, uid: int, message_id: int, data: str) -> None:
        await self._timed(
            uid, lambda: self.tg.user_press(uid, message_id, data, language_code="en", strict=False)
        )

    def button(self, uid: int, label: str) -> tuple[int, str] | None:
        """The button with this label on the bot's last message."""
        messages = self.tg.messages_to(uid)
        for b in messages[-1].buttons if messages else []:
            if b["text"] == label:
                return messages[-1].message_id, b["callback_data"]
        return None

    async def press_label(self, uid: int, label: str) -> None:
        found = self.button(uid, label)
        if found is None:
            raise RuntimeError(f"resident {uid}: no button {label!r}: {self.tg.texts_to(uid)[-2:]}")
        await self.press(uid, *found)


async def conversation(driver: Driver, uid: int, rng: random.Random) -> list[str]:
    """Onboarding then a need; returns the kinds of updates sent, for the echo bot's replay."""
    kinds: list[str] = []

    async def say(text: str) -> None:
        await driver.send(uid, text)
        kinds.append("msg")

    async def press(label: str) -> None:
        await driver.press_label(uid, label)
        kinds.append("press")

    await say("/start")
    await press("English")
    await press("I agree")
    await say(rng.choice(NAMES))
    await say(rng.choice(PLACES))
    await press("Done")
    await say("/besoin " + " ".join(rng.sample(WORDS, 4)).capitalize())
    if driver.button(uid, "Mine is different") is not None:
        await press("Mine is different")
    await press("Food")
    await press("Skip")  # the place
    if driver.button(uid, "Send it") is None:
        await press("Skip")  # the photo
    await press("Send it")
    if "Your need is recorded as B-" not in driver.tg.last_message(uid).text:
        raise RuntimeError(f"resident {uid}: no need recorded: {driver.tg.texts_to(uid)[-2:]}")
    return kinds


async def replay(driver: Driver, uid: int, kinds: list[str]) -> None:
    """The same updates, for the echo bot: messages, and presses on its last message."""
    for i, kind in enumerate(kinds):
        if kind == "msg":
            await driver.send(uid, "/start" if i == 0 else "Un besoin")
        else:
            await driver.press(uid, driver.tg.last_message(uid).message_id, f"e.{i}")


def settings_for(tg: FakeTelegram, db_path: Path, rate: float = 30.0) -> Settings:
    telegram = TelegramSettings(Secret(TOKEN), base_url=tg.base_url, rate_per_second=rate)
    return Settings(db_path=str(db_path), admins=frozenset({f"telegram:{NOYAU}"}), telegram=telegram)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Run:
    updates: int
    seconds: float
    kinds: list[list[str]]
    paced_kinds: list[list[str]]
    paced: list[float]

    @property
    def rate(self) -> float:
        return self.updates / self.seconds


PACE = (1.0, 2.0)
WARM_UP = 9_999  # the resident who goes first, untimed


# (a) the bot ---------------------------------------------------------------------------------------


async def bench_bot(workdir: Path, size: int, seed: int, rtt: float) -> Run:
    rng = random.Random(seed)
    async with FakeTelegram(token=TOKEN) as tg:
        tg.latency = rtt
        app = await open_runtime(settings_for(tg, workdir / f"bot-{size}.sqlite3"))
        replies = Replies()
        channel = TelegramChannel(app)
        channel.on_handled = replies.done
        await channel.start()
        try:
            # One resident first, untimed: catalogs, compiled queries and imports are warm.
            await conversation(Driver(tg, replies), WARM_UP, random.Random(seed))
            driver = Driver(tg, replies)
            uids = [10_000 + i for i in range(size)]
            rngs = [random.Random(rng.random()) for _ in uids]
            t0 = time.perf_counter()
            kinds = await asyncio.gather(
                *(conversation(driver, u, r) for u, r in zip(uids, rngs, strict=True))
            )
            elapsed = time.perf_counter() - t0
            await check_needs(app, 1 + size)

            paced = Driver(tg, replies, PACE, seed)
            uids = [20_000 + i for i in range(size)]
            rngs = [random.Random(rng.random()) for _ in uids]
            paced_kinds = await asyncio.gather(
                *(conversation(paced, u, r) for u, r in zip(uids, rngs, strict=True))
            )
            await check_needs(app, 1 + 2 * size)
        finally:
            await channel.stop()
            await app.close()
    return Run(driver.updates, elapsed, list(kinds), list(paced_kinds), paced.latencies)


async def check_needs(app: Runtime, count: int) -> None:
    async with UnitOfWork(app.db) as uow, uow.db.conn.execute("SELECT count(*) FROM needs") as cur:
        row = await cur.fetchone()
    assert row is not None and row[0] == count, (row, count)


# (b) the echo bot, with ptb's defaults ----------------------------------------------------------------


async def bench_echo(bot: Run, seed: int, rtt: float) -> Run:
    async with FakeTelegram(token=TOKEN) as tg:
        tg.latency = rtt
        replies = Replies()
        application = ApplicationBuilder().token(TOKEN).base_url(tg.base_url).build()

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
            await replay(Driver(tg, replies), WARM_UP, bot.kinds[0])
            driver = Driver(tg, replies)
            t0 = time.perf_counter()
            await asyncio.gather(*(replay(driver, 10_000 + i, k) for i, k in enumerate(bot.kinds)))
            elapsed = time.perf_counter() - t0
            paced = Driver(tg, replies, PACE, seed)
            await asyncio.gather(*(replay(paced, 20_000 + i, k) for i, k in enumerate(bot.paced_kinds)))
        finally:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
    return Run(driver.updates, elapsed, bot.kinds, bot.paced_kinds, paced.latencies)


# (d) the broadcast ---------------------------------------------------------------------------------


async def bench_broadcast(workdir: Path, recipients: int, rate: float) -> tuple[float, int, float]:
    async with FakeTelegram(token=TOKEN) as tg:
        app = await open_runtime(settings_for(tg, workdir / "broadcast.sqlite3", rate))
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
    parser.add_argument("--sizes", default="40,150", help="crowd sizes, comma-separated")
    parser.add_argument("--recipients", type=int, default=300, help="broadcast size (0: no broadcast)")
    parser.add_argument("--rate", type=float, default=30.0, help="the broadcast's limit R (messages/s)")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--rtt", type=float, default=0.0, help="simulated round trip per call (s)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures: dict[str, object] = {"bench": "telegram_throughput", "onboarding": "included", "rtt_s": args.rtt}
    started = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="lte-bench-") as tmp:
        workdir = Path(tmp)
        for size in (int(s) for s in args.sizes.split(",")):
            bot = await bench_bot(workdir, size, args.seed, args.rtt)
            echo = await bench_echo(bot, args.seed, args.rtt)
            assert echo.updates == bot.updates, (echo.updates, bot.updates)
            ratio = bot.rate / echo.rate
            p50, p99 = percentile(bot.paced, 0.5) * 1000, percentile(bot.paced, 0.99) * 1000
            e50, e99 = percentile(echo.paced, 0.5) * 1000, percentile(echo.paced, 0.99) * 1000
            print(
                f"{size} residents, {bot.updates} updates: bot {bot.rate:.0f} updates/s "
                f"({bot.seconds:.2f}s), echo {echo.rate:.0f} updates/s ({echo.seconds:.2f}s), "
                f"ratio {ratio:.2f}; paced ({len(bot.paced)} replies): bot p50 {p50:.1f} ms "
                f"p99 {p99:.1f} ms, echo p50 {e50:.1f} ms p99 {e99:.1f} ms"
            )
            figures |= {
                f"updates_{size}": bot.updates,
                f"bot_updates_per_s_{size}": round(bot.rate, 1),
                f"echo_updates_per_s_{size}": round(echo.rate, 1),
                f"ratio_{size}": round(ratio, 3),
                f"paced_p50_ms_{size}": round(p50, 2),
                f"paced_p99_ms_{size}": round(p99, 2),
                f"echo_paced_p50_ms_{size}": round(e50, 2),
                f"echo_paced_p99_ms_{size}": round(e99, 2),
            }
        if args.recipients:
            achieved, throttled, seconds = await bench_broadcast(workdir, args.recipients, args.rate)
            print(
                f"broadcast: {args.recipients} recipients in {seconds:.1f}s = {achieved:.1f} msg/s "
                f"for a limit of {args.rate:g}/s ({achieved / args.rate:.2f}), {throttled} answered 429"
            )
            figures |= {
                "broadcast_recipients": args.recipients,
                "broadcast_rate_limit": args.rate,
                "broadcast_rate": round(achieved, 2),
                "broadcast_ratio": round(achieved / args.rate, 3),
                "throttled_429": throttled,
            }
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
