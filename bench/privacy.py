"""Privacy at scale, in one run, on a territory of 5 000 people, 20 000 needs, 60 000 delivered
messages: (a) `/mesdonnees` for one person (the registry-driven export); (b) `/oublier` for one
person, commit and WAL TRUNCATE checkpoint included; baseline: deleting the person row alone
(what the foreign keys' cascades would do, with no checkpoint). Each is the median over N people.

Prints human lines, then one JSON line last. Usage: .venv/bin/python bench/privacy.py [--n 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lte_core.services import privacy  # noqa: E402
from lte_core.store import Database, UnitOfWork  # noqa: E402
from lte_core.store.privacy import scrub_file  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TZ = __import__("zoneinfo").ZoneInfo("Europe/Paris")


async def populate(db: Database, people: int, needs: int, sent: int) -> None:
    ts = NOW.isoformat()
    raw = db.conn.raw
    async with db.lock:
        raw.execute("BEGIN")
        raw.executemany(
            "INSERT INTO persons (id, first_name, locale, created_at, consented_at) VALUES (?, ?, 'fr', ?, ?)",
            [(i, f"Prénom{i}", ts, ts) for i in range(1, people + 1)],
        )
        raw.executemany(
            "INSERT INTO identities (person_id, channel, external_id) VALUES (?, 'telegram', ?)",
            [(i, str(100000 + i)) for i in range(1, people + 1)],
        )
        raw.executemany(
            "INSERT INTO needs (author_id, text, status, created_at, updated_at) VALUES (?, ?, 'expressed', ?, ?)",
            [(1 + i % people, f"Besoin numéro {i} du quartier", ts, ts) for i in range(needs)],
        )
        raw.executemany(
            "INSERT INTO supports (need_id, person_id, created_at) VALUES (?, ?, ?)",
            [(1 + (i * 7) % needs, 1 + i % people, ts) for i in range(needs)],
        )
        raw.executemany(
            "INSERT OR IGNORE INTO outbox (dedup_key, person_id, channel, external_id, locale, kind, params, "
            "status, not_before, created_at, sent_at) VALUES (?, ?, 'telegram', ?, 'fr', 'text', '{}', 'sent', ?, ?, ?)",
            [(f"k{i}", 1 + i % people, str(100000 + 1 + i % people), ts, ts, ts) for i in range(sent)],
        )
        raw.commit()


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database(Path(tmp) / "bench.sqlite3").open()
        await populate(db, 5000, 20000, 60000)
        export_t, forget_t, base_t = [], [], []
        for i in range(n):
            pid = 10 + i
            t = time.perf_counter()
            async with UnitOfWork(db, read_only=True) as uow:
                privacy.dump(await privacy.my_data(uow, pid, TZ, NOW))
            export_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            async with UnitOfWork(db) as uow:
                await privacy.forget(uow, pid, NOW)
            await scrub_file(db)
            forget_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            async with UnitOfWork(db) as uow:
                await uow.conn.execute("DELETE FROM persons WHERE id = ?", (2000 + i,))
            base_t.append(time.perf_counter() - t)
        await db.close()
    ms = {
        k: statistics.median(v) * 1000
        for k, v in (("export", export_t), ("forget", forget_t), ("base", base_t))
    }
    print(
        f"/mesdonnees median {ms['export']:.1f} ms; /oublier median {ms['forget']:.1f} ms "
        f"(baseline, the row alone: {ms['base']:.1f} ms)"
    )
    print(
        json.dumps(
            {
                "bench": "privacy",
                "n": n,
                "people": 5000,
                "needs": 20000,
                "outbox_sent": 60000,
                "mydata_ms": round(ms["export"], 2),
                "forget_ms": round(ms["forget"], 2),
                "baseline_delete_ms": round(ms["base"], 2),
                "ratio_forget_to_baseline": round(ms["forget"] / ms["base"], 1),
            }
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    asyncio.run(main(parser.parse_args().n))
