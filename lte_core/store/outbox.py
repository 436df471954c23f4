"""The outbox: every message that is not a direct reply, one row per recipient."""

from __future__ import annotations

import json
from collections.abc import Sequence
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


# One recipient's rows, through the index by person (the identity gives the person; rows queued
# without a person are few): an index on the external id would cost every broadcast row.
_RECIPIENT = (
    "id IN (SELECT id FROM outbox WHERE person_id IN (SELECT person_id FROM identities "
    "WHERE channel = :channel AND external_id = :ext) UNION ALL SELECT id FROM outbox WHERE person_id IS NULL) "
    "AND channel = :channel AND external_id = :ext"
)


_PUT_MANY = (
    "INSERT OR IGNORE INTO outbox (dedup_key, person_id, channel, external_id, locale, kind, "
    "params, priority, not_before, created_at) "
    "SELECT :key || ':p' || p.id, p.id, i.channel, i.external_id, p.locale, :kind, :params, :priority, :now, :now "
    "FROM json_each(:ids) r JOIN persons p ON p.id = r.value "
    # The reachable identity seen last, first in its index: no sort per person.
    "JOIN identities i ON i.id = (SELECT j.id FROM identities j INDEXED BY identities_reachable "
    "WHERE j.person_id = p.id AND j.unreachable_at IS NULL "
    "ORDER BY j.last_seen_at DESC NULLS LAST, j.id DESC LIMIT 1) "
    "ORDER BY r.key"
)


# Above this many recipients, a broadcast is queued as one fan-out row and expanded afterwards.
FANOUT_AT = 1000
FANOUT_CHUNK = 500  # outbox rows written per expanding transaction (≈ 5 ms: what a conversation may wait)

# Who a broadcast will add a row for (the ids are distinct): reachable, and, when some of its rows
# exist already (the same cause again), not sent this one yet.
_COUNT_REACHABLE = (
    "SELECT count(*) FROM json_each(:ids) r WHERE EXISTS (SELECT 1 FROM identities j "
    "INDEXED BY identities_reachable WHERE j.person_id = r.value AND j.unreachable_at IS NULL)"
)
_COUNT_NEW = _COUNT_REACHABLE + (
    " AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.dedup_key = :key || ':p' || r.value)"
)
_ANY_OF_KEY = "SELECT 1 FROM outbox WHERE dedup_key >= :key || ':p' AND dedup_key < :key || ':q' LIMIT 1"


# What `requeue_in_flight` writes in `last_error`: the row was in the air when its sender died.
REQUEUED = "in flight when its sender was stopped: queued again (it may arrive twice)"
GIVEN_UP = "in flight at two stops of its sender: given up, not sent a third time (it may have arrived twice)"


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

    async def put_many(
        self,
        person_ids: Sequence[int],
        *,
        key: str,
        kind: str,
        params: dict[str, Any],
        priority: int,
        now: datetime,
    ) -> int:
        """Queue one message to each of these people, set-based, at the identity they used
        last among those still reachable (as `PeopleRepo.reachable_identity`), in their
        language, with the dedup key `{key}:p{person_id}`; someone with no reachable identity
        gets nothing. The rows are numbered in the order of `person_ids`. Returns how many
        were added (those already queued under their key are not). One statement: a crowd
        (above FANOUT_AT) goes through `fan_out` instead, a chunk per transaction."""
        args = {
            "key": key,
            "kind": kind,
            "params": dumps(params),
            "priority": priority,
            "now": to_iso(now),
            "ids": json.dumps(list(person_ids)),
        }
        added = (await self.conn.execute(_PUT_MANY, args)).rowcount
        self.queued += added
        return added

    async def fan_out(
        self,
        person_ids: Sequence[int],
        *,
        key: str,
        kind: str,
        params: dict[str, Any],
        priority: int,
        now: datetime,
    ) -> int:
        """Queue a broadcast to many (distinct) people as one row, expanded later by
        `expand_fanout` into what `put_many` would have written. Returns how many messages it
        adds: the people who can be reached and were not sent this one already."""
        ids = json.dumps(list(person_ids))
        async with self.conn.execute(_ANY_OF_KEY, {"key": key}) as cur:
            again = await cur.fetchone() is not None
        async with self.conn.execute(
            _COUNT_NEW if again else _COUNT_REACHABLE, {"ids": ids, "key": key}
        ) as counted:
            row = await counted.fetchone()
        count = int(row[0]) if row else 0
        if not count:
            return 0
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO outbox_fanout (dedup_key, kind, params, priority, recipients, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (key, kind, dumps(params), priority, ids, to_iso(now)),
        )
        if not cur.rowcount:  # the same broadcast is still being expanded: these rows go now
            return await self.put_many(
                person_ids, key=key, kind=kind, params=params, priority=priority, now=now
            )
        self.queued += count
        return count

    async def expand_fanout(self, limit: int = FANOUT_CHUNK) -> bool:
        """Write the outbox rows of the next `limit` recipients of the oldest broadcast waiting
        to be expanded; False when none waits. Idempotent: a row already queued is kept."""
        async with self.conn.execute(
            "SELECT id, dedup_key, kind, params, priority, recipients, next_index, created_at "
            "FROM outbox_fanout ORDER BY id LIMIT 1"
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return False
        recipients = json.loads(row["recipients"])
        start = int(row["next_index"])
        chunk = recipients[start : start + limit]
        args = {
            "key": row["dedup_key"],
            "kind": row["kind"],
            "params": row["params"],
            "priority": row["priority"],
            "now": row["created_at"],
            "ids": json.dumps(chunk),
        }
        if chunk:
            await self.conn.execute(_PUT_MANY, args)
        self.queued += 1  # something new to send: the engine's caller wakes the senders
        if start + limit >= len(recipients):
            await self.conn.execute("DELETE FROM outbox_fanout WHERE id = ?", (row["id"],))
        else:
            await self.conn.execute(
                "UPDATE outbox_fanout SET next_index = ? WHERE id = ?", (start + limit, row["id"])
            )
        return True

    async def fanouts_waiting(self) -> int:
        async with self.conn.execute("SELECT count(*) FROM outbox_fanout") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def due(self, channel: str, now: datetime, limit: int) -> list[OutboxMessage]:
        """The next due messages in sending order, read only: nothing is marked, so what is read
        ahead and not sent yet is still `pending` if the process dies (see `start`)."""
        async with self.conn.execute(
            "SELECT * FROM outbox INDEXED BY outbox_claim WHERE channel = ? AND status = 'pending'"
            " AND not_before <= ? ORDER BY priority, id LIMIT ?",
            (channel, to_iso(now), limit),
        ) as cur:
            return [_message(r) for r in await cur.fetchall()]

    async def start(self, ids: Sequence[int]) -> set[int]:
        """Mark these messages `sending`, an attempt counted, just before they go out; returns the
        ids that were still pending (a message dropped meanwhile is not sent)."""
        if not ids:
            return set()
        async with self.conn.execute(
            "UPDATE outbox SET status = 'sending', attempts = attempts + 1 "
            "WHERE id IN (SELECT value FROM json_each(?)) AND status = 'pending' RETURNING id",
            (json.dumps(list(ids)),),
        ) as cur:
            return {int(r[0]) for r in await cur.fetchall()}

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
            # The index of pending rows in claim order: read until the batch is full, no sort.
            f" SELECT id FROM outbox INDEXED BY outbox_claim WHERE {where} AND status = 'pending'"
            " AND not_before <= ?"
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
            f"UPDATE outbox SET status = 'unreachable', last_error = :error WHERE {_RECIPIENT} "
            "AND status IN ('pending', 'sending')",
            {"error": error[:500], "channel": channel, "ext": external_id},
        )
        return cur.rowcount

    async def requeue_in_flight(self, channel: str | None = None) -> tuple[int, int]:
        """At start, what a killed sender left `sending` (it may have gone out): queued again,
        once; found `sending` a second time, given up as failed rather than sent a third time.
        Returns (requeued, given up). Only `channel`'s rows when given: another channel's sender
        may be running."""
        where = "status = 'sending'" + (" AND channel = :channel" if channel else "")
        async with self.conn.execute(
            # One statement: the expressions all read the row as it was before.
            "UPDATE outbox SET status = CASE WHEN interrupted > 0 THEN 'failed' ELSE 'pending' END, "
            "last_error = CASE WHEN interrupted > 0 THEN :given_up ELSE :requeued END, "
            f"interrupted = interrupted + 1 WHERE {where} RETURNING status",
            {"channel": channel, "given_up": GIVEN_UP, "requeued": REQUEUED},
        ) as cur:
            statuses = [r[0] for r in await cur.fetchall()]
        given_up = statuses.count("failed")
        return len(statuses) - given_up, given_up

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
            found = {r[0]: r[1] for r in await cur.fetchall()}
        # Rows pruned by the retention (or erased with their person) still count.
        pruned = "SELECT status, sum(count) FROM outbox_pruned" + (" WHERE channel = ?" if channel else "")
        async with self.conn.execute(pruned + " GROUP BY status", (channel,) if channel else ()) as cur:
            for status, count in await cur.fetchall():
                if count:
                    found[status] = found.get(status, 0) + int(count)
        return found

    async def for_recipient(
        self, channel: str, external_id: str, status: str | None = None
    ) -> list[OutboxMessage]:
        sql = f"SELECT * FROM outbox WHERE {_RECIPIENT}" + (" AND status = :status" if status else "")
        args = {"channel": channel, "ext": external_id, "status": status}
        async with self.conn.execute(sql + " ORDER BY id", args) as cur:
            rows = await cur.fetchall()
        return [_message(r) for r in rows]

    async def bundle(
        self,
        person_id: int,
        *,
        prefix: str,
        params: dict[str, Any],
        delta: int,
        window: str = "",
        kind: str = "",
        priority: int = 5,
        not_before: datetime | None = None,
        now: datetime | None = None,
        field: str = "count",
    ) -> int:
        """One pending message to one person that gathers what happens meanwhile (« 3 people now
        support your need »), rather than one message per event; its params' `field` counts them.

        `delta` > 0: queued under the key `prefix + window`, due at `not_before`, at the
        identity they used last among those still reachable (as `put_many`), or, when that key is
        still pending, its `field` raised by `delta` and its other params replaced by these, in one
        statement (`INSERT … ON CONFLICT(dedup_key) DO UPDATE`). `delta` < 0: the latest message
        of `prefix` still pending is lowered and its other params replaced; at 0 it is dropped,
        nothing is sent (`window`, `kind`, `not_before`, `now` are not used then). Returns the
        count now pending (0 when none is)."""
        if delta > 0:
            if not_before is None or now is None or not kind:
                raise ValueError("a message queued needs its kind, not_before and now")
            async with self.conn.execute(
                "INSERT INTO outbox (dedup_key, person_id, channel, external_id, locale, kind, params, "
                "priority, not_before, created_at) "
                "SELECT :key, p.id, i.channel, i.external_id, p.locale, :kind, :params, :priority, "
                ":not_before, :now FROM persons p "
                "JOIN identities i ON i.id = (SELECT j.id FROM identities j INDEXED BY identities_reachable "
                "WHERE j.person_id = p.id AND j.unreachable_at IS NULL "
                "ORDER BY j.last_seen_at DESC NULLS LAST, j.id DESC LIMIT 1) "
                "WHERE p.id = :person "
                "ON CONFLICT (dedup_key) DO UPDATE SET params = json_set(json_patch(outbox.params, "
                "excluded.params), '$.' || :field, "
                "coalesce(json_extract(outbox.params, '$.' || :field), 0) + :delta) "
                "WHERE outbox.status = 'pending' "
                "RETURNING json_extract(params, '$.' || :field)",
                {
                    "key": prefix + window,
                    "person": person_id,
                    "kind": kind,
                    "params": dumps({**params, field: delta}),
                    "priority": priority,
                    "not_before": to_iso(not_before),
                    "now": to_iso(now),
                    "field": field,
                    "delta": delta,
                },
            ) as cur:
                row = await cur.fetchone()
            if row is None:  # unreachable, or that window's message went already
                return 0
            self.queued += 1
            return int(row[0])
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        async with self.conn.execute(
            "UPDATE outbox SET params = json_set(json_patch(params, :params), '$.' || :field, "
            "coalesce(json_extract(params, '$.' || :field), 0) + :delta) "
            "WHERE id = (SELECT max(id) FROM outbox WHERE dedup_key >= :prefix AND dedup_key < :end "
            "AND status = 'pending') RETURNING id, json_extract(params, '$.' || :field)",
            {"params": dumps(params), "field": field, "delta": delta, "prefix": prefix, "end": end},
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return 0
        if int(row[1]) <= 0:
            await self.conn.execute("DELETE FROM outbox WHERE id = ? AND status = 'pending'", (row[0],))
            return 0
        return int(row[1])
