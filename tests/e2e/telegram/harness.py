"""The real bot (app + TelegramChannel) against FakeTelegram, and residents who type and press."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_REPO_ROOT = str(Path(__file__).resolve().parents[3])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from bots.bootstrap import Runtime, open_runtime  # noqa: E402
from bots.telegram import TelegramChannel  # noqa: E402
from lte_core.config import Secret, Settings, TelegramSettings  # noqa: E402
from lte_core.store import UnitOfWork  # noqa: E402
from tests.support.fake_telegram import ChatMessage, FakeTelegram  # noqa: E402

# Shaped like a real token, so a leak would also match the log redaction's pattern.
TOKEN = "123456:AAFakeTokenForTests_0123456789abcdef"
NOYAU = 999
SEND_METHODS = ("sendmessage", "editmessagetext", "sendphoto")


@dataclass
class Bot:
    """The bot under test; `open()` again after `close()` is a restart on the same database."""

    tg: FakeTelegram
    db_path: Path
    rate: float = 30.0
    app: Runtime | None = None
    channel: TelegramChannel | None = None
    injected: int = 0  # updates given to the current channel

    @property
    def settings(self) -> Settings:
        telegram = TelegramSettings(Secret(TOKEN), base_url=self.tg.base_url, rate_per_second=self.rate)
        return Settings(db_path=str(self.db_path), admins=frozenset({f"telegram:{NOYAU}"}), telegram=telegram)

    async def open(self, *, start: bool = True) -> TelegramChannel:
        self.app = await open_runtime(self.settings)
        self.channel = TelegramChannel(self.app, poll_timeout=2)
        self.injected = 0
        if start:
            await self.channel.start()
        return self.channel

    async def close(self) -> None:
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.app is not None:
            await self.app.close()
            self.app = None

    async def settle(self, timeout: float = 5.0) -> None:
        """Wait until every update given so far is handled and its replies sent."""
        assert self.channel is not None
        await self.channel.wait_handled(self.injected, timeout)

    def uow(self) -> UnitOfWork:
        assert self.app is not None
        return UnitOfWork(self.app.db)

    async def rows(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self.uow() as uow, uow.db.conn.execute(sql, args) as cur:
            return [tuple(r) for r in await cur.fetchall()]

    def html_errors(self) -> list[str]:
        """Sends Telegram refused as malformed ("message is not modified" is not an error)."""
        return [
            f"{c.method}: {c.description}"
            for c in self.tg.sent
            if c.method.lower() in SEND_METHODS
            and c.error_code == 400
            and "not modified" not in (c.description or "")
        ]


@dataclass
class Resident:
    """A person in a private chat with the bot: types, presses buttons by label, reads."""

    bot: Bot
    uid: int
    lang: str = "en"
    name: str = "Alice"
    queries: list[str] = field(default_factory=list)

    async def say(self, text: str) -> None:
        self.bot.tg.user_message(self.uid, text, language_code=self.lang, first_name=self.name)
        self.bot.injected += 1
        await self.bot.settle()

    async def press(self, label: str) -> str:
        message, data = self.button(label)
        return await self.press_data(message.message_id, data, strict=True)

    async def press_data(self, message_id: int, data: str, *, strict: bool = False) -> str:
        query = self.bot.tg.user_press(
            self.uid, message_id, data, language_code=self.lang, first_name=self.name, strict=strict
        )
        self.bot.injected += 1
        await self.bot.settle()
        return query

    async def location(self, lat: float, lon: float) -> None:
        self.bot.tg.user_location(self.uid, lat, lon, language_code=self.lang, first_name=self.name)
        self.bot.injected += 1
        await self.bot.settle()

    async def photo(self, file_id: str) -> None:
        self.bot.tg.user_photo(self.uid, file_id, language_code=self.lang, first_name=self.name)
        self.bot.injected += 1
        await self.bot.settle()

    def button(self, label: str) -> tuple[ChatMessage, str]:
        """The newest message showing a button whose label contains `label` (case-insensitive)."""
        for message in reversed(self.messages):
            for b in message.buttons:
                if label.casefold() in b["text"].casefold() and "callback_data" in b:
                    return message, b["callback_data"]
        shown = [b["text"] for m in self.messages for b in m.buttons]
        raise AssertionError(f"no button {label!r}; the chat shows {shown}")

    @property
    def messages(self) -> list[ChatMessage]:
        return self.bot.tg.messages_to(self.uid)

    @property
    def last(self) -> str:
        return self.bot.tg.last_message(self.uid).text

    @property
    def labels(self) -> list[str]:
        return [b["text"] for b in self.bot.tg.last_message(self.uid).buttons]

    async def onboard(self) -> None:
        """/start → English → consent → skip name and place → Done: the menu shows."""
        await self.say("/start")
        for label in ("English", "I agree", "Skip", "Skip", "Done"):
            await self.press(label)
