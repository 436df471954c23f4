"""The Telegram channel: python-telegram-bot's Application ↔ the dialog engine, and the outbox.

Updates are handled concurrently (one task each), but one chat's updates and replies stay in
order: a lock per chat covers the engine step and the sending of its replies. A button press is
answered at once; the first reply replaces the pressed message, the next ones are new messages.
An answer to a native poll is a PollVote; its replies go to the voter's private chat. Group chats
get one message saying how to reach the bot privately, nothing else. Direct replies take a token
of the channel's rate limiter without waiting, so the outbox (which waits for its tokens) yields
to people who are talking to the bot. HTTP goes through aiohttp (`request.AiohttpRequest`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

from bots.bootstrap import Runtime
from dialogs.contract import Choice, Outgoing, PollVote
from lte_core.config import ConfigError, TelegramSettings
from lte_core.logs import RedactingFormatter
from lte_core.outbox import Dispatcher, RateLimiter
from lte_core.services import links
from lte_core.services.people import pick_locale
from lte_core.store import UnitOfWork

from . import commands, parse
from .render import Part, plan
from .request import AiohttpRequest
from .sender import TelegramSender, retry_seconds, send_part

log = logging.getLogger(__name__)

# ptb 22 warns on every 429 unless time periods are timedeltas, the behaviour of its next major
# version; `retry_seconds` reads either.
os.environ.setdefault("PTB_TIMEDELTA", "true")

ALLOWED_UPDATES = ["message", "callback_query", "poll_answer"]
MAX_REPLY_WAIT = 5.0  # a 429 on a direct reply longer than this is not waited for
GROUP_TOLD = "telegram.group_told.{chat_id}"
# A few keep-alive connections carry the ~30 messages/s Telegram allows a bot, and the bursts
# of direct replies above it.
CONNECTIONS = 16
POOL_TIMEOUT = 10.0  # seconds a request may wait for a free connection under a burst

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Handler = Callable[[Update, Any], Coroutine[Any, Any, None]]


def api_urls(base_url: str | None) -> tuple[str, str] | None:
    """ptb's (base_url, base_file_url) for a local Bot API server, None for Telegram's own.

    ptb appends the token to a base URL (or fills in `{token}`): `http://host:8081` and
    `http://host:8081/bot` both give `http://host:8081/bot<token>/<method>`, and files are
    served under `/file/bot<token>/`."""
    if not base_url:
        return None
    url = base_url.rstrip("/")
    if "{token}" not in url and not url.endswith("/bot"):
        url += "/bot"
    head, sep, tail = url.rpartition("/bot")
    return url, (head + "/file/bot" + tail if sep else url)


def build_application(
    settings: TelegramSettings, concurrency: int = 256, connections: int = CONNECTIONS
) -> AnyApplication:
    builder = (
        ApplicationBuilder()
        .token(settings.token.reveal())
        .concurrent_updates(concurrency)
        .request(AiohttpRequest(connections, pool_timeout=POOL_TIMEOUT))
        # One long poll at a time; ptb adds the poll's timeout to this read timeout.
        .get_updates_request(AiohttpRequest(1))
    )
    urls = api_urls(settings.base_url)
    if urls is not None:
        builder = builder.base_url(urls[0]).base_file_url(urls[1])
    # No persistence: conversations live in the bot's own database. No job queue: the scheduler
    # lives in lte_core.
    return builder.job_queue(None).build()


def _chat_of(update: Update) -> int | None:
    """The chat the replies to an update go to: a poll answer has none, its voter's is meant."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    answer = update.poll_answer
    return answer.user.id if answer is not None and answer.user is not None else None


class _ChatLocks:
    """One lock per chat, dropped when nobody waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class TelegramChannel:
    """`lte-bot run` serves Telegram through this: long polling, replies, and the outbox sender."""

    name = "telegram"

    def __init__(self, app: Runtime, *, concurrency: int = 256, poll_timeout: float = 10.0) -> None:
        if app.settings.telegram is None:
            raise ConfigError("LTE_TELEGRAM_TOKEN: missing")
        self.app = app
        self.settings = app.settings.telegram
        self.poll_timeout = poll_timeout
        self.application = build_application(self.settings, concurrency)
        # A small burst lets the sender catch up the time its sleeps overshoot, so the average is
        # the configured rate rather than a little under it; Telegram tolerates such bursts.
        rate = self.settings.rate_per_second
        self.limiter = RateLimiter(rate, burst=max(1.0, rate / 10))
        self.sender = TelegramSender(self.application.bot, app.engine)
        self.dispatcher: Dispatcher | None = None
        self.username: str | None = None
        self._locks = _ChatLocks()
        self.handled = 0  # updates handled so far, replies sent: tests and benchmarks wait on it
        self._progress = asyncio.Condition()
        self.on_handled: Callable[[int], None] | None = None  # called with the chat id, replies sent
        self._scrub = RedactingFormatter("%(message)s", [self.settings.token.reveal()]).scrub
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        groups = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE
        self.application.add_handler(CallbackQueryHandler(self._counted(self._on_press)))
        self.application.add_handler(PollAnswerHandler(self._counted(self._on_poll_answer)))
        self.application.add_handler(MessageHandler(private, self._counted(self._on_message)))
        self.application.add_handler(MessageHandler(groups, self._counted(self._on_group)))
        self.application.add_error_handler(self._on_error)

    @property
    def bot(self) -> Any:
        return self.application.bot

    # Life cycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Ask Telegram who the bot is, publish its commands, poll, and start the outbox sender."""
        try:
            await self.application.initialize()
        except InvalidToken:
            raise ConfigError(
                "LTE_TELEGRAM_TOKEN: refused by the Bot API (getMe answered Unauthorized)"
            ) from None
        try:
            self.username = self.application.bot.username
            async with UnitOfWork(self.app.db) as uow:
                await uow.kv.set(links.USERNAME_KEY, self.username)
            await self.publish_commands()
            await self.application.start()
            assert self.application.updater is not None
            await self.application.updater.start_polling(
                poll_interval=0,
                timeout=timedelta(seconds=self.poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=self._on_poll_error,
            )
            self.dispatcher = self.app.add_dispatcher(
                Dispatcher(
                    self.app.db,
                    self.sender,
                    clock=self.app.clock,
                    limiter=self.limiter,
                    per_recipient_interval=1.0,
                )
            )
            self.dispatcher.start()
        except BaseException:
            await self.stop()  # close what was opened; the caller sees the first error
            raise

    async def stop(self) -> None:
        """Stop polling, finish the updates in hand, stop the outbox sender, close the connections."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        if self.dispatcher is not None:
            await self.dispatcher.stop()
            if self.dispatcher in self.app.dispatchers:
                self.app.dispatchers.remove(self.dispatcher)
            self.dispatcher = None
        await self.application.shutdown()

    async def publish_commands(self) -> None:
        default = self.app.settings.default_locale
        for language in ("fr", "en", None):
            menu = commands.menu_for(self.app.engine, language or default)
            try:
                await self.bot.set_my_commands(menu, language_code=language)
            except TelegramError as exc:
                log.warning("telegram: setMyCommands (%s) failed: %s", language or "default", self._said(exc))

    # Updates --------------------------------------------------------------------------------

    def _counted(self, handler: Handler) -> Handler:
        async def run(update: Update, context: Any) -> None:
            try:
                await handler(update, context)
            finally:
                self.handled += 1
                chat_id = _chat_of(update)
                if self.on_handled is not None and chat_id is not None:
                    self.on_handled(chat_id)
                async with self._progress:
                    self._progress.notify_all()

        return run

    async def wait_handled(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` updates have been handled and their replies sent."""
        async with asyncio.timeout(timeout), self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        user = message.from_user if message else None
        if message is None or user is None or user.is_bot:
            return
        incoming = parse.incoming(user, parse.event_of(message))
        async with self._locks.hold(message.chat.id):
            replies = await self.app.engine.handle(incoming)
            await self.reply(message.chat.id, replies)

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        # Answered at once, whatever the data (stale or forged too): the button stops spinning.
        # The answer goes out before the engine has even looked at the press, and the engine works
        # while it travels: awaiting it first (or before the edit) adds a round trip to Telegram
        # to every press (measured: p50 67 ms against 37 ms with a 30 ms round trip, 40 residents).
        answered = asyncio.create_task(self._answer(query.answer()))
        try:
            pressed = query.message if isinstance(query.message, Message) else None
            chat = query.message.chat if query.message is not None else None
            if chat is None or chat.type != ChatType.PRIVATE or query.data is None:
                return
            incoming = parse.incoming(query.from_user, Choice(query.data))
            async with self._locks.hold(chat.id):
                replies = await self.app.engine.handle(incoming)
                editable = pressed.message_id if pressed is not None and pressed.text is not None else None
                await self.reply(chat.id, replies, edit=editable)
        finally:
            await answered

    async def _on_poll_answer(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A vote (or a withdrawn vote) on a native poll; the replies go to the voter's private
        chat, whose id is the voter's user id."""
        answer = update.poll_answer
        user = answer.user if answer is not None else None
        if answer is None or user is None or user.is_bot or answer.voter_chat is not None:
            return  # a vote cast on behalf of a chat: nobody to answer in private
        incoming = parse.incoming(user, PollVote(answer.poll_id, tuple(answer.option_ids)))
        async with self._locks.hold(user.id):
            replies = await self.app.engine.handle(incoming)
            await self.reply(user.id, replies)

    async def _answer(self, answering: Any) -> None:
        try:
            await answering
        except TelegramError as exc:  # too old, already answered: nothing to do about it
            log.debug("telegram: answerCallbackQuery failed: %s", self._said(exc))

    async def _on_group(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Once per group: how to reach the bot in private. Group messages are never read."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return
        async with self._locks.hold(chat.id):
            key = GROUP_TOLD.format(chat_id=chat.id)
            async with UnitOfWork(self.app.db) as uow:
                if await uow.kv.get(key) is not None:
                    return
                await uow.kv.set(key, self.app.clock.now().isoformat())
            locale = pick_locale(user.language_code if user else None, self.app.settings.default_locale)
            tr = self.app.engine.tr(locale)
            link = f"https://t.me/{self.username or self.bot.username}"
            text = tr._(
                "Hello! I only talk in private, so that what you tell me stays between us. "
                "To express a need, support one or join a circle, write to me here: {link}",
                link=link,
            )
            await self._send(chat.id, Part(str(text)))

    # Replies --------------------------------------------------------------------------------

    async def reply(self, chat_id: int, replies: list[Outgoing], *, edit: int | None = None) -> None:
        """Send the engine's replies; with `edit`, the first one replaces that message."""
        for i, part in enumerate(p for r in replies for p in plan(r)):
            if i == 0 and edit is not None and part.is_text and await self._edit(chat_id, edit, part):
                continue
            await self._send(chat_id, part)

    async def _edit(self, chat_id: int, message_id: int, part: Part) -> bool:
        """Replace a message; False when it cannot be (then the reply goes as a new message)."""
        self.limiter.take_now()
        try:
            await self._retrying(
                self.bot.edit_message_text,
                part.text,
                chat_id,
                message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=part.keyboard,
            )
        except BadRequest as exc:
            if "not modified" in exc.message.lower():
                return True
            log.info("telegram: edit refused (%s); sending a new message", self._said(exc))
            return False
        except TelegramError as exc:
            log.warning("telegram: edit failed: %s", self._said(exc))
            return False
        return True

    async def _send(self, chat_id: int, part: Part) -> None:
        self.limiter.take_now()
        try:
            await self._retrying(send_part, self.bot, self.app.engine, chat_id, part)
        except Forbidden as exc:
            log.info("telegram: a person cannot be reached (%s)", self._said(exc))
        except TelegramError as exc:
            log.error("telegram: a reply was not sent: %s", self._said(exc))

    async def _retrying(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        """A direct reply hit by a short 429 waits and goes once more; the outbox pauses meanwhile."""
        try:
            return await call(*args, **kwargs)
        except RetryAfter as exc:
            seconds = retry_seconds(exc)
            self.limiter.pause(seconds)
            if seconds > MAX_REPLY_WAIT:
                raise
            await asyncio.sleep(seconds)
            return await call(*args, **kwargs)

    # Errors ---------------------------------------------------------------------------------

    def _said(self, exc: BaseException) -> str:
        return self._scrub(f"{type(exc).__name__}: {exc}")

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler failed: log it (never the token) and go on serving."""
        error = context.error
        if error is None:
            return
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        log.error("telegram: an update could not be handled:\n%s", self._scrub(trace))

    def _on_poll_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s", self._said(error))
