"""The local fake Bot API server, one per test, for the Telegram channel's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.fake_telegram import FakeTelegram

from .harness import TOKEN, Bot


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram, tmp_path: Path) -> AsyncIterator[Bot]:
    """The bot, open on its own database, against the fake Bot API (a test file may override it)."""
    harness = Bot(tg, tmp_path / "lte.sqlite3")
    await harness.open()
    try:
        yield harness
    finally:
        await harness.close()
    # Whatever the test did, Telegram never refused a message as malformed HTML or too long.
    assert harness.html_errors() == []
