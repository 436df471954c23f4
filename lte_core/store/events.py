"""Events, programmes, registrations, reminders, digests and milestones (migration 0010).

Reminders are rows: one per person, target (an event or a mission) and offset, written when the
person registers (or, for missions, found by `sync_missions`) and marked as they are handled, in
the transaction that queues their outbox rows, so nothing is sent twice."""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from ..clock import from_iso, maybe_iso, to_iso
from ..domain.events import Event, EventKind, Milestone
from ._rows import Row, dumps
from .conn import Connection

# A time `offset_s` seconds before an ISO start, in the stored format (UTC, to the second).
_MINUS = "strftime('%Y-%m-%dT%H:%M:%S+00:00', {start}, '-' || {offset} || ' seconds')"

_EVENT = (
    "SELECT e.*, p.name AS programme_name, "
    "(SELECT count(*) FROM registrations r WHERE r.event_id = e.id AND r.status = 'registered') AS n_registered, "
    "(SELECT count(*) FROM registrations r WHERE r.event_id = e.id AND r.status = 'waiting') AS n_waiting, "
    "(SELECT count(*) FROM registrations r WHERE r.event_id = e.id AND r.attended_at IS NOT NULL) AS n_attended "
    "FROM events e LEFT JOIN programmes p ON p.id = e.programme_id"
)

# The reachable identity seen last (as the outbox's own put_many).
_IDENTITY = (
    "JOIN identities i ON i.id = (SELECT j.id FROM identities j INDEXED BY identities_reachable "
    "WHERE j.person_id = p.id AND j.unreachable_at IS NULL "
    "ORDER BY j.last_seen_at DESC NULLS LAST, j.id DESC LIMIT 1)"
)


def _event(r: Row) -> Event:
    return Event(
        id=r["id"],
        title=r["title"],
        starts_at=from_iso(r["starts_at"]),
        kind=EventKind(r["kind"]),
        description=r["description"],
        ends_at=maybe_iso(r["ends_at"]),
        place=r["place"],
        capacity=r["capacity"],
        circle_id=r["circle_id"],
        programme_id=r["programme_id"],
        programme=r["programme_name"],
        cancelled=r["cancelled_at"] is not None,
        created_by=r["created_by"],
        checkin_code=r["checkin_code"],
        registered=r["n_registered"],
        waiting=r["n_waiting"],
        attended=r["n_attended"],
        source_uid=r["source_uid"],
        created_at=from_iso(r["created_at"]),
    )


@dataclass(frozen=True)
class Registration:
    event_id: int
    person_id: int
    status: str  # registered | waiting | cancelled
    seq: int
    since: datetime
    attended_at: datetime | None = None
    name: str | None = None


def _registration(r: Row) -> Registration:
    return Registration(
        r["event_id"],
        r["person_id"],
        r["status"],
        r["seq"],
        from_iso(r["since"]),
        maybe_iso(r["attended_at"]),
        r["first_name"] if "first_name" in r.keys() else None,
    )


@dataclass(frozen=True)
class DueReminder:
    id: int
    person_id: int
    event_id: int | None
    mission_id: int | None
    offset_s: int
    due_at: datetime


@dataclass(frozen=True)
class DueDigest:
    id: int
    programme_id: int
    day: date
    due_at: datetime


class EventRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # Events ----------------------------------------------------------------------------

    async def add(self, event: Event, now: datetime) -> Event:
        code = await self._new_code()
        cur = await self.conn.execute(
            "INSERT INTO events (title, description, kind, starts_at, ends_at, place, capacity, circle_id, "
            "programme_id, source_uid, checkin_code, created_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event.title,
                event.description,
                event.kind.value,
                to_iso(event.starts_at),
                to_iso(event.ends_at) if event.ends_at else None,
                event.place,
                event.capacity,
                event.circle_id,
                event.programme_id,
                event.source_uid,
                code,
                event.created_by,
                to_iso(now),
                to_iso(now),
            ),
        )
        assert cur.lastrowid is not None
        event.id, event.checkin_code, event.created_at = cur.lastrowid, code, now
        return event

    async def _new_code(self) -> int:
        while True:
            code = 100_000_000 + secrets.randbelow(900_000_000)  # nine digits: a deep link's id
            async with self.conn.execute("SELECT 1 FROM events WHERE checkin_code = ?", (code,)) as cur:
                if await cur.fetchone() is None:
                    return code

    async def update(self, event: Event, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE events SET title = ?, description = ?, kind = ?, starts_at = ?, ends_at = ?, place = ?, "
            "capacity = ?, updated_at = ? WHERE id = ?",
            (
                event.title,
                event.description,
                event.kind.value,
                to_iso(event.starts_at),
                to_iso(event.ends_at) if event.ends_at else None,
                event.place,
                event.capacity,
                to_iso(now),
                event.id,
            ),
        )

    async def cancel(self, event_id: int, now: datetime) -> bool:
        cur = await self.conn.execute(
            "UPDATE events SET cancelled_at = ?, updated_at = ? WHERE id = ? AND cancelled_at IS NULL",
            (to_iso(now), to_iso(now), event_id),
        )
        return cur.rowcount > 0

    async def get(self, event_id: int) -> Event | None:
        async with self.conn.execute(_EVENT + " WHERE e.id = ?", (event_id,)) as cur:
            row = await cur.fetchone()
        return _event(row) if row else None

    async def by_checkin(self, code: int) -> Event | None:
        async with self.conn.execute(_EVENT + " WHERE e.checkin_code = ?", (code,)) as cur:
            row = await cur.fetchone()
        return _event(row) if row else None

    async def by_source(self, programme_id: int, uid: str) -> Event | None:
        async with self.conn.execute(
            _EVENT + " WHERE e.programme_id = ? AND e.source_uid = ?", (programme_id, uid)
        ) as cur:
            row = await cur.fetchone()
        return _event(row) if row else None

    async def upcoming_for(
        self, person_id: int, now: datetime, *, everything: bool, offset: int, limit: int
    ) -> tuple[list[Event], int]:
        """The coming events (not started or not over) one may attend, soonest first: those of no
        circle, of one's circles, and those one is on the list of; `everything` for the noyau."""
        where = (
            "e.cancelled_at IS NULL AND coalesce(e.ends_at, e.starts_at) > :now"
            if everything
            else "e.cancelled_at IS NULL AND coalesce(e.ends_at, e.starts_at) > :now AND (e.circle_id IS NULL "
            "OR e.circle_id IN (SELECT circle_id FROM memberships WHERE person_id = :person) "
            "OR EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id AND r.person_id = :person "
            "AND r.status <> 'cancelled') OR e.created_by = :person)"
        )
        args = {"now": to_iso(now), "person": person_id, "limit": limit, "offset": offset}
        async with self.conn.execute(
            _EVENT + f" WHERE {where} ORDER BY e.starts_at, e.id LIMIT :limit OFFSET :offset", args
        ) as cur:
            events = [_event(r) for r in await cur.fetchall()]
        async with self.conn.execute(f"SELECT count(*) FROM events e WHERE {where}", args) as cur:
            row = await cur.fetchone()
        return events, int(row[0]) if row else 0

    async def of_programme(self, programme_id: int, *, include_cancelled: bool = False) -> list[Event]:
        extra = "" if include_cancelled else " AND e.cancelled_at IS NULL"
        async with self.conn.execute(
            _EVENT + f" WHERE e.programme_id = ?{extra} ORDER BY e.starts_at, e.id", (programme_id,)
        ) as cur:
            return [_event(r) for r in await cur.fetchall()]

    async def between(self, programme_id: int, start: datetime, end: datetime) -> list[Event]:
        async with self.conn.execute(
            _EVENT + " WHERE e.programme_id = ? AND e.cancelled_at IS NULL AND e.starts_at >= ? "
            "AND e.starts_at < ? ORDER BY e.starts_at, e.id",
            (programme_id, to_iso(start), to_iso(end)),
        ) as cur:
            return [_event(r) for r in await cur.fetchall()]

    async def all(self) -> list[Event]:
        async with self.conn.execute(_EVENT + " ORDER BY e.starts_at, e.id") as cur:
            return [_event(r) for r in await cur.fetchall()]

    # Announcements ---------------------------------------------------------------------

    async def set_announce(self, event_id: int, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE events SET announce_at = ? WHERE id = ? AND announced_at IS NULL", (to_iso(at), event_id)
        )

    async def next_announcement(self) -> datetime | None:
        async with self.conn.execute(
            "SELECT min(announce_at) FROM events WHERE announce_at IS NOT NULL AND announced_at IS NULL"
        ) as cur:
            row = await cur.fetchone()
        return maybe_iso(row[0]) if row else None

    async def due_announcements(self, now: datetime) -> list[Event]:
        async with self.conn.execute(
            _EVENT + " WHERE e.announce_at IS NOT NULL AND e.announced_at IS NULL AND e.announce_at <= ? "
            "ORDER BY e.announce_at",
            (to_iso(now),),
        ) as cur:
            return [_event(r) for r in await cur.fetchall()]

    async def announced(self, event_id: int, now: datetime) -> None:
        await self.conn.execute("UPDATE events SET announced_at = ? WHERE id = ?", (to_iso(now), event_id))

    async def audience(self, event: Event) -> list[int]:
        """Who an event concerns: its circle's members, else everyone who consented."""
        sql = "SELECT id FROM persons WHERE consented_at IS NOT NULL ORDER BY id"
        args: tuple[int, ...] = ()
        if event.circle_id is not None:
            sql = "SELECT person_id FROM memberships WHERE circle_id = ? ORDER BY joined_at"
            args = (event.circle_id,)
        async with self.conn.execute(sql, args) as cur:
            return [r[0] for r in await cur.fetchall()]

    # Programmes ------------------------------------------------------------------------

    async def programme(self, name: str, now: datetime) -> int:
        """The programme's id, created if new (names are compared case-insensitively)."""
        found = await self.programme_id(name)
        if found is not None:
            return found
        cur = await self.conn.execute(
            "INSERT INTO programmes (name, created_at) VALUES (?, ?)", (name, to_iso(now))
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def programme_id(self, name: str) -> int | None:
        async with self.conn.execute(
            "SELECT id FROM programmes WHERE name = ? COLLATE NOCASE", (name,)
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def programmes(self) -> list[tuple[int, str]]:
        async with self.conn.execute("SELECT id, name FROM programmes ORDER BY id") as cur:
            return [(r[0], r[1]) for r in await cur.fetchall()]

    async def subscribe(self, programme_id: int, person_id: int, now: datetime) -> bool:
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO programme_subscribers (programme_id, person_id, subscribed_at) VALUES (?, ?, ?)",
            (programme_id, person_id, to_iso(now)),
        )
        return cur.rowcount > 0

    async def unsubscribe(self, programme_id: int, person_id: int) -> bool:
        cur = await self.conn.execute(
            "DELETE FROM programme_subscribers WHERE programme_id = ? AND person_id = ?",
            (programme_id, person_id),
        )
        return cur.rowcount > 0

    async def subscribed(self, programme_id: int, person_id: int) -> bool:
        async with self.conn.execute(
            "SELECT 1 FROM programme_subscribers WHERE programme_id = ? AND person_id = ?",
            (programme_id, person_id),
        ) as cur:
            return await cur.fetchone() is not None

    async def subscribers(self, programme_id: int) -> list[int]:
        async with self.conn.execute(
            "SELECT person_id FROM programme_subscribers WHERE programme_id = ? ORDER BY subscribed_at",
            (programme_id,),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    # Registrations ---------------------------------------------------------------------

    async def registration(self, event_id: int, person_id: int) -> Registration | None:
        async with self.conn.execute(
            "SELECT * FROM registrations WHERE event_id = ? AND person_id = ?", (event_id, person_id)
        ) as cur:
            row = await cur.fetchone()
        return _registration(row) if row else None

    async def set_status(self, event_id: int, person_id: int, status: str, now: datetime) -> None:
        """Register, put on the waiting list (at its end) or cancel one person."""
        ts = to_iso(now)
        await self.conn.execute(
            "INSERT INTO registrations (event_id, person_id, status, seq, since, created_at) "
            "VALUES (:e, :p, :s, (SELECT coalesce(max(seq), 0) + 1 FROM registrations WHERE event_id = :e), :now, :now) "
            "ON CONFLICT (event_id, person_id) DO UPDATE SET status = :s, since = :now, "
            "seq = CASE WHEN :s = 'cancelled' THEN seq "
            "ELSE (SELECT coalesce(max(seq), 0) + 1 FROM registrations WHERE event_id = :e) END",
            {"e": event_id, "p": person_id, "s": status, "now": ts},
        )

    async def promote(self, event_id: int, person_ids: Sequence[int], now: datetime) -> None:
        """Waiting people get a place; they keep their order."""
        await self.conn.execute(
            "UPDATE registrations SET status = 'registered', since = ? WHERE event_id = ? AND status = 'waiting' "
            "AND person_id IN (SELECT value FROM json_each(?))",
            (to_iso(now), event_id, json.dumps(list(person_ids))),
        )

    async def people(self, event_id: int, status: str) -> list[Registration]:
        """Registered (or waiting) people in their order, with their first names."""
        async with self.conn.execute(
            "SELECT r.*, p.first_name FROM registrations r JOIN persons p ON p.id = r.person_id "
            "WHERE r.event_id = ? AND r.status = ? ORDER BY r.seq",
            (event_id, status),
        ) as cur:
            return [_registration(r) for r in await cur.fetchall()]

    async def ids(self, event_id: int, statuses: Sequence[str]) -> list[int]:
        async with self.conn.execute(
            "SELECT person_id FROM registrations WHERE event_id = ? AND status IN "
            "(SELECT value FROM json_each(?)) ORDER BY seq",
            (event_id, json.dumps(list(statuses))),
        ) as cur:
            return [r[0] for r in await cur.fetchall()]

    async def position(self, event_id: int, person_id: int) -> int | None:
        """One's place on the waiting list (1 is next), or None when not waiting."""
        async with self.conn.execute(
            "SELECT (SELECT count(*) FROM registrations w WHERE w.event_id = r.event_id "
            "AND w.status = 'waiting' AND w.seq <= r.seq) FROM registrations r "
            "WHERE r.event_id = ? AND r.person_id = ? AND r.status = 'waiting'",
            (event_id, person_id),
        ) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def statuses_of(self, person_id: int) -> dict[int, str]:
        async with self.conn.execute(
            "SELECT event_id, status FROM registrations WHERE person_id = ? AND status <> 'cancelled'",
            (person_id,),
        ) as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def attend(
        self, event_id: int, person_id: int, by: int | None, now: datetime, present: bool
    ) -> bool:
        cur = await self.conn.execute(
            "UPDATE registrations SET attended_at = ?, checked_by = ? WHERE event_id = ? AND person_id = ? "
            "AND status = 'registered'",
            (to_iso(now) if present else None, by, event_id, person_id),
        )
        return cur.rowcount > 0

    # Reminders -------------------------------------------------------------------------

    async def sync_event_reminders(
        self, offsets: Sequence[timedelta], now: datetime, event_id: int | None = None
    ) -> int:
        """The reminder rows of the registered people of upcoming events (one, or all): one per
        offset whose time comes after they registered. Existing rows are kept as they are."""
        due = _MINUS.format(start="e.starts_at", offset="o.value")
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO reminders (person_id, event_id, offset_s, due_at) "
            f"SELECT r.person_id, e.id, o.value, {due} FROM events e "
            "JOIN registrations r ON r.event_id = e.id AND r.status = 'registered' "
            "JOIN json_each(:offsets) o "
            f"WHERE e.cancelled_at IS NULL AND e.starts_at > :now AND {due} > r.since "
            "AND (:event IS NULL OR e.id = :event)",
            {"offsets": _seconds(offsets), "now": to_iso(now), "event": event_id},
        )
        return cur.rowcount

    async def cancel_reminders(
        self, *, event_id: int | None = None, person_id: int | None = None, now: datetime
    ) -> int:
        cur = await self.conn.execute(
            "UPDATE reminders SET status = 'cancelled', handled_at = :now WHERE status = 'pending' "
            "AND (:event IS NULL OR event_id = :event) AND (:person IS NULL OR person_id = :person) "
            "AND (event_id IS NOT NULL OR :event IS NULL)",
            {"now": to_iso(now), "event": event_id, "person": person_id},
        )
        return cur.rowcount

    async def move_reminders(self, event_id: int, starts_at: datetime, now: datetime) -> None:
        """An event moved: its reminders move with it. Those whose new time is still to come wait
        for it (sent ones again: the time they said is no longer true); a pending one whose new
        time has passed is cancelled (the notice of the move says the new time)."""
        due = _MINUS.format(start=":starts", offset="offset_s")
        args = {"starts": to_iso(starts_at), "now": to_iso(now), "event": event_id}
        await self.conn.execute(
            f"UPDATE reminders SET due_at = {due}, status = 'pending', handled_at = NULL "
            f"WHERE event_id = :event AND status <> 'cancelled' AND {due} > :now",
            args,
        )
        await self.conn.execute(
            f"UPDATE reminders SET due_at = {due}, status = 'cancelled', handled_at = :now "
            f"WHERE event_id = :event AND status = 'pending' AND {due} <= :now",
            args,
        )

    async def drop_other_offsets(self, offsets: Sequence[timedelta], now: datetime) -> int:
        """Reminders waiting at an offset the settings no longer have are cancelled."""
        cur = await self.conn.execute(
            "UPDATE reminders SET status = 'cancelled', handled_at = :now WHERE status = 'pending' "
            "AND offset_s NOT IN (SELECT value FROM json_each(:offsets))",
            {"offsets": _seconds(offsets), "now": to_iso(now)},
        )
        return cur.rowcount

    async def sync_missions(self, offsets: Sequence[timedelta], now: datetime) -> None:
        """The reminder rows of those who took a place on an upcoming mission; moved missions move
        theirs, cancelled ones and given-up places cancel theirs."""
        due = _MINUS.format(start="m.starts_at", offset="o.value")
        args = {"offsets": _seconds(offsets), "now": to_iso(now)}
        await self.conn.execute(
            "INSERT OR IGNORE INTO reminders (person_id, mission_id, offset_s, due_at) "
            f"SELECT t.person_id, m.id, o.value, {due} FROM missions m "
            "JOIN mission_takers t ON t.mission_id = m.id JOIN json_each(:offsets) o "
            f"WHERE m.cancelled_at IS NULL AND m.starts_at > :now AND {due} > t.taken_at",
            args,
        )
        moved = _MINUS.format(start="m.starts_at", offset="reminders.offset_s")
        await self.conn.execute(
            f"UPDATE reminders SET due_at = (SELECT {moved} FROM missions m WHERE m.id = reminders.mission_id) "
            "WHERE status = 'pending' AND mission_id IS NOT NULL AND due_at <> "
            f"(SELECT {moved} FROM missions m WHERE m.id = reminders.mission_id)",
        )
        await self.conn.execute(
            "UPDATE reminders SET status = 'cancelled', handled_at = :now WHERE status = 'pending' "
            "AND mission_id IS NOT NULL AND (mission_id IN (SELECT id FROM missions WHERE cancelled_at IS NOT NULL) "
            "OR NOT EXISTS (SELECT 1 FROM mission_takers t WHERE t.mission_id = reminders.mission_id "
            "AND t.person_id = reminders.person_id))",
            {"now": args["now"]},
        )

    async def next_reminder(self) -> datetime | None:
        async with self.conn.execute("SELECT min(due_at) FROM reminders WHERE status = 'pending'") as cur:
            row = await cur.fetchone()
        return maybe_iso(row[0]) if row else None

    async def due_reminders(self, now: datetime, limit: int) -> list[DueReminder]:
        async with self.conn.execute(
            "SELECT id, person_id, event_id, mission_id, offset_s, due_at FROM reminders "
            "INDEXED BY reminders_due WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?",
            (to_iso(now), limit),
        ) as cur:
            return [DueReminder(r[0], r[1], r[2], r[3], r[4], from_iso(r[5])) for r in await cur.fetchall()]

    async def queue_reminders(
        self,
        ids: Sequence[int],
        *,
        status: str,
        kind: str,
        params: dict[str, Any],
        priority: int,
        not_before: datetime,
        now: datetime,
    ) -> int:
        """Queue the outbox rows of these reminders (to those still registered, or still on the
        mission) and mark them `status`; the others are cancelled. Returns the rows queued."""
        args = {
            "ids": json.dumps(list(ids)),
            "kind": kind,
            "params": dumps(params),
            "priority": priority,
            "nb": to_iso(not_before),
            "now": to_iso(now),
            "status": status,
        }
        still = (
            "(r.event_id IS NOT NULL AND EXISTS (SELECT 1 FROM registrations g WHERE g.event_id = r.event_id "
            "AND g.person_id = r.person_id AND g.status = 'registered')) OR (r.mission_id IS NOT NULL AND "
            "EXISTS (SELECT 1 FROM mission_takers t WHERE t.mission_id = r.mission_id AND t.person_id = r.person_id))"
        )
        queued = 0
        if status in ("sent", "late"):
            cur = await self.conn.execute(
                "INSERT OR IGNORE INTO outbox (dedup_key, person_id, channel, external_id, locale, kind, "
                "params, priority, not_before, created_at) "
                "SELECT 'reminder:' || r.id, p.id, i.channel, i.external_id, p.locale, :kind, :params, "
                ":priority, :nb, :now FROM json_each(:ids) x JOIN reminders r ON r.id = x.value "
                f"JOIN persons p ON p.id = r.person_id {_IDENTITY} WHERE r.status = 'pending' AND ({still}) "
                "ORDER BY x.key",
                args,
            )
            queued = cur.rowcount
        await self.conn.execute(
            "UPDATE reminders AS r SET status = CASE WHEN " + still + " THEN :status ELSE 'cancelled' END, "
            "handled_at = :now WHERE r.id IN (SELECT value FROM json_each(:ids)) AND r.status = 'pending'",
            args,
        )
        return queued

    async def reminder_counts(self) -> dict[str, int]:
        async with self.conn.execute("SELECT status, count(*) FROM reminders GROUP BY status") as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    # Digests ---------------------------------------------------------------------------

    async def digest_rows(self, programme_id: int) -> dict[date, tuple[int, datetime, str]]:
        async with self.conn.execute(
            "SELECT id, day, due_at, status FROM digests WHERE programme_id = ?", (programme_id,)
        ) as cur:
            return {date.fromisoformat(r[1]): (r[0], from_iso(r[2]), r[3]) for r in await cur.fetchall()}

    async def put_digest(self, programme_id: int, day: date, due_at: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO digests (programme_id, day, due_at) VALUES (?, ?, ?) "
            "ON CONFLICT (programme_id, day) DO UPDATE SET due_at = excluded.due_at WHERE status = 'pending'",
            (programme_id, day.isoformat(), to_iso(due_at)),
        )

    async def next_digest(self) -> datetime | None:
        async with self.conn.execute("SELECT min(due_at) FROM digests WHERE status = 'pending'") as cur:
            row = await cur.fetchone()
        return maybe_iso(row[0]) if row else None

    async def due_digests(self, now: datetime) -> list[DueDigest]:
        async with self.conn.execute(
            "SELECT id, programme_id, day, due_at FROM digests WHERE status = 'pending' AND due_at <= ? "
            "ORDER BY due_at",
            (to_iso(now),),
        ) as cur:
            return [
                DueDigest(r[0], r[1], date.fromisoformat(r[2]), from_iso(r[3])) for r in await cur.fetchall()
            ]

    async def digest_done(self, digest_id: int, status: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE digests SET status = ?, handled_at = ? WHERE id = ?", (status, to_iso(now), digest_id)
        )

    # Milestones ------------------------------------------------------------------------

    async def add_milestone(self, title: str, due_on: date) -> int:
        cur = await self.conn.execute(
            "INSERT INTO milestones (title, due_on, position) VALUES "
            "(?, ?, (SELECT coalesce(max(position), 0) + 1 FROM milestones))",
            (title, due_on.isoformat()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    async def milestones(self) -> list[Milestone]:
        async with self.conn.execute("SELECT * FROM milestones ORDER BY due_on, position, id") as cur:
            return [
                Milestone(
                    r["id"],
                    r["title"],
                    date.fromisoformat(r["due_on"]),
                    maybe_iso(r["done_at"]),
                    r["done_by"],
                    r["position"],
                )
                for r in await cur.fetchall()
            ]

    async def tick(self, milestone_id: int, by: int | None, now: datetime | None) -> bool:
        cur = await self.conn.execute(
            "UPDATE milestones SET done_at = ?, done_by = ? WHERE id = ?",
            (to_iso(now) if now else None, by if now else None, milestone_id),
        )
        return cur.rowcount > 0

    # Figures ---------------------------------------------------------------------------

    async def counts(self) -> dict[str, int]:
        async with self.conn.execute(
            "SELECT (SELECT count(*) FROM events WHERE cancelled_at IS NULL), "
            "(SELECT count(*) FROM events WHERE cancelled_at IS NOT NULL), "
            "(SELECT count(*) FROM registrations WHERE status = 'registered'), "
            "(SELECT count(*) FROM registrations WHERE status = 'waiting'), "
            "(SELECT count(*) FROM registrations WHERE attended_at IS NOT NULL), "
            "(SELECT count(*) FROM programmes), (SELECT count(*) FROM programme_subscribers), "
            "(SELECT count(*) FROM milestones), (SELECT count(*) FROM milestones WHERE done_at IS NOT NULL)"
        ) as cur:
            row = await cur.fetchone()
        assert row is not None
        names = (
            "events",
            "events_cancelled",
            "registered",
            "waiting",
            "attended",
            "programmes",
            "programme_subscribers",
            "milestones",
            "milestones_done",
        )
        return dict(zip(names, (int(v) for v in row), strict=True))


def _seconds(offsets: Sequence[timedelta]) -> str:
    return json.dumps([int(o.total_seconds()) for o in offsets])
