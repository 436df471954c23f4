"""The Matrix bot end to end: the real MatrixChannel (matrix-nio) against a real Synapse, residents
being other matrix-nio clients. Nothing is mocked; waits are for what a sync brings (or, for the
bot's inner state, short looks until it holds), never fixed sleeps."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from markupsafe import Markup
from nio import RoomCreateResponse

from bots.matrix.render import png_size
from bots.matrix.rooms import ENCRYPTED_NOTICE
from dialogs.contract import ImageReply, to_plain
from dialogs.qr import qr_png
from lte_core.domain import CircleKind
from lte_core.services import circles, export, people
from lte_core.store import UnitOfWork
from tests.support.synapse import Synapse

from .residents import PASSWORD, Bot, Resident, eventually

pytestmark = pytest.mark.e2e

TEXT_QUESTION = "What does our territory need?"
THEME_QUESTION = "Which theme is it closest to?"
PLACE_QUESTION = "Where is it?"
PHOTO_QUESTION = "A photo can help"
RECAP = "Here is your need, ready to send"


@pytest.fixture
async def resident(synapse: Synapse, bot: Bot) -> AsyncIterator[Resident]:
    person = await Resident(synapse, bot.user_id).start()
    try:
        yield person
    finally:
        await person.close()


async def onboarded(bot: Bot, mxid: str) -> int:
    """A person who already went through onboarding (in English), by the services."""
    assert bot.runtime is not None
    async with UnitOfWork(bot.runtime.db) as uow:
        return await onboarded_in(uow, mxid, bot.runtime.clock.now())


async def new_mission(bot: Bot, members: list[str], title: str = "Water the seedlings") -> int:
    """A circle, its coordinator (on the terminal) and `members` (on Matrix); a mission for them."""
    assert bot.runtime is not None
    async with UnitOfWork(bot.runtime.db) as uow:
        now = bot.runtime.clock.now()
        coordinator = await people.identify(uow, "terminal", "coordo", now=now)
        await people.give_consent(uow, coordinator.person.id, now)
        circle = await uow.circles.by_name("Gardens")
        if circle is None:
            circle = await circles.create_circle(
                uow, None, CircleKind.MISSION, "Gardens", "Shared gardens", now=now
            )
            await circles.appoint_coordinator(uow, None, circle.id, coordinator.person.id, now)
        for mxid in members:
            if await uow.people.identity("matrix", mxid) is None:
                person_id = await onboarded_in(uow, mxid, now)
                await circles.join_circle(uow, person_id, circle.id, now)
        mission, sent = await circles.create_mission(
            uow, coordinator.person.id, circle.id, title, "", now + timedelta(days=3), 5, now=now
        )
    assert sent == len(members)
    bot.runtime.wake_outbox()
    return mission.id


async def onboarded_in(uow: UnitOfWork, mxid: str, now: datetime) -> int:
    who = await people.identify(uow, "matrix", mxid, now=now)
    await people.give_consent(uow, who.person.id, now)
    await people.update_profile(uow, who.person.id, locale="en")
    return who.person.id


async def test_dm_onboarding_and_a_need_with_numbers_alone(bot: Bot, resident: Resident) -> None:
    await resident.open_dm()
    # Element sends the first message right away: the bot answers it once it has joined.
    await resident.send("!start")
    first = await resident.expect("English")
    assert "<ol><li>Français</li><li>English</li></ol>" in first[-1]["formatted_body"]
    assert first[-1]["format"] == "org.matrix.custom.html"
    assert first[-1]["body"].endswith("1. Français\n2. English")

    await resident.choose("English", "Do you agree?")
    await resident.choose("I agree", "What is your first name?")
    await resident.choose("Skip", "Which commune or quartier")
    await resident.choose("Skip", "What are you interested in?")
    await resident.ask("1", "1 theme chosen")
    await resident.choose("Done", "What would you like to do?")

    await resident.ask("!besoin", TEXT_QUESTION)
    await resident.ask("A shared vegetable garden near the school", THEME_QUESTION)
    await resident.choose("Food", PLACE_QUESTION)
    await resident.choose("Skip", PHOTO_QUESTION)
    await resident.choose("Skip", RECAP)
    done = await resident.choose("Send it", "B-1")
    assert "<b>B-1</b>" in done[-1]["formatted_body"]
    # The numbers under a message that is not a question answer it too.
    await resident.choose("See the need", "A shared vegetable garden near the school")

    assert bot.runtime is not None
    async with UnitOfWork(bot.runtime.db) as uow:
        needs = await export.export_needs(uow, bot.runtime.settings.tz)
    assert [(n["ref"], n["text"], n["theme"]) for n in needs] == [
        ("B-1", "A shared vegetable garden near the school", "alimentation")
    ]


async def test_need_in_one_message_and_a_choice_out_of_range(bot: Bot, resident: Resident) -> None:
    await onboarded(bot, resident.user_id)
    await resident.open_dm()
    await resident.wait_joined()
    await resident.ask("!besoin A covered bike shelter at the station", THEME_QUESTION)
    wrong = await resident.ask("42", THEME_QUESTION)
    assert "There is no choice 42" in wrong[0]["body"]
    assert "<ol>" in wrong[-1]["formatted_body"]  # the same question again, with its choices
    await resident.choose("Mobility", PLACE_QUESTION)
    await resident.ask("Station square", PHOTO_QUESTION)
    await resident.choose("Skip", RECAP)
    await resident.choose("Send it", "B-1")
    assert bot.runtime is not None
    async with UnitOfWork(bot.runtime.db) as uow:
        needs = await export.export_needs(uow, bot.runtime.settings.tz)
    assert [(n["text"], n["theme"], n["place"]) for n in needs] == [
        ("A covered bike shelter at the station", "mobilite", "Station square")
    ]


async def test_html_typed_by_a_resident_never_reaches_anyone_as_markup(bot: Bot, resident: Resident) -> None:
    await onboarded(bot, resident.user_id)
    await resident.open_dm()
    await resident.wait_joined()
    typed = "<b>x</b><script>alert(1)</script> a place to repair bikes"
    await resident.ask(f"!besoin {typed}", THEME_QUESTION)
    await resident.choose("know", PLACE_QUESTION)  # "I don't know"
    await resident.choose("Skip", PHOTO_QUESTION)
    recap = (await resident.choose("Skip", RECAP))[-1]
    assert typed in recap["body"]  # shown as the text it is
    assert "&lt;b&gt;x&lt;/b&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in recap["formatted_body"]
    assert "<script" not in recap["formatted_body"] and "<b>x" not in recap["formatted_body"]
    await resident.choose("Send it", "B-1")
    assert bot.runtime is not None
    async with UnitOfWork(bot.runtime.db) as uow:
        needs = await export.export_needs(uow, bot.runtime.settings.tz)
    assert needs[0]["text"] == typed  # kept exactly as typed


async def test_restart_replays_nothing_and_misses_nothing(bot: Bot, resident: Resident) -> None:
    await onboarded(bot, resident.user_id)
    await resident.open_dm()
    await resident.wait_joined()
    await resident.ask("!help", "What you can do")
    await bot.stop()

    # While the bot is down: more messages than one sync shows it (timeline_limit=2 below).
    await resident.send("!help")
    await resident.send("!help")
    await resident.send("!besoin A bench in the park")
    await bot.start(timeline_limit=2)
    await resident.expect(THEME_QUESTION, before=1)
    await resident.ask("!help", "What you can do")

    kinds = [
        "help" if "What you can do" in b else "theme" if THEME_QUESTION in b else b for b in resident.bodies()
    ]
    assert kinds == ["help", "help", "help", "theme", "help"]


async def test_a_mission_reaches_a_member_in_a_room_the_bot_creates(synapse: Synapse, bot: Bot) -> None:
    member = await Resident(synapse, bot.user_id, "member", auto_join=True).start()
    try:
        await new_mission(bot, [member.user_id])
        news = await member.wait_for(
            lambda: [c for c in member.replies() if "Water the seedlings" in c["body"]]
        )
        assert member.invites == [member.room_id]  # invited by the bot into a new direct room
        # A notification's choices are lettered: a number keeps answering the question waiting (10.3).
        assert news[0]["body"].endswith("\n\na. I'm in")
        assert '<ol type="a"><li>I&#39;m in</li></ol>' in news[0]["formatted_body"]
        await member.ask("a", "You have a place on this mission")
    finally:
        await member.close()


async def test_a_notification_under_a_question_never_changes_what_a_number_answers(
    synapse: Synapse, bot: Bot
) -> None:
    """Issue 10.3 on Matrix: at the theme question, a mission's notice arrives lettered; « 1 »
    still answers the question, and « a » takes the place."""
    member = await Resident(synapse, bot.user_id, "member", auto_join=True).start()
    try:
        await new_mission(bot, [member.user_id], title="Water the benches")  # joins the circle
        await member.wait_for(lambda: [c for c in member.replies() if "Water the benches" in c["body"]])
        await member.ask("!need Benches in the shade at the park", THEME_QUESTION)
        await new_mission(bot, [member.user_id], title="Paint the benches")
        news = await member.wait_for(
            lambda: [c for c in member.replies() if "Paint the benches" in c["body"]]
        )
        assert news[0]["body"].endswith("\n\na. I'm in")
        await member.ask("1", PLACE_QUESTION)  # Food, the question's first choice
        await member.ask("a", "You have a place on this mission")
        assert bot.runtime is not None
        async with UnitOfWork(bot.runtime.db) as uow:
            rows = await uow.db.conn.execute_fetchall("SELECT flow, step, data FROM dialog_state")
        assert [(r[0], r[1]) for r in rows] == [("express", "place")]
        assert '"theme":"alimentation"' in rows[0][2]
    finally:
        await member.close()


async def test_a_person_who_left_is_invited_again(synapse: Synapse, bot: Bot) -> None:
    member = await Resident(synapse, bot.user_id, "member", auto_join=True).start()
    try:
        assert bot.channel is not None and member.client is not None
        await new_mission(bot, [member.user_id], "First mission")
        await member.expect("First mission")
        first_room = member.room_id
        await member.client.room_leave(first_room)
        # The bot, alone, leaves too and forgets the room as the member's.
        store = bot.channel.store
        path = f"/_synapse/admin/v1/rooms/{quote(first_room)}/members"
        await eventually(
            lambda: bot.user_id not in synapse.request("GET", path, token=synapse.admin_token)["members"]
        )
        assert store.known_dm_rooms().get(member.user_id) is None

        # A room the bot is not in (a restored backup, say): sending there is refused
        # (M_FORBIDDEN), so the bot invites the member into a new room, once.
        elsewhere = await member.client.room_create(name="without the bot")
        assert isinstance(elsewhere, RoomCreateResponse), elsewhere
        await store.set_dm_room(member.user_id, elsewhere.room_id)
        await new_mission(bot, [member.user_id], "Second mission")
        await member.wait_for(lambda: member.room_id != first_room)
        await member.expect("Second mission")
        assert len(member.invites) == 2
    finally:
        await member.close()


async def test_a_person_who_declines_the_invitation_is_not_invited_again(synapse: Synapse, bot: Bot) -> None:
    member = await Resident(synapse, bot.user_id, "member").start()
    try:
        assert member.client is not None and bot.runtime is not None
        await new_mission(bot, [member.user_id], "First mission")
        room_id = await member.wait_for(lambda: member.invites and member.invites[0])
        await member.client.room_leave(room_id)  # declines the invitation
        channel = bot.channel
        assert channel is not None
        await eventually(lambda: channel.store.known_dm_rooms().get(member.user_id) is None)
        await new_mission(bot, [member.user_id], "Second mission")
        assert channel.dispatcher is not None
        await channel.dispatcher.drain()
        async with UnitOfWork(bot.runtime.db) as uow:
            assert await uow.outbox.counts("matrix") == {"sent": 1, "unreachable": 1}
            identity = await uow.people.identity("matrix", member.user_id)
        assert identity is not None and identity.unreachable
        assert member.invites == [room_id]
    finally:
        await member.close()


async def test_a_burst_of_100_messages_is_answered_in_order(bot: Bot, resident: Resident) -> None:
    await resident.open_dm()
    await resident.wait_joined()
    await resident.ask("!start", "English")  # the language question: 2 choices
    numbers = [str(n) for n in range(10, 110)]
    for n in numbers:
        await resident.send(n)

    assert bot.runtime is not None
    tr = bot.runtime.engine.tr(bot.runtime.settings.default_locale)
    expected = [
        to_plain(tr._("There is no choice {number}: answer with a number from 1 to {max}.", number=n, max=2))
        for n in numbers
    ]
    head = expected[0].split("10")[0]

    def answers() -> list[str]:
        return [b for b in resident.bodies() if b.startswith(head)]

    # Each number gets its answer, then the question again: 1 + 2 × 100 messages.
    await resident.wait_for(lambda: len(resident.bodies()) >= 201, within=60)
    assert answers() == expected
    assert all(b.endswith("1. Français\n2. English") for b in resident.bodies()[2::2])


async def test_an_encrypted_room_gets_one_notice(bot: Bot, resident: Resident) -> None:
    encryption = {
        "type": "m.room.encryption",
        "state_key": "",
        "content": {"algorithm": "m.megolm.v1.aes-sha2"},
    }
    room = await resident.open_dm(initial_state=[encryption])
    await resident.send("!start")
    await resident.wait_for(lambda: resident.membership(room, bot.user_id) == "leave")
    assert bot.runtime is not None
    notice = to_plain(bot.runtime.engine.tr(bot.runtime.settings.default_locale)._(ENCRYPTED_NOTICE))
    assert resident.bodies() == [notice]


async def test_rate_limit_during_a_broadcast_is_honoured(synapse: Synapse, bot: Bot) -> None:
    members = [await Resident(synapse, bot.user_id, "member", auto_join=True).start() for _ in range(3)]
    try:
        assert bot.channel is not None and bot.channel.dispatcher is not None
        synapse.set_ratelimit(bot.user_id, messages_per_second=2, burst_count=2)
        await new_mission(bot, [m.user_id for m in members])
        for member in members:
            await member.expect("Water the seedlings", within=60)
        assert bot.channel.dispatcher.stats.rate_limited >= 1
        assert bot.runtime is not None
        # A member may read the message before the sender has recorded it as sent.
        await bot.channel.dispatcher.drain(10)
        async with UnitOfWork(bot.runtime.db) as uow:
            assert await uow.outbox.counts("matrix") == {"sent": 3}
    finally:
        synapse.set_ratelimit(bot.user_id, messages_per_second=0)
        for member in members:
            await member.close()


async def test_an_image_is_uploaded_and_sent(bot: Bot, resident: Resident) -> None:
    await resident.open_dm()
    await resident.wait_joined()
    assert bot.channel is not None
    image = ImageReply(qr_png("https://example.org/"), Markup("A <b>QR</b> code"), "qr.png")
    width, height = png_size(image.data) or (0, 0)
    assert width > 20
    assert await bot.channel.outlet.reply(resident.room_id, [image])
    content = (await resident.expect("A QR code"))[-1]
    assert content["msgtype"] == "m.image" and content["url"].startswith("mxc://")
    assert content["info"] == {"mimetype": "image/png", "size": len(image.data), "w": width, "h": height}
    assert content["formatted_body"] == "A <b>QR</b> code"
    assert re.fullmatch(r"mxc://[^/]+/\S+", content["url"])


async def test_the_login_is_kept_and_an_access_token_works(
    synapse: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)  # as `lte-bot run` logs (it keeps nio and aiohttp at WARNING)
    by_password = await Bot(synapse, tmp_path / "a.sqlite3").start()
    assert by_password.channel is not None
    device = by_password.channel.client.device_id
    token = by_password.channel.client.access_token
    await by_password.stop()
    await by_password.start()  # the same device, its token read back from the database
    assert by_password.channel is not None
    assert (by_password.channel.client.device_id, by_password.channel.client.access_token) == (device, token)
    await by_password.stop()

    by_token = await Bot(synapse, tmp_path / "b.sqlite3", access_token="yes").start()
    resident = await Resident(synapse, by_token.user_id).start()
    try:
        await resident.open_dm()
        await resident.ask("!aide", "/besoin")
    finally:
        await resident.close()
        await by_token.stop()
    for secret in (PASSWORD, token, by_token.access_token):
        assert secret not in caplog.text
