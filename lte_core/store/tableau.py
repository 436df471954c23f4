"""The tableau de pilotage's storage: its one-time links and sessions (hashed tokens), the socle
commun checklist, and the read queries of its pages, one set-based statement per table.

The figures the page shares with `lte-bot stats` and `lte-bot export` are not computed here: the
service takes them from those commands' own queries (`services.export`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..clock import to_iso
from ..domain import NeedStatus
from ..domain.model import CLOSED_STATUSES
from .conn import Connection, Row

# The chain of a need (DESIGN §4), in order: the funnel's steps.
CHAIN: tuple[NeedStatus, ...] = (*(s for s in NeedStatus if s not in CLOSED_STATUSES), NeedStatus.REALISED)
_CLOSED_SQL = "(" + ",".join(f"'{s.value}'" for s in sorted(CLOSED_STATUSES)) + ")"
_POSITION = (
    "CASE {col} " + " ".join(f"WHEN '{s.value}' THEN {i}" for i, s in enumerate(CHAIN)) + " ELSE -1 END"
)


@dataclass(frozen=True)
class SessionRow:
    person_id: int
    created_at: str
    expires_at: str
    last_seen_at: str


class TableauRepo:
    """Links, sessions and the socle commun: small writes on the writer."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add_link(self, token_hash: str, person_id: int, now: datetime, expires: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO web_links (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (token_hash, person_id, to_iso(now), to_iso(expires)),
        )

    async def purge(self, now: datetime) -> None:
        """Links and sessions past their time are of no use: they go."""
        ts = to_iso(now)
        await self.conn.execute("DELETE FROM web_links WHERE expires_at <= ?", (ts,))
        await self.conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (ts,))

    async def link_person(self, token_hash: str, now: datetime) -> int | None:
        """Whose link this is, if it is unused and not expired (without using it)."""
        async with self.conn.execute(
            "SELECT person_id FROM web_links WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?",
            (token_hash, to_iso(now)),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def use_link(self, token_hash: str, now: datetime) -> int | None:
        """Use the link once: its person, or None when it was used, expired or never made."""
        async with self.conn.execute(
            "UPDATE web_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? "
            "RETURNING person_id",
            (to_iso(now), token_hash, to_iso(now)),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def add_session(self, token_hash: str, person_id: int, now: datetime, expires: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO web_sessions (token_hash, person_id, created_at, expires_at, last_seen_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (token_hash, person_id, to_iso(now), to_iso(expires), to_iso(now)),
        )

    async def session(self, token_hash: str) -> SessionRow | None:
        async with self.conn.execute(
            "SELECT person_id, created_at, expires_at, last_seen_at FROM web_sessions WHERE token_hash = ?",
            (token_hash,),
        ) as cur:
            row = await cur.fetchone()
        return SessionRow(int(row[0]), row[1], row[2], row[3]) if row else None

    async def touch_session(self, token_hash: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?", (to_iso(now), token_hash)
        )

    async def end_session(self, token_hash: str) -> bool:
        cur = await self.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (token_hash,))
        return cur.rowcount > 0

    async def end_sessions_of(self, person_id: int) -> int:
        cur = await self.conn.execute("DELETE FROM web_sessions WHERE person_id = ?", (person_id,))
        return cur.rowcount

    async def socle_codes(self) -> list[str]:
        async with self.conn.execute("SELECT code FROM socle_items ORDER BY position") as cur:
            return [r[0] for r in await cur.fetchall()]

    async def tick(self, code: str, person_id: int | None, now: datetime) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO socle_ticks (code, done_at, done_by) VALUES (?, ?, ?)",
            (code, to_iso(now), person_id),
        )
        return cur.rowcount > 0

    async def untick(self, code: str) -> bool:
        cur = await self.conn.execute("DELETE FROM socle_ticks WHERE code = ?", (code,))
        return cur.rowcount > 0


def _dicts(rows: list[Row]) -> list[dict[str, Any]]:
    return [dict(r) for r in rows]


class TableauReader:
    """The read queries of the pages, on the reader's snapshot."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def tables(self) -> set[str]:
        rows = await self.conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in rows}

    async def columns(self, table: str) -> set[str]:
        rows = await self.conn.execute_fetchall("SELECT name FROM pragma_table_info(?)", (table,))
        return {r[0] for r in rows}

    # Needs ---------------------------------------------------------------------------------

    async def furthest(self) -> dict[int, int]:
        """How many needs got at least this far along the chain (position → count): a need
        that skipped a step (sorted straight from expressed) passed it all the same."""
        pos_move = _POSITION.format(col="m.to_status")
        pos_need = _POSITION.format(col="n.status")
        rows = await self.conn.execute_fetchall(
            f"SELECT top, count(*) FROM (SELECT n.id, max({pos_need}, "
            f"coalesce((SELECT max({pos_move}) FROM need_moves m WHERE m.need_id = n.id), -1), 0) AS top "
            "FROM needs n) GROUP BY top"
        )
        return {int(r[0]): int(r[1]) for r in rows}

    async def stays(self, now: datetime) -> dict[str, tuple[float | None, float | None]]:
        """Per status: the median days spent there by the needs that left it, and the median
        days the needs still there have waited so far."""
        rows = await self.conn.execute_fetchall(
            "WITH moves AS ("
            " SELECT need_id, to_status, julianday(at) AS t,"
            " lead(julianday(at)) OVER (PARTITION BY need_id ORDER BY id) AS next_t FROM need_moves),"
            " stays AS ("
            " SELECT m.to_status AS status, m.next_t - m.t AS days, 0 AS current FROM moves m"
            " WHERE m.next_t IS NOT NULL"
            " UNION ALL SELECT n.status, julianday(:now) - m.t, 1 FROM moves m JOIN needs n ON n.id = m.need_id"
            f" WHERE m.next_t IS NULL AND m.to_status = n.status AND n.status NOT IN {_CLOSED_SQL}),"
            " ranked AS (SELECT status, current, days,"
            " row_number() OVER (PARTITION BY status, current ORDER BY days) AS rn,"
            " count(*) OVER (PARTITION BY status, current) AS n FROM stays)"
            " SELECT status, current, avg(days) FROM ranked"
            " WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY status, current",
            {"now": to_iso(now)},
        )
        out: dict[str, tuple[float | None, float | None]] = {}
        for status, current, days in rows:
            left, waiting = out.get(status, (None, None))
            out[status] = (left, float(days)) if current else (float(days), waiting)
        return out

    async def by_place(self, limit: int = 15) -> list[dict[str, Any]]:
        """Needs by commune (the place typed, case and spaces aside), the most first."""
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT min(trim(place)) AS place, count(*) AS needs,"
                f" sum(status NOT IN {_CLOSED_SQL}) AS open FROM needs"
                " WHERE place IS NOT NULL AND trim(place) <> '' GROUP BY lower(trim(place))"
                " ORDER BY needs DESC, place LIMIT ?",
                (limit,),
            )
        )

    async def open_by_theme(self) -> dict[str, int]:
        rows = await self.conn.execute_fetchall(
            f"SELECT coalesce(theme, ''), count(*) FROM needs WHERE status NOT IN {_CLOSED_SQL} GROUP BY theme"
        )
        return {r[0]: int(r[1]) for r in rows}

    async def most_supported(self, limit: int = 10) -> list[dict[str, Any]]:
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT n.id, n.text, n.theme, n.status, n.place, s.supports FROM"
                " (SELECT need_id, count(*) AS supports FROM supports GROUP BY need_id) s"
                f" JOIN needs n ON n.id = s.need_id WHERE n.status NOT IN {_CLOSED_SQL}"
                " ORDER BY s.supports DESC, n.id LIMIT ?",
                (limit,),
            )
        )

    async def waiting_longest(self, now: datetime, limit: int = 10) -> list[dict[str, Any]]:
        """Open needs by how long nothing happened to them (their last change), the oldest first."""
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT n.id, n.text, n.theme, n.status, n.place, n.updated_at,"
                " julianday(:now) - julianday(n.updated_at) AS days,"
                " (SELECT count(*) FROM supports s WHERE s.need_id = n.id) AS supports"
                f" FROM needs n WHERE n.status NOT IN {_CLOSED_SQL} ORDER BY n.updated_at, n.id LIMIT :limit",
                {"now": to_iso(now), "limit": limit},
            )
        )

    async def needs(
        self,
        *,
        status: str | None = None,
        theme: str | None = None,
        place: str | None = None,
        text: str | None = None,
        limit: int | None = 50,
        offset: int = 0,
    ) -> tuple[int, list[dict[str, Any]]]:
        """The needs a filter keeps, newest first: how many, and one page of them."""
        clauses: list[str] = []
        args: list[object] = []
        if status:
            clauses.append("n.status = ?")
            args.append(status)
        if theme is not None:
            clauses.append("coalesce(n.theme, '') = ?")
            args.append(theme)
        if place:
            clauses.append("lower(trim(n.place)) = lower(trim(?))")
            args.append(place)
        if text:
            clauses.append("n.text LIKE ? ESCAPE '\\'")
            args.append("%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = await self.conn.execute_fetchall(f"SELECT count(*) FROM needs n{where}", args)
        total = int(rows[0][0])
        page = "" if limit is None else f" LIMIT {int(limit)} OFFSET {int(offset)}"
        found = await self.conn.execute_fetchall(
            "SELECT n.id, n.text, n.theme, n.status, n.place, n.created_at, n.updated_at,"
            " (SELECT count(*) FROM supports s WHERE s.need_id = n.id) AS supports"
            f" FROM needs n{where} ORDER BY n.id DESC{page}",
            args,
        )
        return total, _dicts(found)

    async def moves_of(self, need_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        """The history of these needs (without who moved them), oldest first."""
        out: dict[int, list[dict[str, Any]]] = {i: [] for i in need_ids}
        if not need_ids:
            return out
        rows = await self.conn.execute_fetchall(
            "SELECT need_id, from_status, to_status, note, at FROM need_moves"
            " WHERE need_id IN (SELECT value FROM json_each(?)) ORDER BY need_id, id",
            (str(list(need_ids)),),
        )
        for r in rows:
            out[int(r["need_id"])].append(dict(r))
        return out

    # Participation -------------------------------------------------------------------------

    async def by_channel(self) -> list[dict[str, Any]]:
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT channel, count(DISTINCT person_id) AS people, count(*) AS identities,"
                " count(unreachable_at) AS unreachable FROM identities GROUP BY channel ORDER BY channel"
            )
        )

    async def weekly(self, since: datetime, shift: str) -> dict[str, dict[str, int]]:
        """Per week (its Monday, local: `shift` is the zone's offset as an SQLite modifier such as
        '+60 minutes'): new people, people active (who expressed, supported, moved a need, joined
        a circle, took a mission place or offered something), supports and needs."""
        week = f"date({{col}}, '{shift}', 'weekday 0', '-6 days')"
        start = to_iso(since)

        def per_week(table: str, col: str, extra: str = "") -> str:
            return (
                f"SELECT {week.format(col=col)} AS week, count(*) FROM {table} "
                f"WHERE {col} >= :start{extra} GROUP BY week"
            )

        activity = " UNION ".join(
            f"SELECT {week.format(col=col)} AS week, {who} AS pid FROM {table} WHERE {col} >= :start"
            f" AND {who} IS NOT NULL"
            for table, who, col in (
                ("needs", "author_id", "created_at"),
                ("supports", "person_id", "created_at"),
                ("need_moves", "actor_id", "at"),
                ("memberships", "person_id", "joined_at"),
                ("mission_takers", "person_id", "taken_at"),
                ("assets", "owner_id", "created_at"),
            )
        )
        queries = {
            "new_people": per_week("persons", "created_at"),
            "supports": per_week("supports", "created_at"),
            "needs": per_week("needs", "created_at"),
            "active_people": f"SELECT week, count(DISTINCT pid) FROM ({activity}) GROUP BY week",
        }
        out: dict[str, dict[str, int]] = {}
        for name, sql in queries.items():
            for week_day, count in await self.conn.execute_fetchall(sql, {"start": start}):
                out.setdefault(week_day, {})[name] = int(count)
        return out

    # Circles and missions ------------------------------------------------------------------

    async def missions(self) -> list[dict[str, Any]]:
        """The missions of the circles not archived (as `lte-bot stats` counts them), soonest first."""
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT s.id, s.title, c.name AS circle, s.starts_at, s.places, s.cancelled_at,"
                " (SELECT count(*) FROM mission_takers t WHERE t.mission_id = s.id) AS taken"
                " FROM missions s JOIN circles c ON c.id = s.circle_id WHERE c.archived_at IS NULL"
                " ORDER BY s.starts_at DESC, s.id DESC"
            )
        )

    # The preparation year ------------------------------------------------------------------

    async def socle(self) -> list[dict[str, Any]]:
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT i.code, t.done_at, p.first_name AS done_by FROM socle_items i"
                " LEFT JOIN socle_ticks t ON t.code = i.code LEFT JOIN persons p ON p.id = t.done_by"
                " ORDER BY i.position"
            )
        )

    async def milestones(self) -> list[dict[str, Any]]:
        """The milestones (table `milestones`, issue 11), in their order; [] without the table."""
        if "milestones" not in await self.tables():
            return []
        cols = await self.columns("milestones")
        order = "position, due_on, id" if "position" in cols else "due_on, id"
        done_by = "p.first_name" if "done_by" in cols else "NULL"
        join = " LEFT JOIN persons p ON p.id = m.done_by" if "done_by" in cols else ""
        return _dicts(
            await self.conn.execute_fetchall(
                f"SELECT m.id, m.title, m.due_on, m.done_at, {done_by} AS done_by FROM milestones m{join}"
                f" ORDER BY {', '.join('m.' + c.strip() for c in order.split(','))}"
            )
        )

    # Health --------------------------------------------------------------------------------

    async def outbox_by_channel(self) -> list[dict[str, Any]]:
        rows = await self.conn.execute_fetchall(
            "SELECT channel, status, count(*) FROM outbox GROUP BY channel, status ORDER BY channel"
        )
        found: dict[str, dict[str, Any]] = {}
        for channel, status, count in rows:
            found.setdefault(channel, {"channel": channel})[status] = int(count)
        return list(found.values())

    async def last_errors(self, limit: int = 20) -> list[dict[str, Any]]:
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT id, channel, kind, status, attempts, coalesce(sent_at, not_before) AS at, last_error"
                " FROM outbox WHERE last_error IS NOT NULL ORDER BY id DESC LIMIT ?",
                (limit,),
            )
        )

    async def fanouts_waiting(self) -> int:
        rows = await self.conn.execute_fetchall("SELECT count(*) FROM outbox_fanout")
        return int(rows[0][0])
