"""What the Matrix adapter keeps in the database, in its own tables (migration 0003), behind a
small memory cache.

`matrix_account`: the bot's account (device, access token: never the password), the sync token of
the last sync whose events were all handled, and when this database first synced (older messages
are history, never answered). `matrix_direct_rooms`: each person's direct room with the bot.
`matrix_declined_invites`: people who refused the bot's invitation (the outbox stops inviting
them). `matrix_room_choices`: the numbered choices last shown in a room. A person's rows are tied
to their Matrix identity: deleting it deletes them (and the choices of their direct room)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from lte_core.store import Connection, Database, Row, UnitOfWork

Options = list[list[str]]  # [[token, label], ...] as shown, numbered from 1

_IDENTITY = "(SELECT id FROM identities WHERE channel = 'matrix' AND external_id = ?)"


@dataclass
class Session:
    user_id: str = ""
    device_id: str = ""
    access_token: str = ""
    next_batch: str | None = None


async def _one(conn: Connection, sql: str, *args: object) -> Row | None:
    async with conn.execute(sql, args) as cur:
        return await cur.fetchone()


class MatrixStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._dm: dict[str, str | None] = {}
        self._opts: dict[str, Options] = {}
        self._letters: dict[str, Options] = {}
        self._token: str | None = None
        self._declined: dict[str, bool] = {}
        self._account = ""  # the account whose sync token and history this store keeps

    # Session ------------------------------------------------------------------------------

    async def session(self) -> Session:
        """The login kept from the last start (an empty Session on a database never logged in)."""
        async with UnitOfWork(self.db) as uow:
            row = await _one(
                uow.db.conn, "SELECT user_id, device_id, access_token, sync_token FROM matrix_account"
            )
        if row is None:
            return Session()
        self._account, self._token = str(row[0]), row[3]
        return Session(str(row[0]), str(row[1]), str(row[2]), row[3])

    async def save_session(self, user_id: str, device_id: str, access_token: str) -> None:
        """The account's login; a different account than before starts its sync afresh."""
        async with UnitOfWork(self.db) as uow:
            conn = uow.db.conn
            gone = await conn.execute("DELETE FROM matrix_account WHERE user_id <> ?", (user_id,))
            if gone.rowcount:
                self._token = None
            await conn.execute(
                "INSERT INTO matrix_account (user_id, device_id, access_token) VALUES (?, ?, ?) "
                "ON CONFLICT(user_id) DO UPDATE SET device_id = excluded.device_id, "
                "access_token = excluded.access_token",
                (user_id, device_id, access_token),
            )
        self._account = user_id

    async def begin_history(self, epoch_ms: int) -> int:
        """The first sync of this database: what is older than now is history. Kept once set."""
        async with UnitOfWork(self.db) as uow:
            conn = uow.db.conn
            await conn.execute(
                "UPDATE matrix_account SET history_before = ? WHERE user_id = ? AND history_before IS NULL",
                (epoch_ms, self._account),
            )
            row = await _one(
                conn, "SELECT history_before FROM matrix_account WHERE user_id = ?", self._account
            )
        return int(row[0]) if row is not None and row[0] is not None else epoch_ms

    async def save_token(self, token: str) -> None:
        if token == self._token:
            return
        async with UnitOfWork(self.db) as uow:
            await uow.db.conn.execute(
                "UPDATE matrix_account SET sync_token = ? WHERE user_id = ?", (token, self._account)
            )
        self._token = token

    # Direct rooms -------------------------------------------------------------------------

    async def dm_room(self, mxid: str) -> str | None:
        if mxid not in self._dm:
            async with UnitOfWork(self.db) as uow:
                row = await _one(
                    uow.db.conn, "SELECT room_id FROM matrix_direct_rooms WHERE user_id = ?", mxid
                )
            self._dm[mxid] = str(row[0]) if row else None
        return self._dm[mxid]

    async def set_dm_room(self, mxid: str, room_id: str) -> None:
        if await self.dm_room(mxid) == room_id:
            return
        async with UnitOfWork(self.db) as uow:
            await uow.db.conn.execute(
                f"INSERT INTO matrix_direct_rooms (user_id, room_id, identity_id) VALUES (?, ?, {_IDENTITY}) "
                "ON CONFLICT(user_id) DO UPDATE SET room_id = excluded.room_id, identity_id = excluded.identity_id",
                (mxid, room_id, mxid),
            )
        self._dm[mxid] = room_id

    def known_dm_rooms(self) -> dict[str, str]:
        """The direct rooms read or set since the start (person → room)."""
        return {mxid: room for mxid, room in self._dm.items() if room}

    async def forget_dm_room(self, mxid: str, room_id: str) -> bool:
        """Forget the person's direct room if it is still this one."""
        if await self.dm_room(mxid) != room_id:
            return False
        async with UnitOfWork(self.db) as uow:
            await uow.db.conn.execute(
                "DELETE FROM matrix_direct_rooms WHERE user_id = ? AND room_id = ?", (mxid, room_id)
            )
        self._dm[mxid] = None
        self._opts.pop(room_id, None)  # its choices went with it
        self._letters.pop(room_id, None)
        return True

    # Numbered choices ---------------------------------------------------------------------

    async def options(self, room_id: str) -> Options:
        if room_id not in self._opts:
            async with UnitOfWork(self.db) as uow:
                row = await _one(
                    uow.db.conn, "SELECT options FROM matrix_room_choices WHERE room_id = ?", room_id
                )
            self._opts[room_id] = json.loads(row[0]) if row else []
        return self._opts[room_id]

    async def set_options(self, room_id: str, options: Options) -> None:
        if await self.options(room_id) == options:
            return
        async with UnitOfWork(self.db) as uow:
            if options:
                await uow.db.conn.execute(
                    "INSERT INTO matrix_room_choices (room_id, options) VALUES (?, ?) "
                    "ON CONFLICT(room_id) DO UPDATE SET options = excluded.options",
                    (room_id, json.dumps(options, ensure_ascii=False)),
                )
            else:  # no question waiting: the lettered choices of a notification may still be answered
                await uow.db.conn.execute(
                    "UPDATE matrix_room_choices SET options = '[]' WHERE room_id = ?", (room_id,)
                )
        self._opts[room_id] = options

    async def lettered(self, room_id: str) -> Options:
        """The lettered choices the room shows last (a notification's): « a » answers the first."""
        if room_id not in self._letters:
            async with UnitOfWork(self.db) as uow:
                row = await _one(
                    uow.db.conn, "SELECT lettered FROM matrix_room_choices WHERE room_id = ?", room_id
                )
            self._letters[room_id] = json.loads(row[0]) if row else []
        return self._letters[room_id]

    async def set_lettered(self, room_id: str, options: Options) -> None:
        if await self.lettered(room_id) == options:
            return
        async with UnitOfWork(self.db) as uow:
            await uow.db.conn.execute(
                "INSERT INTO matrix_room_choices (room_id, options, lettered) VALUES (?, '[]', ?) "
                "ON CONFLICT(room_id) DO UPDATE SET lettered = excluded.lettered",
                (room_id, json.dumps(options, ensure_ascii=False)),
            )
        self._letters[room_id] = options

    # Refused invitations ------------------------------------------------------------------

    async def declined(self, mxid: str) -> bool:
        if mxid not in self._declined:
            async with UnitOfWork(self.db) as uow:
                row = await _one(uow.db.conn, "SELECT 1 FROM matrix_declined_invites WHERE user_id = ?", mxid)
            self._declined[mxid] = row is not None
        return self._declined[mxid]

    async def set_declined(self, mxid: str, declined: bool) -> None:
        if await self.declined(mxid) == declined:
            return
        async with UnitOfWork(self.db) as uow:
            if declined:
                await uow.db.conn.execute(
                    f"INSERT INTO matrix_declined_invites (user_id, identity_id) VALUES (?, {_IDENTITY}) "
                    "ON CONFLICT(user_id) DO UPDATE SET identity_id = excluded.identity_id",
                    (mxid, mxid),
                )
            else:
                await uow.db.conn.execute("DELETE FROM matrix_declined_invites WHERE user_id = ?", (mxid,))
        self._declined[mxid] = declined
