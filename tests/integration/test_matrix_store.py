"""The Matrix adapter's state on a real SQLite file: migration 0003 moves what the earlier
versions kept in `kv` into tables of its own, and a person's rows go with their identity."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bots.matrix.store import MatrixStore, Session
from lte_core.store import Database, UnitOfWork
from lte_core.store.db import migrations

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
OPTIONS = [["ab12.1", "Français"], ["ab12.2", "English"]]
# Exactly what the kv-based MatrixStore wrote.
OLD_KV = {
    "matrix.session": json.dumps({"user_id": "@bot:hs", "device_id": "DEVICE", "access_token": "syt_abc"}),
    "matrix.next_batch": "s72_1_0",
    "matrix.epoch_ms": "1764000000000",
    "matrix.dm.@ada:hs": "!ada-room:hs",
    "matrix.dm.@bob:hs": "!bob-room:hs",
    "matrix.declined.@carl:hs": "1",
    "matrix.opts.!ada-room:hs": json.dumps(OPTIONS, ensure_ascii=False),
    "telegram.bot_username": "lte_bot",  # not the Matrix adapter's: stays
    "poll.matrix.$start": "poll:1",  # the engine's: stays
}


def database_before_0003(path: Path) -> None:
    """A database as the versions before migration 0003 left it, with a Matrix person (Ada)."""
    raw = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number < 3:
            raw.executescript(sql + f"\nPRAGMA user_version = {number};")
    raw.execute("INSERT INTO persons (locale, created_at) VALUES ('fr', '2026-01-01T00:00:00+00:00')")
    raw.execute("INSERT INTO identities (person_id, channel, external_id) VALUES (1, 'matrix', '@ada:hs')")
    raw.executemany("INSERT INTO kv (key, value) VALUES (?, ?)", OLD_KV.items())
    raw.commit()
    raw.close()


async def test_the_kv_rows_of_the_matrix_adapter_move_into_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    database_before_0003(path)
    async with Database(path) as db:
        async with db.conn.execute("SELECT key FROM kv ORDER BY key") as cur:
            assert [r[0] for r in await cur.fetchall()] == ["poll.matrix.$start", "telegram.bot_username"]
        async with db.conn.execute(
            "SELECT user_id, room_id, identity_id FROM matrix_direct_rooms ORDER BY user_id"
        ) as cur:
            assert [tuple(r) for r in await cur.fetchall()] == [
                ("@ada:hs", "!ada-room:hs", 1),
                ("@bob:hs", "!bob-room:hs", None),  # no identity (yet): kept all the same
            ]

        store = MatrixStore(db)
        assert await store.session() == Session("@bot:hs", "DEVICE", "syt_abc", "s72_1_0")
        assert await store.begin_history(1_800_000_000_000) == 1_764_000_000_000  # kept, not reset
        assert await store.dm_room("@ada:hs") == "!ada-room:hs"
        assert await store.declined("@carl:hs") and not await store.declined("@ada:hs")
        assert await store.options("!ada-room:hs") == OPTIONS
        assert await store.options("!bob-room:hs") == []

        # A fresh store (a restart) reads what the last one wrote.
        await store.save_token("s80_2_0")
        await store.set_declined("@carl:hs", False)
        await store.set_options("!ada-room:hs", [])
        again = MatrixStore(db)
        assert (await again.session()).next_batch == "s80_2_0"
        assert not await again.declined("@carl:hs")
        assert await again.options("!ada-room:hs") == []


async def test_an_empty_kv_migrates_to_empty_tables(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path)
    for number, _name, sql in migrations():
        if number < 3:
            raw.executescript(sql + f"\nPRAGMA user_version = {number};")
    raw.execute("INSERT INTO kv (key, value) VALUES ('matrix.session', 'not json')")
    raw.commit()
    raw.close()
    async with Database(path) as db:
        assert await MatrixStore(db).session() == Session()
        async with db.conn.execute("SELECT count(*) FROM kv") as cur:
            assert (await cur.fetchone())[0] == 0  # type: ignore[index]


async def test_another_account_starts_afresh_and_the_same_one_keeps_its_sync(tmp_path: Path) -> None:
    async with Database(tmp_path / "new.sqlite3") as db:
        store = MatrixStore(db)
        assert await store.session() == Session()
        await store.save_session("@bot:hs", "D1", "tok1")
        assert await store.begin_history(1000) == 1000
        await store.save_token("s1")
        await store.save_session("@bot:hs", "D1", "tok2")  # logged in again: same device
        assert await MatrixStore(db).session() == Session("@bot:hs", "D1", "tok2", "s1")
        assert await store.begin_history(2000) == 1000

        await store.save_session("@other:hs", "D9", "tok9")
        fresh = MatrixStore(db)
        assert await fresh.session() == Session("@other:hs", "D9", "tok9", None)
        assert await fresh.begin_history(3000) == 3000
        async with db.conn.execute("SELECT count(*) FROM matrix_account") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]


async def test_a_persons_matrix_rows_go_with_their_identity(tmp_path: Path) -> None:
    async with Database(tmp_path / "new.sqlite3") as db:
        async with UnitOfWork(db) as uow:
            _person, ada = await uow.people.add("matrix", "@ada:hs", locale="fr", now=NOW)
        store = MatrixStore(db)
        await store.set_dm_room("@ada:hs", "!a:hs")
        await store.set_declined("@ada:hs", True)
        await store.set_options("!a:hs", OPTIONS)
        await store.set_dm_room("@eve:hs", "!e:hs")  # no identity: not tied to anyone
        await store.set_options("!group:hs", OPTIONS)  # a room of several people: nobody's own
        async with db.conn.execute(
            "SELECT identity_id FROM matrix_direct_rooms WHERE user_id = '@ada:hs' "
            "UNION ALL SELECT identity_id FROM matrix_declined_invites WHERE user_id = '@ada:hs'"
        ) as cur:
            assert [r[0] for r in await cur.fetchall()] == [ada.id, ada.id]

        async with UnitOfWork(db) as uow:  # what forgetting a person will do
            await uow.db.conn.execute("DELETE FROM identities WHERE id = ?", (ada.id,))
        fresh = MatrixStore(db)
        assert await fresh.dm_room("@ada:hs") is None and not await fresh.declined("@ada:hs")
        assert await fresh.options("!a:hs") == []
        assert await fresh.dm_room("@eve:hs") == "!e:hs"
        assert await fresh.options("!group:hs") == OPTIONS

        assert await store.forget_dm_room("@eve:hs", "!other:hs") is False  # not theirs any more
        assert await store.forget_dm_room("@eve:hs", "!e:hs") is True
        assert await MatrixStore(db).dm_room("@eve:hs") is None
