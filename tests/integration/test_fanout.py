"""A broadcast to a crowd: one row in its cause's transaction, its outbox rows written after, a
chunk per short transaction, resumed after a crash, each recipient exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lte_core.clock import SystemClock, to_iso
from lte_core.notices import Broadcast
from lte_core.outbox import Dispatcher, expand_fanouts
from lte_core.services._common import PRIORITY_BULK, notify
from lte_core.store import Database, OutboxMessage, UnitOfWork
from lte_core.store.outbox import FANOUT_AT, FANOUT_CHUNK

CROWD = FANOUT_AT + FANOUT_CHUNK + 500  # more than one chunk


def people(db: Database, n: int) -> list[int]:
    now = to_iso(SystemClock().now())
    raw = db.conn.raw
    raw.execute("BEGIN")
    raw.execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
        "INSERT INTO persons (id, locale, created_at) SELECT i, 'fr', ? FROM s",
        (n, now),
    )
    raw.execute(
        "INSERT INTO identities (person_id, channel, external_id, last_seen_at) "
        "SELECT id, 'test', 'u' || id, ? FROM persons",
        (now,),
    )
    raw.execute("COMMIT")
    return list(range(1, n + 1))


async def rows(db: Database) -> list[str]:
    cur = db.conn.raw.execute("SELECT dedup_key FROM outbox ORDER BY id")
    return [r[0] for r in cur.fetchall()]


async def test_the_cause_commits_one_row_and_the_crowd_follows_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "lte.sqlite3"
    db = await Database(path).open()
    ids = people(db, CROWD)
    async with UnitOfWork(db) as uow:
        queued = await notify(uow, ids, Broadcast("Rendez-vous samedi"), key="b:1", now=SystemClock().now())
    assert queued == CROWD
    assert await rows(db) == []  # nothing per person yet: the cause's transaction stayed short
    async with UnitOfWork(db) as uow:  # one chunk, then the process dies
        assert await uow.outbox.expand_fanout()
    assert len(await rows(db)) == FANOUT_CHUNK
    await db.close()

    db = await Database(path).open()  # the restart: the rest is written, nothing twice
    assert await expand_fanouts(db) >= 1
    keys = await rows(db)
    assert keys == [f"b:1:p{i}" for i in ids]
    async with UnitOfWork(db) as uow:
        assert await uow.outbox.fanouts_waiting() == 0
        again = await notify(uow, ids, Broadcast("Rendez-vous samedi"), key="b:1", now=SystemClock().now())
    assert again == 0 and len(await rows(db)) == CROWD  # the same cause again adds nothing
    await db.close()


class Recorder:
    channel = "test"

    def __init__(self) -> None:
        self.delivered: list[str] = []

    async def deliver(self, msg: OutboxMessage) -> None:
        await asyncio.sleep(0)
        self.delivered.append(msg.external_id)


async def test_the_dispatcher_expands_and_delivers_to_everyone_once(db: Database) -> None:
    ids = people(db, CROWD)
    async with UnitOfWork(db) as uow:
        await notify(
            uow, ids, Broadcast("Atelier"), key="b:2", now=SystemClock().now(), priority=PRIORITY_BULK
        )
    sender = Recorder()
    dispatcher = Dispatcher(db, sender, clock=SystemClock(), concurrency=8, batch=500)
    dispatcher.start()
    await dispatcher.drain(60)
    await dispatcher.stop()
    assert sorted(sender.delivered) == sorted(f"u{i}" for i in ids)
