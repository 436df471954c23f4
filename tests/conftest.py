"""Shared fixtures: a real SQLite file per test, the engine on a fixed clock, compiled catalogs,
and two people already onboarded (Alice and Bob) for the dialog tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dialogs.engine import Engine
from lte_core.clock import FixedClock
from lte_core.config import Settings
from lte_core.domain import DEFAULT_THEMES
from lte_core.services import people
from lte_core.store import Database, UnitOfWork
from tests.support.chat import Person, onboard

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs() -> None:
    """Compile the .po catalogs to .mo in place, as `make catalogs` does (the .mo are not committed;
    a wheel's build compiles its own, setup.py). `lte_core.i18n` reads them there: the editable
    install maps `lte_core.locales` to `locales/`."""
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


@pytest.fixture
def engine(db: Database, settings: Settings, clock: FixedClock) -> Engine:
    return Engine(db, settings, clock)


@pytest.fixture
async def alice(engine: Engine) -> Person:
    """Alice, onboarded in the terminal (buttons only)."""
    return await onboard(Person(engine, "alice"), "Alice")


@pytest.fixture
async def bob(engine: Engine) -> Person:
    """Bob, onboarded in the terminal (buttons only)."""
    return await onboard(Person(engine, "bob"), "Bob")
