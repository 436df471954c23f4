"""Polls and files on Matrix, end to end against the real Synapse: the bot starts an MSC3381 poll
(and remembers which poll its start event stands for), a resident's answer from their client
reaches the engine as a PollVote, a number typed instead answers the numbered fallback, and a
document arrives as an uploaded `m.file`. Also: the password never reaches the database."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup
from nio import RoomSendResponse

from bots.matrix.render import POLL_START, poll_start_content
from dialogs.choices import OpenFlow
from dialogs.contract import Choice, Command, FileReply, Incoming, Outgoing, PollReply, PollVote, Reply
from dialogs.engine import Engine
from lte_core.services import people
from lte_core.store import UnitOfWork
from tests.support.synapse import Synapse

from .residents import PASSWORD, Bot, Resident, eventually

pytestmark = pytest.mark.e2e

POLL = PollReply(
    "poll:7",
    "Which evening for the repair café?",
    ("Monday", "Tuesday"),
    Reply(
        Markup("<b>Vote</b>: which evening for the repair café?"),
        (OpenFlow("express").option("Monday"), OpenFlow("help").option("Tuesday")),
    ),
)
DOCUMENT = FileReply(
    b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
    "repair-cafe.ics",
    "text/calendar",
    Markup("Your <b>invitation</b>"),
)


class PollingEngine(Engine):
    """The real engine, except that `!testpoll` is answered with a poll and PollVotes are recorded
    (no flow asks for one yet): what reaches it is what the Matrix adapter made of the events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[Incoming] = []

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.seen.append(incoming)
        if incoming.event == Command("testpoll"):
            return [POLL]
        if isinstance(incoming.event, PollVote):
            return []
        return await super().handle(incoming)

    def votes(self) -> list[PollVote]:
        return [i.event for i in self.seen if isinstance(i.event, PollVote)]


@pytest.fixture
async def bot(synapse: Synapse, tmp_path: Path) -> AsyncIterator[Bot]:
    running = await Bot(synapse, tmp_path / "lte.sqlite3", engine_class=PollingEngine).start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def resident(synapse: Synapse, bot: Bot) -> AsyncIterator[Resident]:
    person = await Resident(synapse, bot.user_id).start()
    try:
        assert bot.runtime is not None
        async with UnitOfWork(bot.runtime.db) as uow:  # onboarded, in English
            now = bot.runtime.clock.now()
            who = await people.identify(uow, "matrix", person.user_id, now=now)
            await people.give_consent(uow, who.person.id, now)
            await people.update_profile(uow, who.person.id, locale="en")
        await person.open_dm()
        await person.wait_joined()
        yield person
    finally:
        await person.close()


def bot_events(resident: Resident, kind: str) -> list[dict[str, Any]]:
    return [
        e
        for e in resident.events.get(resident.room_id, [])
        if e.get("type") == kind and e.get("sender") != resident.user_id
    ]


async def test_a_poll_is_started_and_answered_natively_or_by_number(bot: Bot, resident: Resident) -> None:
    assert bot.runtime is not None and resident.client is not None
    engine = bot.runtime.engine
    assert isinstance(engine, PollingEngine)
    await resident.send("!testpoll")
    [start] = await resident.wait_for(lambda: bot_events(resident, POLL_START))
    assert start["content"] == poll_start_content(POLL)
    assert start["content"]["body"] == ("Vote: which evening for the repair café?\n\n1. Monday\n2. Tuesday")
    async with UnitOfWork(bot.runtime.db) as uow:  # the engine can tie answers to its poll
        assert await uow.kv.get(f"poll.matrix.{start['event_id']}") == "poll:7"

    # As Element answers (unstable names), then as a client of the stable names.
    relates = {"rel_type": "m.reference", "event_id": start["event_id"]}
    for kind, content in [
        ("org.matrix.msc3381.poll.response", {"org.matrix.msc3381.poll.response": {"answers": ["1"]}}),
        ("m.poll.response", {"m.selections": ["0"]}),
    ]:
        sent = await resident.client.room_send(resident.room_id, kind, {"m.relates_to": relates, **content})
        assert isinstance(sent, RoomSendResponse), sent
    votes = await eventually(lambda: len(engine.votes()) == 2 and engine.votes())
    assert votes == [PollVote(start["event_id"], (1,)), PollVote(start["event_id"], (0,))]
    assert {i.user_id for i in engine.seen if isinstance(i.event, PollVote)} == {resident.user_id}

    # A client without polls shows the numbered fallback: "2" answers it (Tuesday, here the help).
    await resident.ask("2", "What you can do")
    assert engine.seen[-1].event == Choice(OpenFlow("help").pack())


async def test_a_document_is_uploaded_and_its_caption_follows(
    synapse: Synapse, bot: Bot, resident: Resident
) -> None:
    assert bot.channel is not None and resident.client is not None
    assert await bot.channel.outlet.reply(resident.room_id, [DOCUMENT])
    sent = await resident.expect("Your invitation")
    document, caption = sent[-2:]
    assert {k: document[k] for k in ("msgtype", "body", "filename", "info")} == {
        "msgtype": "m.file",
        "body": "repair-cafe.ics",
        "filename": "repair-cafe.ics",
        "info": {"mimetype": "text/calendar", "size": len(DOCUMENT.data)},
    }
    assert synapse.download(document["url"], token=resident.client.access_token) == DOCUMENT.data
    assert caption["formatted_body"] == "Your <b>invitation</b>"


async def test_the_password_never_reaches_the_database(bot: Bot) -> None:
    assert bot.channel is not None and bot.runtime is not None
    async with bot.runtime.db.conn.execute(
        "SELECT user_id, device_id, access_token FROM matrix_account"
    ) as cur:
        rows = [tuple(r) for r in await cur.fetchall()]
    assert rows == [(bot.user_id, bot.channel.client.device_id, bot.channel.client.access_token)]
    await bot.stop()
    files = [bot.db_path, bot.db_path.with_name(bot.db_path.name + "-wal")]
    assert not any(PASSWORD.encode() in f.read_bytes() for f in files if f.exists())
    raw = sqlite3.connect(bot.db_path)  # and no kv key of the adapter is left
    try:
        assert raw.execute("SELECT count(*) FROM kv WHERE key LIKE 'matrix.%'").fetchone() == (0,)
    finally:
        raw.close()
