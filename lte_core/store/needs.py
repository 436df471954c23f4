"""Needs, their history, supports and the similar-need search (FTS5)."""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import Sequence
from datetime import datetime

from ..clock import to_iso
from ..domain import SIMILARITY_THRESHOLD, Need, NeedMove, NeedStatus, stems
from . import _rows
from .conn import Connection

# How many of the best full-text matches are ranked before the closed ones are left out.
SIMILAR_DEPTH = 64
# How many needs written before their stems were (migration 0006) are stemmed per statement.
_FILL_CHUNK = 500

# The connections whose needs all have their stems (filled at the first search after start).
_stemmed: weakref.WeakSet[Connection] = weakref.WeakSet()


def stem_column(text: str, place: str | None) -> str:
    """What `needs.stems` holds: the stems of what the need says, sorted, space-separated."""
    return " ".join(sorted(stems(text, place)))


_SELECT_SUPPORTS = "SELECT n.*, (SELECT count(*) FROM supports s WHERE s.need_id = n.id) AS supports"
_SELECT = f"{_SELECT_SUPPORTS} FROM needs n"


class NeedRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add(self, need: Need) -> Need:
        ts = to_iso(need.created_at)
        cur = await self.conn.execute(
            "INSERT INTO needs (author_id, text, stems, theme, place, lat, lon, photo_ref, status, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                need.author_id,
                need.text,
                stem_column(need.text, need.place),
                need.theme,
                need.place,
                need.lat,
                need.lon,
                need.photo_ref,
                need.status.value,
                ts,
                ts,
            ),
        )
        assert cur.lastrowid is not None
        need.id = cur.lastrowid
        return need

    async def get(self, need_id: int, *, history: bool = False) -> Need | None:
        async with self.conn.execute(
            _SELECT_SUPPORTS + ", (SELECT c.name FROM circles c WHERE c.id = n.circle_id) AS circle_name, "
            "(SELECT p.text FROM proposals p WHERE p.need_id = n.id ORDER BY p.revision DESC LIMIT 1) "
            "AS proposal FROM needs n WHERE n.id = ?",
            (need_id,),
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        need = _rows.need(row)
        need.circle_name, need.proposal = row["circle_name"], row["proposal"]
        if history:
            need.history = await self.history(need_id)
        return need

    async def save(self, need: Need, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE needs SET theme = ?, place = ?, stems = ?, status = ?, carrier_id = ?, merged_into = ?, "
            "circle_id = ?, decline_reason = ?, updated_at = ? WHERE id = ?",
            (
                need.theme,
                need.place,
                stem_column(need.text, need.place),  # the place's words are not what it needs
                need.status.value,
                need.carrier_id,
                need.merged_into,
                need.circle_id,
                need.decline_reason,
                to_iso(now),
                need.id,
            ),
        )

    async def add_move(self, need_id: int, move: NeedMove) -> int:
        cur = await self.conn.execute(
            "INSERT INTO need_moves (need_id, from_status, to_status, actor_id, note, at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                need_id,
                move.from_status.value if move.from_status else None,
                move.to_status.value,
                move.actor_id,
                move.note,
                to_iso(move.at),
            ),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def history(self, need_id: int) -> list[NeedMove]:
        async with self.conn.execute(
            "SELECT * FROM need_moves WHERE need_id = ? ORDER BY id", (need_id,)
        ) as cur:
            return [_rows.move(r) for r in await cur.fetchall()]

    async def query(
        self,
        *,
        statuses: Sequence[NeedStatus] | None = None,
        theme: str | None = None,
        author_id: int | None = None,
        carrier_id: int | None = None,
        limit: int = 1000,
        offset: int = 0,
        before_id: int | None = None,
        after_id: int | None = None,
        oldest_first: bool = False,
        hidden_for: int | None = None,
    ) -> list[Need]:
        """Needs by id, newest first (or oldest first); `before_id` / `after_id` page by keyset:
        the next page starts after the last id of the previous one, with no rows skipped over.
        `hidden_for`: leave out the hidden needs, but this person's own (0: all of them)."""
        where, args = self._filters(statuses, theme, author_id, carrier_id, hidden_for)
        if before_id is not None:
            where += (" AND" if where else " WHERE") + " n.id < ?"
            args.append(before_id)
        if after_id is not None:
            where += (" AND" if where else " WHERE") + " n.id > ?"
            args.append(after_id)
        order = "n.id" if oldest_first else "n.id DESC"
        sql = f"{_SELECT}{where} ORDER BY {order} LIMIT ?" + (" OFFSET ?" if offset else "")
        async with self.conn.execute(sql, (*args, limit, *((offset,) if offset else ()))) as cur:
            return [_rows.need(r) for r in await cur.fetchall()]

    async def count(
        self,
        *,
        statuses: Sequence[NeedStatus] | None = None,
        theme: str | None = None,
        author_id: int | None = None,
        carrier_id: int | None = None,
        hidden_for: int | None = None,
    ) -> int:
        where, args = self._filters(statuses, theme, author_id, carrier_id)
        async with self.conn.execute(f"SELECT count(*) FROM needs n{where}", args) as cur:
            row = await cur.fetchone()
        total = int(row[0]) if row else 0
        if hidden_for is None or not total:
            return total
        # Less the hidden needs that are not this person's: read from the index of the few hidden
        # ones (0015), so the count stays on covering indexes.
        where += (" AND" if where else " WHERE") + " n.hidden_at IS NOT NULL AND n.author_id IS NOT ?"
        async with self.conn.execute(f"SELECT count(*) FROM needs n{where}", [*args, hidden_for]) as cur:
            row = await cur.fetchone()
        return total - (int(row[0]) if row else 0)

    @staticmethod
    def _filters(
        statuses: Sequence[NeedStatus] | None,
        theme: str | None,
        author_id: int | None,
        carrier_id: int | None = None,
        hidden_for: int | None = None,
    ) -> tuple[str, list[object]]:
        clauses: list[str] = []
        args: list[object] = []
        if statuses is not None:
            clauses.append(f"n.status IN ({','.join('?' * len(statuses))})" if statuses else "0")
            args.extend(s.value for s in statuses)
        if theme is not None:
            clauses.append("n.theme = ?")
            args.append(theme)
        if author_id is not None:
            clauses.append("n.author_id = ?")
            args.append(author_id)
        if carrier_id is not None:
            clauses.append("n.carrier_id = ?")
            args.append(carrier_id)
        if hidden_for is not None:
            clauses.append("(n.hidden_at IS NULL OR n.author_id = ?)")
            args.append(hidden_for)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    async def similar(self, text: str, *, limit: int = 3, exclude_closed: bool = True) -> list[Need]:
        """Needs that say much the same as `text`, best first: they share stems (« compost » and
        « composteur », accents and case folded), enough of them (SIMILARITY_THRESHOLD); stop
        words, place words and proper names do not count."""
        wanted = stems(text)
        if not wanted:
            return []
        await self._fill_stems()
        query = " OR ".join(f'"{w}"' for w in sorted(wanted)[:24])
        # The best matches are ranked on the full-text index alone; only those few are joined to
        # their needs, and the open ones alike enough kept. Should that leave fewer than `limit`
        # while the index had more, the ranking goes on over the rest. Whether a need is alike
        # is decided in SQL, as `alike` does: shared² ≥ threshold² · |wanted| · |its stems|.
        depth = max(SIMILAR_DEPTH, 4 * limit)
        keep = "n.status NOT IN ('realised','withdrawn','merged','declined') AND " if exclude_closed else ""
        keep += "n.hidden_at IS NULL AND "  # a hidden need is nobody's duplicate while it is reviewed
        terms = sorted(wanted)
        shared = " + ".join(["(instr(' ' || n.stems || ' ', ?) > 0)"] * len(terms))
        count = "(length(n.stems) - length(replace(n.stems, ' ', '')) + 1)"
        is_alike = f"({shared}) * ({shared}) >= ? * {count}"
        factor = (SIMILARITY_THRESHOLD - 1e-9) ** 2 * len(wanted)
        alike_args = (*(f" {t} " for t in terms), *(f" {t} " for t in terms), factor)
        ranked = (
            "SELECT rowid AS id, bm25(needs_fts) AS score FROM needs_fts WHERE needs_fts MATCH ? "
            "ORDER BY score, rowid LIMIT ? OFFSET ?"
        )
        # LEFT JOIN: a match closed or not alike still gives its row (of NULLs): the ranked are
        # counted in the same statement.
        sql = (
            f"{_SELECT_SUPPORTS} FROM ({ranked}) AS best LEFT JOIN needs n ON n.id = best.id "
            f"AND {keep}n.stems IS NOT NULL AND {is_alike} ORDER BY best.score, best.id"
        )
        async with self.conn.execute(sql, (query, depth, 0, *alike_args)) as cur:
            rows = await cur.fetchall()
        found = [_rows.need(r) for r in rows if r["id"] is not None][:limit]
        if len(found) >= limit or len(rows) < depth:
            return found
        sql = (
            f"{_SELECT_SUPPORTS} FROM ({ranked}) AS best JOIN needs n ON n.id = best.id "
            f"WHERE {keep}n.stems IS NOT NULL AND {is_alike} ORDER BY best.score, best.id LIMIT ?"
        )
        async with self.conn.execute(sql, (query, -1, depth, *alike_args, limit - len(found))) as cur:
            found += [_rows.need(r) for r in await cur.fetchall()]
        return found

    async def _fill_stems(self) -> None:
        """The needs written before their stems were have them computed. A connection is known
        to have none left once a search found none to fill: not when it filled some, for the
        unit of work that filled them may yet roll back."""
        if self.conn in _stemmed:
            return
        filled = False
        while True:
            async with self.conn.execute(
                "SELECT id, text, place FROM needs WHERE stems IS NULL ORDER BY id LIMIT ?", (_FILL_CHUNK,)
            ) as cur:
                rows = await cur.fetchall()
            if not rows:
                break
            try:
                await self.conn.executemany(
                    "UPDATE needs SET stems = ? WHERE id = ?",
                    [(stem_column(r["text"], r["place"]), r["id"]) for r in rows],
                )
            except sqlite3.OperationalError:  # the read-only connection: the writer will fill them
                break
            filled = True
        if not filled:
            _stemmed.add(self.conn)

    async def stats(self) -> tuple[dict[str, int], dict[str, int]]:
        """Needs counted by status and by theme."""
        by_status: dict[str, int] = {}
        by_theme: dict[str, int] = {}
        async with self.conn.execute("SELECT status, count(*) FROM needs GROUP BY status") as cur:
            for r in await cur.fetchall():
                by_status[r[0]] = r[1]
        async with self.conn.execute("SELECT coalesce(theme, ''), count(*) FROM needs GROUP BY theme") as cur:
            for r in await cur.fetchall():
                by_theme[r[0]] = r[1]
        return by_status, by_theme

    # Supports ----------------------------------------------------------------------------

    async def add_support(self, need_id: int, person_id: int, now: datetime) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO supports (need_id, person_id, created_at) VALUES (?, ?, ?)",
            (need_id, person_id, to_iso(now)),
        )
        return cur.rowcount > 0

    async def remove_support(self, need_id: int, person_id: int) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM supports WHERE need_id = ? AND person_id = ?", (need_id, person_id)
        )
        return cur.rowcount > 0

    async def supports(self, need_id: int, person_id: int) -> bool:
        async with self.conn.execute(
            "SELECT 1 FROM supports WHERE need_id = ? AND person_id = ?", (need_id, person_id)
        ) as cur:
            return await cur.fetchone() is not None

    async def supporter_ids(self, need_id: int) -> list[int]:
        async with self.conn.execute(
            "SELECT person_id FROM supports WHERE need_id = ? ORDER BY created_at", (need_id,)
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def supported_by(self, person_id: int) -> set[int]:
        async with self.conn.execute("SELECT need_id FROM supports WHERE person_id = ?", (person_id,)) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def move_supports(self, from_id: int, to_id: int, to_author: int | None) -> None:
        """A merge: supports follow to the target; nobody supports their own need twice."""
        await self.conn.execute(
            "INSERT OR IGNORE INTO supports (need_id, person_id, created_at) "
            "SELECT ?, person_id, created_at FROM supports WHERE need_id = ? AND person_id IS NOT ?",
            (to_id, from_id, to_author),
        )
        await self.conn.execute("DELETE FROM supports WHERE need_id = ?", (from_id,))
