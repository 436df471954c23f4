"""The outbox dispatcher on a real SQLite file, with a recording sender (our own port, no library)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from lte_core.clock import FixedClock, SystemClock
from lte_core.outbox import Dispatcher, RateLimiter, RetryLater, Undeliverable, Unreachable
from lte_core.store import Database, OutboxMessage, UnitOfWork


class Recorder:
    """A channel that records deliveries and fails on demand, per recipient."""

    channel = "test"

    def __init__(self) -> None:
        self.delivered: list[str] = []
        self.failures: dict[str, list[Exception]] = {}

    async def deliver(self, msg: OutboxMessage) -> None:
        queue = self.failures.get(msg.external_id)
        if queue:
            raise queue.pop(0)
        await asyncio.sleep(0)
        self.delivered.append(f"{msg.external_id}:{msg.params['n']}")


async def queue(db: Database, recipients: list[str], clock: FixedClock | SystemClock, n: int = 1) -> None:
    async with UnitOfWork(db) as uow:
        for ext in recipients:
            person, _ = await uow.people.add("test", ext, locale="fr", now=clock.now())
            for i in range(n):
                await uow.outbox.put(
                    OutboxMessage(f"k:{ext}:{i}", "test", ext, "fr", "text", {"n": i}, person.id), clock.now()
                )


async def statuses(db: Database) -> dict[str, str]:
    async with db.conn.execute("SELECT dedup_key, status FROM outbox") as cur:
        return {r[0]: r[1] for r in await cur.fetchall()}


async def test_everything_queued_is_delivered_once_in_order_per_recipient(db: Database) -> None:
    clock = SystemClock()
    await queue(db, ["a", "b", "c"], clock, n=3)
    sender = Recorder()
    dispatcher = Dispatcher(db, sender, clock=clock, concurrency=4)
    dispatcher.start()
    await dispatcher.drain(10)
    await dispatcher.stop()
    assert sorted(sender.delivered) == sorted(f"{x}:{i}" for x in "abc" for i in range(3))
    for who in "abc":
        assert [d for d in sender.delivered if d.startswith(who)] == [f"{who}:0", f"{who}:1", f"{who}:2"]
    assert set((await statuses(db)).values()) == {"sent"}


async def test_a_rate_limit_pauses_only_its_recipient(db: Database) -> None:
    clock = SystemClock()
    await queue(db, ["slow", "fast1", "fast2"], clock)
    sender = Recorder()
    sender.failures["slow"] = [RetryLater(0.3)]
    dispatcher = Dispatcher(db, sender, clock=clock)
    dispatcher.start()
    await asyncio.sleep(0.15)
    assert sorted(sender.delivered) == ["fast1:0", "fast2:0"]  # not held up by the paused chat
    await dispatcher.drain(10)
    await dispatcher.stop()
    assert "slow:0" in sender.delivered and dispatcher.stats.rate_limited == 1


async def test_unreachable_recipients_are_marked_and_their_messages_dropped(db: Database) -> None:
    clock = SystemClock()
    await queue(db, ["gone", "here"], clock, n=2)
    sender = Recorder()
    sender.failures["gone"] = [Unreachable("blocked")]
    dispatcher = Dispatcher(db, sender, clock=clock)
    dispatcher.start()
    await dispatcher.drain(10)
    await dispatcher.stop()
    rows = await statuses(db)
    assert rows["k:gone:0"] == "unreachable" and rows["k:gone:1"] == "unreachable"
    assert rows["k:here:0"] == rows["k:here:1"] == "sent"
    async with UnitOfWork(db) as uow:
        ident = await uow.people.identity("test", "gone")
    assert ident is not None and ident.unreachable


async def test_network_errors_are_retried_with_backoff_and_bad_messages_given_up(db: Database) -> None:
    clock = FixedClock(SystemClock().now())
    await queue(db, ["flaky", "broken"], clock)
    sender = Recorder()
    sender.failures["flaky"] = [ConnectionError("reset")]
    sender.failures["broken"] = [Undeliverable("bad request")]
    dispatcher = Dispatcher(db, sender, clock=clock)
    dispatcher.start()
    await asyncio.sleep(0.2)
    rows = await statuses(db)
    assert rows["k:broken:0"] == "failed"
    assert rows["k:flaky:0"] == "pending"  # waiting for its backoff
    clock.advance(seconds=5)
    dispatcher.wake()
    await dispatcher.drain(10)
    await dispatcher.stop()
    assert (await statuses(db))["k:flaky:0"] == "sent" and dispatcher.stats.retried == 1


async def test_after_a_crash_messages_in_flight_are_sent_again(db: Database) -> None:
    clock = SystemClock()
    await queue(db, ["a", "b"], clock)
    async with UnitOfWork(db) as uow:  # a previous run claimed them, then died
        claimed = await uow.outbox.claim("test", clock.now() + timedelta(seconds=1), 10)
    assert len(claimed) == 2 and set((await statuses(db)).values()) == {"sending"}
    sender = Recorder()
    dispatcher = Dispatcher(db, sender, clock=clock)
    dispatcher.start()
    await dispatcher.drain(10)
    await dispatcher.stop()
    assert sorted(sender.delivered) == ["a:0", "b:0"]


async def test_the_rate_limiter_spaces_bulk_and_lets_interactive_replies_go_first() -> None:
    limiter = RateLimiter(50.0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    for _ in range(10):
        await limiter.acquire()
    elapsed = loop.time() - start
    assert 0.15 <= elapsed < 0.6  # ten at 50/s: about 0.18 s, never a burst
    for _ in range(5):
        limiter.take_now()  # interactive replies never wait...
    start = loop.time()
    await limiter.acquire()
    assert loop.time() - start >= 0.08  # ...and bulk pays for them
