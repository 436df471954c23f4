"""What a crash of the outbox sender can repeat, on a real SQLite file: only the rows really in
the air are ever `sending` (no more than the sender's concurrency, the rows read ahead are not
marked), each outcome is recorded as it happens, and a row a crash left in flight is queued again
once, then given up with a clear error rather than sent a third time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from lte_core.clock import SystemClock
from lte_core.outbox import Dispatcher, RateLimiter
from lte_core.store import Database, OutboxMessage, UnitOfWork
from lte_core.store.outbox import GIVEN_UP, REQUEUED

pytestmark = pytest.mark.faults


async def queue(db: Database, n: int, channel: str = "test") -> None:
    clock = SystemClock()
    async with UnitOfWork(db) as uow:
        for i in range(n):
            person, _ = await uow.people.add(channel, f"{channel}{i}", locale="fr", now=clock.now())
            await uow.outbox.put(
                OutboxMessage(
                    f"k:{channel}:{i}", channel, f"{channel}{i}", "fr", "text", {"n": i}, person.id
                ),
                clock.now(),
            )


def statuses(db: Database) -> dict[str, int]:
    cur = db.conn.raw.execute("SELECT status, count(*) FROM outbox GROUP BY status")
    return dict(cur.fetchall())


class Watcher:
    """A sender that looks at the queue at each delivery: how many rows are `sending`, and
    whether the messages it delivered before are recorded as sent already."""

    channel = "test"

    def __init__(self, db: Database, pause: float) -> None:
        self.db = db
        self.pause = pause
        self.delivered: list[int] = []
        self.most_sending = 0
        self.unrecorded = 0  # deliveries finished earlier and still not `sent`, at worst

    async def deliver(self, msg: OutboxMessage) -> None:
        raw = self.db.conn.raw
        sending = raw.execute("SELECT count(*) FROM outbox WHERE status = 'sending'").fetchone()[0]
        self.most_sending = max(self.most_sending, sending)
        if self.delivered:
            done = ",".join(str(i) for i in self.delivered[:-16])  # long finished by now
            if done:
                late = raw.execute(
                    f"SELECT count(*) FROM outbox WHERE id IN ({done}) AND status != 'sent'"
                ).fetchone()[0]
                self.unrecorded = max(self.unrecorded, late)
        await asyncio.sleep(self.pause)
        self.delivered.append(msg.id)


async def test_only_what_is_in_the_air_is_ever_sending(db: Database) -> None:
    await queue(db, 300)
    sender = Watcher(db, pause=0.01)
    dispatcher = Dispatcher(db, sender, limiter=RateLimiter(400.0, burst=40), concurrency=4, batch=100)
    dispatcher.start()
    await dispatcher.drain(60)
    await dispatcher.stop()
    assert sorted(sender.delivered) == sorted(set(sender.delivered)) and len(sender.delivered) == 300
    assert 1 <= sender.most_sending <= 4  # the concurrency, not the batch read ahead
    assert sender.unrecorded == 0  # each outcome written as it came, not at the next round
    assert statuses(db) == {"sent": 300}


async def test_a_row_left_in_flight_is_sent_again_once_then_given_up(db: Database) -> None:
    await queue(db, 2)
    later = SystemClock().now() + timedelta(seconds=1)
    async with UnitOfWork(db) as uow:  # a sender took both, then was killed
        assert len(await uow.outbox.claim("test", later, 10)) == 2
    async with UnitOfWork(db) as uow:
        assert await uow.outbox.requeue_in_flight("test") == (2, 0)
    rows = db.conn.raw.execute("SELECT status, interrupted, last_error FROM outbox").fetchall()
    assert [tuple(r) for r in rows] == [("pending", 1, REQUEUED)] * 2
    async with UnitOfWork(db) as uow:  # sent again, and killed again with the first in the air
        first, second = await uow.outbox.claim("test", later, 10)
        await uow.outbox.sent(second.id, SystemClock().now())
    async with UnitOfWork(db) as uow:
        assert await uow.outbox.requeue_in_flight("test") == (0, 1)
    row = db.conn.raw.execute("SELECT status, last_error FROM outbox WHERE id = ?", (first.id,)).fetchone()
    assert tuple(row) == ("failed", GIVEN_UP)

    sender = Watcher(db, pause=0)
    dispatcher = Dispatcher(db, sender)
    dispatcher.start()
    await dispatcher.drain(10)
    await dispatcher.stop()
    assert sender.delivered == [] and statuses(db) == {"failed": 1, "sent": 1}  # no third copy


async def test_a_sender_starting_leaves_the_other_channels_in_flight_alone(db: Database) -> None:
    await queue(db, 1, "test")
    await queue(db, 1, "other")
    later = SystemClock().now() + timedelta(seconds=1)
    async with UnitOfWork(db) as uow:  # the other channel's sender is sending it right now
        assert len(await uow.outbox.claim("other", later, 10)) == 1
    dispatcher = Dispatcher(db, Watcher(db, pause=0))
    dispatcher.start()
    await dispatcher.drain(10)
    await dispatcher.stop()
    rows = db.conn.raw.execute("SELECT channel, status, interrupted FROM outbox ORDER BY channel").fetchall()
    assert [tuple(r) for r in rows] == [("other", "sending", 0), ("test", "sent", 0)]
