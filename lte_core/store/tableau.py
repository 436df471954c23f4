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

    async def data_version(self) -> int:
        """Changes whenever another connection committed (SQLite's `PRAGMA data_version`)."""
        return int((await self.conn.execute_fetchall("PRAGMA data_version"))[0][0])

    async def tables(self) -> set[str]:
        rows = await self.conn.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {r[0] for r in rows}

    async def columns(self, table: str) -> set[str]:
        rows = await self.conn.execute_fetchall("SELECT name FROM pragma_table_info(?)", (table,))
        return {r[0] for r in rows}

    # Needs ---------------------------------------------------------------------------------

    async def chain(
        self, now: datetime
    ) -> tuple[dict[int, int], dict[str, tuple[float | None, float | None]]]:
        """How many needs got at least this far along the chain (position → count), and per
        status the median days spent there by the needs that left it, and waited so far by the
        needs still there: read from what migration 0014's trigger keeps as needs move
        (`needs.furthest`, `needs.status_since`, `need_stays`), each median from an index."""
        furthest = {
            int(top): int(n)
            for top, n in await self.conn.execute_fetchall(
                "SELECT furthest, count(*) FROM needs INDEXED BY needs_furthest GROUP BY furthest"
            )
        }
        left = {
            status: await self._median(
                "SELECT days FROM need_stays INDEXED BY need_stays_status WHERE status = :s ORDER BY days",
                "SELECT count(*) FROM need_stays WHERE status = :s",
                {"s": status},
            )
            for (status,) in await self.conn.execute_fetchall("SELECT DISTINCT status FROM need_stays")
        }
        stays: dict[str, tuple[float | None, float | None]] = {}
        for status in {s.value for s in NeedStatus} - {s.value for s in CLOSED_STATUSES}:
            waiting = await self._median(
                "SELECT julianday(:now) - julianday(status_since) FROM needs INDEXED BY needs_status_since"
                " WHERE status = :s AND status_since IS NOT NULL ORDER BY status_since DESC",
                "SELECT count(*) FROM needs WHERE status = :s AND status_since IS NOT NULL",
                {"s": status, "now": to_iso(now)},
            )
            stays[status] = (left.get(status), waiting)
        for status, days in left.items():
            stays.setdefault(status, (days, None))
        return furthest, stays

    async def _median(self, ordered: str, count: str, args: dict[str, object]) -> float | None:
        """The median of an ordered query, reading only its middle rows (an index gives the order)."""
        n = int((await self.conn.execute_fetchall(count, args))[0][0])
        if not n:
            return None
        rows = await self.conn.execute_fetchall(f"{ordered} LIMIT {2 - n % 2} OFFSET {(n - 1) // 2}", args)
        return float(sum(r[0] for r in rows) / len(rows))

    async def by_place(self, limit: int = 15) -> list[dict[str, Any]]:
        """Needs by commune (the place typed, case and spaces aside), the most first."""
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT min(trim(place)) AS place, count(*) AS needs,"
                f" sum(status NOT IN {_CLOSED_SQL}) AS open FROM needs INDEXED BY needs_place"
                " WHERE place IS NOT NULL AND lower(trim(place)) <> '' GROUP BY lower(trim(place))"
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
        """The open needs most supported: found by the count migration 0014 keeps, shown with
        their supports counted again (as `lte-bot export` counts them)."""
        return _dicts(
            await self.conn.execute_fetchall(
                "SELECT n.id, n.text, n.theme, n.status, n.place,"
                " (SELECT count(*) FROM supports s WHERE s.need_id = n.id) AS supports"
                f" FROM needs n INDEXED BY needs_supported WHERE n.status NOT IN {_CLOSED_SQL}"
                " AND n.supports_count > 0 ORDER BY n.supports_count DESC, n.id LIMIT ?",
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

    async def weekly(self, weeks: list[tuple[str, str]]) -> list[dict[str, int]]:
        """Per week, [start, end) in stored UTC text: new people, people active (who expressed,
        supported, moved a need, joined a circle, took a mission place or offered something),
        supports and needs. Each figure is a range of an index (no date computed per row)."""
        activity = " UNION ".join(
            f"SELECT {who} FROM {table} WHERE {col} >= :start AND {col} < :end AND {who} IS NOT NULL"
            for table, who, col in (
                ("needs", "author_id", "created_at"),
                ("supports", "person_id", "created_at"),
                ("need_moves", "actor_id", "at"),
                ("memberships", "person_id", "joined_at"),
                ("mission_takers", "person_id", "taken_at"),
                ("assets", "owner_id", "created_at"),
            )
        )
        sql = (
            "SELECT (SELECT count(*) FROM persons WHERE created_at >= :start AND created_at < :end),"
            f" (SELECT count(*) FROM ({activity})),"
            " (SELECT count(*) FROM supports WHERE created_at >= :start AND created_at < :end),"
            " (SELECT count(*) FROM needs WHERE created_at >= :start AND created_at < :end)"
        )
        out = []
        for start, end in weeks:
            row = (await self.conn.execute_fetchall(sql, {"start": start, "end": end}))[0]
            out.append({"new_people": row[0], "active_people": row[1], "supports": row[2], "needs": row[3]})
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
