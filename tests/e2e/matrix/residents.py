"""People on the test Synapse: real matrix-nio clients that sync in the background, and the bot.

`Resident.ask(text, expect)` sends a message and waits (on syncs, never on a clock) until a
message of the bot contains `expect`; `Resident.choose(label, expect)` answers the numbered list
shown last by typing the number of `label`."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nio import AsyncClient, JoinResponse, RoomCreateResponse, RoomPreset, RoomSendResponse, SyncResponse

from bots.bootstrap import Runtime, open_runtime
from bots.matrix import MatrixChannel
from dialogs.engine import Engine
from lte_core.config import MatrixSettings, Secret, Settings
from tests.support.synapse import Synapse

PASSWORD = "correct horse battery staple"
# Big enough that no sync of a test is ever "limited": every message is seen.
_FILTER = {"room": {"timeline": {"limit": 1000}}, "presence": {"not_types": ["*"]}}
_NUMBERED = re.compile(r"^(\d+)\. (.*)$", re.M)


def localpart(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def eventually(found: Callable[[], Any], within: float = 15.0) -> Any:
    """For what only the bot's side shows (no sync of a resident tells it): look until it holds."""
    async with asyncio.timeout(within):
        while not (value := found()):  # noqa: ASYNC110 (the bot's inner state has no event to await)
            await asyncio.sleep(0.05)
    return value


@dataclass
class Resident:
    synapse: Synapse
    bot_id: str
    prefix: str = "resident"
    auto_join: bool = False  # join the rooms the bot invites us to
    user_id: str = ""
    client: AsyncClient | None = None
    room_id: str = ""
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # room → timeline
    invites: list[str] = field(default_factory=list)
    missed: bool = False  # a sync skipped events: the test cannot trust what it saw
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> Resident:
        self.user_id, token = self.synapse.register_user(localpart(self.prefix), PASSWORD)
        device = self.synapse.whoami(token)["device_id"]
        self.client = AsyncClient(self.synapse.base_url)
        self.client.restore_login(self.user_id, device, token)
        first = await self.client.sync(timeout=0, sync_filter=_FILTER)
        assert isinstance(first, SyncResponse), first
        self._task = asyncio.create_task(self._loop(first.next_batch))
        return self

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(BaseException):
                await self._task
        if self.client is not None:
            await self.client.close()

    async def _loop(self, since: str) -> None:
        assert self.client is not None
        while True:
            resp = await self.client.sync(timeout=30_000, sync_filter=_FILTER, since=since)
            if not isinstance(resp, SyncResponse):
                await asyncio.sleep(0.2)
                continue
            since = resp.next_batch
            for room_id in resp.rooms.invite:
                self.invites.append(room_id)
                if self.auto_join:
                    joined = await self.client.join(room_id)
                    assert isinstance(joined, JoinResponse), joined
                    self.room_id = room_id
            for room_id, info in resp.rooms.join.items():
                # A room seen for the first time is "limited" (it has a past); later, never.
                if info.timeline.limited and room_id in self.events:
                    self.missed = True
                self.events.setdefault(room_id, []).extend(e.source for e in info.timeline.events)
            self._changed.set()

    async def wait_for(self, found: Callable[[], Any], within: float = 30.0) -> Any:
        """Wait (on syncs) until `found()` is truthy; its value."""
        async with asyncio.timeout(within):
            while True:
                self._changed.clear()
                assert not self.missed, "a sync of the test skipped events"
                if self._task is not None and self._task.done():
                    self._task.result()  # the sync loop died: show why
                value = found()
                if value:
                    return value
                await self._changed.wait()

    # The conversation with the bot -----------------------------------------------------------

    async def open_dm(self, initial_state: list[dict[str, Any]] | None = None) -> str:
        """A direct room with the bot, as Element makes one: created with the bot invited."""
        assert self.client is not None
        created = await self.client.room_create(
            is_direct=True,
            invite=[self.bot_id],
            preset=RoomPreset.trusted_private_chat,
            initial_state=initial_state or [],
        )
        assert isinstance(created, RoomCreateResponse), created
        self.room_id = created.room_id
        return self.room_id

    async def wait_joined(self, room_id: str | None = None) -> None:
        room = room_id or self.room_id
        await self.wait_for(lambda: self.membership(room, self.bot_id) == "join")

    def membership(self, room_id: str, user_id: str) -> str | None:
        state = None
        for e in self.events.get(room_id, []):
            if e.get("type") == "m.room.member" and e.get("state_key") == user_id:
                state = e["content"].get("membership")
        return state

    def replies(self, room_id: str | None = None) -> list[dict[str, Any]]:
        """The contents of the bot's messages in the room, in order."""
        room = room_id or self.room_id
        return [
            e["content"]
            for e in self.events.get(room, [])
            if e.get("type") == "m.room.message" and e.get("sender") == self.bot_id
        ]

    def bodies(self, room_id: str | None = None) -> list[str]:
        return [str(c.get("body", "")) for c in self.replies(room_id)]

    async def send(self, text: str, room_id: str | None = None) -> None:
        assert self.client is not None
        sent = await self.client.room_send(
            room_id or self.room_id, "m.room.message", {"msgtype": "m.text", "body": text}
        )
        assert isinstance(sent, RoomSendResponse), sent

    async def ask(self, text: str, expect: str, within: float = 30.0) -> list[dict[str, Any]]:
        """Send `text`; wait for a reply containing `expect`; the replies since `text` was sent."""
        before = len(self.replies())
        await self.send(text)
        return await self.expect(expect, before, within)

    async def expect(self, expect: str, before: int = 0, within: float = 30.0) -> list[dict[str, Any]]:
        def found() -> list[dict[str, Any]] | None:
            new = self.replies()[before:]
            return new if any(expect in str(c.get("body", "")) for c in new) else None

        try:
            result: list[dict[str, Any]] = await self.wait_for(found, within)
        except TimeoutError:
            raise AssertionError(f"no reply with {expect!r}; the bot said {self.bodies()[before:]}") from None
        return result

    def number(self, label: str) -> str:
        """The number of `label` in the last numbered list the bot showed."""
        for body in reversed(self.bodies()):
            options = _NUMBERED.findall(body)
            if options:
                for number, text in options:
                    if label.casefold() in text.casefold():
                        return str(number)
                raise AssertionError(f"no {label!r} in {options}")
        raise AssertionError("the bot showed no numbered list")

    async def choose(self, label: str, expect: str) -> list[dict[str, Any]]:
        return await self.ask(self.number(label), expect)


@dataclass
class Bot:
    """The bot's process: a Runtime on a SQLite file and its MatrixChannel; restartable."""

    synapse: Synapse
    db_path: Path
    user_id: str = ""
    access_token: str = ""  # log in with LTE_MATRIX_ACCESS_TOKEN instead of the password
    engine_class: type[Engine] = Engine
    runtime: Runtime | None = None
    channel: MatrixChannel | None = None

    def __post_init__(self) -> None:
        self.user_id, token = self.synapse.register_user(localpart("lte-bot"), PASSWORD)
        if self.access_token:
            self.access_token = token

    async def start(self, **options: Any) -> Bot:
        settings = Settings(
            db_path=str(self.db_path),
            matrix=MatrixSettings(
                self.synapse.base_url,
                self.user_id,
                password=None if self.access_token else Secret(PASSWORD),
                access_token=Secret(self.access_token) if self.access_token else None,
            ),
        )
        self.runtime = await open_runtime(settings, engine_class=self.engine_class)
        self.channel = MatrixChannel(self.runtime, **options)
        await self.channel.start()
        return self

    async def stop(self) -> None:
        if self.channel is not None:
            await self.channel.stop()
            self.channel = None
        if self.runtime is not None:
            await self.runtime.close()
            self.runtime = None
