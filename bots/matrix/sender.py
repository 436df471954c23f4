"""Sending to Matrix: replies at once (in order, patiently through rate limits) and the outbox.

Matrix limits are per account (`M_LIMIT_EXCEEDED` + `retry_after_ms`): a limit met by anyone
pauses the shared `RateLimiter`, so bulk waits while replies go first. nio is configured not to
retry by itself (`max_limit_exceeded=0`, `max_timeouts=0`): the policy lives here."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
from nio import (
    AsyncClient,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    UploadResponse,
)

from dialogs.contract import Option, Outgoing, PollReply, Reply
from lte_core.outbox import RateLimiter, RetryLater, Undeliverable, Unreachable
from lte_core.store import OutboxMessage

from .render import messages
from .store import MatrixStore

if TYPE_CHECKING:
    from dialogs.engine import Engine

log = logging.getLogger(__name__)

# Bulk pace when the server says nothing: a bot account is usually exempted from the default
# limits by its homeserver's admin; a limit met anyway is honoured through M_LIMIT_EXCEEDED.
BULK_RATE = 20.0
BULK_BURST = 20.0
REPLY_ATTEMPTS = 6
# Refusals that trying again will not change (others, like a 500, are worth another try).
MALFORMED = frozenset({"M_TOO_LARGE", "M_BAD_JSON", "M_NOT_JSON", "M_INVALID_PARAM"})
FINAL = MALFORMED | {"M_FORBIDDEN", "M_NOT_FOUND", "M_UNKNOWN_TOKEN"}


class LimitExceeded(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"M_LIMIT_EXCEEDED, retry after {seconds:g}s")
        self.seconds = seconds


class Refused(Exception):
    """The homeserver refused the request (not a rate limit): `code` is its errcode."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}"[:300])
        self.code = code


RememberPoll = Callable[[str, str], Awaitable[None]]  # (poll start event id, the poll's ref)


class Outlet:
    """Puts replies in a room and keeps what the room shows last (its numbered choices, the polls
    started there); errors come back as exceptions the callers turn into policy."""

    def __init__(
        self,
        client: AsyncClient,
        limiter: RateLimiter,
        store: MatrixStore,
        remember_poll: RememberPoll,
    ) -> None:
        self.client = client
        self.limiter = limiter
        self.store = store
        self.remember_poll = remember_poll

    def error_of(self, resp: Any) -> Exception:
        """The exception for an error response; a rate limit also pauses the bulk sends."""
        code = str(getattr(resp, "status_code", None) or "M_UNKNOWN")
        if code == "M_LIMIT_EXCEEDED":
            seconds = (getattr(resp, "retry_after_ms", None) or 1000) / 1000
            self.limiter.pause(seconds)
            return LimitExceeded(seconds)
        return Refused(code, str(getattr(resp, "message", "")))

    async def upload(self, data: bytes, mime: str, filename: str) -> str:
        """Upload a file to the media repository; its mxc:// address."""
        resp, _keys = await self.client.upload(
            io.BytesIO(data), content_type=mime, filename=filename, filesize=len(data)
        )
        if not isinstance(resp, UploadResponse):
            raise self.error_of(resp)
        return str(resp.content_uri)

    async def put(
        self, room_id: str, item: Outgoing, txn_id: str, *, lettered: bool = False
    ) -> tuple[Option, ...]:
        """Send one reply (its files uploaded first; one event or more); the numbered choices it
        leaves shown. The same `txn_id` sent again is recognised by the homeserver: a retry never
        shows twice. A poll start is remembered as standing for its poll."""
        shown: tuple[Option, ...] = ()
        for j, message in enumerate(await messages(item, self.upload, lettered=lettered)):
            txn = txn_id if j == 0 else f"{txn_id}.{j}"
            resp = await self.client.room_send(room_id, message.type, message.content, tx_id=txn)
            if not isinstance(resp, RoomSendResponse):
                raise self.error_of(resp)
            if message.poll_ref is not None:
                await self.remember_poll(str(resp.event_id), message.poll_ref)
            shown = message.options
        return shown

    async def shown(self, room_id: str, options: Sequence[Option]) -> None:
        """The numbered choices the room shows last: a number typed there answers them."""
        await self.store.set_options(room_id, [[o.token, o.label] for o in options])

    async def reply(self, room_id: str, outgoing: Sequence[Outgoing]) -> bool:
        """Send a person's replies in order, at once: they pass before bulk (`take_now`) and wait
        out rate limits. False if the room refused them (the bot is no longer there)."""
        shown: tuple[Option, ...] = ()
        aside: tuple[Option, ...] = ()
        # Only the last reply with choices is numbered (the question waiting); a card shown before
        # it is lettered, so that « 1 » answers what the person sees last.
        last = max((i for i, r in enumerate(outgoing) if _choices(r)), default=-1)
        for i, item in enumerate(outgoing):
            txn_id = uuid.uuid4().hex
            self.limiter.take_now()
            lettered = i < last and isinstance(item, Reply)
            for attempt in range(1, REPLY_ATTEMPTS + 1):
                try:
                    put = await self.put(room_id, item, txn_id, lettered=lettered)
                    if lettered:
                        aside = put or aside
                    else:
                        shown = put
                    break
                except LimitExceeded as exc:
                    await asyncio.sleep(exc.seconds)
                except (Refused, aiohttp.ClientError, TimeoutError, OSError) as exc:
                    if isinstance(exc, Refused) and exc.code in FINAL:
                        log.warning("matrix: a reply was refused in %s (%s)", room_id, exc.code)
                        return False
                    await asyncio.sleep(min(0.5 * 2**attempt, 10.0))
            else:
                log.error(
                    "matrix: a reply could not be sent to %s after %d attempts", room_id, REPLY_ATTEMPTS
                )
                return False
        if outgoing:
            await self.shown(room_id, shown)
            if aside:
                await self.store.set_lettered(room_id, [[o.token, o.label] for o in aside])
        return True


def _choices(item: Outgoing) -> tuple[Option, ...]:
    if isinstance(item, Reply):
        return item.options
    if isinstance(item, PollReply):
        return item.fallback.options
    return ()


class MatrixSender:
    """The outbox's Matrix sender: each message to its person's direct room, made when needed."""

    channel = "matrix"

    def __init__(
        self,
        outlet: Outlet,
        store: MatrixStore,
        engine: Engine,
        *,
        txn_prefix: str,
        room_left: Callable[[str], bool] = lambda room_id: False,
    ) -> None:
        self.outlet = outlet
        self.store = store
        self.engine = engine
        self.txn_prefix = txn_prefix
        self.room_left = room_left  # the person left this room (known from the sync)

    async def deliver(self, msg: OutboxMessage) -> None:
        mxid = msg.external_id
        if await self.store.declined(mxid):
            raise Unreachable("declined the bot's invitation")
        try:
            outgoing = self.engine.render(msg)
        except (KeyError, ValueError, TypeError) as exc:
            raise Undeliverable(f"cannot render {msg.kind}: {exc!r}") from exc
        room_id = await self.store.dm_room(mxid)
        if room_id is not None and self.room_left(room_id):
            await self.store.forget_dm_room(mxid, room_id)
            room_id = None
        created = room_id is None
        if room_id is None:
            room_id = await self.create_room(mxid)
        try:
            await self.send(room_id, msg, outgoing)
        except Refused as exc:
            if exc.code in MALFORMED:
                raise Undeliverable(str(exc)) from exc
            if exc.code != "M_FORBIDDEN":
                raise  # the dispatcher tries again later, a bounded number of times
            await self.store.forget_dm_room(mxid, room_id)
            if created:
                raise Unreachable(str(exc)) from exc
            # The bot is no longer in their room (they left it, and so did the bot): invite them once more.
            log.info("matrix: a person's direct room is closed to the bot; inviting them into a new one")
            room_id = await self.create_room(mxid)
            try:
                await self.send(room_id, msg, outgoing)
            except Refused as again:
                if again.code == "M_FORBIDDEN":
                    raise Unreachable(str(again)) from again
                raise

    async def send(self, room_id: str, msg: OutboxMessage, outgoing: Sequence[Outgoing]) -> None:
        """A notification: its choices are lettered (a, b…), so that it never changes what a
        number typed next answers (the question waiting); a poll's numbered fallback is the poll."""
        shown: tuple[Option, ...] = ()
        lettered: tuple[Option, ...] = ()
        for i, item in enumerate(outgoing):
            letters = isinstance(item, Reply)
            try:
                put = await self.outlet.put(
                    room_id, item, f"{self.txn_prefix}.o{msg.id}.{i}", lettered=letters
                )
            except LimitExceeded as exc:
                raise RetryLater(exc.seconds, whole_channel=True) from exc
            if letters:
                lettered = put or lettered
            else:
                shown = put
        if shown:
            await self.outlet.shown(room_id, shown)
        if lettered:
            await self.outlet.store.set_lettered(room_id, [[o.token, o.label] for o in lettered])

    async def create_room(self, mxid: str) -> str:
        resp = await self.outlet.client.room_create(
            is_direct=True, invite=[mxid], preset=RoomPreset.trusted_private_chat
        )
        if not isinstance(resp, RoomCreateResponse):
            error = self.outlet.error_of(resp)
            if isinstance(error, LimitExceeded):
                raise RetryLater(error.seconds, whole_channel=True)
            if getattr(resp, "status_code", None) in ("M_FORBIDDEN", "M_NOT_FOUND"):
                raise Unreachable(f"no direct room: {error}")
            raise error
        room_id = str(resp.room_id)
        await self.store.set_dm_room(mxid, room_id)
        log.info("matrix: created a direct room for a person")
        return room_id
