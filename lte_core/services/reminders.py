"""The timed work of events (`lte_core.due.DueWork`): reminders of events and missions, the
programmes' morning digests, and the announcements held by the quiet hours.

Each is idempotent: a row is marked in the transaction that queues its outbox rows (whose dedup
key is the row's), so a second run, another process or a restart sends nothing twice. What fell
due while the bot was down is judged by `domain.events.judge`: sent late if its event has not
started, recorded missed otherwise."""

from __future__ import annotations

import time as _time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from ..clock import Clock, SystemClock
from ..config import Settings
from ..domain.events import Verdict, digest_due, judge, local_day, release_at, reminder_due
from ..notices import EventNew, EventReminder, MissionReminder, Notice, ProgrammeDigest
from ..store import UnitOfWork
from ..store.events import EventRepo
from ._common import PRIORITY_BULK, PRIORITY_PERSONAL, notify

if TYPE_CHECKING:
    from ..store.db import Database

CHUNK = 2000  # reminders handled per transaction: ≈ 20 ms of the write lock
RESYNC_EVERY = 30.0  # seconds between two full syncs of the event reminders (services sync their own)


class ReminderWork:
    """Reminders before events (their registered people) and missions (those who took a place)."""

    name = "reminders"

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._synced = -RESYNC_EVERY

    async def sync(self, db: Database, now: datetime, *, full: bool = False) -> None:
        offsets = self.settings.reminders
        async with UnitOfWork(db) as uow:
            events = EventRepo(uow.conn)
            if full or _time.monotonic() - self._synced >= RESYNC_EVERY:
                await events.drop_other_offsets(offsets, now)
                await events.sync_event_reminders(offsets, now)
                self._synced = _time.monotonic()
            await events.sync_missions(offsets, now)

    async def next_due(self, db: Database) -> datetime | None:
        await self.sync(db, self.clock.now())
        async with UnitOfWork(db, read_only=True) as uow:
            return await EventRepo(uow.conn).next_reminder()

    async def run_due(self, db: Database, now: datetime) -> int:
        await self.sync(db, now)
        handled = 0
        while True:
            async with UnitOfWork(db) as uow:
                n = await self._chunk(uow, now)
            handled += n
            if n < CHUNK:
                return handled

    async def _chunk(self, uow: UnitOfWork, now: datetime) -> int:
        events = EventRepo(uow.conn)
        rows = await events.due_reminders(now, CHUNK)
        groups: dict[tuple[int | None, int | None, int], list[int]] = defaultdict(list)
        dues: dict[tuple[int | None, int | None, int], datetime] = {}
        for r in rows:
            key = (r.event_id, r.mission_id, r.offset_s)
            groups[key].append(r.id)
            dues[key] = max(dues.get(key, r.due_at), r.due_at)
        for (event_id, mission_id, offset_s), ids in groups.items():
            notice: Notice
            if event_id is not None:
                event = await events.get(event_id)
                if event is None:  # gone meanwhile: its reminders with it
                    await events.queue_reminders(
                        ids, status="cancelled", kind="", params={}, priority=0, not_before=now, now=now
                    )
                    continue
                starts, cancelled = event.starts_at, event.cancelled
                verdict = judge(dues[event_id, mission_id, offset_s], starts, now, cancelled=cancelled)
                notice = EventReminder(event.id, event.title, starts, event.place, verdict is Verdict.LATE)
            else:
                assert mission_id is not None
                mission = await uow.missions.get(mission_id)
                if mission is None:
                    await events.queue_reminders(
                        ids, status="cancelled", kind="", params={}, priority=0, not_before=now, now=now
                    )
                    continue
                starts = mission.starts_at
                verdict = judge(
                    dues[event_id, mission_id, offset_s], starts, now, cancelled=mission.cancelled
                )
                notice = MissionReminder(mission.id, mission.title, starts, verdict is Verdict.LATE)
            # Quiet hours hold a reminder unless its event starts before they end.
            hold = release_at(now, self.settings.quiet_hours, self.settings.tz, starts)
            uow.outbox.queued += await events.queue_reminders(
                ids,
                status=verdict.value,
                kind=notice.kind,
                params=notice.params(),
                priority=PRIORITY_PERSONAL,
                not_before=hold,
                now=now,
            )
        return len(rows)


class DigestWork:
    """Each morning of a programme's days, at LTE_DIGEST_TIME, one digest of that day's events to
    its subscribers (held to the end of the quiet hours if that time falls inside them)."""

    name = "digests"

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()

    async def sync(self, db: Database, now: datetime) -> None:
        tz, clock, quiet = self.settings.tz, self.settings.digest_time, self.settings.quiet_hours
        today = local_day(now, tz)
        async with UnitOfWork(db) as uow:
            events = EventRepo(uow.conn)
            for programme_id, _name in await events.programmes():
                if not await events.subscribers(programme_id):
                    continue
                rows = await events.digest_rows(programme_id)
                days = {local_day(e.starts_at, tz) for e in await events.of_programme(programme_id)}
                for day in sorted(d for d in days if d >= today):
                    at = digest_due(day, clock, tz)
                    at = release_at(at, quiet, tz)
                    known = rows.get(day)
                    if known is None or (known[2] == "pending" and known[1] != at):
                        await events.put_digest(programme_id, day, at)

    async def next_due(self, db: Database) -> datetime | None:
        await self.sync(db, self.clock.now())
        async with UnitOfWork(db, read_only=True) as uow:
            return await EventRepo(uow.conn).next_digest()

    async def run_due(self, db: Database, now: datetime) -> int:
        tz = self.settings.tz
        handled = 0
        async with UnitOfWork(db) as uow:
            events = EventRepo(uow.conn)
            for d in await events.due_digests(now):
                start = datetime(d.day.year, d.day.month, d.day.day, tzinfo=tz)
                day_events = await events.between(d.programme_id, start, start + timedelta(days=1))
                handled += 1
                if not day_events:
                    await events.digest_done(d.id, Verdict.CANCELLED.value, now)
                    continue
                verdict = judge(d.due_at, max(e.starts_at for e in day_events), now)
                await events.digest_done(d.id, verdict.value, now)
                if verdict is Verdict.MISSED:
                    continue
                name = next((n for i, n in await events.programmes() if i == d.programme_id), "")
                notice = ProgrammeDigest(
                    name,
                    d.day.isoformat(),
                    [
                        {"id": e.id, "title": e.title, "starts_at": e.starts_at.isoformat(), "place": e.place}
                        for e in day_events
                    ],
                )
                await notify(
                    uow,
                    await events.subscribers(d.programme_id),
                    notice,
                    key=f"digest:{d.id}",
                    now=now,
                    priority=PRIORITY_BULK,
                )
        return handled


class AnnouncementWork:
    """Announcements of new events, sent when asked or, in the quiet hours, when they end."""

    name = "announcements"

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()

    async def next_due(self, db: Database) -> datetime | None:
        async with UnitOfWork(db, read_only=True) as uow:
            return await EventRepo(uow.conn).next_announcement()

    async def run_due(self, db: Database, now: datetime) -> int:
        handled = 0
        async with UnitOfWork(db) as uow:
            events = EventRepo(uow.conn)
            for event in await events.due_announcements(now):
                await events.announced(event.id, now)
                handled += 1
                if not event.is_open(now):
                    continue  # started or cancelled meanwhile: nothing to announce any more
                people = [p for p in await events.audience(event) if p != event.created_by]
                notice = EventNew(event.id, event.title, event.starts_at, event.place, event.kind.value)
                await notify(
                    uow, people, notice, key=f"event-new:{event.id}", now=now, priority=PRIORITY_BULK
                )
        return handled


def work(
    settings: Settings, clock: Clock | None = None
) -> list[ReminderWork | DigestWork | AnnouncementWork]:
    """The timed work of events, for `lte_core.due.all_work()`."""
    return [ReminderWork(settings, clock), DigestWork(settings, clock), AnnouncementWork(settings, clock)]


__all__ = ["AnnouncementWork", "DigestWork", "ReminderWork", "reminder_due", "work"]
