"""The SQLite database: a writer on the event loop, a reader on its own thread, WAL, foreign keys,
numbered migrations.

Writes are short and many (one transaction per update): they run on a plain `sqlite3` connection
on the loop thread, where a statement costs microseconds, and a hop to a database thread and
back would cost more than the statement. The asyncio lock serialises the units of work (SQLite
has one writer anyway, and interleaved transactions on one connection would mix up); it is now
held for the statements and the Python between them only. Long reads (exports, statistics) go
to a second connection on a thread of its own, read-only, on a WAL snapshot: they take neither
the lock nor the loop.

Checkpoints: the automatic one would run on the loop thread in the commit that crosses the WAL
threshold and stall every conversation; it is off on the writer, and the reader's thread runs a
PASSIVE checkpoint (which never waits for nor blocks the writer) at most every
CHECKPOINT_EVERY seconds after commits. SQLite checkpoints what remains when the database is
closed."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sqlite3
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from .conn import Connection, ThreadedConnection, connect

if TYPE_CHECKING:
    from .uow import UnitOfWork

BUSY_TIMEOUT = 5.0  # seconds another process may hold the write lock before we give up
WRITER_BUSY_MS = 20  # how long one attempt of the writer may block the loop waiting for it
CHECKPOINT_EVERY = 1.0  # seconds between passive checkpoints while commits come


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the bot."""


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped with the package, in order."""
    found = []
    for entry in resources.files("lte_core.store").joinpath("migrations").iterdir():
        m = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if m:
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST = migrations()[-1][0]


class Database:
    """Owns the two connections and the write lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: Connection | None = None
        self._reader: Connection | None = None
        self.lock = asyncio.Lock()  # the writer's units of work, one at a time
        self.read_lock = asyncio.Lock()  # the reader's transactions (and checkpoints), one at a time
        self._checkpointing: asyncio.Task[tuple[int, int, int]] | None = None
        self._last_checkpoint = 0.0

    @property
    def conn(self) -> Connection:
        """The writer (on the loop thread)."""
        if self._conn is None:
            raise RuntimeError("database is not open")
        return self._conn

    @property
    def reader(self) -> Connection:
        """The read-only connection on its own thread (the writer for an in-memory database)."""
        if self._reader is None:
            raise RuntimeError("database is not open")
        return self._reader

    async def open(self, *, migrate: bool = True) -> Database:
        memory = self.path == ":memory:"
        if not memory:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            raw = connect(self.path)
            self._conn = Connection(raw)
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute(f"PRAGMA busy_timeout={WRITER_BUSY_MS}")
            raw.execute("PRAGMA wal_autocheckpoint=0")
            version = await self.version()
            if version > LATEST:
                raise SchemaTooNew(
                    f"database {self.path} has schema version {version}, newer than this bot "
                    f"knows ({LATEST}): upgrade lte-bot or use another LTE_DB_PATH"
                )
            if migrate:
                await self.migrate()
            if memory:
                self._reader = self._conn
            else:
                self._reader = await ThreadedConnection.open(self.path, query_only=True)
                await self._reader.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        except BaseException:
            await self.close()
            raise
        return self

    async def version(self) -> int:
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> list[int]:
        """Apply the migrations this database lacks, each in its own transaction."""
        applied = []
        current = await self.version()
        raw = self.conn.raw
        for number, _name, sql in migrations():
            if number <= current:
                continue
            async with self.lock:
                # At start, before any conversation: waiting for the write lock may block the loop.
                raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
                try:
                    raw.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")
                except BaseException:
                    if raw.in_transaction:
                        raw.rollback()
                    raise
                finally:
                    raw.execute(f"PRAGMA busy_timeout={WRITER_BUSY_MS}")
            applied.append(number)
        return applied

    async def begin(self) -> None:
        """BEGIN IMMEDIATE on the writer. Another process holding the write lock (a command line
        tool) is waited for without blocking the loop more than WRITER_BUSY_MS at a time."""
        raw = self.conn.raw
        deadline = time.monotonic() + BUSY_TIMEOUT
        pause = 0.005
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    def committed(self) -> None:
        """A unit of work committed: checkpoint the WAL on the reader's thread if it is time."""
        if self._reader is None or self._reader is self._conn or self._checkpointing is not None:
            return
        now = time.monotonic()
        if now - self._last_checkpoint < CHECKPOINT_EVERY:
            return
        self._last_checkpoint = now
        self._checkpointing = asyncio.get_running_loop().create_task(self.checkpoint())

    async def checkpoint(self) -> tuple[int, int, int]:
        """PASSIVE checkpoint from the reader's thread: (busy, WAL frames, frames checkpointed)."""
        try:
            async with self.read_lock:
                reader = self.reader
                rows = await reader.execute_fetchall("PRAGMA wal_checkpoint(PASSIVE)")
            row = rows[0]
            return int(row[0]), int(row[1]), int(row[2])
        finally:
            self._checkpointing = None

    def reading(self) -> UnitOfWork:
        """A read-only unit of work on the reader: `async with db.reading() as uow:`."""
        from .uow import UnitOfWork

        return UnitOfWork(self, read_only=True)

    async def close(self) -> None:
        task, self._checkpointing = self._checkpointing, None
        if task is not None:
            with contextlib.suppress(BaseException):
                await task
        reader, self._reader = self._reader, None
        conn, self._conn = self._conn, None
        try:
            if reader is not None and reader is not conn:
                await reader.close()
        finally:
            if conn is not None:
                conn.raw.close()

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
