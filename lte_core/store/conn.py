"""A `sqlite3` connection behind the small async surface of aiosqlite that the repositories use.

`Connection` runs each statement at once on the calling thread, the event loop's: a short
statement costs microseconds, where a hop to a database thread and back costs about as much as
a whole ordinary update. `ThreadedConnection` runs them on a thread of its own, for the long
reads (exports, statistics) that must not stall the loop. Both give the same awaitables, so the
repositories are written once: `await conn.execute(...)`, `async with conn.execute(...) as cur`,
`await conn.execute_fetchall(...)`, rows that are `sqlite3.Row` (name and index access)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import Any, TypeVar

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class Cursor:
    """The result of a statement: its rows, how many rows it changed, the id it inserted."""

    __slots__ = ("_conn", "_cur")

    def __init__(self, conn: Connection, cur: sqlite3.Cursor) -> None:
        self._conn = conn
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cur.lastrowid

    async def fetchone(self) -> Row | None:
        row: Row | None = await self._conn.run(self._cur.fetchone)
        return row

    async def fetchall(self) -> list[Row]:
        rows: list[Row] = await self._conn.run(self._cur.fetchall)
        return rows

    async def fetchmany(self, size: int) -> list[Row]:
        rows: list[Row] = await self._conn.run(self._cur.fetchmany, size)
        return rows

    async def close(self) -> None:
        await self._conn.run(self._cur.close)

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class Statement:
    """What `execute` returns, as with aiosqlite: awaited, it runs and gives the cursor; used as
    `async with`, the cursor is closed at the end of the block."""

    __slots__ = ("_conn", "_cursor", "_params", "_sql")

    def __init__(self, conn: Connection, sql: str, params: Params) -> None:
        self._conn = conn
        self._sql = sql
        self._params = params
        self._cursor: Cursor | None = None

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._conn._execute(self._sql, self._params).__await__()

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._conn._execute(self._sql, self._params)
        return self._cursor

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._cursor is not None:
            await self._cursor.close()


def connect(path: str, *, query_only: bool = False) -> sqlite3.Connection:
    """A raw connection as every part of the store expects it: autocommit (transactions are
    begun explicitly), rows by name, foreign keys on."""
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False, cached_statements=256)
    try:
        raw.row_factory = sqlite3.Row
        raw.execute("PRAGMA foreign_keys=ON")
        if query_only:
            raw.execute("PRAGMA query_only=ON")
    except BaseException:
        raw.close()
        raise
    return raw


class Connection:
    """Statements run inline, on the caller's thread (the event loop's)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return fn(*args)

    async def _execute(self, sql: str, params: Params) -> Cursor:
        return Cursor(self, await self.run(self.raw.execute, sql, params))

    def execute(self, sql: str, parameters: Params = ()) -> Statement:
        return Statement(self, sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> list[Row]:
        rows: list[Row] = await self.run(_fetchall, self.raw, sql, parameters)
        return rows

    async def executemany(self, sql: str, parameters: Iterable[Params]) -> Cursor:
        return Cursor(self, await self.run(self.raw.executemany, sql, parameters))

    async def executescript(self, sql: str) -> Cursor:
        return Cursor(self, await self.run(self.raw.executescript, sql))

    async def commit(self) -> None:
        await self.run(self.raw.commit)

    async def rollback(self) -> None:
        await self.run(self.raw.rollback)

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    async def end(self) -> None:
        """Roll back the transaction if one is open: decided where the statements run, after
        every statement given before (on a thread, one given just before may still be running)."""
        await self.run(_end, self.raw)

    async def close(self) -> None:
        await self.run(self.raw.close)


class ThreadedConnection(Connection):
    """Statements run one after the other on a thread of this connection's own."""

    def __init__(self, raw: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        super().__init__(raw)
        self._executor = executor

    @classmethod
    async def open(cls, path: str, *, query_only: bool = False) -> ThreadedConnection:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lte-db-read")
        try:
            raw = await asyncio.get_running_loop().run_in_executor(
                executor, partial(connect, path, query_only=query_only)
            )
        except BaseException:
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        return cls(raw, executor)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, partial(fn, *args))

    async def close(self) -> None:
        """Close on its thread, then end the thread (also when cancelled meanwhile)."""
        try:
            await asyncio.shield(self.run(self.raw.close))
        finally:
            self._executor.shutdown(wait=True)


def _fetchall(raw: sqlite3.Connection, sql: str, params: Params) -> list[Row]:
    rows: list[Row] = raw.execute(sql, params).fetchall()
    return rows


def _end(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.rollback()
