"""`lte-bot run` starting while the homeserver is not there yet, and with a wrong password, against
the real Synapse (issue 9, item 7, Matrix).

The bot is pointed at a port of the test's own, where nothing listens at first: it says so in one
line per attempt; then a proxy there answers 502 (Synapse behind it not up yet), also retried;
then the port is opened onto Synapse and the same process logs in and answers a resident. A wrong password is a configuration error: one line, at once, a non-zero exit."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from pathlib import Path

import pytest

from tests.support.process import LteProcess
from tests.support.synapse import Synapse

from .residents import PASSWORD, Resident, localpart

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def forward(port: int, to_port: int) -> asyncio.Server:
    """A TCP forwarder 127.0.0.1:port → 127.0.0.1:to_port: the homeserver 'comes up' at `port`."""

    async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except ConnectionError:
            pass
        finally:
            dst.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", to_port)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def bad_gateway(port: int) -> asyncio.Server:
    """What a reverse proxy answers while the homeserver behind it is down."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port)


def attempts(lines: list[str], why: str = "") -> int:
    return sum("matrix: cannot reach" in line and f"({why}" in line for line in lines)


async def test_the_bot_waits_for_the_homeserver_then_serves(synapse: Synapse, tmp_path: Path) -> None:
    bot_id, _ = synapse.register_user(localpart("lte-late"), PASSWORD)
    port = free_port()
    bot = await LteProcess(
        "run",
        env={
            "LTE_DB_PATH": str(tmp_path / "lte.sqlite3"),
            "LTE_MATRIX_HOMESERVER": f"http://127.0.0.1:{port}",
            "LTE_MATRIX_USER_ID": bot_id,
            "LTE_MATRIX_PASSWORD": PASSWORD,
        },
    ).start()
    server: asyncio.Server | None = None
    resident: Resident | None = None
    try:
        await bot.wait_for(lambda lines: attempts(lines, "Connection refused") >= 2, timeout=20)
        proxy = await bad_gateway(port)
        try:
            await bot.wait_for(lambda lines: attempts(lines, "HTTP 502") >= 1, timeout=20)
        finally:
            proxy.close()
            await proxy.wait_closed()
        server = await forward(port, synapse.port)
        await bot.wait_for(lambda lines: any("matrix channel started" in line for line in lines), timeout=30)
        resident = await Resident(synapse, bot_id).start()
        await resident.open_dm()
        await resident.ask("!aide", "/besoin")
        code, took = await bot.stop(timeout=10)
    finally:
        bot.kill()
        if resident is not None:
            await resident.close()
        if server is not None:
            server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 5)
    assert code == 0 and took < 10, "\n".join(bot.lines)
    printed = "\n".join(bot.lines)
    assert "Traceback" not in printed and PASSWORD not in printed
    assert any("answered after" in line for line in bot.lines), printed


async def test_a_wrong_password_ends_the_start_at_once_in_one_line(synapse: Synapse, tmp_path: Path) -> None:
    bot_id, _ = synapse.register_user(localpart("lte-wrong"), PASSWORD)
    wrong = "not the right password at all"
    began = time.monotonic()
    bot = await LteProcess(
        "run",
        env={
            "LTE_DB_PATH": str(tmp_path / "lte.sqlite3"),
            "LTE_MATRIX_HOMESERVER": synapse.base_url,
            "LTE_MATRIX_USER_ID": bot_id,
            "LTE_MATRIX_PASSWORD": wrong,
        },
    ).start()
    try:
        code = await bot.wait(timeout=10)
    finally:
        bot.kill()
    assert time.monotonic() - began < 5
    assert code == 1
    assert bot.lines == ["Error: LTE_MATRIX_PASSWORD: login refused by the homeserver (M_FORBIDDEN)"]
    assert wrong not in bot.stdout.decode()
