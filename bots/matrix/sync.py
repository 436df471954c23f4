"""The sync loop: long-polls the homeserver and hands each room's events to that room's queue.

Rooms are worked concurrently, each one strictly in order, and the loop never waits for them. A
sync token is saved only once every event of its sync (and of the syncs before) was handled, so
a restart replays nothing that was answered and misses nothing that was not. The very first sync
of a database is history: only its pending invitations are taken."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from nio import AsyncClient, MessageDirection, RoomMessagesResponse, SyncResponse, UploadFilterResponse

from .render import POLL_RESPONSES
from .store import MatrixStore

log = logging.getLogger(__name__)

# What the bot reads: messages, answers to its polls, who comes and goes, and whether a room
# turns encrypted.
TIMELINE_TYPES = ["m.room.message", *sorted(POLL_RESPONSES), "m.room.member", "m.room.encryption"]
GAP_PAGES = 20  # a restart after a long stop reads at most this many pages of 100 per room


def sync_filter(timeline_limit: int, own_user_id: str) -> dict[str, Any]:
    """Only what the bot uses: no presence, receipts, typing or account data; members lazily; not
    its own events (each reply would otherwise come back in a sync of its own)."""
    return {
        "presence": {"not_types": ["*"]},
        "account_data": {"not_types": ["*"]},
        "room": {
            "timeline": {"limit": timeline_limit, "types": TIMELINE_TYPES, "not_senders": [own_user_id]},
            "state": {"lazy_load_members": True, "types": ["m.room.member", "m.room.encryption"]},
            "ephemeral": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
        },
    }


class RoomWork(Protocol):
    """What the channel does with a room's news (each call runs in that room's queue)."""

    async def invited(self, room_id: str) -> None: ...

    async def timeline(self, room_id: str, events: list[dict[str, Any]]) -> None: ...

    async def left(self, room_id: str) -> None: ...


def _kind(event: Any) -> Any:
    source = getattr(event, "source", None)
    return source.get("type") if isinstance(source, dict) else None


@dataclass
class _Batch:
    token: str
    pending: int = 0


class Syncer:
    def __init__(
        self,
        client: AsyncClient,
        store: MatrixStore,
        work: RoomWork,
        *,
        timeline_limit: int = 100,
        poll_ms: int = 30_000,
        relogin: Callable[[], Awaitable[bool]] | None = None,
    ) -> None:
        self.client = client
        self.store = store
        self.work = work
        self.timeline_limit = timeline_limit
        self.poll_ms = poll_ms
        self.relogin = relogin
        self.own = client.user_id
        self._filter: str | dict[str, Any] = sync_filter(timeline_limit, self.own)
        self._queues: dict[str, deque[tuple[Callable[[], Awaitable[None]], _Batch]]] = {}
        self._workers: set[asyncio.Task[None]] = set()
        self._batches: deque[_Batch] = deque()
        self._done_token: str | None = None
        self._dirty = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._saver: asyncio.Task[None] | None = None
        self._stopping = False
        self.synced = asyncio.Event()  # set after the first sync: the bot is listening

    # Lifecycle ----------------------------------------------------------------------------

    async def start(self, since: str | None) -> None:
        """Start the loop from `since` (None: the first sync of this database, read as history)."""
        flt = sync_filter(self.timeline_limit, self.own)
        try:  # a stored filter spares the server parsing it at every sync; inline works too
            resp = await self.client.upload_filter(
                presence=flt["presence"], account_data=flt["account_data"], room=flt["room"]
            )
            if isinstance(resp, UploadFilterResponse):
                self._filter = str(resp.filter_id)
        except (aiohttp.ClientError, TimeoutError, OSError):
            pass
        self._saver = asyncio.create_task(self._save_tokens(), name="matrix-sync-token")
        self._task = asyncio.create_task(self._run(since), name="matrix-sync")

    async def stop(self, grace: float = 10.0) -> None:
        """Stop syncing, let the rooms finish what they hold (up to `grace` s), save the token."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._workers:
            _done, pending = await asyncio.wait(set(self._workers), timeout=grace)
            for task in pending:  # a last resort: their events are read again at the next start
                task.cancel()
            if pending:
                await asyncio.wait(pending)
                log.warning(
                    "matrix: stopped with %d room(s) still busy; they will be read again", len(pending)
                )
        if self._saver is not None:
            # Not cancelled: a task cancelled inside a transaction would leave it open.
            self._stopping = True
            self._dirty.set()
            await self._saver

    # The loop -----------------------------------------------------------------------------

    async def _run(self, since: str | None) -> None:
        failures = 0
        while True:
            first = since is None
            try:
                resp = await self.client.sync(
                    # No waiting until the first answer: catching up (or starting afresh) is at once.
                    timeout=self.poll_ms if self.synced.is_set() else 0,
                    sync_filter=sync_filter(1, self.own) if first else self._filter,
                    since=since,
                )
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                failures += 1
                log.warning("matrix: sync failed (%s); retrying", type(exc).__name__)
                await asyncio.sleep(min(2.0**failures, 30.0))
                continue
            if not isinstance(resp, SyncResponse):
                failures += 1
                code = getattr(resp, "status_code", None)
                log.warning("matrix: sync refused (%s); retrying", code)
                if code == "M_UNKNOWN_TOKEN" and self.relogin is not None and await self.relogin():
                    continue
                await asyncio.sleep(min(2.0**failures, 30.0))
                continue
            failures = 0
            self._dispatch(resp, since)
            since = resp.next_batch
            self.synced.set()

    def _dispatch(self, resp: SyncResponse, since: str | None) -> None:
        batch = _Batch(resp.next_batch)
        self._batches.append(batch)
        for room_id in resp.rooms.invite:
            self._enqueue(room_id, batch, functools.partial(self.work.invited, room_id))
        if since is not None:  # the first sync is history: its timelines are not read
            for room_id, info in resp.rooms.join.items():
                # Encryption may be in the state (a room just joined) as well as in the timeline.
                events = [e.source for e in info.state if _kind(e) == "m.room.encryption"]
                events += [e.source for e in info.timeline.events if self._relevant(e.source)]
                gap = info.timeline.prev_batch if info.timeline.limited else None
                if events or gap:
                    self._enqueue(room_id, batch, self._timeline_job(room_id, events, gap, since))
            for room_id in resp.rooms.leave:
                self._enqueue(room_id, batch, functools.partial(self.work.left, room_id))
        self._advance()

    def _relevant(self, source: Any) -> bool:
        if not isinstance(source, dict):
            return False
        kind = source.get("type")
        if kind == "m.room.message" or kind in POLL_RESPONSES:
            return bool(source.get("sender") != self.own)
        return kind in ("m.room.member", "m.room.encryption")

    def _timeline_job(
        self, room_id: str, events: list[dict[str, Any]], gap: str | None, since: str
    ) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            missed = await self._fill_gap(room_id, gap, since) if gap else []
            await self.work.timeline(room_id, missed + events)

        return job

    async def _fill_gap(self, room_id: str, prev_batch: str, since: str) -> list[dict[str, Any]]:
        """A limited timeline hides events between the last sync and this one: read them back."""
        found: list[dict[str, Any]] = []
        start = prev_batch
        for _ in range(GAP_PAGES):
            resp = await self.client.room_messages(
                room_id,
                start=start,
                end=since,
                direction=MessageDirection.back,
                limit=100,
                message_filter={"types": TIMELINE_TYPES, "not_senders": [self.own]},
            )
            if not isinstance(resp, RoomMessagesResponse):
                log.warning("matrix: could not read the messages missed in a room (%s)", resp)
                break
            found.extend(e.source for e in resp.chunk if self._relevant(getattr(e, "source", None)))
            if not resp.chunk or not resp.end or resp.end == start:
                break
            start = resp.end
        found.reverse()
        return found

    # Room queues and the saved token -------------------------------------------------------

    def _enqueue(self, room_id: str, batch: _Batch, job: Callable[[], Awaitable[None]]) -> None:
        batch.pending += 1
        queue = self._queues.get(room_id)
        if queue is None:
            queue = self._queues[room_id] = deque()
            task = asyncio.create_task(self._work(room_id, queue), name=f"matrix-room-{room_id}")
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        queue.append((job, batch))

    async def _work(self, room_id: str, queue: deque[tuple[Callable[[], Awaitable[None]], _Batch]]) -> None:
        try:
            while queue:
                job, batch = queue[0]
                try:
                    await job()
                except Exception:
                    log.exception("matrix: handling a room's events failed")
                queue.popleft()
                batch.pending -= 1
                self._advance()
        finally:
            if self._queues.get(room_id) is queue:
                del self._queues[room_id]

    def _advance(self) -> None:
        while self._batches and self._batches[0].pending == 0:
            self._done_token = self._batches.popleft().token
            self._dirty.set()

    async def _save_tokens(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            if self._done_token is not None:
                try:
                    await self.store.save_token(self._done_token)
                except Exception:
                    log.exception("matrix: could not save the sync token")
                    await asyncio.sleep(1)
            if self._stopping:
                return
