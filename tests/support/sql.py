"""What SQL the writer runs: SQLite's own trace callback on the real connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lte_core.store import Database


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement the writer runs meanwhile, without what SQLite runs inside a
    statement (FTS5's own `-- PRAGMA`, and its reads of its tables after a schema change)."""
    seen: list[str] = []

    def note(sql: str) -> None:
        if not sql.startswith("--") and "'main'." not in sql:
            seen.append(sql)

    db.conn.raw.set_trace_callback(note)
    try:
        yield seen
    finally:
        db.conn.raw.set_trace_callback(None)
