"""`lte-bot run` as a real subprocess against the local fake Bot API, for the fault tests."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.support.fake_telegram import FakeTelegram

TOKEN = "555111:AAFaultsTokenForTheRunTests_0123456789"


def environ(db_path: Path, tg: FakeTelegram | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LTE_")}
    env |= {"LTE_DB_PATH": str(db_path), "LANG": "C.UTF-8"}
    if tg is not None:
        env |= {"LTE_TELEGRAM_TOKEN": TOKEN, "LTE_TELEGRAM_BASE_URL": tg.url}
    return env | extra


async def lte(env: dict[str, str], *args: str, stdin: bytes | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bots.cli",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finish(
    proc: asyncio.subprocess.Process, stdin: bytes | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(proc.communicate(stdin), timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
