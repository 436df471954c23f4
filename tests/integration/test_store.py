"""The SQLite store on real files: migrations, pragmas, similar-need search, rollback."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lte_core.domain import Need, NeedStatus
from lte_core.store import LATEST, Database, SchemaTooNew, UnitOfWork
from lte_core.store.db import migrations


async def test_a_new_database_gets_every_migration_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    async with Database(path) as db:
        assert await db.version() == LATEST
        async with db.conn.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone())[0] == "wal"  # type: ignore[index]
        async with db.conn.execute("PRAGMA foreign_keys") as cur:
            assert (await cur.fetchone())[0] == 1  # type: ignore[index]
        with pytest.raises(sqlite3.IntegrityError):
            await db.conn.execute(
                "INSERT INTO identities (person_id, channel, external_id) VALUES (999, 't', 'x')"
            )


async def test_an_older_database_is_upgraded_in_place_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    first = migrations()[0]
    raw = sqlite3.connect(path)
    raw.executescript(first[2] + f"\nPRAGMA user_version = {first[0]};")
    raw.execute("INSERT INTO persons (first_name, created_at) VALUES ('Ada', '2026-01-01T00:00:00+00:00')")
    raw.commit()
    raw.close()
    async with Database(path) as db:
        assert await db.version() == LATEST
        async with UnitOfWork(db) as uow:
            person = await uow.people.get(1)
    assert person is not None and person.first_name == "Ada"


async def test_a_database_from_a_newer_version_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {LATEST + 1}")
    raw.close()
    with pytest.raises(SchemaTooNew, match=r"newer than this bot knows"):
        await Database(path).open()


async def test_similar_need_search_folds_accents_and_case(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    async with UnitOfWork(db) as uow:
        uid, _ = await uow.people.add("terminal", "a", locale="fr", now=clock.now())
        for text in ("Un jardin partagé dans le quartier", "Des composteurs collectifs", "Réparer les vélos"):
            await uow.needs.add(Need(0, uid.id, text, NeedStatus.EXPRESSED, clock.now()))
        found = await uow.needs.similar("JARDIN PARTAGE")
        assert [n.text for n in found] == ["Un jardin partagé dans le quartier"]
        assert [n.text for n in await uow.needs.similar("velo")] == []  # whole words, not fragments
        assert [n.text for n in await uow.needs.similar("vélos à réparer")] == ["Réparer les vélos"]
        assert await uow.needs.similar("   !!! ") == []


async def test_a_failed_unit_of_work_leaves_nothing_behind(db: Database, clock) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError):
        async with UnitOfWork(db) as uow:
            await uow.people.add("terminal", "ghost", locale="fr", now=clock.now())
            raise RuntimeError("boom")
    async with UnitOfWork(db) as uow:
        assert await uow.people.identity("terminal", "ghost") is None
