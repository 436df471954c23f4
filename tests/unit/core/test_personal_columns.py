"""Every column that points at a person or an identity is in lte_core.store.personal."""

from __future__ import annotations

import sqlite3

import pytest

from lte_core.store.db import Database
from lte_core.store.personal import IDENTITY_COLUMNS, PERSON_COLUMNS


@pytest.mark.asyncio
async def test_every_reference_to_a_person_is_listed(tmp_path):
    db = Database(tmp_path / "lte.sqlite3")
    await db.open()
    await db.close()
    raw = sqlite3.connect(tmp_path / "lte.sqlite3")
    tables = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    found: dict[str, dict[str, set[str]]] = {"persons": {}, "identities": {}}
    for table in tables:
        for row in raw.execute(f"PRAGMA foreign_key_list({table})"):
            target, column = row[2], row[3]
            if target in found:
                found[target].setdefault(table, set()).add(column)
    raw.close()
    for table, columns in found["persons"].items():
        assert columns <= set(PERSON_COLUMNS.get(table, ())), f"{table}.{columns} not in PERSON_COLUMNS"
    for table, columns in found["identities"].items():
        assert columns <= set(IDENTITY_COLUMNS.get(table, ())), f"{table}.{columns} not in IDENTITY_COLUMNS"
    # And the lists name nothing that does not exist.
    for table in list(PERSON_COLUMNS) + list(IDENTITY_COLUMNS):
        assert table in tables, table
