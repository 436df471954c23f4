"""The core at the scale of a territory, in one run, on a real SQLite file:

a database of 100 000 residents (consented, each with a Telegram identity), 50 000 needs (with
supports and their history; each with one of 34 common words and three of some 2 000 rarer ones) and a
few circles, one of 10 000 members, built once with set-based SQL and kept in the temporary
directory for the next runs; then

(a) dialog steps: a sample of residents each go through a whole conversation through the real
    engine (`/besoin <text>`, "mine is different" when similar needs show, a theme, skip the
    place, skip the photo, send; `/besoins` and its next page; `/mesbesoins`): p50, p99 and the
    worst per step, against the same conversations on an empty database (the baseline);
(b) a mission to the 10 000-member circle (`circles.create_mission`): how long it is written,
    the worst latency of the conversations going on meanwhile and the loop's worst stall; the
    baseline is the per-person loop (read the person, read their identity, insert) that queued
    broadcasts before, run on the same database in this run;
(c) `lte-bot export needs --format json`, as a process: wall time and peak memory;
(d) start: `lte-bot stats` as a process, launch to exit, against a bare `python -c pass`;
(e) the peak memory of this process, which ran the engine.

Prints human lines, then one JSON line last. Usage:
    .venv/bin/python bench/scale.py [--residents 100000] [--needs 50000] [--members 10000] [--sample 150]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dialogs.contract import CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO  # noqa: E402
from dialogs.engine import Engine  # noqa: E402
from lte_core.clock import SystemClock, to_iso  # noqa: E402
from lte_core.config import Settings  # noqa: E402
from lte_core.domain import DEFAULT_THEMES  # noqa: E402
from lte_core.notices import MissionNew  # noqa: E402
from lte_core.outbox import expand_fanouts  # noqa: E402
from lte_core.services import circles, people  # noqa: E402
from lte_core.store import LATEST, Database, OutboxMessage, UnitOfWork  # noqa: E402
from lte_core.store.db import migrations  # noqa: E402
from tests.support.chat import Person  # noqa: E402

TELEGRAM = frozenset({CAN_BUTTONS, CAN_LOCATION, CAN_PHOTO})
WORDS = (
    "jardin partagé composteur navette bancs ombre fontaine atelier vélo réparation bibliothèque "
    "grainothèque marché producteurs local covoiturage école crèche lavoir hameau chemin piéton "
    "éclairage solaire récupération eau pluie ruches verger cantine bio salle associative"
).split()
# And the rarer words of a territory (some 2 000, made of syllables): a need has one common
# word and three rarer ones, so a common word is in one need in 34, as "jardin" would be.
SYLLABLES = "ba ce di fo gu la me ni po ru sa te vi zo ran mel tor pin".split()
RARE = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in SYLLABLES][::3][:2000]
THEMES = [t.code for t in DEFAULT_THEMES]
STATUSES = ["expressed"] * 10 + ["in_study"] * 3 + ["sorted"] * 2 + ["presented", "in_circle", "realised"]
STATUSES += ["withdrawn", "merged"]
GOALS = {"step_p99_ms": 20.0, "broadcast_ms": 200.0, "broadcast_concurrent_worst_ms": 50.0}
GOALS |= {"export_s": 3.0, "export_rss_mb": 150.0, "start_s": 2.0, "rss_mb": 200.0}


# The database ---------------------------------------------------------------------------------


def build(path: Path, residents: int, needs: int, members: int) -> None:
    """Residents, needs, supports, moves and circles, each table in one or two statements."""
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA synchronous=OFF")
    seen = to_iso(datetime.now(UTC) - timedelta(days=1))
    t0 = to_iso(datetime.now(UTC) - timedelta(days=90))
    series = "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
    raw.execute("BEGIN")
    raw.execute(
        series
        + "INSERT INTO persons (id, first_name, locale, interests, consented_at, created_at, last_seen_at) "
        "SELECT i, 'R' || i, CASE WHEN i % 10 = 0 THEN 'en' ELSE 'fr' END, '[]', ?, ?, ? FROM s",
        (residents, t0, t0, seen),
    )
    raw.execute(
        "INSERT INTO identities (person_id, channel, external_id, display_name, last_seen_at) "
        "SELECT id, 'telegram', CAST(1000000 + id AS TEXT), first_name, ? FROM persons",
        (seen,),
    )
    raw.execute("CREATE TEMP TABLE words (n INTEGER PRIMARY KEY, w TEXT)")
    raw.executemany("INSERT INTO temp.words VALUES (?, ?)", list(enumerate(WORDS)))
    raw.execute("CREATE TEMP TABLE rare (n INTEGER PRIMARY KEY, w TEXT)")
    raw.executemany("INSERT INTO temp.rare VALUES (?, ?)", list(enumerate(RARE)))
    raw.execute("CREATE TEMP TABLE themes_ (n INTEGER PRIMARY KEY, code TEXT)")
    raw.executemany("INSERT INTO temp.themes_ VALUES (?, ?)", list(enumerate(THEMES)))
    raw.execute("CREATE TEMP TABLE statuses (n INTEGER PRIMARY KEY, s TEXT)")
    raw.executemany("INSERT INTO temp.statuses VALUES (?, ?)", list(enumerate(STATUSES)))
    nw, nr, nt, ns = len(WORDS), len(RARE), len(THEMES), len(STATUSES)
    raw.execute(
        series + "INSERT INTO needs (id, author_id, text, theme, place, status, created_at, updated_at) "
        "SELECT i, (i * 7919) % ? + 1, "
        "(SELECT w FROM words WHERE n = i % ?) || ' ' || (SELECT w FROM rare WHERE n = (i * 7) % ?) || ' ' || "
        "(SELECT w FROM rare WHERE n = (i * 13) % ?) || ' ' || (SELECT w FROM rare WHERE n = (i * 101) % ?) "
        "|| ' pour le quartier n°' || (i % 97), "
        "(SELECT code FROM themes_ WHERE n = i % ?), 'Lieu ' || (i % 50), "
        "(SELECT s FROM statuses WHERE n = (i * 31) % ?), ?, ? FROM s",
        (needs, residents, nw, nr, nr, nr, nt, ns, t0, t0),
    )
    raw.execute(
        "INSERT INTO need_moves (need_id, from_status, to_status, actor_id, at) "
        "SELECT id, NULL, 'expressed', author_id, created_at FROM needs"
    )
    raw.execute(
        "INSERT INTO need_moves (need_id, from_status, to_status, actor_id, at) "
        "SELECT id, 'expressed', status, 1, updated_at FROM needs WHERE status != 'expressed'"
    )
    raw.execute(
        series + "INSERT OR IGNORE INTO supports (need_id, person_id, created_at) "
        "SELECT (i * 104729) % ? + 1, (i * 15485863) % ? + 1, ? FROM s",
        (3 * needs, needs, residents, t0),
    )
    raw.execute(
        "INSERT INTO circles (id, kind, name, purpose, task, created_at) VALUES "
        "(1, 'mission', 'Grand cercle des missions', 'Tout le monde', 'follow_up', ?), "
        "(2, 'work', 'Cercle de travail', '', NULL, ?), (3, 'activities', 'Activités', '', NULL, ?), "
        "(4, 'thematic', 'Eau et rivières', '', NULL, ?)",
        (t0, t0, t0, t0),
    )
    raw.execute(
        series + "INSERT INTO memberships (circle_id, person_id, role, joined_at) "
        "SELECT 1, (i - 1) * ? + 1, CASE WHEN i = 1 THEN 'coordinator' ELSE 'member' END, ? FROM s",
        (members, max(1, residents // members), t0),
    )
    raw.execute(
        series + "INSERT OR IGNORE INTO memberships (circle_id, person_id, role, joined_at) "
        "SELECT 2 + i % 3, (i * 613) % ? + 1, 'member', ? FROM s",
        (1500, residents, t0),
    )
    raw.execute(
        "INSERT INTO person_roles (person_id, role, granted_at, granted_by) VALUES (1, 'noyau', ?, 'bench')",
        (t0,),
    )
    raw.execute(
        "UPDATE needs SET carrier_id = (id * 31) % ? + 1 WHERE status IN ('presented', 'in_circle', 'realised')",
        (residents,),
    )
    raw.execute("COMMIT")
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()


async def _schema(path: Path) -> None:
    async with Database(path) as db, UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)


async def database(workdir: Path, residents: int, needs: int, members: int) -> tuple[Path, float]:
    """A fresh copy of the cached database (built first if need be) and the seconds it took to build."""
    schema = hashlib.sha256("".join(sql for _, _, sql in migrations()).encode()).hexdigest()[:10]
    name = f"lte-bench-scale-{schema}-{residents}-{needs}-{members}.sqlite3"
    cache = Path(tempfile.gettempdir()) / name
    built = 0.0
    if not cache.exists():
        t = time.perf_counter()
        partial = cache.with_suffix(".building")
        for p in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            p.unlink(missing_ok=True)
        await _schema(partial)
        build(partial, residents, needs, members)
        partial.rename(cache)
        built = time.perf_counter() - t
    path = workdir / "scale.sqlite3"
    shutil.copyfile(cache, path)
    return path, built


# Conversations -------------------------------------------------------------------------------


Timings = list[tuple[str, float, float]]


async def conversation(
    person: Person, text: str, theme: str, lat: Timings, cpu: Timings | None = None, pause: float = 0.0
) -> None:
    """One resident: a need expressed the whole way, the list of needs and its next page, theirs.
    `lat` gets the wall time of each step, `cpu` the processor time (less disturbed by a busy
    machine: the process runs nothing else meanwhile). `pause`: seconds between two inputs."""
    cpu = [] if cpu is None else cpu

    async def step(name: str, work: Any) -> None:
        if pause:
            await asyncio.sleep(pause)
        t, c = time.perf_counter(), time.process_time()
        await work
        lat.append((name, t, time.perf_counter()))
        cpu.append((name, c, time.process_time()))

    await step("besoin", person.command("besoin", text))
    for _ in range(8):
        values = person.values
        if "different" in values:
            await step("similar", person.pick("different"))
        elif "send" in values:
            await step("send", person.pick("send"))
            break
        elif "skip" in values:
            await step("skip", person.pick("skip"))
        elif theme in values:
            await step("theme", person.pick(theme))
        else:
            raise RuntimeError(f"unexpected question: {values} {person.text[:300]!r}")
    else:
        raise RuntimeError("the need was never sent")
    await step("besoins", person.command("besoins"))
    if "next" in person.values:
        await step("next", person.pick("next"))
    await step("mesbesoins", person.command("mesbesoins"))


def need_text(rng: random.Random) -> str:
    return f"{rng.choice(WORDS)} {' '.join(rng.sample(RARE, 2))} rue {rng.randint(1, 300)}"


class TimedLock(asyncio.Lock):
    """The database's lock, recording how long each holder kept it."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[float] = []
        self._since = 0.0

    async def acquire(self) -> bool:
        await super().acquire()
        self._since = time.perf_counter()
        return True

    def release(self) -> None:
        self.held.append((time.perf_counter() - self._since) * 1000)
        super().release()


async def sample_steps(db: Database, ids: list[int], rng: random.Random) -> tuple[Timings, Timings, Engine]:
    engine = Engine(db, Settings(db_path=db.path), SystemClock())
    lat: Timings = []
    cpu: Timings = []
    warm = Person(engine, str(1000000 + ids[0]), channel="telegram", capabilities=TELEGRAM)
    await conversation(warm, need_text(rng), THEMES[0], [])  # catalogs, templates, caches: not measured
    for pid in ids:
        person = Person(engine, str(1000000 + pid), channel="telegram", capabilities=TELEGRAM)
        await conversation(person, need_text(rng), rng.choice(THEMES), lat, cpu)
    return lat, cpu, engine


async def empty_baseline(workdir: Path, n: int, rng: random.Random) -> tuple[Timings, Timings]:
    """The same conversations on a database holding only their residents."""
    path = workdir / "empty.sqlite3"
    db = await Database(path).open()
    try:
        now = SystemClock().now()
        async with UnitOfWork(db) as uow:
            await people.ensure_default_themes(uow, DEFAULT_THEMES)
            for pid in range(1, n + 1):
                who = await people.identify(uow, "telegram", str(1000000 + pid), now=now)
                await people.update_profile(uow, who.person.id, first_name=f"R{pid}")
                await people.give_consent(uow, who.person.id, now)
        lat, cpu, _ = await sample_steps(db, list(range(1, n + 1)), rng)
        return lat, cpu
    finally:
        await db.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def ms(lat: Timings) -> list[float]:
    return [(end - start) * 1000 for _, start, end in lat]


# The broadcast -------------------------------------------------------------------------------


async def per_row_notify(
    uow: UnitOfWork, members: list[int], notice: MissionNew, key: str, now: datetime
) -> int:
    """How broadcasts were queued before: for each member, their person, their identity, a row."""
    queued = 0
    for pid in members:
        person = await uow.people.get(pid)
        ident = await uow.people.reachable_identity(pid)
        if person is None or ident is None:
            continue
        msg = OutboxMessage(
            f"{key}:p{pid}",
            ident.channel,
            ident.external_id,
            person.locale,
            notice.kind,
            notice.params(),
            pid,
            6,
        )
        queued += await uow.outbox.put(msg, now)
    return queued


async def mission(db: Database, title: str) -> tuple[float, float, int, int]:
    """A mission to the big circle by its coordinator: (start, end, recipients, mission id)."""
    clock = SystemClock()
    start = time.perf_counter()
    async with UnitOfWork(db) as uow:
        created, sent = await circles.create_mission(
            uow, 1, 1, title, "", clock.now() + timedelta(days=7), 20, now=clock.now()
        )
    # Written means every member's outbox row is there: the crowd's rows follow the mission's
    # transaction a chunk at a time (what each channel's sender does before it sends).
    await expand_fanouts(db)
    return start, time.perf_counter(), sent, created.id


async def broadcast(
    db: Database, engine: Engine, talkers: list[int], rng: random.Random, repeats: int = 3
) -> dict[str, Any]:
    clock = SystemClock()
    alone = []
    for k in range(repeats):
        start, end, sent, mission_id = await mission(db, f"Mission du matin {k}")
        alone.append((end - start) * 1000)

    # The same while residents talk to the bot, each typing fast (not faster than the engine's
    # flood control lets one person), with a task that notes how late the loop wakes it.
    lat: Timings = []
    stop = asyncio.Event()
    stalls: list[tuple[float, float]] = []

    async def talk(pid: int) -> None:
        person = Person(engine, str(1000000 + pid), channel="telegram", capabilities=TELEGRAM)
        while not stop.is_set():
            await conversation(person, need_text(rng), rng.choice(THEMES), lat, pause=0.05)

    async def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.001)
            stalls.append((t, time.perf_counter() - t - 0.001))

    tasks = [asyncio.create_task(talk(pid)) for pid in talkers] + [asyncio.create_task(ticker())]
    await asyncio.sleep(0.5)
    windows = []
    for k in range(repeats):
        start, end, _, _ = await mission(db, f"Mission du soir {k}")
        windows.append((start, end))
        await asyncio.sleep(0.3)
    stop.set()
    await asyncio.gather(*tasks)
    busy, worst, stall = [], [], []
    for start, end in windows:
        busy.append((end - start) * 1000)
        during = [(e - s) * 1000 for _, s, e in lat if e >= start and s <= end]
        worst.append(max(during, default=0.0))
        stall.append(max((d for t, d in stalls if start - 0.01 <= t <= end), default=0.0) * 1000)

    # The baseline: the per-person loop, on the same database, alone.
    async with UnitOfWork(db) as uow:
        members = await uow.circles.member_ids(1)
    notice = MissionNew(
        mission_id, "Grand cercle des missions", "Encore", clock.now() + timedelta(days=8), 20
    )
    t = time.perf_counter()
    async with UnitOfWork(db) as uow:
        old_sent = await per_row_notify(uow, [m for m in members if m != 1], notice, "baseline", clock.now())
    old_ms = (time.perf_counter() - t) * 1000
    assert old_sent == sent, (old_sent, sent)
    median = statistics.median
    return {
        "broadcast_recipients": sent,
        "broadcast_ms": round(median(alone), 1),
        "broadcast_per_row_baseline_ms": round(old_ms, 1),
        "broadcast_ratio": round(old_ms / median(alone), 2),
        "broadcast_with_talkers_ms": round(median(busy), 1),
        "broadcast_concurrent_worst_ms": round(median(worst), 1),
        "broadcast_loop_stall_ms": round(median(stall), 1),
        "broadcast_repeats": repeats,
    }


# Processes -----------------------------------------------------------------------------------


def timed_process(args: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """Wall seconds and peak memory (MB, from /usr/bin/time -v when there is one) of a command."""
    gnu_time = Path("/usr/bin/time")
    cmd = [str(gnu_time), "-v", *args] if gnu_time.exists() else args
    t = time.perf_counter()
    done = subprocess.run(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    wall = time.perf_counter() - t
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return wall, (int(m.group(1)) / 1024 if m else None)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--needs", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument(
        "--sample", type=int, default=150, help="residents who each hold a whole conversation"
    )
    parser.add_argument("--talkers", type=int, default=20, help="conversations going on during the broadcast")
    args = parser.parse_args()
    rng = random.Random(8)
    figures: dict[str, Any] = {"bench": "scale"}
    with tempfile.TemporaryDirectory(prefix="lte-scale-") as tmp:
        workdir = Path(tmp)
        path, built = await database(workdir, args.residents, args.needs, args.members)
        print(
            f"database: {args.residents} residents, {args.needs} needs"
            + (f", built in {built:.1f}s" if built else "")
        )

        base, base_cpu = await empty_baseline(workdir, min(args.sample, 50), random.Random(8))
        db = await Database(path).open()
        try:
            lock = db.lock = TimedLock()
            ids = rng.sample(range(2, args.residents + 1), args.sample + args.talkers)
            lat, cpu, engine = await sample_steps(db, ids[: args.sample], rng)
            held = list(lock.held)
            steps = ms(lat)
            p50, p99, worst = percentile(steps, 0.5), percentile(steps, 0.99), max(steps)
            base_p99 = percentile(ms(base), 0.99)
            cpu_p99, base_cpu_p99 = percentile(ms(cpu), 0.99), percentile(ms(base_cpu), 0.99)
            by_step = {}
            for name in dict.fromkeys(n for n, _, _ in lat):
                values = ms([x for x in lat if x[0] == name])
                by_step[name] = round(percentile(values, 0.99), 2)
            print(
                f"steps ({len(steps)} of {args.sample} conversations): p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                f"worst {worst:.1f} ms; empty database p99 {base_p99:.2f} ms; p99 by step {by_step}"
            )
            print(
                f"processor time per step: p99 {cpu_p99:.2f} ms (empty database {base_cpu_p99:.2f} ms); "
                f"lock held per unit of work: p50 {percentile(held, 0.5):.3f} ms, p99 {percentile(held, 0.99):.2f} ms"
            )
            figures |= {
                "steps": len(steps),
                "step_p50_ms": round(p50, 2),
                "step_p99_ms": round(p99, 2),
                "step_worst_ms": round(worst, 1),
                "step_p99_by_step_ms": by_step,
                "step_p99_empty_db_ms": round(base_p99, 2),
                "step_ratio": round(p99 / base_p99, 2) if base_p99 else None,
                "step_cpu_p99_ms": round(cpu_p99, 2),
                "step_cpu_p99_empty_db_ms": round(base_cpu_p99, 2),
                "step_cpu_ratio": round(cpu_p99 / base_cpu_p99, 2) if base_cpu_p99 else None,
                "lock_hold_p50_ms": round(percentile(held, 0.5), 3),
                "lock_hold_p99_ms": round(percentile(held, 0.99), 2),
            }
            b = await broadcast(db, engine, ids[args.sample :], rng)
            print(
                f"broadcast to {b['broadcast_recipients']} (median of {b['broadcast_repeats']}): written in "
                f"{b['broadcast_ms']} ms (per-person loop {b['broadcast_per_row_baseline_ms']} ms, "
                f"x{b['broadcast_ratio']}); while residents talk: {b['broadcast_with_talkers_ms']} ms, their "
                f"worst step {b['broadcast_concurrent_worst_ms']} ms, loop stall {b['broadcast_loop_stall_ms']} ms"
            )

            figures |= b
        finally:
            await db.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        env = {**os.environ, "LTE_DB_PATH": str(path)}
        export_s, export_mb = timed_process(
            [sys.executable, "-m", "bots.cli", "export", "needs", "--format", "json"], env
        )
        start_s, _ = timed_process([sys.executable, "-m", "bots.cli", "stats"], env)
        bare_s, _ = timed_process([sys.executable, "-c", "pass"], env)
        print(
            f"export needs: {export_s:.2f}s, {export_mb or 0:.0f} MB; start (stats): {start_s:.2f}s (bare python {bare_s:.2f}s)"
        )
        print(f"this process: {rss:.0f} MB at most")
        figures |= {
            "export_s": round(export_s, 2),
            "export_rss_mb": round(export_mb, 1) if export_mb else None,
            "start_s": round(start_s, 2),
            "start_bare_python_s": round(bare_s, 2),
            "start_ratio": round(start_s / bare_s, 1),
            "rss_mb": round(rss, 1),
            "residents": args.residents,
            "needs": args.needs,
            "members": args.members,
            "schema": LATEST,
        }
    figures["goals"] = GOALS
    figures["ok"] = {k: figures.get(k) is not None and figures[k] <= goal for k, goal in GOALS.items()}
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
