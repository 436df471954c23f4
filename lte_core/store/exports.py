"""Bulk reads for the exports: one query per kind, rows streamed in chunks, names joined in SQL.

An export of 50 000 needs is a few dozen round trips to the database thread rather than one (or
three) per need."""

from __future__ import annotations

from collections.abc import AsyncIterator

from ..domain import Asset, Circle
from . import _rows
from ._rows import Row
from .conn import Connection

CHUNK = 2000


async def _rows_of(conn: Connection, sql: str, args: tuple[object, ...] = ()) -> AsyncIterator[Row]:
    async with conn.execute(sql, args) as cur:
        while chunk := await cur.fetchmany(CHUNK):
            for row in chunk:
                yield row


# Needs in id order, each joined to its moves in id order: the join walks needs by rowid and
# need_moves by its need_id index, so no sort and no per-need query.
_NEEDS = (
    "SELECT n.*, (SELECT count(*) FROM supports s WHERE s.need_id = n.id) AS supports, "
    "a.first_name AS author_name, c.first_name AS carrier_name, ci.name AS circle_name, "
    "(SELECT p2.text FROM proposals p2 WHERE p2.need_id = n.id ORDER BY p2.revision DESC LIMIT 1) AS proposal, "
    "m.id AS move_id, m.from_status AS move_from, m.to_status AS move_to, m.actor_id AS move_actor, "
    "m.note AS move_note, m.at AS move_at, p.first_name AS actor_name "
    "FROM needs n "
    "LEFT JOIN persons a ON a.id = n.author_id "
    "LEFT JOIN persons c ON c.id = n.carrier_id "
    "LEFT JOIN circles ci ON ci.id = n.circle_id "
    "LEFT JOIN need_moves m ON m.need_id = n.id "
    "LEFT JOIN persons p ON p.id = m.actor_id "
    "ORDER BY n.id, m.id"
)


class ExportReader:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def needs(self) -> AsyncIterator[tuple[Row, list[Row]]]:
        """Every need, oldest first, with its moves oldest first.

        A need's row holds the columns of `needs`, `supports` (a count), `author_name`,
        `carrier_name`, `circle_name` (its current circle) and `proposal` (its latest revision); a move's row `move_from`, `move_to`, `move_actor`, `move_note`, `move_at`
        and `actor_name`. Rows, not entities: building 120 000 entities only to flatten them
        again took most of an export's time."""
        current: Row | None = None
        moves: list[Row] = []
        async for row in _rows_of(self.conn, _NEEDS):
            if current is None or current["id"] != row["id"]:
                if current is not None:
                    yield current, moves
                current, moves = row, []
            if row["move_id"] is not None:
                moves.append(row)
        if current is not None:
            yield current, moves

    async def circles(self) -> AsyncIterator[tuple[Circle, list[tuple[int, str | None]]]]:
        """Circles not archived, by kind and name, with their coordinators (id, first name)."""
        coordinators: dict[int, list[tuple[int, str | None]]] = {}
        async for row in _rows_of(
            self.conn,
            "SELECT m.circle_id, m.person_id, p.first_name FROM memberships m "
            "LEFT JOIN persons p ON p.id = m.person_id WHERE m.role = 'coordinator' "
            "ORDER BY m.circle_id, m.joined_at, m.person_id",
        ):
            coordinators.setdefault(row[0], []).append((row[1], row[2]))
        async for row in _rows_of(
            self.conn,
            "SELECT c.*, (SELECT count(*) FROM memberships m WHERE m.circle_id = c.id) AS members "
            "FROM circles c WHERE c.archived_at IS NULL ORDER BY c.kind, c.name",
        ):
            yield _rows.circle(row), coordinators.get(row["id"], [])

    async def assets(self) -> AsyncIterator[tuple[Asset, str | None]]:
        """Assets not withdrawn, by id, with their owner's first name."""
        async for row in _rows_of(
            self.conn,
            "SELECT a.*, p.first_name AS owner_name FROM assets a LEFT JOIN persons p ON p.id = a.owner_id "
            "WHERE a.withdrawn_at IS NULL ORDER BY a.id",
        ):
            yield _rows.asset(row), row["owner_name"]

    async def people(self) -> AsyncIterator[tuple[Row, list[str]]]:
        """Everyone, by id: the row of `persons` with `role_list` (comma-separated), and their
        identities as `channel:external_id`, oldest first."""
        current: Row | None = None
        identities: list[str] = []
        async for row in _rows_of(
            self.conn,
            "SELECT p.*, (SELECT group_concat(role) FROM person_roles r WHERE r.person_id = p.id) AS role_list, "
            "i.id AS ident_id, i.channel AS ident_channel, i.external_id AS ident_external "
            "FROM persons p LEFT JOIN identities i ON i.person_id = p.id ORDER BY p.id, i.id",
        ):
            if current is None or current["id"] != row["id"]:
                if current is not None:
                    yield current, identities
                current, identities = row, []
            if row["ident_id"] is not None:
                identities.append(f"{row['ident_channel']}:{row['ident_external']}")
        if current is not None:
            yield current, identities

    async def circles_by_kind(self) -> dict[str, int]:
        """Circles not archived, per kind (every kind, 0 included)."""
        counts = dict.fromkeys(("mission", "work", "activities", "thematic", "project"), 0)
        async with self.conn.execute(
            "SELECT kind, count(*) FROM circles WHERE archived_at IS NULL GROUP BY kind"
        ) as cur:
            for row in await cur.fetchall():
                counts[row[0]] = int(row[1])
        return counts

    async def asset_count(self) -> int:
        async with self.conn.execute("SELECT count(*) FROM assets WHERE withdrawn_at IS NULL") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def activity_counts(self) -> tuple[int, int, int, int]:
        """(missions, places they offer, places taken, supports) of the circles not archived;
        supports of every need."""
        async with self.conn.execute(
            "SELECT (SELECT count(*) FROM missions m JOIN circles c ON c.id = m.circle_id"
            " WHERE c.archived_at IS NULL),"
            " (SELECT coalesce(sum(m.places), 0) FROM missions m JOIN circles c ON c.id = m.circle_id"
            " WHERE c.archived_at IS NULL),"
            " (SELECT count(*) FROM mission_takers t JOIN missions m ON m.id = t.mission_id"
            " JOIN circles c ON c.id = m.circle_id WHERE c.archived_at IS NULL),"
            " (SELECT count(*) FROM supports)"
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2]), int(row[3])
