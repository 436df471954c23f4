"""The unit of work: one transaction, its repositories, committed whole or not at all."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import TracebackType

from .assets import AssetRepo
from .chain import ChainRepo
from .circles import CircleRepo, MissionRepo
from .conn import Connection
from .db import Database
from .dialog_state import DialogStateRepo
from .kv import KvRepo
from .needs import NeedRepo
from .outbox import OutboxRepo
from .people import PeopleRepo, ThemeRepo
from .polls import LinkRepo, PollRepo
from .privacy import ModerationRepo, PrivacyRepo


class UnitOfWork:
    """`async with UnitOfWork(db) as uow:` — commits on a clean exit, rolls back on an exception.

    A writing unit of work holds the database's lock and runs on the writer, on the loop thread:
    its statements do not leave the thread, so nothing can interrupt one half done, and the lock
    is held for as long as the statements and the Python between them take.

    `UnitOfWork(db, read_only=True)` reads on the second connection, in its
    thread, without the write lock: it sees what was committed when its first read ran, and
    nothing committed after (a WAL snapshot), and may take as long as it needs."""

    people: PeopleRepo
    themes: ThemeRepo
    needs: NeedRepo
    circles: CircleRepo
    missions: MissionRepo
    assets: AssetRepo
    outbox: OutboxRepo
    dialogs: DialogStateRepo
    kv: KvRepo
    privacy: PrivacyRepo
    moderation: ModerationRepo
    chain: ChainRepo
    polls: PollRepo
    links: LinkRepo

    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self.db = db
        self.read_only = read_only
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` once this unit of work has committed (not if it rolls back): e.g.
        `lte_core.due.poke`, so the scheduler reads due times that are already written."""
        if callback not in self._after_commit:
            self._after_commit.append(callback)

    def _bind(self, conn: Connection) -> None:
        self.conn = conn
        self.people = PeopleRepo(conn)
        self.themes = ThemeRepo(conn)
        self.needs = NeedRepo(conn)
        self.circles = CircleRepo(conn)
        self.missions = MissionRepo(conn)
        self.assets = AssetRepo(conn)
        self.outbox = OutboxRepo(conn)
        self.dialogs = DialogStateRepo(conn)
        self.kv = KvRepo(conn)
        self.privacy = PrivacyRepo(conn)
        self.moderation = ModerationRepo(conn)
        self.chain = ChainRepo(conn)
        self.polls = PollRepo(conn)
        self.links = LinkRepo(conn)

    async def __aenter__(self) -> UnitOfWork:
        db = self.db
        if self.read_only and db.reader is not db.conn:
            await db.read_lock.acquire()
            reader = db.reader
            try:
                await reader.execute("BEGIN")
            except BaseException:
                # Cancelled while the reader's thread ran it: end that transaction behind us
                # (the thread runs what it is given in order, before any later BEGIN).
                try:
                    await asyncio.shield(reader.end())
                finally:
                    db.read_lock.release()
                raise
            self._bind(reader)
            return self
        # A unit of work stays a point where other tasks get their turn, as when every statement
        # was awaited on a thread: a loop of units of work (an outbox round) cannot starve them.
        await asyncio.sleep(0)
        await db.lock.acquire()
        try:
            await db.begin()
        except BaseException:
            db.lock.release()
            raise
        self._bind(db.conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        db = self.db
        if self.read_only and db.reader is not db.conn:
            try:
                await asyncio.shield(self.conn.end())  # nothing to commit: it only read
            finally:
                db.read_lock.release()
            return
        # On the loop thread: nothing can cancel a commit or a rollback half done.
        raw = db.conn.raw
        try:
            if exc_type is None:
                raw.commit()
            else:
                raw.rollback()
        except BaseException:
            if raw.in_transaction:
                raw.rollback()
            raise
        finally:
            db.lock.release()
        if exc_type is None:
            db.committed()
            for callback in self._after_commit:
                callback()
