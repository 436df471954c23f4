"""The tableau de pilotage at the scale of a territory, on a real SQLite file:

the database of bench/scale.py (100 000 residents each with a Telegram identity, 50 000 needs with
their supports and history, circles, one of 10 000 members), its dates spread over the last
twelve weeks (people, needs, supports, moves) so that the weekly figures have something to
count, 200 missions and 100 000 outbox rows (sent, some failed); then the real web server in
this process, a session opened by a one-time link, and each page asked `--rounds` times by a real
HTTP client: p50, p95 and the worst per page (goal: p95 ≤ 300 ms), the needs table filtered and
its JSON download, and the peak memory of the process. The baseline, measured in the same run,
is a static file served by the same server (the stylesheet): what a request costs with no query.

Prints human lines, then one JSON line last. Usage:
    .venv/bin/python bench/dashboard.py [--residents 100000] [--needs 50000] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scale import database, percentile  # noqa: E402
from bots.web import WebChannel  # noqa: E402
from lte_core.clock import SystemClock, to_iso  # noqa: E402
from lte_core.config import Settings, WebSettings  # noqa: E402
from lte_core.services import tableau  # noqa: E402
from lte_core.store import Database, UnitOfWork  # noqa: E402

PAGES = ("needs", "participation", "circles", "year", "health")
GOAL_MS = 300.0


def spread(path: Path) -> None:
    """Dates over the last 84 days, missions and outbox rows: set-based, on the copy."""
    raw = sqlite3.connect(path, isolation_level=None)
    now = datetime.now(UTC)
    start = now - timedelta(days=84)
    raw.execute("BEGIN")
    day = "strftime('%Y-%m-%dT%H:%M:%S+00:00', ?, '+' || ({expr}) || ' minutes')"
    raw.execute(f"UPDATE persons SET created_at = {day.format(expr='(id * 7) % 120960')}", (to_iso(start),))
    raw.execute(
        f"UPDATE needs SET created_at = {day.format(expr='(id * 11) % 100000')}, "
        f"updated_at = {day.format(expr='(id * 11) % 100000 + 8000 + id % 9000')}",
        (to_iso(start), to_iso(start)),
    )
    raw.execute(
        "UPDATE need_moves SET at = (SELECT CASE WHEN need_moves.from_status IS NULL THEN n.created_at "
        "ELSE n.updated_at END FROM needs n WHERE n.id = need_moves.need_id)"
    )
    raw.execute(
        f"UPDATE supports SET created_at = {day.format(expr='(person_id * 13 + need_id) % 120960')}",
        (to_iso(start),),
    )
    series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
    raw.execute(
        series
        + "INSERT INTO missions (circle_id, title, description, starts_at, places, created_by, created_at) "
        "SELECT 1 + i % 4, 'Mission ' || i, '', ?, 5 + i % 20, 1, ? FROM s",
        (200, to_iso(now + timedelta(days=10)), to_iso(start)),
    )
    raw.execute(
        series + "INSERT OR IGNORE INTO mission_takers (mission_id, person_id, taken_at) "
        "SELECT 1 + i % 200, (i * 7919) % 100000 + 1, ? FROM s",
        (2000, to_iso(now - timedelta(days=3))),
    )
    raw.execute(
        series + "INSERT INTO outbox (dedup_key, person_id, channel, external_id, locale, kind, status, "
        "not_before, created_at, sent_at, last_error, attempts) "
        "SELECT 'bench:' || i, i % 100000 + 1, CASE WHEN i % 5 = 0 THEN 'matrix' ELSE 'telegram' END, "
        "CAST(i AS TEXT), 'fr', 'need_moved', CASE WHEN i % 200 = 0 THEN 'failed' ELSE 'sent' END, ?, ?, ?, "
        "CASE WHEN i % 200 = 0 THEN 'Forbidden: bot was blocked by the user' END, 1 FROM s",
        (100_000, to_iso(start), to_iso(start), to_iso(now)),
    )
    raw.execute("COMMIT")
    raw.execute("ANALYZE")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


async def timed(session: aiohttp.ClientSession, url: str, rounds: int) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(rounds):
        t = time.perf_counter()
        async with session.get(url) as response:
            body = await response.read()
            assert response.status == 200, (url, response.status)
        times.append((time.perf_counter() - t) * 1000)
        size = len(body)
    return times, size


def summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(times, 0.50), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="compute every section at every request (the heaviest are cached 30 s)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lte-bench-dashboard-") as tmp:
        path, built = await database(Path(tmp), args.residents, args.needs, args.members)
        t = time.perf_counter()
        spread(path)
        print(
            f"database: {args.residents} residents, {args.needs} needs (built in {built:.1f} s, dates spread in {time.perf_counter() - t:.1f} s)"
        )
        db = await Database(path).open()
        clock = SystemClock()
        settings = Settings(db_path=str(path), web=WebSettings(0))
        channel = WebChannel(db, settings, clock)
        channel.tableau.cache = not args.no_cache
        await channel.start()
        base = f"http://127.0.0.1:{channel.port}"
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        async with UnitOfWork(db) as uow:
            token = await tableau.issue_link(uow, 1, clock.now())  # person 1 is in the noyau
        results: dict[str, Any] = {}
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            async with session.post(f"{base}/login", data={"token": token}) as response:
                assert response.status == 200 and str(response.url).endswith("/tableau"), response.status
            static, _ = await timed(session, f"{base}/static/tableau.css", args.rounds)
            results["static"] = summary(static)
            urls = {page: f"{base}/tableau/{page}" for page in PAGES}
            urls["needs_filtered"] = f"{base}/tableau/needs?status=sorted&theme=eau&q=quartier&page=3"
            urls["download_json"] = f"{base}/tableau/data/funnel/funnel.json"
            for name, url in urls.items():
                await timed(session, url, 1)  # the first one warms SQLite's cache and the templates
                times, size = await timed(session, url, args.rounds)
                results[name] = summary(times) | {"kb": round(size / 1024, 1)}
                print(
                    f"{name:16} p50 {results[name]['p50_ms']:7.1f} ms   p95 {results[name]['p95_ms']:7.1f} ms   worst {results[name]['max_ms']:7.1f} ms   {results[name]['kb']} KB"
                )
        await channel.stop()
        await db.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worst_p95 = max(results[p]["p95_ms"] for p in PAGES)
    print(
        f"static file baseline p95 {results['static']['p95_ms']} ms; worst page p95 {worst_p95} ms (goal {GOAL_MS:g} ms)"
    )
    print(f"peak memory {peak:.0f} MB (before the pages: {rss_before:.0f} MB)")
    line = {
        "bench": "dashboard",
        "residents": args.residents,
        "needs": args.needs,
        "rounds": args.rounds,
        "pages": {name: results[name] for name in (*PAGES, "needs_filtered", "download_json")},
        "worst_page_p95_ms": worst_p95,
        "goal_p95_ms": GOAL_MS,
        "goal_met": worst_p95 <= GOAL_MS,
        "baseline": "static file from the same server",
        "baseline_p95_ms": results["static"]["p95_ms"],
        "ratio_worst_page_to_baseline": round(worst_p95 / max(results["static"]["p95_ms"], 0.01), 1),
        "peak_rss_mb": round(peak),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    asyncio.run(main())
