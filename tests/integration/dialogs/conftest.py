"""Fixtures for the dialog tests on a real SQLite file that restart the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from lte_core.store import Database


@pytest.fixture
async def reopened() -> AsyncIterator[list[Database]]:
    """The databases a test opened again (after a restart); closed when the test ends."""
    opened: list[Database] = []
    yield opened
    for database in opened:
        await database.close()
