"""`lte-bot run` against a homeserver that does not answer (issue 9, item 7, Matrix): one short
log line per attempt, waits that grow, no traceback, and SIGTERM ends it cleanly meanwhile."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from tests.support.process import LOG_LINE, LteProcess

pytestmark = pytest.mark.faults

PASSWORD = "a-password-that-never-shows"
RETRY = re.compile(r"matrix: cannot reach (\S+) \(([^)]+)\); attempt (\d+), retrying in ([\d.]+) s$")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def retries(lines: list[str]) -> list[re.Match[str]]:
    return [m for line in lines if (m := RETRY.search(line))]


async def test_an_unreachable_homeserver_is_retried_in_one_line_each_and_sigterm_stops(
    tmp_path: Path,
) -> None:
    homeserver = f"http://127.0.0.1:{closed_port()}"
    bot = await LteProcess(
        "run",
        env={
            "LTE_DB_PATH": str(tmp_path / "lte.sqlite3"),
            "LTE_MATRIX_HOMESERVER": homeserver,
            "LTE_MATRIX_USER_ID": "@lte:localhost",
            "LTE_MATRIX_PASSWORD": PASSWORD,
        },
    ).start()
    try:
        await bot.wait_for(lambda lines: len(retries(lines)) >= 3, timeout=20)
        code, took = await bot.stop(timeout=5)
    finally:
        bot.kill()
    assert code == 0, "\n".join(bot.lines)
    assert took < 5
    found = retries(bot.lines)
    assert [int(m.group(3)) for m in found] == list(range(1, len(found) + 1))
    assert {m.group(1) for m in found} == {homeserver}
    assert {m.group(2) for m in found} == {"Connection refused"}
    waits = [float(m.group(4)) for m in found]
    assert 0.5 <= waits[0] <= 2 and waits[1] > waits[0] and waits[2] > waits[1], waits
    # Nothing else than one log line per attempt: no traceback, no secret, short lines.
    assert all(LOG_LINE.match(line) and len(line) < 200 for line in bot.lines), "\n".join(bot.lines)
    assert len(bot.lines) == len(found)
    printed = "\n".join(bot.lines) + bot.stdout.decode()
    assert "Traceback" not in printed and PASSWORD not in printed
