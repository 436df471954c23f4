"""The scheduler: APScheduler 3.x only wakes the core; the database rows are the truth.

It asks every `lte_core.due.all_work()` item when it is next due, sets ONE date job at the
soonest, runs `run_due` of each when it fires, and asks again. A service that changes due
times calls `lte_core.due.poke()` after its change: the scheduler asks again at once. Nothing is
kept in APScheduler between two runs (its memory job store): at start, the job is rebuilt from
the rows, so a reminder due while the bot was down is found and judged (late or missed) by its
work, never by APScheduler.

APScheduler settings, and why:
- `misfire_grace_time=None`: a job that fires late (the loop was busy, the machine slept) runs
  however late; the default (1 s) would silently drop it. Lateness is the rows' business.
- `coalesce=True`: several missed runs of the job are one run (each run handles all that is due).
- `max_instances=1`: never two runs at once in a process (a run re-arms when it ends); two
  processes (`run` and `chat`) are kept apart by the database's write lock and the rows' marks.
- the job is re-armed at least every `MAX_SLEEP` seconds: rows written by another process (the
  command line, a `chat`) cannot poke this one, and are found that way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from lte_core import due
from lte_core.clock import Clock, SystemClock
from lte_core.due import DueWork
from lte_core.store import Database

log = logging.getLogger(__name__)

JOB_ID = "lte-due"
MAX_SLEEP = 60.0
JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class Scheduler:
    """`await Scheduler(db).start()` … `await stop()`; `on_queued` is told when a run queued
    messages (the outbox dispatchers are woken)."""

    def __init__(
        self,
        db: Database,
        work: Sequence[DueWork] | None = None,
        *,
        clock: Clock | None = None,
        on_queued: Callable[[], None] | None = None,
        max_sleep: float = MAX_SLEEP,
    ) -> None:
        self.db = db
        self.work = list(work) if work is not None else due.all_work()
        self.clock = clock or SystemClock()
        self.on_queued = on_queued
        self.max_sleep = max_sleep
        self.aps = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        self.armed_at: datetime | None = None
        self.runs = 0
        self._lock = asyncio.Lock()
        self._unpoke: Callable[[], None] | None = None
        self._pending: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._firing: asyncio.Future[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        self.aps.start()
        self._unpoke = due.on_poke(self.poke)
        await self.rearm()
        log.info("scheduler started: %d kind(s) of timed work", len(self.work))

    async def stop(self) -> None:
        """Stop waking; a run under way finishes first (its rows are marked as it goes)."""
        self._stopping = True
        if self._unpoke is not None:
            self._unpoke()
            self._unpoke = None
        if self.aps.running and self.aps.get_job(JOB_ID) is not None:
            self.aps.remove_job(JOB_ID)
        if self._firing is not None and not self._firing.done():
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(self._firing), 10)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self.aps.running:
            self.aps.shutdown(wait=False)

    def poke(self) -> None:
        """Due times changed: ask again (once, however many pokes come meanwhile)."""
        if self._stopping or (self._pending is not None and not self._pending.done()):
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # a command line tool without a loop: the next start rebuilds from the rows
        self._pending = loop.create_task(self.rearm())
        self._tasks.add(self._pending)
        self._pending.add_done_callback(self._tasks.discard)

    async def soonest(self) -> datetime | None:
        found: list[datetime] = []
        for work in self.work:
            try:
                at = await work.next_due(self.db)
            except Exception:
                log.exception("scheduler: %s could not say when it is due", work.name)
                continue
            if at is not None:
                found.append(at)
        return min(found) if found else None

    async def rearm(self) -> datetime | None:
        """Set the one job at the soonest due moment (at most MAX_SLEEP away)."""
        async with self._lock:
            if self._stopping:
                return None
            now = self.clock.now()
            soonest = await self.soonest()
            at = now + timedelta(seconds=self.max_sleep)
            if soonest is not None:
                at = max(min(soonest, at), now)
            self.aps.add_job(
                self._fire, "date", run_date=at, id=JOB_ID, replace_existing=True, name="lte due work"
            )
            self.armed_at = at
            return at

    async def run_once(self) -> int:
        """Run what is due now (every kind of work), then re-arm; how many rows were handled."""
        now = self.clock.now()
        handled = 0
        for work in self.work:
            try:
                handled += await work.run_due(self.db, now)
            except Exception:
                log.exception("scheduler: %s failed; it is tried again at the next wake", work.name)
        self.runs += 1
        if handled and self.on_queued is not None:
            self.on_queued()
        return handled

    async def _fire(self) -> None:
        if self._stopping:
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._firing = done
        try:
            await self.run_once()
            if not self._stopping:
                await self.rearm()
        finally:
            done.set_result(None)
