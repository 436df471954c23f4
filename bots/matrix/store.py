"""What the Matrix adapter keeps in the database (`uow.kv`), behind a small memory cache.

Keys: `matrix.session` (account, device, access token), `matrix.next_batch` (the sync token of
the last sync whose events were all handled), `matrix.epoch_ms` (when this database first synced:
older messages are history, never answered), `matrix.dm.<mxid>` (the direct room of a person),
`matrix.opts.<room>` (the numbered choices last shown in a room), `matrix.declined.<mxid>`
(the person refused the bot's invitation: the outbox stops inviting them)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lte_core.store import Database, UnitOfWork

Options = list[list[str]]  # [[token, label], ...] as shown, numbered from 1


@dataclass
class Session:
    user_id: str = ""
    device_id: str = ""
    access_token: str = ""
    next_batch: str | None = None


class MatrixStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._dm: dict[str, str | None] = {}
        self._opts: dict[str, Options] = {}
        self._token: str | None = None
        self._declined: dict[str, bool] = {}

    # Session ------------------------------------------------------------------------------

    async def session(self) -> Session:
        async with UnitOfWork(self.db) as uow:
            raw = await uow.kv.get("matrix.session")
            token = await uow.kv.get("matrix.next_batch")
        data = json.loads(raw) if raw else {}
        self._token = token
        return Session(
            str(data.get("user_id", "")),
            str(data.get("device_id", "")),
            str(data.get("access_token", "")),
            token,
        )

    async def save_session(self, user_id: str, device_id: str, access_token: str) -> None:
        """The account's login; a different account than before starts its sync afresh."""
        value = json.dumps({"user_id": user_id, "device_id": device_id, "access_token": access_token})
        async with UnitOfWork(self.db) as uow:
            old = await uow.kv.get("matrix.session")
            if old and json.loads(old).get("user_id") != user_id:
                await uow.kv.delete("matrix.next_batch")
                await uow.kv.delete("matrix.epoch_ms")
                self._token = None
            await uow.kv.set("matrix.session", value)

    async def begin_history(self, epoch_ms: int) -> int:
        """The first sync of this database: what is older than now is history. Kept once set."""
        async with UnitOfWork(self.db) as uow:
            old = await uow.kv.get("matrix.epoch_ms")
            if old:
                return int(old)
            await uow.kv.set("matrix.epoch_ms", str(epoch_ms))
        return epoch_ms

    async def save_token(self, token: str) -> None:
        if token == self._token:
            return
        async with UnitOfWork(self.db) as uow:
            await uow.kv.set("matrix.next_batch", token)
        self._token = token

    # Direct rooms -------------------------------------------------------------------------

    async def dm_room(self, mxid: str) -> str | None:
        if mxid not in self._dm:
            async with UnitOfWork(self.db) as uow:
                self._dm[mxid] = await uow.kv.get(f"matrix.dm.{mxid}")
        return self._dm[mxid]

    async def set_dm_room(self, mxid: str, room_id: str) -> None:
        if await self.dm_room(mxid) == room_id:
            return
        async with UnitOfWork(self.db) as uow:
            await uow.kv.set(f"matrix.dm.{mxid}", room_id)
        self._dm[mxid] = room_id

    def known_dm_rooms(self) -> dict[str, str]:
        """The direct rooms read or set since the start (person → room)."""
        return {mxid: room for mxid, room in self._dm.items() if room}

    async def forget_dm_room(self, mxid: str, room_id: str) -> bool:
        """Forget the person's direct room if it is still this one."""
        if await self.dm_room(mxid) != room_id:
            return False
        async with UnitOfWork(self.db) as uow:
            await uow.kv.delete(f"matrix.dm.{mxid}")
        self._dm[mxid] = None
        return True

    # Numbered choices ---------------------------------------------------------------------

    async def options(self, room_id: str) -> Options:
        if room_id not in self._opts:
            async with UnitOfWork(self.db) as uow:
                raw = await uow.kv.get(f"matrix.opts.{room_id}")
            self._opts[room_id] = json.loads(raw) if raw else []
        return self._opts[room_id]

    async def set_options(self, room_id: str, options: Options) -> None:
        if await self.options(room_id) == options:
            return
        async with UnitOfWork(self.db) as uow:
            if options:
                await uow.kv.set(f"matrix.opts.{room_id}", json.dumps(options, ensure_ascii=False))
            else:
                await uow.kv.delete(f"matrix.opts.{room_id}")
        self._opts[room_id] = options

    # Refused invitations ------------------------------------------------------------------

    async def declined(self, mxid: str) -> bool:
        if mxid not in self._declined:
            async with UnitOfWork(self.db) as uow:
                self._declined[mxid] = await uow.kv.get(f"matrix.declined.{mxid}") is not None
        return self._declined[mxid]

    async def set_declined(self, mxid: str, declined: bool) -> None:
        if await self.declined(mxid) == declined:
            return
        async with UnitOfWork(self.db) as uow:
            if declined:
                await uow.kv.set(f"matrix.declined.{mxid}", "1")
            else:
                await uow.kv.delete(f"matrix.declined.{mxid}")
        self._declined[mxid] = declined
