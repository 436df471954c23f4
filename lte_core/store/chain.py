"""The chain from a need to a project: proposals, alerts by interest, help offered on a need and
the messages relayed about it, and the messages coordinators send their circles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..clock import from_iso, to_iso
from ._rows import Row
from .conn import Connection


@dataclass(frozen=True)
class Proposal:
    need_id: int
    circle_id: int | None
    author_id: int | None
    revision: int
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Alerts:
    person_id: int
    by_theme: bool
    by_place: bool
    last_need_id: int
    last_sent_at: datetime | None


@dataclass(frozen=True)
class HelpOffer:
    id: int
    need_id: int
    asset_id: int | None
    helper_id: int | None
    recipient_id: int | None
    created_at: datetime


class ChainRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # Proposals -------------------------------------------------------------------------------

    async def proposal(self, need_id: int) -> Proposal | None:
        """The latest revision of a need's proposal."""
        async with self.conn.execute(
            "SELECT * FROM proposals WHERE need_id = ? ORDER BY revision DESC LIMIT 1", (need_id,)
        ) as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        return Proposal(
            r["need_id"], r["circle_id"], r["author_id"], r["revision"], r["text"], from_iso(r["created_at"])
        )

    async def add_proposal(
        self, need_id: int, circle_id: int | None, author_id: int, text: str, now: datetime
    ) -> int:
        """Write a new revision; returns its number (1 for the first)."""
        async with self.conn.execute(
            "SELECT coalesce(max(revision), 0) + 1 FROM proposals WHERE need_id = ?", (need_id,)
        ) as cur:
            row = await cur.fetchone()
        revision = int(row[0]) if row else 1
        await self.conn.execute(
            "INSERT INTO proposals (need_id, circle_id, author_id, revision, text, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (need_id, circle_id, author_id, revision, text, to_iso(now)),
        )
        return revision

    # Alerts ------------------------------------------------------------------------------------

    async def alerts(self, person_id: int) -> Alerts | None:
        async with self.conn.execute("SELECT * FROM need_alerts WHERE person_id = ?", (person_id,)) as cur:
            r = await cur.fetchone()
        return _alerts(r) if r else None

    async def set_alerts(
        self, person_id: int, *, by_theme: bool, by_place: bool, last_need_id: int, now: datetime
    ) -> None:
        """Subscribe (or change what to hear of); a subscriber's newest need told is kept."""
        await self.conn.execute(
            "INSERT INTO need_alerts (person_id, by_theme, by_place, last_need_id, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT(person_id) DO UPDATE SET by_theme = excluded.by_theme, "
            "by_place = excluded.by_place",
            (person_id, int(by_theme), int(by_place), last_need_id, to_iso(now)),
        )

    async def stop_alerts(self, person_id: int) -> bool:
        cur = await self.conn.execute("DELETE FROM need_alerts WHERE person_id = ?", (person_id,))
        return cur.rowcount > 0

    async def subscribers(self) -> list[Alerts]:
        async with self.conn.execute("SELECT * FROM need_alerts ORDER BY person_id") as cur:
            return [_alerts(r) for r in await cur.fetchall()]

    async def alerts_sent(self, person_id: int, last_need_id: int, now: datetime | None) -> None:
        """Mark what was told: `now` None when nothing was sent (the needs seen did not match)."""
        if now is None:
            await self.conn.execute(
                "UPDATE need_alerts SET last_need_id = ? WHERE person_id = ?", (last_need_id, person_id)
            )
        else:
            await self.conn.execute(
                "UPDATE need_alerts SET last_need_id = ?, last_sent_at = ? WHERE person_id = ?",
                (last_need_id, to_iso(now), person_id),
            )

    # Help offered ----------------------------------------------------------------------------

    async def add_offer(
        self, need_id: int, asset_id: int | None, helper_id: int, recipient_id: int, now: datetime
    ) -> HelpOffer | None:
        """A new offer; None when this helper already offered help on this need."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO help_offers (need_id, asset_id, helper_id, recipient_id, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (need_id, asset_id, helper_id, recipient_id, to_iso(now)),
        )
        if not cur.rowcount:
            return None
        assert cur.lastrowid is not None
        return HelpOffer(cur.lastrowid, need_id, asset_id, helper_id, recipient_id, now)

    async def offer(self, offer_id: int) -> HelpOffer | None:
        async with self.conn.execute("SELECT * FROM help_offers WHERE id = ?", (offer_id,)) as cur:
            r = await cur.fetchone()
        if r is None:
            return None
        return HelpOffer(
            r["id"], r["need_id"], r["asset_id"], r["helper_id"], r["recipient_id"], from_iso(r["created_at"])
        )

    async def add_message(self, offer_id: int, sender_id: int, text: str, now: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO help_messages (offer_id, sender_id, text, at) VALUES (?, ?, ?, ?)",
            (offer_id, sender_id, text, to_iso(now)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    # Circle messages -------------------------------------------------------------------------

    async def circle_messages_since(self, circle_id: int, since: datetime) -> int:
        async with self.conn.execute(
            "SELECT count(*) FROM circle_messages WHERE circle_id = ? AND at > ?", (circle_id, to_iso(since))
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def add_circle_message(self, circle_id: int, sender_id: int, text: str, now: datetime) -> int:
        cur = await self.conn.execute(
            "INSERT INTO circle_messages (circle_id, sender_id, text, at) VALUES (?, ?, ?, ?)",
            (circle_id, sender_id, text, to_iso(now)),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    # Circles of a need -------------------------------------------------------------------------

    async def circles_of_need(self, need_id: int) -> list[tuple[int, str]]:
        """(circle id, kind) of the work and project circles formed around a need, oldest first."""
        async with self.conn.execute(
            "SELECT id, kind FROM circles WHERE need_id = ? AND archived_at IS NULL ORDER BY id", (need_id,)
        ) as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def member_names(self, circle_id: int) -> list[tuple[int, str | None, str]]:
        """(person id, first name, role) of a circle's members, coordinators first."""
        async with self.conn.execute(
            "SELECT m.person_id, p.first_name, m.role FROM memberships m LEFT JOIN persons p "
            "ON p.id = m.person_id WHERE m.circle_id = ? "
            "ORDER BY m.role = 'coordinator' DESC, m.joined_at, m.person_id",
            (circle_id,),
        ) as cur:
            return [(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def noyau_ids(self) -> list[int]:
        async with self.conn.execute(
            "SELECT person_id FROM person_roles WHERE role = 'noyau' ORDER BY person_id"
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def kinds(self) -> dict[str, int]:
        """Circles not archived, per kind."""
        async with self.conn.execute(
            "SELECT kind, count(*) FROM circles WHERE archived_at IS NULL GROUP BY kind"
        ) as cur:
            return {r[0]: int(r[1]) for r in await cur.fetchall()}


def _alerts(row: Row) -> Alerts:
    return Alerts(
        row["person_id"],
        bool(row["by_theme"]),
        bool(row["by_place"]),
        int(row["last_need_id"]),
        from_iso(row["last_sent_at"]) if row["last_sent_at"] else None,
    )
