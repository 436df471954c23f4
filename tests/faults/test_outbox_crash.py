"""A crash re-sends at most what was really in flight: `lte-bot run` (a real process, ptb against
the local fake Bot API) delivering a mission to a 2 000-member circle is killed with SIGKILL twice
mid-way and started again; every member gets the message once, or twice for the few that were in
the air at a kill (no more than the sender's concurrency per kill), nobody three times, nobody
never."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from lte_core.clock import SystemClock, to_iso
from lte_core.services import circles
from lte_core.store import Database, UnitOfWork
from tests.support.fake_telegram import FakeTelegram

from ._run import TOKEN, environ, finish, lte

pytestmark = pytest.mark.faults

MEMBERS = 2000
CHAT0 = 700_000  # member n (person n + 1) is Telegram chat CHAT0 + n
CONCURRENCY = 8  # the Telegram dispatcher's (bots/telegram/adapter.py)
RATE = "200"


async def mission_to_a_crowd(path: Path) -> int:
    """The circle, its coordinator and members (with Telegram identities) set-based in SQL, then
    the mission through the service, as a coordinator creates it: its 2 000 rows are queued."""
    now = SystemClock().now()
    db = await Database(path).open()
    raw = db.conn.raw
    raw.execute("BEGIN")
    raw.execute(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < :n) "
        "INSERT INTO persons (id, first_name, locale, consented_at, created_at) "
        "SELECT i, 'P' || i, 'fr', :now, :now FROM s",
        {"n": MEMBERS + 1, "now": to_iso(now)},
    )
    raw.execute(
        "INSERT INTO identities (person_id, channel, external_id, last_seen_at) "
        "SELECT id, 'telegram', CAST(? + id - 1 AS TEXT), ? FROM persons",
        (CHAT0, to_iso(now)),
    )
    raw.execute(
        "INSERT INTO circles (id, kind, name, purpose, created_at) VALUES (1, 'mission', 'Jardins', '', ?)",
        (to_iso(now),),
    )
    raw.execute(
        "INSERT INTO memberships (circle_id, person_id, role, joined_at) "
        "SELECT 1, id, CASE WHEN id = 1 THEN 'coordinator' ELSE 'member' END, ? FROM persons",
        (to_iso(now),),
    )
    raw.execute("COMMIT")
    async with UnitOfWork(db) as uow:
        _, sent = await circles.create_mission(
            uow, 1, 1, "Désherber le potager", "", now + timedelta(days=3), 10, now=now
        )
    await db.close()
    return sent


async def until(predicate: object, proc: asyncio.subprocess.Process, timeout: float) -> None:
    assert callable(predicate)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if proc.returncode is not None:
            _, _, err = await finish(proc)
            raise AssertionError(f"run ended (exit {proc.returncode}): {err[-3000:]}")
        if loop.time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


def outbox(path: Path) -> dict[str, int]:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT status, count(*) FROM outbox GROUP BY status").fetchall())


async def test_two_sigkills_during_a_broadcast_send_nobody_more_than_twice(tmp_path: Path) -> None:
    db_path = tmp_path / "lte.sqlite3"
    assert await mission_to_a_crowd(db_path) == MEMBERS
    async with FakeTelegram(token=TOKEN) as tg:
        tg.latency = 0.03  # a round trip to Telegram: several sends are in the air at any time
        env = environ(db_path, tg, LTE_TELEGRAM_RATE=RATE)

        def sends() -> list[int]:
            return [int(c.chat_id) for c in tg.sent if c.method.lower() == "sendmessage" and c.ok]  # type: ignore[arg-type]

        segments: list[Counter[int]] = []
        seen = 0
        for kill_at in (MEMBERS * 3 // 10 + 47, MEMBERS * 6 // 10 + 53, None):  # mid-batch
            proc = await lte(env, "run")
            try:
                if kill_at is not None:
                    await until(lambda k=kill_at: len(sends()) >= k, proc, 120)
                    proc.send_signal(signal.SIGKILL)
                    await finish(proc)
                    await asyncio.sleep(0.3)  # what was in the air reaches the server, or not
                else:
                    await until(lambda: len(set(sends())) >= MEMBERS, proc, 120)
                    await asyncio.sleep(0.5)  # nothing more comes
                    proc.send_signal(signal.SIGTERM)
                    code, _, err = await finish(proc, timeout=30)
                    assert code == 0, err[-3000:]
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            now = sends()
            segments.append(Counter(now[seen:]))
            seen = len(now)

    copies = Counter(sends())
    members = {CHAT0 + n for n in range(1, MEMBERS + 1)}
    per_member = Counter(copies.get(m, 0) for m in members)
    # Sent again after kill k: delivered before it, and again after the restart.
    again = [sum(1 for chat in segments[k + 1] if chat in segments[k]) for k in range(2)]
    print(f"copies per member: {dict(sorted(per_member.items()))}; sent again after each kill: {again}")
    assert set(copies) == members  # the coordinator is not told of their own mission
    assert per_member[0] == 0  # nobody lost
    assert max(copies.values()) <= 2  # nobody three times
    assert all(n <= CONCURRENCY for n in again), again  # only what was in the air
    assert sum(n - 1 for n in copies.values()) <= 2 * CONCURRENCY
    assert outbox(db_path) == {"sent": MEMBERS}
