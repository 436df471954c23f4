"""`lte-bot export person`, `admin forget`, `admin block|unblock` as an operator runs them."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

from lte_core.domain import DEFAULT_THEMES
from lte_core.services import needs, people
from lte_core.store import Database, UnitOfWork
from tests.integration.test_cli import lte

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


async def seed(path: Path) -> None:
    db = await Database(path).open()
    async with UnitOfWork(db) as uow:
        await people.ensure_default_themes(uow, DEFAULT_THEMES)
        who = await people.identify(uow, "telegram", "4242", now=NOW)
        await people.give_consent(uow, who.person.id, NOW)
        await people.update_profile(uow, who.person.id, first_name="Ophélise")
        await needs.express_need(uow, who.person.id, "Un atelier vélo le samedi", now=NOW)
    await db.close()


def test_export_person_then_forget_at_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "lte.sqlite3"
    asyncio.run(seed(path))
    out = lte(tmp_path, "export", "person", "telegram:4242")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert (
        data["profile"]["first_name"] == "Ophélise"
        and data["needs"][0]["text"] == "Un atelier vélo le samedi"
    )
    for args, message in (
        (("export", "person"), "say whose data"),
        (("export", "person", "telegram:1"), "nobody is 'telegram:1'"),
        (("export", "person", "1", "--anonymous"), "never anonymous"),
        (("export", "needs", "telegram:4242"), "takes no WHO"),
    ):
        result = lte(tmp_path, *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)
    assert lte(tmp_path, "admin", "forget", "telegram:4242", stdin="n\n").returncode == 1  # not confirmed
    result = lte(tmp_path, "admin", "forget", "telegram:4242", "--yes")
    assert result.returncode == 0, result.stderr
    assert "1 identity erased, 1 need kept without author" in result.stdout
    assert "Ophélise" not in result.stderr + result.stdout and "4242" not in result.stderr
    data_bytes = path.read_bytes() + (
        Path(f"{path}-wal").read_bytes() if Path(f"{path}-wal").exists() else b""
    )
    assert "Ophélise".encode() not in data_bytes and b"4242" not in data_bytes
    assert "Un atelier vélo".encode() in data_bytes
    assert lte(tmp_path, "admin", "forget", "telegram:4242", "--yes").returncode == 2


def test_block_and_unblock(tmp_path: Path) -> None:
    asyncio.run(seed(tmp_path / "lte.sqlite3"))
    assert "is now blocked" in lte(tmp_path, "admin", "block", "telegram:4242").stdout
    assert "was already blocked" in lte(tmp_path, "admin", "block", "telegram:4242").stdout
    assert "is no longer blocked" in lte(tmp_path, "admin", "unblock", "1").stdout
