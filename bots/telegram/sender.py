"""Sending to Telegram: one message part, and the outbox sender that maps Telegram's answers to
what the dispatcher does about them (wait, give up on a recipient, give up on a message, retry)."""

from __future__ import annotations

import datetime as dt
import logging
import time
import warnings
from collections import deque

from telegram import Bot, InputFile, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from dialogs.engine import Engine
from lte_core.outbox import RetryLater, Undeliverable, Unreachable
from lte_core.store import OutboxMessage

from .render import Part, plan

log = logging.getLogger(__name__)
# A 429 for one chat pauses that chat; 429s for several chats in a short time mean the bot's own
# limit was hit, so the whole channel waits.
FLOOD_WINDOW = 2.0
# "Bad Request" answers that mean the person can never be reached, not that the message is wrong.
_GONE = ("chat not found", "user is deactivated", "peer_id_invalid", "user not found")


async def send_part(bot: Bot, engine: Engine, chat_id: int, part: Part) -> Message:
    """Send one part; a poll sent natively is remembered, so that its votes find their poll."""
    caption = part.text or None
    mode = ParseMode.HTML if part.text else None
    if part.photo is not None:
        photo = InputFile(part.photo, filename=part.filename)
        return await bot.send_photo(
            chat_id, photo, caption=caption, parse_mode=mode, reply_markup=part.keyboard
        )
    if part.document is not None:
        document = InputFile(part.document, filename=part.filename)
        document.mimetype = part.mime  # the dialogs know it; ptb would guess it from the name
        return await bot.send_document(
            chat_id, document, caption=caption, parse_mode=mode, reply_markup=part.keyboard
        )
    if part.poll is not None:
        poll = part.poll
        message = await bot.send_poll(
            chat_id,
            poll.question,
            poll.options,
            is_anonymous=False,
            allows_multiple_answers=poll.multiple,
            reply_markup=part.keyboard,
        )
        if message.poll is not None:
            try:
                await engine.remember_poll("telegram", message.poll.id, poll.ref)
            except Exception:  # the poll is out: sending it again would show it twice
                log.exception("telegram: poll %s sent but not recorded; its votes will be ignored", poll.ref)
        return message
    return await bot.send_message(chat_id, part.text, parse_mode=ParseMode.HTML, reply_markup=part.keyboard)


def retry_seconds(exc: RetryAfter) -> float:
    """`retry_after` in seconds, whichever way ptb is told to report it (int or timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def is_gone(exc: BadRequest) -> bool:
    return any(words in exc.message.lower() for words in _GONE)


class TelegramSender:
    """The outbox's way out through Telegram: renders a queued message in its recipient's language
    and sends it with its buttons."""

    channel = "telegram"

    def __init__(self, bot: Bot, engine: Engine) -> None:
        self.bot = bot
        self.engine = engine
        self._floods: deque[tuple[float, str]] = deque()  # (monotonic time, chat) of recent 429s

    async def deliver(self, msg: OutboxMessage) -> None:
        try:
            parts = [part for reply in self.engine.render(msg) for part in plan(reply)]
            chat_id = int(msg.external_id)
        except Exception as exc:  # an unknown kind, bad parameters: this message can never go out
            raise Undeliverable(f"cannot render {msg.kind}: {type(exc).__name__}: {exc}") from None
        try:
            for part in parts:
                await send_part(self.bot, self.engine, chat_id, part)
        except RetryAfter as exc:
            raise RetryLater(retry_seconds(exc), whole_channel=self._flooded(msg.external_id)) from None
        except Forbidden as exc:
            raise Unreachable(exc.message) from None
        except BadRequest as exc:
            if is_gone(exc):
                raise Unreachable(exc.message) from None
            raise Undeliverable(exc.message) from None
        except ChatMigrated as exc:
            raise Undeliverable(exc.message) from None
        # NetworkError and TimedOut go up as they are: the dispatcher backs off and tries again.

    def _flooded(self, chat: str) -> bool:
        now = time.monotonic()
        floods = self._floods
        while floods and floods[0][0] < now - FLOOD_WINDOW:
            floods.popleft()
        floods.append((now, chat))
        return len({c for _, c in floods}) > 1
