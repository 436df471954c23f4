"""The Telegram channel: python-telegram-bot's Application ↔ the dialog engine, and the outbox.

Each chat's updates go to a queue of their own, worked by one task while the chat is busy: one
chat's updates and replies stay in order, ptb's handler returns at once (a waiting update holds no
slot of ptb's), and one person flooding the bot only fills their own queue. Beyond
`QUEUE_LIMIT` waiting, an update is dropped and the person told once to slow down. Direct replies
keep to Telegram's pace for one chat (`PACE_RATE` a second after a burst of `PACE_BURST`).
An update ptb cannot read is logged once and skipped (`SkippingBot`), and a Bot API that cannot be
reached at start-up is tried again with backoff, one line each time. A button press is
answered at once; the first reply replaces the pressed message, the next ones are new messages.
An answer to a native poll is a PollVote; its replies go to the voter's private chat. Group chats
get one message saying how to reach the bot privately, nothing else. Direct replies take a token
of the channel's rate limiter without waiting, so the outbox (which waits for its tokens) yields
to people who are talking to the bot. HTTP goes through aiohttp (`request.AiohttpRequest`)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram import Message, Update, User
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
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

# One chat's queue: a person does not type more than this before the bot answers; a flood does.
QUEUE_LIMIT = 20
# Telegram: "avoid sending more than one message per second in a particular chat", short bursts
# allowed. Edits count as messages.
PACE_RATE = 1.0
PACE_BURST = 20
STOP_GRACE = 10.0  # seconds `stop` waits for the chats' queues to be worked off
RETRY_FIRST, RETRY_MAX = 1.0, 60.0  # backoff while the Bot API cannot be reached at start-up

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Job = Callable[[], Awaitable[None]]
# What a handler makes of an update: (the chat, the work to queue for it, who sent it), or None
# when there is nothing to do.
Work = tuple[int, Job, User | None] | None
Handler = Callable[[Update], Work]


class _PtbParseFailure(logging.Filter):
    """ptb logs a whole batch it could not read, at CRITICAL with a traceback, before our
    `SkippingBot` reads it update by update and logs the unreadable one in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Error while parsing updates!")


class _PtbLastPoll(logging.Filter):
    """At stop, ptb's last getUpdates (to confirm the updates fetched) fails when the Bot API is
    down, and ptb logs it with a whole traceback: one line is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and str(record.msg).startswith("Error while calling `get_updates` one more"):
            error = record.exc_info[1]
            record.msg = "telegram: the last getUpdates at stop failed (%s: %s)"
            record.args = (type(error).__name__, error)
            record.exc_info = record.exc_text = None
        return True


class SkippingBot(ExtBot[None]):
    """ptb's bot, but an update it cannot read (a `callback_query` without `id`, a chat without
    `type`) no longer fails its whole batch: ptb would fetch the same batch again forever. The
    batch is read again update by update, an unreadable one is logged once and replaced by a bare
    `Update(update_id)`, so that the offset moves past it and nobody else waits."""

    _batch: list[Any] | None = None

    async def _post(self, endpoint: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, *args, **kwargs)
        if endpoint == "getUpdates":
            self._batch = result  # one long poll at a time
        return result

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        self._batch = None
        try:
            return await super().get_updates(*args, **kwargs)
        except TelegramError:
            raise
        except Exception:
            batch, self._batch = self._batch, None
            if not isinstance(batch, list):
                raise
            readable = (self._readable(raw) for raw in batch)
            return tuple(u for u in readable if u is not None)

    def _readable(self, raw: Any) -> Update | None:
        try:
            return Update.de_json(raw, self)
        except Exception as exc:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            kinds = ",".join(k for k in raw if k != "update_id") if isinstance(raw, dict) else "?"
            log.error(
                "telegram: update %s (%s) skipped, it cannot be read: %s: %s",
                update_id,
                kinds,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
            )
            return Update(update_id) if isinstance(update_id, int) else None


ExtBot._LOGGER.addFilter(_PtbParseFailure())
logging.getLogger("telegram.ext.Updater").addFilter(_PtbLastPoll())


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
    urls = api_urls(settings.base_url)
    base_url, base_file_url = urls or ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot")
    bot = SkippingBot(
        settings.token.reveal(),
        base_url,
        base_file_url,
        request=AiohttpRequest(connections, pool_timeout=POOL_TIMEOUT),
        # One long poll at a time; ptb adds the poll's timeout to this read timeout.
        get_updates_request=AiohttpRequest(1),
    )
    # No persistence: conversations live in the bot's own database. No job queue: the scheduler
    # lives in lte_core.
    return ApplicationBuilder().bot(bot).concurrent_updates(concurrency).job_queue(None).build()


def _chat_of(update: Update) -> int | None:
    """The chat the replies to an update go to: a poll answer has none, its voter's is meant."""
    if update.effective_chat is not None:
        return update.effective_chat.id
    answer = update.poll_answer
    return answer.user.id if answer is not None and answer.user is not None else None


@dataclass
class _Backlog:
    """One busy chat: its waiting jobs, worked in order by one task."""

    jobs: deque[tuple[Job, bool]] = field(default_factory=deque)  # (job, counts as an update)
    told: bool = False  # told to slow down since the queue was last empty
    worker: asyncio.Task[None] | None = None


class _Pace:
    """A token bucket per chat: `burst` messages at once, then `rate` a second."""

    def __init__(self, rate: float = PACE_RATE, burst: float = PACE_BURST) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, tuple[float, float]] = {}  # chat → (tokens, when)

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before the next message to this chat; the message is counted."""
        now = time.monotonic()
        tokens, stamp = self._buckets.get(chat_id, (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate) - 1
        self._buckets[chat_id] = (tokens, now)
        if len(self._buckets) > 10_000:  # forget chats whose bucket is full again
            horizon = now - self.burst / self.rate
            self._buckets = {k: v for k, v in self._buckets.items() if v[1] > horizon}
        return 0.0 if tokens >= 0 else -tokens / self.rate


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
        self._backlogs: dict[int, _Backlog] = {}
        self._pace = _Pace()
        self._answering: set[asyncio.Task[None]] = set()  # callback answers of dropped presses
        self.handled = 0  # updates handled so far, replies sent: tests and benchmarks wait on it
        self._progress = asyncio.Condition()
        self.on_handled: Callable[[int], None] | None = None  # called with the chat id, replies sent
        self.dropped = 0  # updates dropped because their chat's queue was full
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
        """Ask Telegram who the bot is, publish its commands, poll, and start the outbox sender.

        While the Bot API cannot be reached, it is asked again with backoff, one line each time."""
        await self._initialize()
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

    async def _initialize(self) -> None:
        delay = RETRY_FIRST
        try:
            while True:
                try:
                    await self.application.initialize()
                    return
                except InvalidToken:
                    raise ConfigError(
                        "LTE_TELEGRAM_TOKEN: refused by the Bot API (getMe answered Unauthorized)"
                    ) from None
                except NetworkError as exc:  # TimedOut too
                    log.warning(
                        "telegram: the Bot API cannot be reached (%s); trying again in %g s",
                        self._said(exc),
                        delay,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX)
        except BaseException:  # refused, or stopped while waiting: close the connections opened
            await self.bot.shutdown()
            raise

    async def stop(self) -> None:
        """Stop polling, finish the updates in hand, stop the outbox sender, close the connections."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self._drain()
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

    def _counted(self, handler: Handler) -> Callable[[Update, Any], Coroutine[Any, Any, None]]:
        """ptb's callback: the update's work goes to its chat's queue, and ptb's slot is free."""

        async def run(update: Update, context: Any) -> None:
            try:
                work = handler(update)
            except BaseException:  # ptb's error handler logs it
                await self._done(update)
                raise
            if work is None:
                await self._done(update)
                return
            chat_id, job, user = work
            if not self._enqueue(chat_id, job, user, update):
                await self._done(update)

        return run

    async def _done(self, update: Update | int) -> None:
        self.handled += 1
        chat_id = update if isinstance(update, int) else _chat_of(update)
        if self.on_handled is not None and chat_id is not None:
            self.on_handled(chat_id)
        async with self._progress:
            self._progress.notify_all()

    def _enqueue(self, chat_id: int, job: Job, user: User | None, update: Update) -> bool:
        """Queue an update's work for its chat; False when the queue is full and it is dropped."""
        backlog = self._backlogs.get(chat_id)
        if backlog is None:
            backlog = self._backlogs[chat_id] = _Backlog()
            backlog.worker = asyncio.create_task(self._work(chat_id, backlog))
        elif len(backlog.jobs) >= QUEUE_LIMIT:
            self.dropped += 1
            if not backlog.told:
                backlog.told = True
                log.info("telegram: a chat sends faster than it is read; told to slow down")
                # First in line: the person learns at once, not after the replies to the backlog.
                backlog.jobs.appendleft((self._slow_down(chat_id, user), False))
            return False
        backlog.jobs.append((job, True))
        return True

    async def _work(self, chat_id: int, backlog: _Backlog) -> None:
        """Work one chat's queue until it is empty; the next update starts a new worker."""
        try:
            while backlog.jobs:
                job, counted = backlog.jobs.popleft()
                try:
                    await job()
                except Exception as exc:
                    self._log_failure(exc)
                finally:
                    if counted:
                        await self._done(chat_id)
        finally:
            if self._backlogs.get(chat_id) is backlog:
                del self._backlogs[chat_id]

    async def _drain(self) -> None:
        """Let the chats' queues be worked off, for `STOP_GRACE` seconds at most."""
        if self._answering:  # presses answered though dropped
            await asyncio.wait(set(self._answering), timeout=STOP_GRACE)
        workers = {b.worker for b in self._backlogs.values() if b.worker is not None}
        if not workers:
            return
        _, late = await asyncio.wait(workers, timeout=STOP_GRACE)
        if late:
            left = sum(len(b.jobs) for b in self._backlogs.values())
            log.warning("telegram: stopping with %d updates of %d chats not handled", left, len(late))
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    def _slow_down(self, chat_id: int, user: User | None) -> Job:
        locale = pick_locale(user.language_code if user else None, self.app.settings.default_locale)

        async def tell() -> None:
            tr = self.app.engine.tr(locale)
            await self._send(
                chat_id,
                Part(
                    str(
                        tr._(
                            "You are sending messages faster than I can read them. Please wait a "
                            "moment, then send this one again."
                        )
                    )
                ),
            )

        return tell

    async def wait_handled(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` updates have been handled and their replies sent."""
        async with asyncio.timeout(timeout), self._progress:
            await self._progress.wait_for(lambda: self.handled >= count)

    def _on_message(self, update: Update) -> Work:
        message = update.message
        user = message.from_user if message else None
        if message is None or user is None or user.is_bot:
            return None
        incoming = parse.incoming(user, parse.event_of(message))
        chat_id = message.chat.id

        async def step() -> None:
            replies = await self.app.engine.handle(incoming)
            await self.reply(chat_id, replies)

        return chat_id, step, user

    def _on_press(self, update: Update) -> Work:
        query = update.callback_query
        if query is None:
            return None
        # Answered at once, whatever the data (stale or forged too), even when the press is
        # dropped: the button stops spinning. The answer goes out before the engine has even
        # looked at the press, and the engine works while it travels: awaiting it first (or before
        # the edit) adds a round trip to Telegram to every press (measured: p50 67 ms against
        # 37 ms with a 30 ms round trip, 40 residents).
        answered = asyncio.get_running_loop().create_task(self._answer(query.answer()))
        self._answering.add(answered)
        answered.add_done_callback(self._answering.discard)
        pressed = query.message if isinstance(query.message, Message) else None
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != ChatType.PRIVATE or query.data is None:
            return None
        incoming = parse.incoming(query.from_user, Choice(query.data))
        chat_id = chat.id

        async def step() -> None:
            try:
                replies = await self.app.engine.handle(incoming)
                editable = pressed.message_id if pressed is not None and pressed.text is not None else None
                await self.reply(chat_id, replies, edit=editable)
            finally:
                await answered

        return chat_id, step, query.from_user

    def _on_poll_answer(self, update: Update) -> Work:
        """A vote (or a withdrawn vote) on a native poll; the replies go to the voter's private
        chat, whose id is the voter's user id."""
        answer = update.poll_answer
        user = answer.user if answer is not None else None
        if answer is None or user is None or user.is_bot or answer.voter_chat is not None:
            return None  # a vote cast on behalf of a chat: nobody to answer in private
        incoming = parse.incoming(user, PollVote(answer.poll_id, tuple(answer.option_ids)))

        async def step() -> None:
            replies = await self.app.engine.handle(incoming)
            await self.reply(user.id, replies)

        return user.id, step, user

    async def _answer(self, answering: Any) -> None:
        try:
            await answering
        except TelegramError as exc:  # too old, already answered: nothing to do about it
            log.debug("telegram: answerCallbackQuery failed: %s", self._said(exc))

    def _on_group(self, update: Update) -> Work:
        """Once per group: how to reach the bot in private. Group messages are never read."""
        chat, user = update.effective_chat, update.effective_user
        if chat is None:
            return None
        chat_id = chat.id

        async def step() -> None:
            key = GROUP_TOLD.format(chat_id=chat_id)
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
            await self._send(chat_id, Part(str(text)))

        return chat_id, step, user

    # Replies --------------------------------------------------------------------------------

    async def reply(self, chat_id: int, replies: list[Outgoing], *, edit: int | None = None) -> None:
        """Send the engine's replies; with `edit`, the first one replaces that message."""
        for i, part in enumerate(p for r in replies for p in plan(r)):
            if i == 0 and edit is not None and part.is_text and await self._edit(chat_id, edit, part):
                continue
            await self._send(chat_id, part)

    async def _edit(self, chat_id: int, message_id: int, part: Part) -> bool:
        """Replace a message; False when it cannot be (then the reply goes as a new message)."""
        await self._paced(chat_id)
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

    async def _paced(self, chat_id: int) -> None:
        """Wait for this chat's pace (only this chat's worker waits), then take a token of the
        channel's limiter without waiting."""
        delay = self._pace.delay(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)
        self.limiter.take_now()

    async def _send(self, chat_id: int, part: Part) -> None:
        await self._paced(chat_id)
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
        if context.error is not None:
            self._log_failure(context.error)

    def _log_failure(self, error: BaseException) -> None:
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        log.error("telegram: an update could not be handled:\n%s", self._scrub(trace))

    def _on_poll_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed, retrying: %s", self._said(error))
