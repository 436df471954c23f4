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
closed.

A file that cannot serve (not a database, damaged, read-only, in a directory SQLite cannot write
its -wal and -shm in, missing where it must exist) is one `DatabaseFileError` whose message names
the file and what is wrong with it, raised by `open` after everything it opened is closed again
(no connection, no reader thread left behind)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import time
from importlib import resources
from pathlib import Path

from .conn import Connection, ThreadedConnection, connect

BUSY_TIMEOUT = 5.0  # seconds another process may hold the write lock before we give up
WRITER_BUSY_MS = 20  # how long one attempt of the writer may block the loop waiting for it
CHECKPOINT_EVERY = 1.0  # seconds between passive checkpoints while commits come


class SchemaTooNew(RuntimeError):
    """The database was written by a newer version of the bot."""


class DatabaseFileError(sqlite3.DatabaseError):
    """The database file cannot be used as it is: `str()` is one line naming the file and what is
    wrong with it, for an operator to act on."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"database {path} {problem}")
        self.path = path
        self.problem = problem


# SQLite's primary result codes that say something about the file rather than about a statement.
_DAMAGED = {sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT}


def file_error(path: str, exc: BaseException) -> DatabaseFileError | None:
    """What `exc`, raised by SQLite on the database at `path`, says about the file; None when it
    is about something else (a statement, a constraint, a bug)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if not isinstance(exc, sqlite3.Error) or not isinstance(code, int):
        return None
    primary = code & 0xFF
    detail = f"(SQLite: {exc})"
    if primary in _DAMAGED:
        return DatabaseFileError(path, f"is not an SQLite database or is damaged {detail}")
    if primary == sqlite3.SQLITE_READONLY:
        return DatabaseFileError(path, _not_writable(path) or f"cannot be written: read-only {detail}")
    if primary == sqlite3.SQLITE_CANTOPEN:
        return DatabaseFileError(path, _not_writable(path) or f"cannot be opened {detail}")
    if primary == sqlite3.SQLITE_FULL:
        return DatabaseFileError(path, "cannot be written: the disk is full")
    if primary == sqlite3.SQLITE_IOERR:
        return DatabaseFileError(path, f"cannot be read or written: input/output error {detail}")
    if primary in (sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return DatabaseFileError(path, f"cannot be used: access denied {detail}")
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return DatabaseFileError(path, f"is locked by another process (waited {BUSY_TIMEOUT:g} s) {detail}")
    return None


def _not_writable(path: str) -> str | None:
    """Why SQLite cannot write the database file or the -wal and -shm beside it, if that is it."""
    file = Path(path)
    if file.is_dir():
        return "is a directory, not a database file"
    if file.exists() and not os.access(file, os.R_OK):
        return "cannot be read: permission denied"
    if file.exists() and not os.access(file, os.W_OK):
        return f"cannot be written: read-only (file mode {file.stat().st_mode & 0o777:04o})"
    folder = file.parent
    beside = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    if not os.access(folder, os.W_OK) and not all(
        side.exists() and os.access(side, os.W_OK) for side in beside
    ):
        return (
            f"cannot be written: read-only directory {folder} (SQLite must create "
            f"{file.name}-wal and {file.name}-shm there)"
        )
    for side in beside:
        if side.exists() and not os.access(side, os.W_OK):
            return f"cannot be written: read-only {side.name} beside it"
    return None


def check_file(path: str, *, create: bool) -> None:
    """Before SQLite opens `path`: what SQLite would not say, or not say clearly. A read-only
    file is opened read-only without a word (the first write would fail, in a conversation); a
    missing file is created, which only the commands that may create a database want."""
    file = Path(path)
    if file.is_dir():
        raise DatabaseFileError(path, "is a directory, not a database file")
    if not file.exists():
        if not create:
            raise DatabaseFileError(
                path, "does not exist (check LTE_DB_PATH; `lte-bot migrate` creates a new database)"
            )
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseFileError(
                path, f"cannot be created: its directory {file.parent}: {exc.strerror or exc}"
            ) from None
        if not os.access(file.parent, os.W_OK):
            raise DatabaseFileError(path, f"cannot be created: read-only directory {file.parent}")
        return
    problem = _not_writable(path)
    if problem is not None:
        raise DatabaseFileError(path, problem)
    if not create and file.stat().st_size == 0 and not Path(f"{path}-wal").exists():
        raise DatabaseFileError(
            path, "is empty (check LTE_DB_PATH; `lte-bot migrate` makes it a new database)"
        )


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

    async def open(self, *, migrate: bool = True, create: bool = True) -> Database:
        """Open (and by default migrate) the database; `create=False`: only one that exists.
        Raises `DatabaseFileError` for a file that cannot serve, `SchemaTooNew`; closes what it
        opened on any failure."""
        memory = self.path == ":memory:"
        if not memory:
            check_file(self.path, create=create)
        try:
            raw = connect(self.path)
            self._conn = Connection(raw)
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute(f"PRAGMA busy_timeout={WRITER_BUSY_MS}")
            raw.execute("PRAGMA wal_autocheckpoint=0")
            # What is deleted is overwritten, not left in free space (DESIGN §8: erased means
            # erased from the file); the WAL side is `store.privacy.scrub_file`.
            raw.execute("PRAGMA secure_delete=ON")
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
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):  # closing a damaged file may fail too
                await self.close()
            problem = None if memory else file_error(self.path, exc)
            if problem is not None:
                raise problem from None
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
