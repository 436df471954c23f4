"""Shared fixtures: a real SQLite file per test, the engine on a fixed clock, compiled catalogs."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES
from lte_core.services import people
from lte_core.store import Database, UnitOfWork

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile the .po catalogs to .mo, as the build does (the .mo files are not committed)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "compile",
            "-d",
            str(ROOT / "locales"),
            "-D",
            "messages",
        ],
        check=True,
        capture_output=True,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database(tmp_path / "lte.sqlite3").open()
    async with UnitOfWork(database) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
    yield database
    await database.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(admins=frozenset({"terminal:camille"}))
