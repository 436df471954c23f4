"""The outbox: every message that is not a direct reply, one row per recipient."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..clock import from_iso, to_iso
from ._rows import Row, dumps
from .conn import Connection


@dataclass
class OutboxMessage:
    """One message to one recipient, rendered in their language when it is sent."""

    dedup_key: str
    channel: str
    external_id: str
    locale: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    person_id: int | None = None
    priority: int = 5
    id: int = 0
    attempts: int = 0


def _message(r: Row) -> OutboxMessage:
    return OutboxMessage(
        r["dedup_key"],
        r["channel"],
        r["external_id"],
        r["locale"],
        r["kind"],
        json.loads(r["params"]),
        r["person_id"],
        r["priority"],
        r["id"],
        r["attempts"],
    )


class OutboxRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.queued = 0  # messages put in this unit of work: the engine wakes the senders only then

    async def put(self, msg: OutboxMessage, now: datetime) -> bool:
        """Queue a message; False when its dedup key was already queued (nothing added)."""
        ts = to_iso(now)
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO outbox (dedup_key, person_id, channel, external_id, locale, kind, params, "
            "priority, not_before, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                msg.dedup_key,
                msg.person_id,
                msg.channel,
                msg.external_id,
                msg.locale,
                msg.kind,
                dumps(msg.params),
                msg.priority,
                ts,
                ts,
            ),
        )
        self.queued += cur.rowcount
        return cur.rowcount > 0

    async def claim(self, channel: str, now: datetime, limit: int) -> list[OutboxMessage]:
        """Take due messages for sending: marked `sending` so a crash leaves them to be retried."""
        msgs = await self._claim("channel = ?", (channel,), now, limit)
        msgs.sort(key=lambda m: (m.priority, m.id))
        return msgs

    async def claim_for(self, channel: str, external_id: str, now: datetime) -> list[OutboxMessage]:
        """Take every due message of one recipient, oldest first."""
        msgs = await self._claim("channel = ? AND external_id = ?", (channel, external_id), now, -1)
        msgs.sort(key=lambda m: m.id)
        return msgs

    async def _claim(
        self, where: str, args: tuple[str, ...], now: datetime, limit: int
    ) -> list[OutboxMessage]:
        async with self.conn.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN ("
            f" SELECT id FROM outbox WHERE {where} AND status = 'pending' AND not_before <= ?"
            " ORDER BY priority, id LIMIT ?) RETURNING *",
            (*args, to_iso(now), limit),
        ) as cur:
            return [_message(r) for r in await cur.fetchall()]

    async def defer(self, msg_id: int, at: datetime, error: str | None = None) -> None:
        """Put a claimed message back for later without counting an attempt (spacing, rate limits)."""
        await self.conn.execute(
            "UPDATE outbox SET status = 'pending', not_before = ?, attempts = max(attempts - 1, 0), "
            "last_error = coalesce(?, last_error) WHERE id = ?",
            (to_iso(at), error[:500] if error else None, msg_id),
        )

    async def sent(self, msg_id: int, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?",
            (to_iso(now), msg_id),
        )

    async def retry(self, msg_id: int, at: datetime, error: str) -> None:
        await self.conn.execute(
            "UPDATE outbox SET status = 'pending', not_before = ?, last_error = ? WHERE id = ?",
            (to_iso(at), error[:500], msg_id),
        )

    async def give_up(self, msg_id: int, status: str, error: str) -> None:
        await self.conn.execute(
            "UPDATE outbox SET status = ?, last_error = ? WHERE id = ?", (status, error[:500], msg_id)
        )

    async def drop_pending_for(self, channel: str, external_id: str, error: str) -> int:
        cur = await self.conn.execute(
            "UPDATE outbox SET status = 'unreachable', last_error = ? "
            "WHERE channel = ? AND external_id = ? AND status IN ('pending', 'sending')",
            (error[:500], channel, external_id),
        )
        return cur.rowcount

    async def requeue_in_flight(self) -> int:
        """After a crash: what was being sent goes back to the queue (sent again at most once)."""
        cur = await self.conn.execute("UPDATE outbox SET status = 'pending' WHERE status = 'sending'")
        return cur.rowcount

    async def next_due(self, channel: str) -> datetime | None:
        async with self.conn.execute(
            "SELECT min(not_before) FROM outbox WHERE channel = ? AND status = 'pending'", (channel,)
        ) as cur:
            row = await cur.fetchone()
        return from_iso(row[0]) if row and row[0] else None

    async def counts(self, channel: str | None = None) -> dict[str, int]:
        sql = (
            "SELECT status, count(*) FROM outbox"
            + (" WHERE channel = ?" if channel else "")
            + " GROUP BY status"
        )
        async with self.conn.execute(sql, (channel,) if channel else ()) as cur:
            return {r[0]: r[1] for r in await cur.fetchall()}

    async def for_recipient(
        self, channel: str, external_id: str, status: str | None = None
    ) -> list[OutboxMessage]:
        sql = "SELECT * FROM outbox WHERE channel = ? AND external_id = ?" + (
            " AND status = ?" if status else ""
        )
        args: tuple[object, ...] = (channel, external_id, status) if status else (channel, external_id)
        async with self.conn.execute(sql + " ORDER BY id", args) as cur:
            rows = await cur.fetchall()
        return [_message(r) for r in rows]
