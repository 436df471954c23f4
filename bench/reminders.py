"""Reminders, in one run, on real SQLite files:

(a) 10 000 people registered on one event: the time from the due moment to every reminder queued
    in the outbox (`ReminderWork.run_due`: set-based, a chunk of 2 000 per transaction; goal ≤ 2 s),
    against the baseline measured on a copy of the same database: the naive loop, one person at a
    time (read their identity, one INSERT into the outbox, one UPDATE of the reminder).
(b) the lateness of a single reminder while the bot idles: the real scheduler (APScheduler, one
    date job at the soonest row) on the real clock, from the reminder's due moment to its outbox
    row queued (goal p99 ≤ 1 s).

Prints human lines, then one JSON line last. Usage:
    .venv/bin/python bench/reminders.py [--people 10000] [--samples 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bots.scheduler import Scheduler  # noqa: E402
from lte_core.clock import FixedClock, SystemClock, to_iso  # noqa: E402
from lte_core.config import Settings  # noqa: E402
from lte_core.services import events, reminders  # noqa: E402
from lte_core.store import Database, OutboxMessage, UnitOfWork  # noqa: E402
from lte_core.store.events import EventRepo  # noqa: E402

OFFSET = timedelta(hours=1)
SETTINGS = Settings(reminders=(OFFSET,), quiet_hours=None)


async def crowd(path: Path, n: int, clock: FixedClock) -> int:
    """n consenting people on Telegram, all registered on one event starting in an hour."""
    db = await Database(path).open()
    now = to_iso(clock.now())
    raw = db.conn.raw
    raw.execute("BEGIN")
    raw.executemany(
        "INSERT INTO persons (id, first_name, locale, created_at, consented_at) VALUES (?, ?, 'fr', ?, ?)",
        [(i, f"p{i}", now, now) for i in range(1, n + 1)],
    )
    raw.executemany(
        "INSERT INTO identities (person_id, channel, external_id, last_seen_at) VALUES (?, 'telegram', ?, ?)",
        [(i, str(100000 + i), now) for i in range(1, n + 1)],
    )
    raw.commit()
    async with UnitOfWork(db) as uow:
        event = await events.create_event(
            uow, None, "Conférence pivot", clock.now() + OFFSET + timedelta(minutes=1), now=clock.now()
        )
    raw.execute("BEGIN")
    raw.executemany(
        "INSERT INTO registrations (event_id, person_id, status, seq, since, created_at) VALUES (?, ?, 'registered', ?, ?, ?)",
        [(event.id, i, i, now, now) for i in range(1, n + 1)],
    )
    raw.commit()
    async with UnitOfWork(db) as uow:
        await EventRepo(uow.conn).sync_event_reminders(SETTINGS.reminders, clock.now())
    await db.close()
    return event.id


async def ours(path: Path, due: datetime) -> tuple[float, int]:
    db = await Database(path).open()
    try:
        work = reminders.ReminderWork(SETTINGS, FixedClock(due))
        started = time.perf_counter()
        await work.run_due(db, due)
        elapsed = time.perf_counter() - started
        async with db.conn.execute("SELECT count(*) FROM outbox WHERE kind = 'event_reminder'") as cur:
            row = await cur.fetchone()
        return elapsed, int(row[0]) if row else 0
    finally:
        await db.close()


async def naive(path: Path, due: datetime, event_id: int) -> tuple[float, int]:
    db = await Database(path).open()
    try:
        started = time.perf_counter()
        async with UnitOfWork(db) as uow:
            event = await EventRepo(uow.conn).get(event_id)
            assert event is not None
            rows = await uow.conn.execute_fetchall(
                "SELECT id, person_id FROM reminders WHERE status = 'pending' AND due_at <= ? ORDER BY id",
                (to_iso(due),),
            )
            params = {"event_id": event.id, "title": event.title, "starts_at": event.starts_at.isoformat()}
            for rid, person_id in rows:
                identity = await uow.people.reachable_identity(person_id)
                person = await uow.people.get(person_id)
                if identity is None or person is None:
                    continue
                await uow.outbox.put(
                    OutboxMessage(
                        f"reminder:{rid}",
                        identity.channel,
                        identity.external_id,
                        person.locale,
                        "event_reminder",
                        params,
                        person_id,
                        3,
                    ),
                    due,
                )
                await uow.conn.execute(
                    "UPDATE reminders SET status = 'sent', handled_at = ? WHERE id = ?", (to_iso(due), rid)
                )
        elapsed = time.perf_counter() - started
        async with db.conn.execute("SELECT count(*) FROM outbox WHERE kind = 'event_reminder'") as cur:
            row = await cur.fetchone()
        return elapsed, int(row[0]) if row else 0
    finally:
        await db.close()


async def lateness(path: Path, samples: int) -> list[float]:
    """The scheduler idles; each sample is one person's reminder due 0.8 s after it is made."""
    clock = SystemClock()
    db = await Database(path).open()
    queued_at: list[float] = []
    arrived = asyncio.Event()
    out: list[float] = []

    def queued() -> None:
        queued_at.append(time.time())
        arrived.set()

    try:
        async with UnitOfWork(db) as uow:
            now = clock.now()
            await uow.conn.execute(
                "INSERT INTO persons (first_name, locale, created_at, consented_at) VALUES ('x', 'fr', ?, ?)",
                (to_iso(now), to_iso(now)),
            )
            pid = (await uow.conn.execute_fetchall("SELECT max(id) FROM persons"))[0][0]
            await uow.conn.execute(
                "INSERT INTO identities (person_id, channel, external_id, last_seen_at) VALUES (?, 'telegram', '1', ?)",
                (pid, to_iso(now)),
            )
        offset = timedelta(seconds=2)
        settings = Settings(reminders=(offset,), quiet_hours=None)
        scheduler = Scheduler(db, reminders.work(settings, clock), clock=clock, on_queued=queued)
        await scheduler.start()
        for _ in range(samples):
            await asyncio.sleep(0.3)  # idle between two
            start = (clock.now() + offset + timedelta(seconds=1.8)).replace(
                microsecond=0
            )  # events are to the second
            async with UnitOfWork(db) as uow:
                event = await events.create_event(uow, None, "Réunion", start, now=clock.now())
                await events.register(uow, pid, event.id, now=clock.now(), offsets=settings.reminders)
            due = (start - offset).timestamp()
            arrived.clear()
            await asyncio.wait_for(arrived.wait(), 10)
            out.append(queued_at[-1] - due)
        await scheduler.stop()
    finally:
        await db.close()
    return out


async def defaults_dropped(n: int = 200, block: float = 2.0) -> tuple[int, int]:
    """Baseline of (b): one APScheduler job per reminder with the library's defaults
    (misfire_grace_time=1 s), due while the loop is busy for `block` seconds (a long export, a
    machine that slept): how many of the n jobs ran. Ours keeps no job per reminder: the rows
    are judged when the one job fires, however late."""
    import logging

    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    logging.getLogger("apscheduler").setLevel(logging.ERROR)  # 200 "was missed by" warnings
    ran = 0

    async def remind() -> None:
        nonlocal ran
        ran += 1

    aps = AsyncIOScheduler(timezone=UTC)
    aps.start()
    at = datetime.now(UTC) + timedelta(seconds=0.2)
    for i in range(n):
        aps.add_job(remind, "date", run_date=at, id=f"r{i}")
    time.sleep(block)  # noqa: ASYNC251 - the loop is busy on purpose: nothing runs meanwhile
    await asyncio.sleep(1.0)
    aps.shutdown(wait=False)
    return ran, n


async def ours_busy(path: Path, block: float = 2.0) -> bool:
    """The same busy loop with our scheduler: the reminder is queued when the loop comes back."""
    clock = SystemClock()
    db = await Database(path).open()
    queued = asyncio.Event()
    try:
        offset = timedelta(seconds=3)
        settings = Settings(reminders=(offset,), quiet_hours=None)
        async with UnitOfWork(db) as uow:
            now = to_iso(clock.now())
            await uow.conn.execute(
                "INSERT INTO persons (id, first_name, locale, created_at, consented_at) VALUES (1, 'x', 'fr', ?, ?)",
                (now, now),
            )
            await uow.conn.execute(
                "INSERT INTO identities (person_id, channel, external_id, last_seen_at) VALUES (1, 'telegram', '1', ?)",
                (now,),
            )
            start = (clock.now() + offset + timedelta(seconds=1.2)).replace(microsecond=0)
            event = await events.create_event(uow, None, "Réunion", start, now=clock.now())
            await events.register(uow, 1, event.id, now=clock.now(), offsets=settings.reminders)
        scheduler = Scheduler(db, reminders.work(settings, clock), clock=clock, on_queued=queued.set)
        await scheduler.start()
        time.sleep(block)  # noqa: ASYNC251 - busy on purpose, across the due time
        try:
            await asyncio.wait_for(queued.wait(), 5)
        except TimeoutError:
            return False
        finally:
            await scheduler.stop()
        return True
    finally:
        await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clock = FixedClock(datetime(2027, 3, 15, 16, 0, tzinfo=UTC))
        base = Path(tmp) / "crowd.sqlite3"
        event_id = await crowd(base, args.people, clock)
        copy = Path(tmp) / "naive.sqlite3"
        shutil.copy(base, copy)
        due = clock.now() + timedelta(minutes=1)
        t_ours, n_ours = await ours(base, due)
        t_naive, n_naive = await naive(copy, due, event_id)
        print(
            f"(a) {args.people} registered: every reminder queued in {t_ours:.3f} s ({n_ours} rows); "
            f"naive loop {t_naive:.3f} s ({n_naive} rows); ×{t_naive / t_ours:.1f}"
        )
        ran, jobs = await defaults_dropped()
        kept = await ours_busy(Path(tmp) / "busy.sqlite3")
        print(
            f"(c) one APScheduler job per reminder, library defaults, loop busy 2 s at the due time: "
            f"{ran} of {jobs} ran ({jobs - ran} silently dropped); ours: {'queued' if kept else 'LOST'}"
        )
        late = await lateness(Path(tmp) / "idle.sqlite3", args.samples)
        late.sort()
        p99 = late[min(len(late) - 1, round(0.99 * (len(late) - 1)))]
        print(
            f"(b) single reminder while idle: median {statistics.median(late) * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms, max {late[-1] * 1000:.0f} ms after due ({len(late)} samples)"
        )
        print(
            json.dumps(
                {
                    "bench": "reminders",
                    "people": args.people,
                    "queued": n_ours,
                    "all_queued_s": round(t_ours, 3),
                    "goal_all_queued_s": 2.0,
                    "baseline": "naive loop: one identity read, one INSERT, one UPDATE per person",
                    "baseline_s": round(t_naive, 3),
                    "ratio": round(t_naive / t_ours, 2),
                    "idle_lateness_p50_s": round(statistics.median(late), 3),
                    "idle_lateness_p99_s": round(p99, 3),
                    "goal_idle_p99_s": 1.0,
                    "samples": len(late),
                    "apscheduler_defaults_ran": ran,
                    "apscheduler_defaults_jobs": jobs,
                    "ours_busy_loop_queued": kept,
                }
            )
        )


if __name__ == "__main__":
    asyncio.run(main())
