"""Circles, memberships, missions and their places."""

from __future__ import annotations

from datetime import datetime

from ..clock import from_iso, to_iso
from ..domain import Circle, CircleKind, MemberRole, Membership, Mission
from . import _rows
from .conn import Connection

_CIRCLE = (
    "SELECT c.*, (SELECT count(*) FROM memberships m WHERE m.circle_id = c.id) AS members FROM circles c"
)
_MISSION = (
    "SELECT s.*, (SELECT count(*) FROM mission_takers t WHERE t.mission_id = s.id) AS taken FROM missions s"
)


class CircleRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, circle: Circle) -> Circle:
        cur = await self.conn.execute(
            "INSERT INTO circles (kind, name, purpose, task, theme, need_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                circle.kind.value,
                circle.name,
                circle.purpose,
                circle.task.value if circle.task else None,
                circle.theme,
                circle.need_id,
                to_iso(circle.created_at),
            ),
        )
        assert cur.lastrowid is not None
        circle.id = cur.lastrowid
        return circle

    async def get(self, circle_id: int) -> Circle | None:
        async with self.conn.execute(
            _CIRCLE + " WHERE c.id = ? AND c.archived_at IS NULL", (circle_id,)
        ) as cur:
            row = await cur.fetchone()
        return _rows.circle(row) if row else None

    async def by_name(self, name: str) -> Circle | None:
        async with self.conn.execute(
            _CIRCLE + " WHERE c.name = ? COLLATE NOCASE AND c.archived_at IS NULL", (name,)
        ) as cur:
            row = await cur.fetchone()
        return _rows.circle(row) if row else None

    async def all(self, kind: CircleKind | None = None) -> list[Circle]:
        sql = (
            _CIRCLE
            + " WHERE c.archived_at IS NULL"
            + (" AND c.kind = ?" if kind else "")
            + " ORDER BY c.kind, c.name"
        )
        async with self.conn.execute(sql, (kind.value,) if kind else ()) as cur:
            return [_rows.circle(r) for r in await cur.fetchall()]

    async def of_person(self, person_id: int) -> list[tuple[Circle, MemberRole]]:
        async with self.conn.execute(
            _CIRCLE.replace(
                "FROM circles c", "FROM circles c JOIN memberships mm ON mm.circle_id = c.id"
            ).replace("SELECT c.*", "SELECT c.*, mm.role AS my_role")
            + " WHERE mm.person_id = ? AND c.archived_at IS NULL ORDER BY c.name",
            (person_id,),
        ) as cur:
            return [(_rows.circle(r), MemberRole(r["my_role"])) for r in await cur.fetchall()]

    async def membership(self, circle_id: int, person_id: int) -> Membership | None:
        async with self.conn.execute(
            "SELECT * FROM memberships WHERE circle_id = ? AND person_id = ?", (circle_id, person_id)
        ) as cur:
            r = await cur.fetchone()
        return (
            Membership(r["circle_id"], r["person_id"], MemberRole(r["role"]), from_iso(r["joined_at"]))
            if r
            else None
        )

    async def join(self, circle_id: int, person_id: int, role: MemberRole, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO memberships (circle_id, person_id, role, joined_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(circle_id, person_id) DO UPDATE SET role = excluded.role",
            (circle_id, person_id, role.value, to_iso(now)),
        )

    async def leave(self, circle_id: int, person_id: int) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM memberships WHERE circle_id = ? AND person_id = ?", (circle_id, person_id)
        )
        return cur.rowcount > 0

    async def member_ids(self, circle_id: int, role: MemberRole | None = None) -> list[int]:
        sql = "SELECT person_id FROM memberships WHERE circle_id = ?" + (" AND role = ?" if role else "")
        args: tuple[object, ...] = (circle_id, role.value) if role else (circle_id,)
        async with self.conn.execute(sql + " ORDER BY joined_at", args) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def archive(self, circle_id: int, now: datetime) -> bool:
        """Out of the lists, closed to new members and missions; False if not found or already archived."""
        cur = await self.conn.execute(
            "UPDATE circles SET archived_at = ? WHERE id = ? AND archived_at IS NULL",
            (to_iso(now), circle_id),
        )
        return cur.rowcount > 0

    async def counts(self) -> tuple[int, int]:
        """(circles, memberships)."""
        async with self.conn.execute(
            "SELECT (SELECT count(*) FROM circles WHERE archived_at IS NULL), (SELECT count(*) FROM memberships)"
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0]), int(row[1])


class MissionRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, mission: Mission) -> Mission:
        cur = await self.conn.execute(
            "INSERT INTO missions (circle_id, title, description, starts_at, places, created_by, created_at, "
            "place, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                mission.circle_id,
                mission.title,
                mission.description,
                to_iso(mission.starts_at),
                mission.places,
                mission.created_by,
                to_iso(mission.created_at),
                mission.place,
                to_iso(mission.ends_at) if mission.ends_at else None,
            ),
        )
        assert cur.lastrowid is not None
        mission.id = cur.lastrowid
        return mission

    async def get(self, mission_id: int) -> Mission | None:
        async with self.conn.execute(_MISSION + " WHERE s.id = ?", (mission_id,)) as cur:
            row = await cur.fetchone()
        return _rows.mission(row) if row else None

    async def for_person(self, person_id: int, now: datetime) -> list[Mission]:
        """Missions not yet started in the circles this person belongs to, soonest first."""
        async with self.conn.execute(
            _MISSION + " WHERE s.cancelled_at IS NULL AND s.starts_at > ? AND s.circle_id IN "
            "(SELECT m.circle_id FROM memberships m JOIN circles c ON c.id = m.circle_id "
            "WHERE m.person_id = ? AND c.archived_at IS NULL) ORDER BY s.starts_at, s.id",
            (to_iso(now), person_id),
        ) as cur:
            return [_rows.mission(r) for r in await cur.fetchall()]

    async def of_circle(self, circle_id: int) -> list[Mission]:
        async with self.conn.execute(
            _MISSION + " WHERE s.circle_id = ? ORDER BY s.starts_at DESC", (circle_id,)
        ) as cur:
            return [_rows.mission(r) for r in await cur.fetchall()]

    async def taker_ids(self, mission_id: int) -> list[int]:
        async with self.conn.execute(
            "SELECT person_id FROM mission_takers WHERE mission_id = ? ORDER BY taken_at", (mission_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def has_taken(self, mission_id: int, person_id: int) -> bool:
        async with self.conn.execute(
            "SELECT 1 FROM mission_takers WHERE mission_id = ? AND person_id = ?", (mission_id, person_id)
        ) as cur:
            return await cur.fetchone() is not None

    async def taker_names(self, mission_id: int) -> list[tuple[int, str | None]]:
        """Who took the places, first taken first: (person id, first name), in one query."""
        async with self.conn.execute(
            "SELECT t.person_id, p.first_name FROM mission_takers t LEFT JOIN persons p ON p.id = t.person_id "
            "WHERE t.mission_id = ? ORDER BY t.taken_at, t.person_id",
            (mission_id,),
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def take(self, mission_id: int, person_id: int, now: datetime) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO mission_takers (mission_id, person_id, taken_at) VALUES (?, ?, ?)",
            (mission_id, person_id, to_iso(now)),
        )
        return cur.rowcount > 0

    async def update(self, mission: Mission) -> None:
        """Write what a coordinator may change: title, description, place, times, places."""
        await self.conn.execute(
            "UPDATE missions SET title = ?, description = ?, place = ?, starts_at = ?, ends_at = ?, places = ? "
            "WHERE id = ?",
            (
                mission.title,
                mission.description,
                mission.place,
                to_iso(mission.starts_at),
                to_iso(mission.ends_at) if mission.ends_at else None,
                mission.places,
                mission.id,
            ),
        )

    async def cancel(self, mission_id: int, note: str, now: datetime) -> bool:
        """False when it was already cancelled."""
        cur = await self.conn.execute(
            "UPDATE missions SET cancelled_at = ?, cancel_note = ? WHERE id = ? AND cancelled_at IS NULL",
            (to_iso(now), note or None, mission_id),
        )
        return cur.rowcount > 0

    async def leave(self, mission_id: int, person_id: int) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM mission_takers WHERE mission_id = ? AND person_id = ?", (mission_id, person_id)
        )
        return cur.rowcount > 0

    async def taken_by(self, person_id: int) -> set[int]:
        async with self.conn.execute(
            "SELECT mission_id FROM mission_takers WHERE person_id = ?", (person_id,)
        ) as cur:
            return {r[0] for r in await cur.fetchall()}
