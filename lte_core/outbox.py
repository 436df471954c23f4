"""The outbox sender (DESIGN §6): delivers queued messages through one channel, throttled.

Rows are written by the services in the same transaction as their cause. A dispatcher per
channel reads the due rows a little ahead, marks each `sending` just before it goes out and
records its outcome as soon as it is known, so a crash leaves `sending` only what was in the air
(at most `concurrency` rows): those are queued again once at the next start (a message in flight
may be sent twice, never dropped), and given up if a second crash finds them in the air again (a
message never goes out three times). It respects a global rate and a per-recipient spacing,
pauses only what a rate-limit answer concerns, marks unreachable recipients, and retries network
errors with backoff. Interactive replies don't go through here; they take rate tokens first
(`RateLimiter.take_now`), so bulk waits behind them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
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


@dataclass
class _Op:
    """One thing the journal writes: a message starting, its outcome, or its deferral."""

    kind: str  # start | sent | later | retry | unreachable | failed | defer
    msg: OutboxMessage
    delay: float = 0.0
    error: str = ""
    future: asyncio.Future[bool] | None = None


# Times the journal tries to record an outcome before it leaves the row `sending` (requeued at the
# next start, so sent again at most once) rather than hold the message's send slot for ever.
JOURNAL_TRIES = 5


class Dispatcher:
    """Delivers one channel's outbox until stopped; `wake()` after a commit makes it look at once.

    What a crash can send twice is bounded by what is in the air: a message is marked `sending`
    (committed) just before it goes out and its outcome is committed before its send slot is
    freed, so at most `concurrency` rows are ever `sending`. The rows read ahead are not marked;
    marks and outcomes that come together are written in one transaction (the journal)."""

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
        self._in_flight: set[str] = set()  # recipients with a send under way
        self._held: set[int] = set()  # messages handed to a send task, until their outcome is written
        self._sem = asyncio.Semaphore(concurrency)
        self._tasks: set[asyncio.Task[None]] = set()
        self._ops: list[_Op] = []  # waiting for the journal
        self._writer: asyncio.Task[None] | None = None
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
        await self._journal_idle()

    async def run(self) -> None:
        async with UnitOfWork(self.db) as uow:
            requeued, given_up = await uow.outbox.requeue_in_flight(self.channel)
        if requeued:
            log.info(
                "outbox %s: %d message(s) in flight at the last stop are queued again", self.channel, requeued
            )
        if given_up:
            log.warning(
                "outbox %s: %d message(s) in flight at two stops are given up (not sent a third time)",
                self.channel,
                given_up,
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
        async with UnitOfWork(self.db, read_only=True) as uow:
            due = await uow.outbox.next_due(self.channel)
        timeout = self.idle_poll
        if due is not None:
            timeout = min(timeout, max((due - self.clock.now()).total_seconds(), 0.01))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    def _lookahead(self) -> int:
        """How many due rows a round reads: what can go out soon (about a second at the rate)."""
        if self.limiter is None:
            return self.batch
        return max(self.concurrency, min(self.batch, math.ceil(self.limiter.rate)))

    async def _round(self) -> bool:
        await expand_fanouts(self.db)
        async with UnitOfWork(self.db, read_only=True) as uow:
            ahead = await uow.outbox.due(self.channel, self.clock.now(), self._lookahead() + len(self._held))
        msgs = [m for m in ahead if m.id not in self._held]  # handed out, their mark not written yet
        if not msgs:
            return False  # sends in flight wake us when they finish
        deferred: list[asyncio.Future[bool]] = []
        for msg in msgs:
            if self._stopping:
                break  # not marked: still pending, for the next start
            now = time.monotonic()
            ready = self._next_ok.get(msg.external_id, 0.0)
            if msg.external_id in self._in_flight or ready > now:
                deferred.append(self._submit(_Op("defer", msg, delay=max(ready - now, 0.05))))
                continue
            await self._sem.acquire()
            if self.limiter is not None:
                try:
                    await self.limiter.acquire()
                except BaseException:
                    self._sem.release()
                    raise
            self._in_flight.add(msg.external_id)
            self._held.add(msg.id)
            if self.interval:
                self._next_ok[msg.external_id] = time.monotonic() + self.interval
            task = asyncio.create_task(self._send(msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if deferred:  # written before the next round reads the queue again
            await asyncio.gather(*deferred, return_exceptions=True)
        self._prune()
        return True

    async def _send(self, msg: OutboxMessage) -> None:
        try:
            try:
                started = await self._submit(_Op("start", msg))
            except Exception:
                log.exception(
                    "outbox %s: a message could not be marked as sending; kept queued", self.channel
                )
                return
            if not started:
                return  # dropped meanwhile (its recipient became unreachable)
            msg.attempts += 1
            outcome = await self._attempt(msg)
            try:
                await self._submit(outcome)
            except Exception:
                log.exception("outbox %s: an outcome could not be recorded", self.channel)
        finally:
            self._in_flight.discard(msg.external_id)
            self._held.discard(msg.id)
            self._sem.release()
            self._wake.set()

    async def _attempt(self, msg: OutboxMessage) -> _Op:
        try:
            await self.sender.deliver(msg)
            return _Op("sent", msg)
        except RetryLater as exc:
            self.stats.rate_limited += 1
            if exc.whole_channel and self.limiter is not None:
                self.limiter.pause(exc.seconds)
            self._next_ok[msg.external_id] = time.monotonic() + exc.seconds
            return _Op("later", msg, exc.seconds, str(exc))
        except Unreachable as exc:
            return _Op("unreachable", msg, 0.0, str(exc) or "unreachable")
        except Undeliverable as exc:
            return _Op("failed", msg, 0.0, str(exc) or "undeliverable")
        except Exception as exc:
            # Network trouble and the unexpected: back off and try again, a bounded number of times.
            error = f"{type(exc).__name__}: {exc}"
            if msg.attempts >= self.max_attempts:
                return _Op("failed", msg, 0.0, error)
            delay = min(2.0**msg.attempts, 300.0) * (0.75 + random.random() / 2)
            return _Op("retry", msg, delay, error)

    # The journal ------------------------------------------------------------------------------

    def _submit(self, op: _Op) -> asyncio.Future[bool]:
        """Have `op` written; the future is done once it is committed (True for a start that
        found its message still pending). What is submitted meanwhile joins the same commit."""
        op.future = asyncio.get_running_loop().create_future()
        self._ops.append(op)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all(), name=f"outbox-{self.channel}-journal")
        return op.future

    async def _journal_idle(self) -> None:
        while self._writer is not None and not self._writer.done():
            await asyncio.shield(self._writer)

    async def _write_all(self) -> None:
        failures = 0
        while self._ops:
            batch: list[_Op] = []
            try:
                async with UnitOfWork(self.db) as uow:
                    # Taken once the write lock is ours: what came while we waited is in it too.
                    batch, self._ops = self._ops, []
                    started = await self._write(uow, batch)
            except Exception as exc:
                if not batch:  # failed before it was taken (the transaction did not begin)
                    batch, self._ops = self._ops, []
                failures += 1
                log.exception("outbox %s: the journal could not write (%d)", self.channel, failures)
                keep = [op for op in batch if op.kind not in ("start", "defer") and failures < JOURNAL_TRIES]
                for op in batch:
                    if op not in keep and op.future is not None and not op.future.done():
                        op.future.set_exception(exc)
                self._ops[:0] = keep
                await asyncio.sleep(0.5)
                continue
            failures = 0
            unreachable: list[str] = []
            for op in batch:
                self._count(op)
                if op.kind == "unreachable":
                    unreachable.append(op.msg.external_id)
                if op.future is not None and not op.future.done():
                    op.future.set_result(op.kind != "start" or op.msg.id in started)
            for external_id in unreachable:
                log.info(
                    "outbox %s: a recipient is unreachable; their pending messages are dropped", self.channel
                )
                if self.on_unreachable is not None:
                    try:
                        await self.on_unreachable(external_id)
                    except Exception:
                        log.exception("outbox %s: on_unreachable failed", self.channel)

    async def _write(self, uow: UnitOfWork, batch: list[_Op]) -> set[int]:
        """Outcomes first (one may drop a recipient's pending rows), then the marks of the starts."""
        now = self.clock.now()
        starts: list[int] = []
        for op in batch:
            msg = op.msg
            if op.kind == "start":
                starts.append(msg.id)
            elif op.kind == "sent":
                await uow.outbox.sent(msg.id, now)
            elif op.kind == "defer":
                await uow.outbox.defer(msg.id, now + timedelta(seconds=op.delay))
            elif op.kind == "later":
                await uow.outbox.defer(msg.id, now + timedelta(seconds=op.delay), op.error)
            elif op.kind == "retry":
                await uow.outbox.retry(msg.id, now + timedelta(seconds=op.delay), op.error)
            elif op.kind == "unreachable":
                await uow.people.mark_unreachable(msg.channel, msg.external_id, now)
                await uow.outbox.give_up(msg.id, "unreachable", op.error)
                await uow.outbox.drop_pending_for(msg.channel, msg.external_id, op.error)
            else:
                await uow.outbox.give_up(msg.id, "failed", op.error)
        return await uow.outbox.start(starts)

    def _count(self, op: _Op) -> None:
        if op.kind == "sent":
            self.stats.sent += 1
        elif op.kind == "retry":
            self.stats.retried += 1
        elif op.kind == "unreachable":
            self.stats.unreachable += 1
        elif op.kind == "failed":
            self.stats.failed += 1

    def _prune(self) -> None:
        if len(self._next_ok) > 10_000:
            now = time.monotonic()
            self._next_ok = {k: v for k, v in self._next_ok.items() if v > now}

    async def drain(self, timeout: float = 30.0) -> None:
        """For tests and benchmarks: return once nothing due is pending or in flight."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await self._journal_idle()
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
        async with UnitOfWork(db) as uow:  # each as it goes: a crash repeats one message at most
            await uow.outbox.sent(msg.id, clock.now())
    return len(msgs)
