"""`lte-bot qr`: poster QR codes of deep links, offline or with the bot's name asked of the Bot API."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bots.cli import main
from lte_core.domain import CircleKind
from lte_core.services import circles, needs, people
from lte_core.store import Database, UnitOfWork
from tests.support.fake_telegram import FakeTelegram

from .harness import TOKEN

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]


async def seed(db_path: Path) -> None:
    """One need (B-1) and one circle (1)."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    db = await Database(db_path).open()
    try:
        async with UnitOfWork(db) as uow:
            who = await people.identify(uow, "terminal", "zoe", now=now)
            await people.give_consent(uow, who.person.id, now)
            await needs.express_need(uow, who.person.id, "Un jardin partagé près de l'école", now=now)
            await circles.create_circle(uow, None, CircleKind.MISSION, "Accueil", "", now=now)
    finally:
        await db.close()


def test_poster_offline_with_the_bot_name_given(tmp_path: Path) -> None:
    db_path = tmp_path / "lte.sqlite3"
    asyncio.run(seed(db_path))
    out = tmp_path / "posters"
    result = CliRunner().invoke(
        main,
        ["qr", "need", "B-1", "--bot-username", "lte_bot", "--out", str(out)],
        env={"LTE_DB_PATH": str(db_path), "LTE_TELEGRAM_TOKEN": ""},
    )
    assert result.exit_code == 0, result.output
    url, png, svg = result.output.split()
    assert url == "https://t.me/lte_bot?start=need_1"
    assert Path(png) == out / "lte-need-B-1.png" and Path(png).read_bytes().startswith(b"\x89PNG")
    assert url in Path(svg).read_text(encoding="utf-8")  # the SVG's title names what it encodes

    missing = CliRunner().invoke(
        main, ["qr", "need", "B-77", "--bot-username", "lte_bot"], env={"LTE_DB_PATH": str(db_path)}
    )
    assert missing.exit_code != 0 and "not_found" in missing.output


async def test_poster_asks_the_bot_api_for_the_name(tmp_path: Path) -> None:
    db_path = tmp_path / "lte.sqlite3"
    await seed(db_path)
    async with FakeTelegram(token=TOKEN, bot_username="territoire_bot") as tg:
        env = {
            **os.environ,
            "LTE_DB_PATH": str(db_path),
            "LTE_TELEGRAM_TOKEN": TOKEN,
            "LTE_TELEGRAM_BASE_URL": tg.url,  # the server's root: /bot is added
            "PYTHONPATH": str(ROOT),
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bots.cli", "qr", "circle", "1", "--out", str(tmp_path),
            env=env, cwd=str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    assert stdout.decode().split()[0] == "https://t.me/territoire_bot?start=circle_1"
    assert (tmp_path / "lte-circle-1.svg").exists()
    assert [c.method for c in tg.sent] == ["getMe"]
    assert TOKEN not in stdout.decode() + stderr.decode()
