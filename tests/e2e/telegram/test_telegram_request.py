"""The aiohttp transport under the real python-telegram-bot: what the fake Bot API receives is
byte-exact, a server that never answers is a TimedOut, an unreachable one a NetworkError."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, InputFile
from telegram.error import NetworkError, TimedOut

from bots.telegram.request import AiohttpRequest, multipart_body
from tests.support.fake_telegram import FakeTelegram

from .harness import TOKEN

pytestmark = pytest.mark.e2e

ALICE = 101
# Every byte value, line ends, and what a multipart boundary looks like: nothing may be altered.
PAYLOAD = bytes(range(256)) * 40 + b"\r\n--boundary\r\n\r\n" + os.urandom(50_000)


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        TOKEN,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(1),
    ) as b:
        yield b


async def test_document_and_photo_arrive_byte_exact(tg: FakeTelegram, bot: Bot) -> None:
    document = InputFile(PAYLOAD, filename="mes données «2026».json")
    document.mimetype = "application/json"
    message = await bot.send_document(ALICE, document, caption="<b>Vos</b> données", parse_mode="HTML")
    (call,) = tg.calls("sendDocument")
    upload = call.files["document"]
    assert upload.data == PAYLOAD
    assert (upload.filename, upload.content_type) == ("mes données «2026».json", "application/json")
    assert call.plain == "Vos données" and call.params["chat_id"] == ALICE
    assert message.document is not None and message.document.file_name == "mes données «2026».json"

    # Downloads too: a resident's photo comes back as it was stored.
    tg.user_photo(ALICE, "AgACfromAlice", data=PAYLOAD)
    assert bytes(await (await bot.get_file("AgACfromAlice")).download_as_bytearray()) == PAYLOAD

    png = b"\x89PNG\r\n\x1a\n" + PAYLOAD
    await bot.send_photo(ALICE, InputFile(png, filename="affiche.png"), caption="Affiche")
    (photo,) = tg.calls("sendPhoto")
    assert photo.files["photo"].data == png and photo.plain == "Affiche"


def test_multipart_body_is_what_httpx_sends() -> None:
    """Telegram receives from aiohttp exactly the body ptb's default transport would send."""
    fields = {"chat_id": "101", "caption": 'a "quoted"\\ caption\nnext line', "parse_mode": "HTML"}
    files = {"document": ('mes "données".json', PAYLOAD, "application/json")}
    boundary = os.urandom(16).hex().encode()
    expected = b"".join(httpx._multipart.MultipartStream(fields, files, boundary))
    assert multipart_body(fields, files, boundary) == expected


async def test_requests_reuse_one_keep_alive_connection(tg: FakeTelegram, bot: Bot) -> None:
    for i in range(5):
        await bot.send_message(ALICE, f"message {i}")
    assert [c.plain for c in tg.calls("sendMessage")] == [f"message {i}" for i in range(5)]
    request = bot.request
    assert isinstance(request, AiohttpRequest)
    session = request._session
    assert session is not None and session.connector is not None
    idle = [c for conns in session.connector._conns.values() for c in conns]
    assert len(idle) == 1


async def test_a_server_that_never_answers_is_a_timeout() -> None:
    accepted = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.set()
        await reader.read(1 << 16)
        await asyncio.sleep(30)  # reads the request, never answers
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(read_timeout=0.5)
    try:
        async with Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request) as bot:
            pytest.fail(f"initialize answered: {bot}")
    except TimedOut:
        pass
    loop = asyncio.get_running_loop()
    await request.initialize()
    try:
        t0 = loop.time()
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
        assert 0.4 <= loop.time() - t0 < 2.0
        # A per-call timeout wins over the default one.
        t0 = loop.time()
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe", read_timeout=0.2)
        assert loop.time() - t0 < 0.45
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    assert accepted.is_set()


async def test_an_unreachable_server_is_a_network_error_without_the_token() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()  # nothing listens there any more
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as caught:
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert TOKEN not in str(caught.value)


async def test_shut_down_then_initialized_again(tg: FakeTelegram) -> None:
    request = AiohttpRequest()
    with pytest.raises(NetworkError, match="not initialized"):
        await request.post(f"{tg.base_url}{TOKEN}/getMe")
    await request.initialize()
    await request.shutdown()
    await request.shutdown()  # twice is harmless
    await request.initialize()
    try:
        me = await request.post(f"{tg.base_url}{TOKEN}/getMe")
    finally:
        await request.shutdown()
    assert isinstance(me, dict) and me["username"] == "lte_test_bot"
    assert request.read_timeout == 5.0


async def test_a_long_poll_outlasts_the_read_timeout(tg: FakeTelegram) -> None:
    """ptb adds the poll's timeout to getUpdates' read timeout: an empty poll is not a timeout."""
    async with Bot(
        TOKEN, base_url=tg.base_url, get_updates_request=AiohttpRequest(1, read_timeout=0.3)
    ) as bot:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        assert await bot.get_updates(timeout=1) == ()
        assert loop.time() - t0 >= 0.9
        tg.user_message(ALICE, "bonjour")
        (update,) = await bot.get_updates(timeout=1)
        assert update.message is not None and update.message.text == "bonjour"
