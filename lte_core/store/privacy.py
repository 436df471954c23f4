"""What the database keeps about a person, read out and erased, driven by `personal`; reports,
hidden items and blocked persons; the retention of dialog states and delivered messages.

Erased means gone from the file (DESIGN §8): the writer runs with `secure_delete` (freed cells
and pages are zeroed), the full-text index is merged after a text is withdrawn (its old segments
go), and `scrub_file` checkpoints the WAL with TRUNCATE, so that neither the `-wal` nor the main
file keeps an older copy of a page."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ..clock import to_iso
from .conn import Connection
from .db import Database
from .personal import (
    ERASURE,
    EXTERNAL_ID_COLUMNS,
    IDENTITY_COLUMNS,
    PERSON_COLUMNS,
    PERSONS_IN_KV,
    personal_tables,
)

ItemKind = Literal["need", "asset", "mission"]
ITEM_KINDS: tuple[ItemKind, ...] = ("need", "asset", "mission")
REASONS = ("spam", "offensive", "misplaced")
# Each kind of item: its table and the column naming its author.
ITEM_TABLES: dict[str, tuple[str, str]] = {
    "need": ("needs", "author_id"),
    "asset": ("assets", "owner_id"),
    "mission": ("missions", "created_by"),
}


def _plain(value: Any) -> Any:
    """A stored value as JSON can hold it (a blob is said to be one, never dumped)."""
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def _as_shown(text: str) -> str:
    """A text as a question saved in a dialog state holds it: escaped as the replies' markup is
    (markupsafe's entities)."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        text = text.replace(char, entity)
    return text


def _q(name: str) -> str:
    """A table or column name from the registry, quoted (never user input)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Erased:
    """What an erasure removed: rows per table (deleted or emptied), identities and needs kept."""

    rows: dict[str, int]
    identities: int
    needs_kept: int
    texts_withdrawn: int


class PrivacyRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def _identity_ids(self, person_id: int) -> list[tuple[int, str, str]]:
        rows = await self.conn.execute_fetchall(
            "SELECT id, channel, external_id FROM identities WHERE person_id = ? ORDER BY id", (person_id,)
        )
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    async def rows_of(self, person_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row of every table in the registry that holds this person or one of their
        identities, whole, by table (the tables that hold nothing of them are there, empty)."""
        idents = [i for i, _, _ in await self._identity_ids(person_id)]
        out: dict[str, list[dict[str, Any]]] = {}
        for table in personal_tables():
            clauses: list[str] = []
            args: list[object] = []
            for column in PERSON_COLUMNS.get(table, ()):
                clauses.append(f"{_q(column)} = ?")
                args.append(person_id)
            for column in IDENTITY_COLUMNS.get(table, ()):
                if idents:
                    clauses.append(f"{_q(column)} IN ({','.join('?' * len(idents))})")
                    args.extend(idents)
            if not clauses:
                out[table] = []
                continue
            rows = await self.conn.execute_fetchall(
                f"SELECT * FROM {_q(table)} WHERE {' OR '.join(clauses)}", tuple(args)
            )
            out[table] = [{k: _plain(r[k]) for k in r.keys()} for r in rows]
        return out

    async def fanouts_for(self, person_id: int) -> list[dict[str, Any]]:
        """Broadcasts not yet turned into their outbox rows that will reach this person."""
        found = []
        for r in await self.conn.execute_fetchall(
            "SELECT id, kind, params, recipients, next_index, created_at FROM outbox_fanout ORDER BY id"
        ):
            recipients = json.loads(r["recipients"])
            if person_id in recipients[int(r["next_index"]) :]:
                found.append(
                    {"kind": r["kind"], "params": json.loads(r["params"]), "created_at": r["created_at"]}
                )
        return found

    async def erase(
        self, person_id: int, *, withdraw_texts: bool, now: datetime, keep_identity: bool = False
    ) -> Erased:
        """Erase a person: every row the registry names is deleted or loses its column; their
        needs stay without author (their texts emptied too if `withdraw_texts`). Runs in the
        caller's transaction; `scrub_file` after the commit takes the old pages out of the file.

        `keep_identity`: a withdrawn consent. What the consent allowed goes the same way, but the
        person stays as before any consent: their chat identities (the channel id only) and the
        conversation in progress, a person row with no name, place or interest."""
        counts: dict[str, int] = {}
        idents = await self._identity_ids(person_id)
        ident_ids = [i for i, _, _ in idents]
        first = await self.conn.execute_fetchall("SELECT first_name FROM persons WHERE id = ?", (person_id,))
        first_name = first[0][0] if first else None

        async def run(table: str, sql: str, args: tuple[object, ...]) -> None:
            cur = await self.conn.execute(sql, args)
            counts[table] = counts.get(table, 0) + max(cur.rowcount, 0)

        # What the delivered rows were still counts in the figures (they name nobody).
        await self.conn.execute(
            "INSERT INTO outbox_pruned (channel, status, count) "
            "SELECT channel, status, count(*) FROM outbox WHERE person_id = ? AND status = 'sent' "
            "GROUP BY channel, status "
            "ON CONFLICT(channel, status) DO UPDATE SET count = count + excluded.count",
            (person_id,),
        )
        needs_kept = len(
            await self.conn.execute_fetchall("SELECT id FROM needs WHERE author_id = ?", (person_id,))
        )
        withdrawn = 0
        if withdraw_texts:
            withdrawn = await self._withdraw_texts(person_id, now)
        else:
            # The need stays as it was said, without where its author stood when they said it.
            await self.conn.execute(
                "UPDATE needs SET lat = NULL, lon = NULL WHERE author_id = ?", (person_id,)
            )
        # Their first name in the notices queued for others (« Alice took a place »).
        if first_name:
            await self.conn.execute(
                "UPDATE outbox SET params = json_set(params, '$.who', '') "
                "WHERE kind = 'mission_taken' AND json_extract(params, '$.who') = ?",
                (first_name,),
            )
        if keep_identity:
            idents_kept, idents = idents, []
            ident_ids = []
            await self.conn.execute(
                "UPDATE identities SET display_name = NULL WHERE person_id = ?", (person_id,)
            )
            for _, channel, external in idents_kept:
                await run(
                    "outbox", "DELETE FROM outbox WHERE channel = ? AND external_id = ?", (channel, external)
                )
        # The identities' rows first (by id, then by external id), then the person's, then them.
        for table, columns in IDENTITY_COLUMNS.items():
            for column in columns:
                if ident_ids:
                    marks = ",".join("?" * len(ident_ids))
                    await run(table, self._erase_sql(table, column, f"IN ({marks})"), tuple(ident_ids))
        for table, (channel_col, ext_col) in EXTERNAL_ID_COLUMNS.items():
            for _, channel, external in idents:
                # A quoted channel is a table of one channel's accounts ('matrix').
                where = channel_col if channel_col.startswith("'") else _q(channel_col)
                await run(
                    table,
                    f"DELETE FROM {_q(table)} WHERE {where} = ? AND {_q(ext_col)} = ?",
                    (channel, external),
                )
        for _, channel, external in idents:
            for pattern in PERSONS_IN_KV:
                key = pattern.format(channel=channel, external_id=external, person_id=person_id)
                await run("kv", "DELETE FROM kv WHERE key = ?", (key,))
        last = ("identities", "persons")
        for table, columns in PERSON_COLUMNS.items():
            if table in last:
                continue
            for column in columns:
                await run(table, self._erase_sql(table, column, "= ?"), (person_id,))
        await self._erase_from_fanouts(person_id)
        if keep_identity:
            await self.conn.execute(
                "UPDATE persons SET first_name = NULL, place = NULL, interests = '[]', consented_at = NULL "
                "WHERE id = ?",
                (person_id,),
            )
        else:
            for table in last:
                for column in PERSON_COLUMNS[table]:
                    await run(table, self._erase_sql(table, column, "= ?"), (person_id,))
        if withdrawn:
            # The full-text index keeps what it deleted in its older segments until they are
            # merged: merged now, the withdrawn words leave the file with the pages they were in.
            await self.conn.execute("INSERT INTO needs_fts(needs_fts) VALUES ('optimize')")
        return Erased(counts, 0 if keep_identity else len(idents), needs_kept, withdrawn)

    @staticmethod
    def _erase_sql(table: str, column: str, match: str) -> str:
        how = ERASURE[table][column]  # a KeyError here is a column the registry forgot to rule on
        if how == "null":
            return f"UPDATE {_q(table)} SET {_q(column)} = NULL WHERE {_q(column)} {match}"
        return f"DELETE FROM {_q(table)} WHERE {_q(column)} {match}"

    async def _withdraw_texts(self, person_id: int, now: datetime) -> int:
        """Their needs' texts, places, positions and photos emptied; an open one is withdrawn."""
        rows = await self.conn.execute_fetchall(
            "SELECT id, status, text FROM needs WHERE author_id = ?", (person_id,)
        )
        ts = to_iso(now)
        for r in rows:
            await self._forget_text_elsewhere(int(r["id"]), str(r["text"]))
        closed = ("realised", "withdrawn", "merged", "declined")
        for r in rows:
            if r["status"] not in closed:
                await self.conn.execute(
                    "INSERT INTO need_moves (need_id, from_status, to_status, actor_id, note, at) "
                    "VALUES (?, ?, 'withdrawn', NULL, NULL, ?)",
                    (r["id"], r["status"], ts),
                )
                await self.conn.execute("UPDATE needs SET status = 'withdrawn' WHERE id = ?", (r["id"],))
        await self.conn.execute(
            "UPDATE needs SET text = '', stems = '', place = NULL, lat = NULL, lon = NULL, photo_ref = NULL, "
            "updated_at = ? WHERE author_id = ?",
            (ts, person_id),
        )
        return len(rows)

    async def _forget_text_elsewhere(self, need_id: int, text: str) -> None:
        """A withdrawn text also leaves what others were shown: the notices waiting for them that
        quote it, and the questions their conversations wait at (a list or a card of the need:
        such a conversation starts afresh)."""
        for field, kind_clause in (
            ("text", ""),
            ("excerpt", " AND json_extract(params, '$.item_kind') = 'need'"),
        ):
            key = "need_id" if field == "text" else "item_id"
            await self.conn.execute(
                f"UPDATE outbox SET params = json_set(params, '$.{field}', '') "
                f"WHERE json_extract(params, '$.{key}') = ? AND json_extract(params, '$.{field}') <> ''"
                + kind_clause,
                (need_id,),
            )
        ref = f"<b>B-{need_id}</b>"
        shown = _as_shown(" ".join(text.split())[:40])
        await self.conn.execute(
            "DELETE FROM dialog_state WHERE instr(data, ?) > 0 OR (length(?) >= 12 AND instr(data, ?) > 0)",
            (ref, shown, shown),
        )

    async def _erase_from_fanouts(self, person_id: int) -> None:
        for r in await self.conn.execute_fetchall("SELECT id, recipients, next_index FROM outbox_fanout"):
            recipients = json.loads(r["recipients"])
            if person_id not in recipients:
                continue
            done = int(r["next_index"])
            before = sum(1 for p in recipients[:done] if p == person_id)
            kept = [p for p in recipients if p != person_id]
            await self.conn.execute(
                "UPDATE outbox_fanout SET recipients = ?, next_index = ? WHERE id = ?",
                (json.dumps(kept), done - before, r["id"]),
            )

    # Anonymous exports --------------------------------------------------------------------

    async def pseudonym_key(self) -> bytes:
        rows = await self.conn.execute_fetchall("SELECT key FROM pseudonym_key WHERE id = 1")
        if not rows:  # cannot happen after 0013; never fall back to an unkeyed hash
            raise RuntimeError("the pseudonym key is missing")
        return bytes(rows[0][0])

    # Retention ----------------------------------------------------------------------------

    async def oldest_dialog(self) -> str | None:
        rows = await self.conn.execute_fetchall("SELECT min(updated_at) FROM dialog_state")
        return rows[0][0] if rows else None

    async def clear_dialogs_before(self, before: datetime) -> int:
        cur = await self.conn.execute("DELETE FROM dialog_state WHERE updated_at < ?", (to_iso(before),))
        return max(cur.rowcount, 0)

    async def oldest_delivered(self) -> str | None:
        rows = await self.conn.execute_fetchall(
            "SELECT min(sent_at) FROM outbox INDEXED BY outbox_delivered WHERE status = 'sent'"
        )
        return rows[0][0] if rows else None

    async def prune_delivered_before(self, before: datetime, limit: int = 5000) -> int:
        """Delivered rows older than `before`, a chunk at a time; their count stays in the figures."""
        ts = to_iso(before)
        ids = [
            r[0]
            for r in await self.conn.execute_fetchall(
                "SELECT id FROM outbox INDEXED BY outbox_delivered WHERE status = 'sent' AND sent_at < ? "
                "ORDER BY sent_at LIMIT ?",
                (ts, limit),
            )
        ]
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        await self.conn.execute(
            "INSERT INTO outbox_pruned (channel, status, count) "
            f"SELECT channel, status, count(*) FROM outbox WHERE id IN ({marks}) GROUP BY channel, status "
            "ON CONFLICT(channel, status) DO UPDATE SET count = count + excluded.count",
            tuple(ids),
        )
        cur = await self.conn.execute(f"DELETE FROM outbox WHERE id IN ({marks})", tuple(ids))
        return max(cur.rowcount, 0)


@dataclass
class ReportedItem:
    kind: str
    item_id: int
    author_id: int | None
    reports: int
    reasons: dict[str, int]
    hidden: bool


class ModerationRepo:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def add_report(self, kind: str, item_id: int, reporter_id: int, reason: str, now: datetime) -> bool:
        """One report per person and item, ever: False when this person had reported it."""
        cur = await self.conn.execute(
            "INSERT OR IGNORE INTO reports (item_kind, item_id, reporter_id, reason, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (kind, item_id, reporter_id, reason, to_iso(now)),
        )
        return cur.rowcount > 0

    async def open_count(self, kind: str, item_id: int) -> int:
        rows = await self.conn.execute_fetchall(
            "SELECT count(*) FROM reports WHERE item_kind = ? AND item_id = ? AND cleared_at IS NULL",
            (kind, item_id),
        )
        return int(rows[0][0])

    async def author_of(self, kind: str, item_id: int) -> tuple[bool, int | None, bool]:
        """(the item exists, its author, whether it is hidden)."""
        table, column = ITEM_TABLES[kind]
        rows = await self.conn.execute_fetchall(
            f"SELECT {column}, hidden_at FROM {table} WHERE id = ?", (item_id,)
        )
        if not rows:
            return False, None, False
        return True, rows[0][0], rows[0][1] is not None

    async def set_hidden(self, kind: str, item_id: int, now: datetime | None) -> bool:
        """Hide (`now`) or show again (None); True when it changed."""
        table, _ = ITEM_TABLES[kind]
        if now is None:
            sql, args = (
                f"UPDATE {table} SET hidden_at = NULL WHERE id = ? AND hidden_at IS NOT NULL",
                (item_id,),
            )
        else:
            sql = f"UPDATE {table} SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL"
            args = (to_iso(now), item_id)  # type: ignore[assignment]
        cur = await self.conn.execute(sql, args)
        return cur.rowcount > 0

    async def clear_reports(self, kind: str, item_id: int, now: datetime) -> int:
        cur = await self.conn.execute(
            "UPDATE reports SET cleared_at = ? WHERE item_kind = ? AND item_id = ? AND cleared_at IS NULL",
            (to_iso(now), kind, item_id),
        )
        return max(cur.rowcount, 0)

    async def reported(self, limit: int = 50) -> list[ReportedItem]:
        """Items with reports not cleared, and hidden items: hidden first, most reported first."""
        found: dict[tuple[str, int], ReportedItem] = {}
        for r in await self.conn.execute_fetchall(
            "SELECT item_kind, item_id, reason, count(*) FROM reports WHERE cleared_at IS NULL "
            "GROUP BY item_kind, item_id, reason"
        ):
            key = (str(r[0]), int(r[1]))
            item = found.setdefault(key, ReportedItem(key[0], key[1], None, 0, {}, False))
            item.reasons[str(r[2])] = int(r[3])
            item.reports += int(r[3])
        for kind, (table, column) in ITEM_TABLES.items():
            for r in await self.conn.execute_fetchall(
                f"SELECT id, {column} FROM {table} WHERE hidden_at IS NOT NULL"
            ):
                found.setdefault((kind, int(r[0])), ReportedItem(kind, int(r[0]), None, 0, {}, True))
        items = []
        for (kind, item_id), item in found.items():
            exists, author, hidden = await self.author_of(kind, item_id)
            if not exists:
                continue
            item.author_id, item.hidden = author, hidden
            items.append(item)
        items.sort(key=lambda i: (not i.hidden, -i.reports, i.kind, i.item_id))
        return items[:limit]

    async def block(self, person_id: int, now: datetime) -> bool:
        cur = await self.conn.execute(
            "UPDATE persons SET blocked_at = ? WHERE id = ? AND blocked_at IS NULL", (to_iso(now), person_id)
        )
        return cur.rowcount > 0

    async def unblock(self, person_id: int) -> bool:
        cur = await self.conn.execute(
            "UPDATE persons SET blocked_at = NULL WHERE id = ? AND blocked_at IS NOT NULL", (person_id,)
        )
        return cur.rowcount > 0


async def scrub_file(db: Database, *, attempts: int = 50) -> bool:
    """After an erasure's commit: copy the WAL into the file and empty it (TRUNCATE), so that no
    older copy of an erased page stays in the `-wal`. Waits for the reader to be between
    transactions; True when the WAL was emptied (another process reading may keep it a while)."""
    for _ in range(attempts):
        async with db.read_lock, db.lock:
            rows = db.conn.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        if rows and int(rows[0][0]) == 0:
            return True
        await asyncio.sleep(0.1)
    return False
