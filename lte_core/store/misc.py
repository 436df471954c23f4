"""Assets, the outbox, dialog state and the adapters' small key-value store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from ..clock import from_iso, to_iso
from ..domain import Asset
from . import _rows
from ._rows import dumps


class AssetRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def add(self, asset: Asset) -> Asset:
        cur = await self.conn.execute(
            "INSERT INTO assets (owner_id, kind, description, themes, availability, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                asset.owner_id,
                asset.kind.value,
                asset.description,
                dumps(asset.themes),
                asset.availability,
                to_iso(asset.created_at),
            ),
        )
        assert cur.lastrowid is not None
        asset.id = cur.lastrowid
        return asset

    async def all(self, *, owner_id: int | None = None) -> list[Asset]:
        sql = "SELECT * FROM assets WHERE withdrawn_at IS NULL" + (" AND owner_id = ?" if owner_id else "")
        async with self.conn.execute(sql + " ORDER BY id", (owner_id,) if owner_id else ()) as cur:
            return [_rows.asset(r) for r in await cur.fetchall()]

    async def withdraw(self, asset_id: int, now: datetime) -> None:
        await self.conn.execute("UPDATE assets SET withdrawn_at = ? WHERE id = ?", (to_iso(now), asset_id))

    async def get(self, asset_id: int) -> Asset | None:
        async with self.conn.execute("SELECT * FROM assets WHERE id = ?", (asset_id,)) as cur:
            r = await cur.fetchone()
        return _rows.asset(r) if r else None


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


def _message(r: aiosqlite.Row) -> OutboxMessage:
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
    def __init__(self, conn: aiosqlite.Connection) -> None:
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


@dataclass
class DialogState:
    flow: str
    step: str
    data: dict[str, Any]
    nonce: str


class DialogStateRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, identity_id: int) -> DialogState | None:
        rows = await self.conn.execute_fetchall(
            "SELECT * FROM dialog_state WHERE identity_id = ?", (identity_id,)
        )
        r = next(iter(rows), None)
        return DialogState(r["flow"], r["step"], json.loads(r["data"]), r["nonce"]) if r else None

    async def save(self, identity_id: int, state: DialogState, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO dialog_state (identity_id, flow, step, data, nonce, updated_at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(identity_id) DO UPDATE SET flow = excluded.flow, step = excluded.step, "
            "data = excluded.data, nonce = excluded.nonce, updated_at = excluded.updated_at",
            (identity_id, state.flow, state.step, dumps(state.data), state.nonce, to_iso(now)),
        )

    async def clear(self, identity_id: int) -> None:
        await self.conn.execute("DELETE FROM dialog_state WHERE identity_id = ?", (identity_id,))


class KvRepo:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def get(self, key: str) -> str | None:
        r = next(iter(await self.conn.execute_fetchall("SELECT value FROM kv WHERE key = ?", (key,))), None)
        return str(r[0]) if r else None

    async def set(self, key: str, value: str) -> None:
        await self.conn.execute(
            "INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def delete(self, key: str) -> None:
        await self.conn.execute("DELETE FROM kv WHERE key = ?", (key,))
