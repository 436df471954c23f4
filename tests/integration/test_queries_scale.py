"""The queries that must hold with a crowd, on real SQLite files of a few thousand rows: exports in
one pass and streamed, keyset pages, carried needs however old, the bounded similar-need search.

The reference each test compares with is the way it was done before (one query per need, every
match ranked): the new queries must give the same answers, with a number of statements that
does not grow with the rows."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lte_core.clock import FixedClock
from lte_core.domain import CircleKind, MemberRole, Role, alike, stems
from lte_core.services import circles, export, needs, people
from lte_core.services.privacy import pseudonym
from lte_core.store import Database, UnitOfWork
from tests.support.sql import statements

TZ = ZoneInfo("Europe/Paris")
OPEN = ("expressed", "in_study", "sorted", "presented", "in_circle", "proposed", "assigned", "in_project")
WORDS = (
    "jardin partage velo reparer atelier cuisine ecole parents enfants marche compost arbres banc "
    "fontaine navette horaires eclairage trottoir voisins entraide courses visite musique salle outils"
).split()


async def populate(db: Database, *, persons: int, needs_count: int, closed_every: int = 5) -> None:
    """People, needs, their moves and supports, written set-based as a territory's history would be."""
    words = ", ".join(f"({i}, '{w}')" for i, w in enumerate(WORDS))
    n = len(WORDS)
    async with UnitOfWork(db) as uow:
        conn = uow.db.conn
        await conn.execute(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) "
            "INSERT INTO persons (id, first_name, locale, interests, consented_at, created_at) "
            "SELECT i, CASE WHEN i % 9 = 0 THEN NULL ELSE 'Hélène ' || i END, CASE WHEN i % 4 = 0 THEN 'en' ELSE 'fr' END, "
            "CASE WHEN i % 3 = 0 THEN '[\"eau\",\"energie\"]' ELSE '[]' END, "
            "CASE WHEN i % 5 = 0 THEN NULL ELSE '2026-03-29T00:30:00+00:00' END, "
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-03-28', '+' || (i * 7) || ' minutes') FROM s",
            (persons,),
        )
        await conn.execute(
            "INSERT INTO identities (person_id, channel, external_id) "
            "SELECT id, CASE WHEN id % 2 = 0 THEN 'matrix' ELSE 'telegram' END, 'ext' || id FROM persons"
        )
        # A second identity for some: exported oldest first.
        await conn.execute(
            "INSERT INTO identities (person_id, channel, external_id) SELECT id, 'terminal', 't' || id "
            "FROM persons WHERE id % 7 = 0"
        )
        await conn.execute(
            "INSERT INTO person_roles (person_id, role, granted_at) SELECT id, 'referent', created_at "
            "FROM persons WHERE id % 11 = 0"
        )
        await conn.execute(
            "INSERT INTO person_roles (person_id, role, granted_at) SELECT id, 'noyau', created_at "
            "FROM persons WHERE id % 22 = 0"
        )
        await conn.execute(
            f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?), w(i, word) AS (VALUES {words}) "
            "INSERT INTO needs (id, author_id, text, theme, place, lat, lon, status, carrier_id, merged_into, "
            "decline_reason, created_at, updated_at) "
            "SELECT i, 1 + (i * 7) % ?, "
            f"(SELECT word FROM w WHERE w.i = (s.i * 3) % {n}) || ' « ' || (SELECT word FROM w WHERE w.i = (s.i * 7 + 1) % {n}) "
            f"|| ' » ' || (SELECT word FROM w WHERE w.i = (s.i * s.i) % {n}) || char(10) || 'n°' || i, "
            "CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 'eau' WHEN 2 THEN 'energie' ELSE 'alimentation' END, "
            "CASE WHEN i % 3 = 0 THEN 'Place ' || (i % 10) END, "
            "CASE WHEN i % 6 = 0 THEN 45.75 + i / 100000.0 END, CASE WHEN i % 6 = 0 THEN 4.85 END, "
            f"CASE WHEN i % {closed_every} = 0 THEN 'withdrawn' WHEN i % 17 = 0 THEN 'merged' "
            "WHEN i % 3 = 0 THEN 'sorted' ELSE 'expressed' END, "
            "CASE WHEN i % 8 = 0 THEN 1 + (i * 13) % ? END, "
            "CASE WHEN i % 17 = 0 AND i % 5 <> 0 THEN i - 1 END, "
            "CASE WHEN i % 29 = 0 THEN 'hors sujet' END, "
            # Across the change to summer time: the offsets of the export move with it.
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-03-28', '+' || (i * 3) || ' minutes'), "
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', '2026-03-28', '+' || (i * 3) || ' minutes') FROM s",
            (needs_count, persons, persons),
        )
        # Moves, written in time order across needs (not need by need), one need without any.
        await conn.execute(
            "INSERT INTO need_moves (need_id, from_status, to_status, actor_id, note, at) "
            "SELECT id, NULL, 'expressed', author_id, NULL, created_at FROM needs WHERE id <> 2 ORDER BY id"
        )
        await conn.execute(
            "INSERT INTO need_moves (need_id, from_status, to_status, actor_id, note, at) "
            "SELECT id, 'expressed', status, CASE WHEN id % 10 = 3 THEN NULL ELSE 1 + (id * 3) % ? END, "
            "CASE WHEN id % 4 = 0 THEN 'vu en réunion \"plénière\"' END, "
            "strftime('%Y-%m-%dT%H:%M:%S+00:00', created_at, '+1 day') FROM needs WHERE status <> 'expressed' "
            "ORDER BY id DESC",
            (persons,),
        )
        await conn.execute(
            "WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < 3) "
            "INSERT OR IGNORE INTO supports (need_id, person_id, created_at) "
            "SELECT n.id, 1 + (n.id * 37 + k.j * 101) % ?, n.created_at FROM needs n, k WHERE (n.id + k.j) % 3 <> 0",
            (persons,),
        )


def reads(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


# The exports as they were written before: one query per need (and per person), kept here as
# the reference the one-pass exports must equal to the byte.


def _iso(value: datetime) -> str:
    return value.astimezone(TZ).isoformat(timespec="seconds")


def _name(person: Any, pid: int | None, anonymous: bool) -> str | None:
    if pid is None:
        return None
    return "anonymous" if anonymous else ((person.first_name if person else None) or f"#{pid}")


async def reference_needs(uow: UnitOfWork, anonymous: bool) -> list[dict[str, Any]]:
    rows = []
    for need in await uow.needs.query(oldest_first=True, limit=10_000_000):
        history = []
        for move in await uow.needs.history(need.id):
            entry: dict[str, Any] = {
                "from": move.from_status.value if move.from_status else None,
                "to": move.to_status.value,
                "at": _iso(move.at),
                "note": move.note,
            }
            if not anonymous:
                entry["by"] = _name(await uow.people.get(move.actor_id or 0), move.actor_id, False)
            history.append(entry)
        carrier = await uow.people.get(need.carrier_id) if need.carrier_id else None
        card = await uow.needs.get(need.id)  # its circle's name and its proposal (the chain)
        assert card is not None
        row: dict[str, Any] = {
            "ref": need.ref,
            "text": need.text,
            "theme": need.theme,
            "status": need.status.value,
            "supports": need.supports,
            "carrier": _name(carrier, need.carrier_id, anonymous),
            "place": need.place,
            "created_at": _iso(need.created_at),
            "merged_into": f"B-{need.merged_into}" if need.merged_into else None,
            "decline_reason": need.decline_reason,
            "circle": card.circle_name,
            "proposal": card.proposal,
            "history": history,
        }
        if not anonymous:
            row["author"] = _name(await uow.people.get(need.author_id or 0), need.author_id, False)
            row["lat"], row["lon"] = need.lat, need.lon
        rows.append(row)
    return rows


async def reference_people(uow: UnitOfWork, anonymous: bool) -> list[dict[str, Any]]:
    rows = []
    key = await uow.privacy.pseudonym_key()
    for person in await uow.people.all():
        row: dict[str, Any] = {
            "id": pseudonym(key, person.id) if anonymous else person.id,
            "locale": person.locale,
            "place": person.place,
            "interests": person.interests,
            "roles": sorted(r.value for r in person.roles),
            "consented": person.consented,
            "created_at": _iso(person.created_at),
        }
        if not anonymous:
            row["first_name"] = person.first_name
            row["identities"] = [
                f"{i.channel}:{i.external_id}" for i in await uow.people.identities_of(person.id)
            ]
        rows.append(row)
    return rows


def reference_csv(rows: list[dict[str, Any]]) -> str:
    """`lte-bot export --format csv` as it was: fields of every row, lists joined, objects as JSON."""
    buf = io.StringIO()
    fields: list[str] = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    buf.write("\ufeff")  # for a French spreadsheet: a BOM, `;` between cells, the history readable
    writer = csv.DictWriter(buf, fieldnames=fields, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = {}
        for key, value in row.items():
            if key == "history":
                flat[key] = " | ".join(
                    f"{m['at'][:10]} {m['at'][11:16]} "
                    + (f"{m['from']} → " if m["from"] else "")
                    + m["to"]
                    + (f" ({m['note']})" if m["note"] else "")
                    + (f" — {m['by']}" if m.get("by") else "")
                    for m in value
                )
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                flat[key] = ";".join(value)
            elif isinstance(value, list | dict):
                flat[key] = json.dumps(value, ensure_ascii=False)
            else:
                flat[key] = "" if value is None else value
        writer.writerow(flat)
    return buf.getvalue()


async def written(db: Database, kind: str, fmt: str, anonymous: bool) -> tuple[str, list[str], list[str]]:
    """The export as `lte-bot export` writes it: (text, chunks emitted, statements run)."""
    chunks: list[str] = []
    async with UnitOfWork(db) as uow:
        with statements(db) as seen:
            await export.write(uow, kind, TZ, chunks.append, fmt=fmt, anonymous=anonymous)
    return "".join(chunks), chunks, seen


@pytest.mark.parametrize("anonymous", [False, True])
async def test_the_needs_export_is_one_query_and_the_same_text_as_before(
    db: Database, anonymous: bool
) -> None:
    await populate(db, persons=400, needs_count=3000)
    async with UnitOfWork(db) as uow:  # some needs along the chain: a circle, a proposal revised
        await uow.conn.execute(
            "INSERT INTO circles (id, kind, name, created_at, need_id) VALUES (900, 'work', 'Cercle « B-7 »', "
            "'2026-11-25T09:00:00+00:00', 7)"
        )
        await uow.conn.execute("UPDATE needs SET circle_id = 900 WHERE id IN (7, 8)")
        for revision, text in ((1, "Première version"), (2, "Seconde version, « revue »")):
            await uow.chain.add_proposal(7, 900, 1, text, datetime(2026, 11, 25, 9, revision, tzinfo=UTC))
    async with UnitOfWork(db) as uow:
        expected = await reference_needs(uow, anonymous)
    assert len(expected) == 3000 and expected[1]["history"] == []
    assert (expected[6]["circle"], expected[6]["proposal"]) == (
        "Cercle « B-7 »",
        "Seconde version, « revue »",
    )
    assert (expected[7]["circle"], expected[7]["proposal"]) == ("Cercle « B-7 »", None)
    assert {r["created_at"][-6:] for r in expected} == {"+01:00", "+02:00"}
    text, chunks, seen = await written(db, "needs", "json", anonymous)
    assert text == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    assert len(reads(seen)) == 1, seen
    assert len(chunks) > 5 and all(
        c.endswith("}") or c.endswith("]\n") for c in chunks
    )  # streamed, whole rows
    text, _, seen = await written(db, "needs", "csv", anonymous)
    assert text == reference_csv(expected)
    assert len(reads(seen)) == 1
    async with UnitOfWork(db) as uow:
        assert await export.export_needs(uow, TZ, anonymous=anonymous) == expected


@pytest.mark.parametrize("anonymous", [False, True])
async def test_the_people_export_is_one_query_and_the_same_text_as_before(
    db: Database, anonymous: bool
) -> None:
    await populate(db, persons=1500, needs_count=10)
    async with UnitOfWork(db) as uow:
        expected = await reference_people(uow, anonymous)
    assert any(len(r.get("identities", [])) == 2 for r in expected) or anonymous
    assert ["noyau", "referent"] in [r["roles"] for r in expected]
    references = {
        "json": json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
        "csv": reference_csv(expected),
    }
    for fmt, reference in references.items():
        text, _, seen = await written(db, "people", fmt, anonymous)
        assert text == reference
        # One query for the rows; an anonymous export also reads its pseudonyms' key, once.
        assert len([q for q in reads(seen) if "pseudonym_key" not in q]) == 1
        assert len(reads(seen)) == 1 + anonymous


async def test_circles_and_assets_exports_do_not_query_per_row(db: Database, clock: FixedClock) -> None:
    await populate(db, persons=300, needs_count=5)
    now = clock.now()
    async with UnitOfWork(db) as uow:
        made = [
            await circles.create_circle(
                uow, None, CircleKind.THEMATIC, f"Cercle {i}", "Se retrouver", now=now
            )
            for i in range(30)
        ]
        for i, circle in enumerate(made):
            for pid in range(1 + i, 300, 7):
                await uow.circles.join(circle.id, pid, MemberRole.MEMBER, now + timedelta(minutes=pid % 5))
            for pid in (i + 2, i + 40, 9):  # person 9 has no first name: "#9"
                await circles.appoint_coordinator(uow, None, circle.id, pid, now + timedelta(minutes=i))
        await uow.db.conn.execute(
            "INSERT INTO assets (owner_id, kind, description, themes, created_at) "
            "SELECT id, 'tool', 'Une perceuse', '[\"habitat\"]', created_at FROM persons WHERE id % 3 = 0"
        )
    async with UnitOfWork(db) as uow:
        rows = await export.export_circles(uow, TZ)
    assert len(rows) == 30 and rows[0]["name"] == "Cercle 0"
    assert sorted(rows[0]["coordinators"]) == ["#9", "Hélène 2", "Hélène 40"]
    async with UnitOfWork(db) as uow:
        for circle, row in zip(sorted(made, key=lambda c: c.name), rows, strict=True):
            ids = await uow.circles.member_ids(circle.id, MemberRole.COORDINATOR)
            assert row["coordinators"] == [
                ((p.first_name if (p := await uow.people.get(pid)) else None) or f"#{pid}") for pid in ids
            ]
            assert row["members"] == len(await uow.circles.member_ids(circle.id))
    for kind in ("circles", "assets"):
        for anonymous in (False, True):
            _, _, seen = await written(db, kind, "json", anonymous)
            assert len(reads(seen)) <= 2, seen
    async with UnitOfWork(db) as uow:
        assets_rows = await export.export_assets(uow, TZ)
        anonymous_rows = await export.export_circles(uow, TZ, anonymous=True)
    assert (
        len(assets_rows) == 100 and assets_rows[0]["owner"] == "Hélène 3" and assets_rows[2]["owner"] == "#9"
    )
    assert anonymous_rows[0]["coordinators"] == 3


@pytest.mark.parametrize(
    "value",
    [
        {"a": 'é « » \u2028 \u00a0 \x01 "q" \\ \n\t', "b": None, "c": True, "d": False, "e": 3, "f": -0.5},
        {"nested": [{"x": []}, {}, [1, [2, []]]], "big": 10**30, "float": 1e-7, "nan": math.nan},
        {"inf": [math.inf, -math.inf], "pi": math.pi, "list": ["a", "b"], "tuple": ("t",)},
        {},
    ],
)
def test_json_rows_are_indented_as_json_dumps_does(value: dict[str, Any]) -> None:
    dumped = json.dumps([value], ensure_ascii=False, indent=2)
    assert "[\n" + export.json_item(value) + "\n]" == dumped


async def test_the_cli_streams_the_same_export_as_before(db: Database, tmp_path: Path) -> None:
    await populate(db, persons=300, needs_count=1500)
    async with UnitOfWork(db) as uow:
        expected = await reference_needs(uow, False)
        anonymous = await reference_needs(uow, True)
    await db.close()

    def run(*args: str) -> str:
        env = {
            "LTE_DB_PATH": str(tmp_path / "lte.sqlite3"),
            "LANG": "C.UTF-8",
            "LTE_TIMEZONE": "Europe/Paris",
        }
        result = subprocess.run(
            [sys.executable, "-m", "bots.cli", "export", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert run("needs") == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    assert run("needs", "--format", "csv", "--anonymous") == reference_csv(anonymous)
    await db.open()


# Paged and filtered queries ------------------------------------------------------------


async def test_a_carried_need_older_than_a_thousand_newer_ones_is_still_listed(
    db: Database, clock: FixedClock
) -> None:
    async with UnitOfWork(db) as uow:
        carrier = await people.identify(uow, "terminal", "dom", now=clock.now())
        await people.give_consent(uow, carrier.person.id, clock.now())
        pid = carrier.person.id
        old = await needs.express_need(uow, pid, "Un banc devant l'école", now=clock.now())
        await needs.carry_need(uow, pid, old.id, clock.now())
        closed = await needs.express_need(uow, pid, "Un banc fermé", now=clock.now())
        await needs.carry_need(uow, pid, closed.id, clock.now())
        await needs.withdraw_need(uow, pid, closed.id, clock.now())
        await uow.db.conn.execute(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 1200) "
            "INSERT INTO needs (author_id, text, status, created_at, updated_at) "
            "SELECT ?, 'Besoin ' || i, 'expressed', '2026-11-25T10:00:00+00:00', '2026-11-25T10:00:00+00:00' FROM s",
            (pid,),
        )
        newer = await needs.express_need(uow, pid, "Un abri à vélos", now=clock.now())
        await needs.carry_need(uow, pid, newer.id, clock.now())
    async with UnitOfWork(db) as uow:
        assert [n.id for n in await needs.carried_needs(uow, pid)] == [newer.id, old.id]


async def open_ids(db: Database, theme: str | None = None) -> list[int]:
    sql = (
        f"SELECT id FROM needs WHERE status IN {OPEN!r}"
        + (" AND theme = ?" if theme else "")
        + " ORDER BY id DESC"
    )
    async with db.conn.execute(sql, (theme,) if theme else ()) as cur:
        return [r[0] for r in await cur.fetchall()]


@pytest.mark.parametrize("theme", [None, "eau"])
async def test_browse_pages_by_keyset_cover_every_open_need_once(db: Database, theme: str | None) -> None:
    await populate(db, persons=50, needs_count=700)
    expected = await open_ids(db, theme)
    pages: list[list[int]] = []
    before: int | None = None
    async with UnitOfWork(db) as uow:
        while True:
            page, total = await needs.browse_needs(uow, theme=theme, limit=7, before_id=before)
            assert total == len(expected)
            if not page:
                break
            pages.append([n.id for n in page])
            before = page[-1].id
        # The old keyword still pages the same way.
        by_offset = [n.id for n in (await needs.browse_needs(uow, theme=theme, limit=7, offset=14))[0]]
        # And back: the page before the fourth is the third, newest first.
        back, _ = await needs.browse_needs(uow, theme=theme, limit=7, after_id=pages[3][0])
        first, _ = await needs.browse_needs(uow, theme=theme, limit=7, after_id=pages[0][0])
    assert [n.id for n in back] == pages[2] and first == []
    assert [i for p in pages for i in p] == expected
    assert all(len(p) == 7 for p in pages[:-1]) and by_offset == pages[2]


async def test_a_need_closed_between_two_pages_makes_none_skipped(db: Database) -> None:
    await populate(db, persons=50, needs_count=100)
    async with UnitOfWork(db) as uow:
        first, _ = await needs.browse_needs(uow, limit=5)
        await uow.db.conn.execute("UPDATE needs SET status = 'withdrawn' WHERE id = ?", (first[0].id,))
        second, total = await needs.browse_needs(uow, limit=5, before_id=first[-1].id)
        shifted, _ = await needs.browse_needs(uow, limit=5, offset=5)
    expected = await open_ids(db)
    assert [n.id for n in second] == expected[4:9] and total == len(expected)
    assert [n.id for n in shifted] != [n.id for n in second]  # what OFFSET did: one need never shown


async def test_browse_by_theme_counts_on_an_index(db: Database) -> None:
    """At 50 000 needs counting a theme's open needs row by row took tens of milliseconds a page."""
    await populate(db, persons=50, needs_count=200)
    async with db.conn.execute(
        f"EXPLAIN QUERY PLAN SELECT count(*) FROM needs n WHERE n.status IN {OPEN!r} AND n.theme = 'eau'"
    ) as cur:
        plan = " ".join(r[3] for r in await cur.fetchall())
    assert "COVERING INDEX needs_theme_status" in plan


async def test_the_sorting_queue_pages_by_keyset_too(db: Database, clock: FixedClock) -> None:
    await populate(db, persons=50, needs_count=300)
    async with UnitOfWork(db) as uow:
        sorter = await people.identify(uow, "terminal", "sorter", now=clock.now())
        await people.grant_role(uow, None, sorter.person.id, Role.NOYAU, clock.now())
        seen: list[int] = []
        after: int | None = None
        while page := await needs.sorting_queue(uow, sorter.person.id, limit=9, after_id=after):
            seen += [n.id for n in page]
            after = page[-1].id
        assert [n.id for n in await needs.sorting_queue(uow, sorter.person.id, limit=9, offset=9)] == seen[
            9:18
        ]
    async with db.conn.execute(
        "SELECT id FROM needs WHERE status IN ('expressed', 'in_study', 'sorted') ORDER BY id"
    ) as cur:
        assert seen == [r[0] for r in await cur.fetchall()]


# Similar needs -------------------------------------------------------------------------


def reference_similar_sql(
    text: str, limit: int, exclude_closed: bool
) -> tuple[str, tuple[object, ...], frozenset[str]] | None:
    """The search as it was: every match joined, filtered and ranked (then those alike kept)."""
    wanted = stems(text)
    if not wanted:
        return None
    query = " OR ".join(f'"{w}"' for w in sorted(wanted)[:24])
    closed = "AND n.status NOT IN ('realised','withdrawn','merged','declined')" if exclude_closed else ""
    sql = (
        "SELECT n.id, n.stems FROM needs_fts f JOIN needs n ON n.id = f.rowid "
        f"WHERE needs_fts MATCH ? {closed} ORDER BY bm25(needs_fts), n.id"
    )
    return sql, (query,), wanted


@pytest.mark.parametrize("closed_every", [5, 1])  # 1: every need closed, then a few reopened
async def test_similar_needs_are_the_same_as_ranking_every_match(db: Database, closed_every: int) -> None:
    await populate(db, persons=50, needs_count=2000, closed_every=closed_every)
    if closed_every == 1:
        # Only the oldest few remain open: the best matches are all closed, the search must go on.
        await db.conn.execute("UPDATE needs SET status = 'expressed' WHERE id % 400 = 7")
    texts = [" ".join(WORDS[i : i + k]) for i in range(len(WORDS)) for k in (1, 2, 3, 4)]
    texts += ["Réparer les vélos de l'école", "zz", "un « banc » pour les parents", "velos"]
    compared = 0
    async with UnitOfWork(db) as uow:
        for text in texts:
            for limit, exclude in ((3, True), (10, True), (3, False)):
                found = [n.id for n in await uow.needs.similar(text, limit=limit, exclude_closed=exclude)]
                ref = reference_similar_sql(text, limit, exclude)
                expected: list[int] = []
                if ref is not None:
                    async with uow.db.conn.execute(ref[0], ref[1]) as cur:
                        rows = await cur.fetchall()
                    expected = [r[0] for r in rows if alike(ref[2], frozenset(r[1].split()))][:limit]
                assert found == expected, (text, limit, exclude)
                compared += bool(expected)
    assert compared > 100


async def test_the_takers_of_a_mission_are_named_in_one_query(db: Database, clock: FixedClock) -> None:
    await populate(db, persons=120, needs_count=1)
    now = clock.now()
    async with UnitOfWork(db) as uow:
        circle = await circles.create_circle(uow, None, CircleKind.THEMATIC, "Cercle du marché", "", now=now)
        await circles.appoint_coordinator(uow, None, circle.id, 1, now)
        for pid in range(2, 120):
            await uow.circles.join(circle.id, pid, MemberRole.MEMBER, now)
        mission, _ = await circles.create_mission(
            uow, 1, circle.id, "Tenir le stand", "", now + timedelta(days=2), 200, now=now
        )
        takers = [pid for pid in range(119, 1, -1) if pid % 5]  # every fifth has not consented
        for pid in takers:
            await circles.take_place(uow, pid, mission.id, now + timedelta(seconds=200 - pid))
    async with UnitOfWork(db) as uow:
        with statements(db) as seen:
            _, names = await circles.mission_takers(uow, 1, mission.id)
    assert names[:3] == ["Hélène 119", "Hélène 118", "#117"]  # first taken first; #117 has no name
    assert len(names) == len(takers)
    # The mission, the actor (two), the takers with their names: not one query per taker.
    assert len(reads(seen)) <= 4 and not [s for s in reads(seen) if "FROM persons p WHERE p.id" in s]
