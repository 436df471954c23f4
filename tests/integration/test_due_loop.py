"""Polls through the scheduler (`bots.app.start_scheduler`, which runs `lte_core.due.all_work()`):
a poll closes on time, and one whose closing fell while the bot was down closes at start."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from bots.app import start_scheduler
from bots.bootstrap import open_runtime
from lte_core.clock import to_iso
from lte_core.config import Settings
from lte_core.services import polls
from lte_core.store import UnitOfWork


async def _status(runtime: object, poll_id: int) -> str:
    rows = await runtime.db.conn.execute_fetchall("SELECT status FROM polls WHERE id = ?", (poll_id,))  # type: ignore[attr-defined]
    return str(rows[0][0])


async def test_polls_close_on_time_and_at_start_after_a_stop(tmp_path: Path) -> None:
    runtime = await open_runtime(Settings(db_path=str(tmp_path / "lte.sqlite3")))
    try:
        now = runtime.clock.now()
        async with UnitOfWork(runtime.db) as uow:
            late = await polls.create_poll(
                uow, None, "Fermé pendant l'arrêt ?", ["a", "b"], now=now, closes_at=now + timedelta(days=1)
            )
            soon = await polls.create_poll(
                uow, None, "Bientôt fermé ?", ["a", "b"], now=now, closes_at=now + timedelta(seconds=1)
            )
            # The bot was stopped when this one's closing time came.
            await uow.conn.execute(
                "UPDATE polls SET closes_at = ? WHERE id = ?", (to_iso(now - timedelta(hours=1)), late.id)
            )
        scheduler = await start_scheduler(runtime)
        for _ in range(100):
            if await _status(runtime, late.id) == "closed":
                break
            await asyncio.sleep(0.02)
        assert await _status(runtime, late.id) == "closed"
        assert await _status(runtime, soon.id) == "open"
        for _ in range(150):
            if await _status(runtime, soon.id) == "closed":
                break
            await asyncio.sleep(0.05)
        assert await _status(runtime, soon.id) == "closed"
        await scheduler.stop()
    finally:
        await runtime.close()
