"""Polls at the scale of a territory, on a real SQLite file, in one run:

(a) ballots: N residents cast a ballot at once (asyncio.gather, one unit of work each), open and
    secret polls: ballots per second and the worst latency; the baseline is N supports of one
    need at once (the same shape: a check, a row), measured in this run;
(b) closing a poll of N eligible people: the tally of N majority-judgment ballots and the results
    queued for everyone (a crowd goes through the outbox's fan-out), in one unit of work.

Prints human lines, then one JSON line last. Usage: .venv/bin/python bench/polls.py [--people 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lte_core.clock import to_iso
from lte_core.domain.polls import PollMethod
from lte_core.services import needs, polls
from lte_core.store import Database, UnitOfWork

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def people(db: Database, n: int) -> list[int]:
    ts = to_iso(NOW)
    async with UnitOfWork(db) as uow:
        await uow.conn.executemany(
            "INSERT INTO persons (locale, created_at, consented_at, onboarded_at) VALUES ('fr', ?, ?, ?)",
            [(ts, ts, ts)] * n,
        )
        await uow.conn.executemany(
            "INSERT INTO identities (person_id, channel, external_id) VALUES (?, 'telegram', ?)",
            [(i, str(1000 + i)) for i in range(1, n + 1)],
        )
    return list(range(1, n + 1))


async def timed(work: list[object]) -> tuple[float, float]:
    """Wall time of all the works at once, and the worst single one."""
    worst = 0.0

    async def one(coro: object) -> None:
        nonlocal worst
        t = time.perf_counter()
        await coro  # type: ignore[misc]
        worst = max(worst, time.perf_counter() - t)

    start = time.perf_counter()
    await asyncio.gather(*(one(w) for w in work))
    return time.perf_counter() - start, worst


async def main(n: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database(Path(tmp) / "lte.sqlite3").open()
        try:
            ids = await people(db, n)
            async with UnitOfWork(db) as uow:
                need = await needs.express_need(
                    uow, ids[0], "Un jardin partagé au centre du village", now=NOW
                )
                single = await polls.create_poll(
                    uow, None, "Quel soir ?", ["a", "b", "c"], now=NOW, closes_at=NOW + timedelta(days=1)
                )
                secret = await polls.create_poll(
                    uow, None, "Secret ?", ["a", "b"], now=NOW, closes_at=NOW + timedelta(days=1), secret=True
                )
                judged = await polls.create_poll(
                    uow,
                    None,
                    "Quels besoins ?",
                    ["a", "b", "c", "d"],
                    now=NOW,
                    closes_at=NOW + timedelta(days=1),
                    method=PollMethod.JUDGMENT,
                )

            async def support(p: int) -> None:
                async with UnitOfWork(db) as uow:
                    await needs.support_need(uow, p, need.id, NOW)

            async def cast(p: int, poll_id: int, choice: list[int]) -> None:
                async with UnitOfWork(db) as uow:
                    await polls.cast_ballot(uow, p, poll_id, choice, NOW)

            base_wall, base_worst = await timed([support(p) for p in ids[1:]])
            open_wall, open_worst = await timed([cast(p, single.id, [p % 3]) for p in ids])
            secret_wall, secret_worst = await timed([cast(p, secret.id, [p % 2]) for p in ids])
            rng = random.Random(12)
            await timed([cast(p, judged.id, [rng.randrange(7) for _ in range(4)]) for p in ids])
            t = time.perf_counter()
            async with UnitOfWork(db) as uow:
                await polls.close_poll(uow, None, judged.id, NOW + timedelta(hours=1))
            close_s = time.perf_counter() - t
        finally:
            await db.close()
    figures = {
        "bench": "polls",
        "people": n,
        "open_ballots_per_s": round(n / open_wall),
        "open_worst_ms": round(open_worst * 1000, 1),
        "secret_ballots_per_s": round(n / secret_wall),
        "secret_worst_ms": round(secret_worst * 1000, 1),
        "baseline_supports_per_s": round((n - 1) / base_wall),
        "baseline_worst_ms": round(base_worst * 1000, 1),
        "ratio_open_vs_baseline": round((n / open_wall) / ((n - 1) / base_wall), 2),
        "close_judgment_ms": round(close_s * 1000, 1),
    }
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=2000)
    result = asyncio.run(main(parser.parse_args().people))
    for key, value in result.items():
        print(f"{key}: {value}")
    print(json.dumps(result))
