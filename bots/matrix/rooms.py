"""What happens in the bot's rooms: joining on invitation, talking, leaving.

A room is a direct conversation with one person, who may also be reached there by the outbox.
Messages (and answers to the bot's polls) become `Incoming`s for the engine; its replies go back
in order. A typed number or label answers the numbered list shown last in the room (a question,
a menu, a notification, a poll's fallback): the engine checks every choice again. Encrypted
rooms get one notice, then the bot leaves them.

Matrix says nothing of a person's language (profiles have none, and guessing from one message is
unreliable), so the locale hint is None: a newcomer starts in the territory's default language,
and onboarding asks them which language they prefer first thing."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from nio import AsyncClient, JoinedMembersResponse, JoinResponse

from dialogs.contract import CAN_IMAGES, CAN_LOCATION, CAN_PHOTO, Choice, Event, Incoming, Reply, Text
from dialogs.engine import Engine, match_option
from dialogs.tr import N_
from lte_core.domain import fold
from lte_core.store import UnitOfWork

from .render import POLL_RESPONSES, parse_message, parse_poll_response
from .sender import Outlet
from .store import MatrixStore

log = logging.getLogger(__name__)

CHANNEL = "matrix"
CAPABILITIES = frozenset({CAN_LOCATION, CAN_PHOTO, CAN_IMAGES})  # no buttons: numbered lists
ENCRYPTED_NOTICE = N_(
    "Sorry, this conversation is end-to-end encrypted, and I cannot read encrypted messages "
    "yet. Please start a new conversation with me without encryption."
)


class Conversations:
    def __init__(
        self, client: AsyncClient, engine: Engine, store: MatrixStore, outlet: Outlet, epoch_ms: int
    ) -> None:
        self.client = client
        self.engine = engine
        self.store = store
        self.outlet = outlet
        self.epoch_ms = epoch_ms
        self.own = client.user_id
        self._joining: set[str] = set()  # joined, their timeline not read yet

    # Invitations --------------------------------------------------------------------------

    async def invited(self, room_id: str) -> None:
        """Join the room (a person invites the bot into their direct room)."""
        for attempt in range(1, 6):
            try:
                resp = await self.client.join(room_id)
            except (aiohttp.ClientError, TimeoutError, OSError):
                await asyncio.sleep(0.5 * 2**attempt)
                continue
            if isinstance(resp, JoinResponse):
                self._joining.add(room_id)
                return
            if getattr(resp, "status_code", None) == "M_LIMIT_EXCEEDED":
                await asyncio.sleep((getattr(resp, "retry_after_ms", None) or 1000) / 1000)
                continue
            log.warning(
                "matrix: could not join a room I was invited to (%s)", getattr(resp, "status_code", resp)
            )
            return
        log.warning("matrix: could not join a room I was invited to (no answer from the homeserver)")

    async def refuse_encrypted(self, room_id: str, person: str) -> None:
        locale = await self.locale_of(person)
        await self.outlet.reply(room_id, [Reply(self.engine.tr(locale)._(ENCRYPTED_NOTICE))])
        await self.leave(room_id)
        log.info("matrix: left an encrypted room after telling why")

    async def locale_of(self, mxid: str) -> str:
        async with UnitOfWork(self.engine.db) as uow:
            ident = await uow.people.identity(CHANNEL, mxid)
            person = await uow.people.get(ident.person_id) if ident else None
        return person.locale if person else self.engine.settings.default_locale

    # Timelines ----------------------------------------------------------------------------

    async def timeline(self, room_id: str, events: list[dict[str, Any]]) -> None:
        since = self.epoch_ms
        if room_id in self._joining:
            # A room just joined shows its past: what came before the invitation is not for us
            # (what came after is: a person may write before the bot has joined).
            self._joining.discard(room_id)
            invite = next((e for e in events if self._invites_me(e)), None)
            since = max(since, int(invite.get("origin_server_ts", 0)) if invite else 0)
        for event in events:
            kind = event.get("type")
            if kind == "m.room.encryption":
                await self.refuse_encrypted(room_id, str(event.get("sender", "")))
                return
            if kind == "m.room.member":
                if await self.membership(room_id, event):
                    return
            elif kind == "m.room.message" and int(event.get("origin_server_ts", 0)) >= since:
                await self.message(room_id, event)
            elif kind in POLL_RESPONSES and int(event.get("origin_server_ts", 0)) >= since:
                await self.poll_response(room_id, event)

    def _invites_me(self, event: dict[str, Any]) -> bool:
        return event.get("state_key") == self.own and _membership(event) == "invite"

    async def message(self, room_id: str, event: dict[str, Any]) -> None:
        content = event.get("content")
        sender = event.get("sender")
        if not isinstance(content, dict) or not isinstance(sender, str) or sender == self.own:
            return
        parsed = parse_message(content)
        if parsed is None:
            return
        if isinstance(parsed, Text) and fold(parsed.text.strip()) not in self.engine.registry.words:
            lettered = await self.store.lettered(room_id)
            numbered = await self.store.options(room_id)
            token = _by_letter(parsed.text, lettered)
            if token is None:
                # With no question waiting, « 1 » or a label answers the notification shown last.
                token = match_option(parsed.text, numbered or lettered)
            if token is not None:
                parsed = Choice(token)
        await self.hand(room_id, sender, parsed)

    async def poll_response(self, room_id: str, event: dict[str, Any]) -> None:
        """An answer to a poll the bot started: a PollVote for the engine, tied to the start event."""
        content = event.get("content")
        sender = event.get("sender")
        if not isinstance(content, dict) or not isinstance(sender, str) or sender == self.own:
            return
        vote = parse_poll_response(content)
        if vote is not None:
            await self.hand(room_id, sender, vote)

    async def hand(self, room_id: str, sender: str, event: Event) -> None:
        """One person's input to the engine; its replies back in the room, in order."""
        room = self.client.rooms.get(room_id)
        name = room.user_name(sender) if room is not None else None
        incoming = Incoming(CHANNEL, sender, event, None, name if name != sender else None, CAPABILITIES)
        replies = await self.engine.handle(incoming)
        if replies:  # a vote may have no answer: what the room shows stays as it is
            await self.outlet.reply(room_id, replies)
        await self.remember(sender, room_id)

    async def remember(self, mxid: str, room_id: str) -> None:
        """A person's direct room is the one they talk in (when it is only them and the bot)."""
        await self.store.set_declined(mxid, False)  # they are talking to the bot again
        if await self.store.dm_room(mxid) == room_id:
            return
        if await self.members(room_id) <= 2:
            await self.store.set_dm_room(mxid, room_id)

    # Comings and goings -------------------------------------------------------------------

    async def membership(self, room_id: str, event: dict[str, Any]) -> bool:
        """A person left: forget the room as theirs, and leave it if the bot is alone. True if left."""
        who = event.get("state_key")
        if not isinstance(who, str) or who == self.own or _membership(event) not in ("leave", "ban"):
            return False
        unsigned = event.get("unsigned")
        before = unsigned.get("prev_content") if isinstance(unsigned, dict) else None
        if isinstance(before, dict) and before.get("membership") == "invite" and event.get("sender") == who:
            # They refused the bot's invitation: the outbox will not invite them again by itself.
            if await self.store.dm_room(who) == room_id:
                await self.store.set_declined(who, True)
        await self.store.forget_dm_room(who, room_id)
        if await self.members(room_id) <= 1:
            await self.leave(room_id)
            return True
        return False

    async def members(self, room_id: str) -> int:
        """Joined and invited members, from the sync's summary, or asked when it is not known."""
        room = self.client.rooms.get(room_id)
        summary = getattr(room, "summary", None)
        if summary is not None and summary.joined_member_count is not None:
            return int(summary.joined_member_count) + int(summary.invited_member_count or 0)
        resp = await self.client.joined_members(room_id)
        if isinstance(resp, JoinedMembersResponse):
            return len(resp.members)
        return 2  # unknown: keep things as they are

    async def leave(self, room_id: str) -> None:
        try:
            await self.client.room_leave(room_id)
            await self.client.room_forget(room_id)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            log.warning("matrix: could not leave a room (%s)", type(exc).__name__)
        await self.left(room_id)

    async def left(self, room_id: str) -> None:
        """The bot is out of a room: it is nobody's direct room any more."""
        for mxid, known in list(self.store.known_dm_rooms().items()):
            if known == room_id:
                await self.store.forget_dm_room(mxid, room_id)

    def room_left_by_person(self, room_id: str) -> bool:
        """For the outbox: the sync already shows the bot alone in this room."""
        room = self.client.rooms.get(room_id)
        summary = getattr(room, "summary", None)
        if summary is None or summary.joined_member_count is None:
            return False
        return int(summary.joined_member_count) + int(summary.invited_member_count or 0) <= 1


def _membership(event: dict[str, Any]) -> str | None:
    content = event.get("content")
    if event.get("type") != "m.room.member" or not isinstance(content, dict):
        return None
    return str(content.get("membership"))


__all__ = ["CAPABILITIES", "CHANNEL", "ENCRYPTED_NOTICE", "Conversations"]


def _by_letter(text: str, lettered: list[list[str]]) -> str | None:
    """« a » (or « a. », « A) ») typed after a notification: the token of its lettered choice."""
    typed = text.strip().lower().rstrip(".)")
    if len(typed) == 1 and "a" <= typed <= "z":
        index = ord(typed) - ord("a")
        if index < len(lettered):
            return lettered[index][0]
    return None
