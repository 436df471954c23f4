"""The unit of work: one transaction, its repositories, committed whole or not at all."""

from __future__ import annotations

import asyncio
from types import TracebackType

from .circles import CircleRepo, MissionRepo
from .db import Database
from .misc import AssetRepo, DialogStateRepo, KvRepo, OutboxRepo
from .needs import NeedRepo
from .people import PeopleRepo, ThemeRepo


class UnitOfWork:
    """`async with UnitOfWork(db) as uow:` — commits on a clean exit, rolls back on an exception."""

    people: PeopleRepo
    themes: ThemeRepo
    needs: NeedRepo
    circles: CircleRepo
    missions: MissionRepo
    assets: AssetRepo
    outbox: OutboxRepo
    dialogs: DialogStateRepo
    kv: KvRepo

    def __init__(self, db: Database) -> None:
        self.db = db

    async def __aenter__(self) -> UnitOfWork:
        await self.db.lock.acquire()
        conn = self.db.conn
        try:
            await conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            # Cancelled after the statement ran: do not leave the transaction open behind us.
            try:
                if conn.in_transaction:
                    await asyncio.shield(conn.rollback())
            finally:
                self.db.lock.release()
            raise
        self.people = PeopleRepo(conn)
        self.themes = ThemeRepo(conn)
        self.needs = NeedRepo(conn)
        self.circles = CircleRepo(conn)
        self.missions = MissionRepo(conn)
        self.assets = AssetRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.dialogs = DialogStateRepo(conn)
        self.kv = KvRepo(conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn = self.db.conn
        try:
            if exc_type is None:
                await conn.commit()
            else:
                await conn.rollback()
        except BaseException:
            if conn.in_transaction:
                await asyncio.shield(conn.rollback())
            raise
        finally:
            self.db.lock.release()
