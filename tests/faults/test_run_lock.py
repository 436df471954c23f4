"""One `lte-bot run` per database: a second one refuses to start, in one line naming the first
(its pid) and the file, exit code 2; `chat`, `stats` and `export` still work beside it; the lock
goes with its process, however it ends (SIGKILL included)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.support.fake_telegram import FakeTelegram

from ._run import TOKEN, environ, finish, lte

pytestmark = pytest.mark.faults


async def serving(tg: FakeTelegram, env: dict[str, str]) -> asyncio.subprocess.Process:
    """A `run` that has started: it polls the fake Bot API (so it holds the lock)."""
    proc = await lte(env, "run")
    polls = tg.get_updates_calls
    for _ in range(600):
        if tg.get_updates_calls > polls:
            return proc
        if proc.returncode is not None:
            break
        await asyncio.sleep(0.05)
    code, _, err = await finish(proc)
    raise AssertionError(f"run did not start (exit {code}): {err[-2000:]}")


async def test_a_second_run_on_the_same_database_refuses_to_start(tmp_path: Path) -> None:
    db_path = tmp_path / "lte.sqlite3"
    async with FakeTelegram(token=TOKEN) as tg:
        env = environ(db_path, tg)
        first = await serving(tg, env)
        try:
            second = await lte(env, "run")
            code, out, err = await finish(second, timeout=20)
            assert code == 2, err
            lines = [line for line in (out + err).splitlines() if line.strip()]
            assert len(lines) == 1, lines
            assert f"pid {first.pid}" in lines[0] and str(db_path) in lines[0], lines[0]
            assert first.returncode is None  # the first one goes on serving

            # Beside the running `run`: the terminal, the figures and the exports still work.
            code, out, err = await finish(await lte(env, "stats"))
            assert code == 0, err
            code, out, err = await finish(await lte(env, "export", "needs", "--format", "json"))
            assert code == 0 and out.strip() == "[]", err
            chat = await lte(env, "chat", "--as", "camille", stdin=b"")
            code, out, err = await finish(chat, b"/start\n")
            assert code == 0, err
            assert "Traceback" not in err

            # A crash releases the lock: the next `run` starts.
            first.send_signal(signal.SIGKILL)
            await finish(first)
            again = await serving(tg, env)
            again.send_signal(signal.SIGTERM)
            code, out, err = await finish(again, timeout=30)
            assert code == 0, err[-2000:]
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()


async def test_two_databases_are_served_side_by_side(tmp_path: Path) -> None:
    async with FakeTelegram(token=TOKEN) as tg_a, FakeTelegram(token=TOKEN) as tg_b:
        a = await serving(tg_a, environ(tmp_path / "a.sqlite3", tg_a))
        b = await serving(tg_b, environ(tmp_path / "b.sqlite3", tg_b))
        for proc in (a, b):
            proc.send_signal(signal.SIGTERM)
        for proc in (a, b):
            code, _, err = await finish(proc, timeout=30)
            assert code == 0, err[-2000:]
