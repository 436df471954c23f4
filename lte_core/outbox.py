"""The outbox sender (DESIGN §6): delivers queued messages through one channel, throttled.

Rows are written by the services in the same transaction as their cause. A dispatcher per
channel claims due rows (marked `sending`, so a crash puts them back in the queue: a message in
flight may be sent twice, never dropped), respects a global rate and a per-recipient spacing,
pauses only what a rate-limit answer concerns, marks unreachable recipients, and retries
network errors with backoff. Interactive replies don't go through here; they take rate tokens
first (`RateLimiter.take_now`), so bulk waits behind them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from .clock import Clock, SystemClock
from .store import Database, OutboxMessage, UnitOfWork

log = logging.getLogger(__name__)


class DeliveryError(Exception):
    """Base of what a sender raises when a message did not go out."""


class RetryLater(DeliveryError):
    """Rate limited: wait `seconds`; `whole_channel` when the limit is the account's, not the chat's."""

    def __init__(self, seconds: float, *, whole_channel: bool = False) -> None:
        super().__init__(f"retry after {seconds:g}s")
        self.seconds = max(float(seconds), 0.0)
        self.whole_channel = whole_channel


class Unreachable(DeliveryError):
    """The recipient blocked the bot or left: stop sending to them."""


class Undeliverable(DeliveryError):
    """This message can never go out (refused as malformed): give it up, keep the others."""


class Sender(Protocol):
    channel: str

    async def deliver(self, msg: OutboxMessage) -> None: ...


class RateLimiter:
    """A token bucket shared by bulk sends (which wait) and interactive replies (which don't)."""

    def __init__(self, rate: float, burst: float = 1.0, now: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._now = now
        self._tokens = burst
        self._stamp = now()
        self.paused_until = 0.0
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        t = self._now()
        self._tokens = min(self.burst, self._tokens + (t - self._stamp) * self.rate)
        self._stamp = t

    def take_now(self) -> None:
        """An interactive reply goes at once; the debt it leaves makes bulk wait (bounded)."""
        self._refill()
        self._tokens = max(self._tokens - 1, -self.rate)

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self._now() + seconds)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                wait = self.paused_until - self._now()
                if wait <= 0:
                    self._refill()
                    if self._tokens >= 1:
                        self._tokens -= 1
                        return
                    wait = (1 - self._tokens) / self.rate
                await asyncio.sleep(wait)


@dataclass
class Stats:
    sent: int = 0
    retried: int = 0
    rate_limited: int = 0
    unreachable: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)


class Dispatcher:
    """Delivers one channel's outbox until stopped; `wake()` after a commit makes it look at once."""

    def __init__(
        self,
        db: Database,
        sender: Sender,
        *,
        clock: Clock | None = None,
        limiter: RateLimiter | None = None,
        per_recipient_interval: float = 0.0,
        concurrency: int = 8,
        batch: int = 100,
        max_attempts: int = 8,
        idle_poll: float = 5.0,
        on_unreachable: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.channel = sender.channel
        self.clock = clock or SystemClock()
        self.limiter = limiter
        self.interval = per_recipient_interval
        self.concurrency = concurrency
        self.batch = batch
        self.max_attempts = max_attempts
        self.idle_poll = idle_poll
        self.on_unreachable = on_unreachable
        self.stats = Stats()
        self._wake = asyncio.Event()
        self._stopping = False
        self._next_ok: dict[str, float] = {}  # recipient → monotonic time it may receive again
        self._in_flight: set[str] = set()
        self._sem = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._done: list[tuple[OutboxMessage, str, float, str]] = []  # (msg, outcome, delay, error)
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name=f"outbox-{self.channel}")
        return self._task

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._flush()

    async def run(self) -> None:
        async with UnitOfWork(self.db) as uow:
            requeued = await uow.outbox.requeue_in_flight()
        if requeued:
            log.info(
                "outbox %s: %d message(s) in flight at the last stop are queued again", self.channel, requeued
            )
        while not self._stopping:
            # Cleared before looking, so a wake-up that comes while we look is not lost.
            self._wake.clear()
            try:
                busy = await self._round()
            except Exception:
                log.exception("outbox %s: round failed; retrying shortly", self.channel)
                busy = False
                await asyncio.sleep(1)
            if not busy and not self._stopping:
                await self._idle()

    async def _idle(self) -> None:
        async with UnitOfWork(self.db) as uow:
            due = await uow.outbox.next_due(self.channel)
        timeout = self.idle_poll
        if due is not None:
            timeout = min(timeout, max((due - self.clock.now()).total_seconds(), 0.01))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def _round(self) -> bool:
        await self._flush()
        await expand_fanouts(self.db)
        async with UnitOfWork(self.db) as uow:
            msgs = await uow.outbox.claim(self.channel, self.clock.now(), self.batch)
        if not msgs:
            return False  # sends in flight wake us when they finish
        deferred: list[tuple[OutboxMessage, float]] = []
        for msg in msgs:
            if self._stopping:
                deferred.append((msg, 0.0))
                continue
            now = time.monotonic()
            ready = self._next_ok.get(msg.external_id, 0.0)
            if msg.external_id in self._in_flight or ready > now:
                deferred.append((msg, max(ready - now, 0.05)))
                continue
            if self.limiter is not None:
                await self.limiter.acquire()
            await self._sem.acquire()
            self._in_flight.add(msg.external_id)
            if self.interval:
                self._next_ok[msg.external_id] = time.monotonic() + self.interval
            task = asyncio.create_task(self._send(msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if deferred:
            async with UnitOfWork(self.db) as uow:
                for msg, delay in deferred:
                    await uow.outbox.defer(msg.id, self.clock.now() + timedelta(seconds=delay))
        self._prune()
        return True

    async def _send(self, msg: OutboxMessage) -> None:
        try:
            await self.sender.deliver(msg)
            self._done.append((msg, "sent", 0.0, ""))
        except RetryLater as exc:
            self.stats.rate_limited += 1
            if exc.whole_channel and self.limiter is not None:
                self.limiter.pause(exc.seconds)
            self._next_ok[msg.external_id] = time.monotonic() + exc.seconds
            self._done.append((msg, "later", exc.seconds, str(exc)))
        except Unreachable as exc:
            self._done.append((msg, "unreachable", 0.0, str(exc) or "unreachable"))
        except Undeliverable as exc:
            self._done.append((msg, "failed", 0.0, str(exc) or "undeliverable"))
        except Exception as exc:
            # Network trouble and the unexpected: back off and try again, a bounded number of times.
            error = f"{type(exc).__name__}: {exc}"
            if msg.attempts >= self.max_attempts:
                self._done.append((msg, "failed", 0.0, error))
            else:
                delay = min(2.0**msg.attempts, 300.0) * (0.75 + random.random() / 2)
                self._done.append((msg, "retry", delay, error))
        finally:
            self._in_flight.discard(msg.external_id)
            self._sem.release()
            self._wake.set()

    async def _flush(self) -> None:
        """Record outcomes in one transaction: cheaper than one per message under a broadcast."""
        if not self._done:
            return
        done, self._done = self._done, []
        unreachable: list[str] = []
        async with UnitOfWork(self.db) as uow:
            now = self.clock.now()
            for msg, outcome, delay, error in done:
                if outcome == "sent":
                    self.stats.sent += 1
                    await uow.outbox.sent(msg.id, now)
                elif outcome == "later":
                    await uow.outbox.defer(msg.id, now + timedelta(seconds=delay), error)
                elif outcome == "retry":
                    self.stats.retried += 1
                    await uow.outbox.retry(msg.id, now + timedelta(seconds=delay), error)
                elif outcome == "unreachable":
                    self.stats.unreachable += 1
                    await uow.people.mark_unreachable(msg.channel, msg.external_id, now)
                    await uow.outbox.give_up(msg.id, "unreachable", error)
                    await uow.outbox.drop_pending_for(msg.channel, msg.external_id, error)
                    unreachable.append(msg.external_id)
                else:
                    self.stats.failed += 1
                    await uow.outbox.give_up(msg.id, "failed", error)
        for external_id in unreachable:
            log.info(
                "outbox %s: a recipient is unreachable; their pending messages are dropped", self.channel
            )
            if self.on_unreachable is not None:
                await self.on_unreachable(external_id)

    def _prune(self) -> None:
        if len(self._next_ok) > 10_000:
            now = time.monotonic()
            self._next_ok = {k: v for k, v in self._next_ok.items() if v > now}

    async def drain(self, timeout: float = 30.0) -> None:
        """For tests and benchmarks: return once nothing due is pending or in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self._flush()
            async with UnitOfWork(self.db) as uow:
                counts = await uow.outbox.counts(self.channel)
                due = await uow.outbox.next_due(self.channel)
                fanouts = await uow.outbox.fanouts_waiting()
            pending = counts.get("pending", 0) + counts.get("sending", 0) + fanouts
            if not pending and not self._tasks:
                return
            if due is not None and due > self.clock.now() + timedelta(seconds=timeout) and not self._tasks:
                return
            self._wake.set()
            await asyncio.sleep(0.02)
        raise TimeoutError(f"outbox {self.channel} not drained in {timeout}s")


async def expand_fanouts(db: Database) -> int:
    """Turn waiting broadcasts into their outbox rows, one short transaction per chunk, the loop
    given its turn between two: conversations go on meanwhile. Returns how many chunks ran."""
    chunks = 0
    while True:
        async with UnitOfWork(db) as uow:
            more = await uow.outbox.expand_fanout()
        if not more:
            return chunks
        chunks += 1
        await asyncio.sleep(0)


async def deliver_now(
    db: Database,
    channel: str,
    external_id: str,
    clock: Clock,
    deliver: Callable[[OutboxMessage], Awaitable[None]],
) -> int:
    """Deliver what waits for one recipient at once (the terminal shows it before its prompt)."""
    await expand_fanouts(db)
    async with UnitOfWork(db) as uow:
        msgs = await uow.outbox.claim_for(channel, external_id, clock.now())
    for msg in msgs:
        await deliver(msg)
    async with UnitOfWork(db) as uow:
        for msg in msgs:
            await uow.outbox.sent(msg.id, clock.now())
    return len(msgs)
