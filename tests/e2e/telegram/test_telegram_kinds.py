"""Every kind of reply through the real bot, direct and from the outbox: documents, native polls
(and their fallback), votes coming back; the command menu from the engine; presses answered
before the pressed message is replaced."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from markupsafe import Markup

from dialogs.contract import FileReply, Incoming, Option, Outgoing, PollReply, PollVote, Reply
from lte_core.store import OutboxMessage
from tests.support.fake_telegram import FakeTelegram

from .harness import Bot, Resident

pytestmark = pytest.mark.e2e

ALICE, BOB = 101, 102
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nSUMMARY:Tenir le stand\r\nEND:VCALENDAR\r\n"
FALLBACK = Reply(Markup("<b>Quel jour ?</b>"), (Option("p.1.0", "Samedi"), Option("p.1.1", "Dimanche")))


def poll(options: tuple[str, ...] = ("Samedi", "Dimanche"), *, multiple: bool = False) -> PollReply:
    return PollReply("poll:1", "Quel jour pour le marché ?", options, FALLBACK, multiple)


@pytest.fixture
async def bot(tg: FakeTelegram, tmp_path: Path) -> AsyncIterator[Bot]:
    harness = Bot(tg, tmp_path / "lte.sqlite3")
    await harness.open()
    try:
        yield harness
    finally:
        await harness.close()
    assert harness.html_errors() == []
    assert [c for c in tg.calls("sendPoll") if not c.ok] == []


async def reply(bot: Bot, chat_id: int, *replies: Outgoing) -> None:
    assert bot.channel is not None
    await bot.channel.reply(chat_id, list(replies))


async def remembered(bot: Bot, poll_id: str) -> str | None:
    async with bot.uow() as uow:
        return await uow.kv.get(f"poll.telegram.{poll_id}")


# Documents -------------------------------------------------------------------------------------------


async def test_a_document_with_its_caption(bot: Bot) -> None:
    caption = Markup("Votre invitation pour <b>{}</b>").format("Tenir le stand & co")
    await reply(bot, ALICE, FileReply(ICS, "mission-1.ics", "text/calendar", caption))
    (call,) = bot.tg.calls("sendDocument", chat_id=ALICE)
    upload = call.files["document"]
    assert (upload.data, upload.filename, upload.content_type) == (ICS, "mission-1.ics", "text/calendar")
    assert call.plain == "Votre invitation pour Tenir le stand & co"
    assert call.params["parse_mode"] == "HTML"


async def test_a_long_caption_follows_the_document_as_messages(bot: Bot) -> None:
    caption = Markup("\n").join([Markup("Ligne <i>{}</i> ").format(i) + "x" * 60 for i in range(40)])
    await reply(bot, ALICE, FileReply(b"{}", "mesdonnees.json", "application/json", caption))
    document, *texts = bot.tg.messages_to(ALICE)
    assert document.kind == "document" and document.text == ""
    assert texts and all(m.kind == "text" for m in texts)
    joined = "\n".join(m.text for m in texts)
    assert all(f"Ligne {i} " + "x" * 60 in joined for i in range(40))


async def test_a_document_never_replaces_the_pressed_question(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A press whose first reply is a document: the question stays, the document comes under."""
    assert bot.app is not None
    alice = Resident(bot, ALICE)
    await alice.say("/start")
    question = alice.messages[-1]

    async def export(incoming: Incoming) -> list[Outgoing]:
        return [FileReply(b'{"needs": []}', "mesdonnees.json", "application/json"), Reply(Markup("Voilà."))]

    monkeypatch.setattr(bot.app.engine, "handle", export)
    await alice.press("English")
    kinds = [(m.message_id, m.kind) for m in alice.messages]
    assert kinds[0] == (question.message_id, "text") and not alice.messages[0].edited
    assert [k for _, k in kinds[1:]] == ["document", "text"]


# Polls -------------------------------------------------------------------------------------------------


async def test_a_native_poll_is_remembered_and_its_votes_reach_the_engine(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bot.app is not None and bot.channel is not None
    engine = bot.app.engine
    seen: list[Incoming] = []
    real = engine.handle

    async def handle(incoming: Incoming) -> list[Outgoing]:
        seen.append(incoming)
        return await real(incoming)

    monkeypatch.setattr(engine, "handle", handle)
    await reply(bot, ALICE, poll(("Samedi", "Dimanche", "Les deux"), multiple=True))
    (call,) = bot.tg.calls("sendPoll", chat_id=ALICE)
    assert call.params["is_anonymous"] is False and call.params["allows_multiple_answers"] is True
    (shown,) = bot.tg.messages_to(ALICE)
    assert shown.kind == "poll" and shown.text == "Quel jour pour le marché ?"
    poll_id = call.result["poll"]["id"]
    assert [o["text"] for o in bot.tg.polls[poll_id]["options"]] == ["Samedi", "Dimanche", "Les deux"]
    assert await remembered(bot, poll_id) == "poll:1"

    # Alice votes, then withdraws her vote; the engine gets both. She has not met the bot yet:
    # her vote is answered by the onboarding's first question, the withdrawal by nothing.
    for option_ids in ([0, 2], []):
        bot.tg.user_poll_answer(ALICE, poll_id, option_ids, language_code="en")
        bot.injected += 1
        await bot.settle()
    assert [i.event for i in seen] == [PollVote(poll_id, (0, 2)), PollVote(poll_id, ())]
    assert {(i.channel, i.user_id, i.locale_hint) for i in seen} == {("telegram", str(ALICE), "en")}
    assert [b["text"] for b in bot.tg.last_message(ALICE).buttons] == ["Français", "English"]
    assert bot.tg.polls[poll_id]["total_voter_count"] == 0


async def test_a_reply_to_a_vote_goes_to_the_voters_private_chat(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert bot.app is not None
    await reply(bot, BOB, poll())
    poll_id = bot.tg.calls("sendPoll")[0].result["poll"]["id"]

    async def thanks(incoming: Incoming) -> list[Outgoing]:
        assert isinstance(incoming.event, PollVote)
        return [Reply(Markup("Merci, <b>{}</b> !").format(incoming.display_name))]

    monkeypatch.setattr(bot.app.engine, "handle", thanks)
    bot.tg.user_poll_answer(BOB, poll_id, [1], first_name="Bob <3")
    bot.injected += 1
    await bot.settle()
    assert bot.tg.last_message(BOB).text == "Merci, Bob <3 !"


@pytest.mark.parametrize(
    "options",
    [
        ("Une seule",),  # a poll of one option asks nothing
        tuple(f"Jour {i}" for i in range(13)),  # Telegram shows at most 12
        ("Samedi", "x" * 101),  # an option longer than 100 characters
        ("Samedi", "   "),  # an empty option
    ],
)
async def test_a_poll_telegram_cannot_show_goes_as_its_fallback(bot: Bot, options: tuple[str, ...]) -> None:
    await reply(bot, ALICE, poll(options))
    assert bot.tg.calls("sendPoll") == []
    (shown,) = bot.tg.messages_to(ALICE)
    assert shown.text == "Quel jour ?" and [b["text"] for b in shown.buttons] == ["Samedi", "Dimanche"]


async def test_twelve_options_and_a_long_question_are_native(bot: Bot) -> None:
    options = tuple(f"Option {i}" for i in range(12))
    await reply(bot, ALICE, PollReply("poll:2", "?" * 300, options, FALLBACK))
    (call,) = bot.tg.calls("sendPoll")
    assert call.ok and len(bot.tg.polls[call.result["poll"]["id"]]["options"]) == 12
    await reply(bot, ALICE, PollReply("poll:3", "?" * 301, options, FALLBACK))
    assert len(bot.tg.calls("sendPoll")) == 1 and bot.tg.last_message(ALICE).text == "Quel jour ?"


async def test_outbox_sends_every_kind(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox renders through the same plan: a document and a native poll, remembered."""
    assert bot.channel is not None and bot.app is not None
    replies: list[Outgoing] = [
        Reply(Markup("Nouvelle mission : <b>Tenir le stand</b>")),
        FileReply(ICS, "mission-1.ics", "text/calendar", Markup("Dans votre agenda")),
        poll(),
    ]
    monkeypatch.setattr(bot.app.engine, "render", lambda msg: replies)
    await bot.channel.sender.deliver(OutboxMessage("k1", "telegram", str(ALICE), "fr", "mission_new"))
    kinds = [m.kind for m in bot.tg.messages_to(ALICE)]
    assert kinds == ["text", "document", "poll"]
    (call,) = bot.tg.calls("sendPoll")
    assert await remembered(bot, call.result["poll"]["id"]) == "poll:1"


# Presses and the command menu ------------------------------------------------------------------------------


async def test_a_press_is_answered_before_its_question_is_replaced(bot: Bot) -> None:
    alice = Resident(bot, ALICE)
    await alice.onboard()
    order = [(c.method, c.params.get("callback_query_id")) for c in bot.tg.sent]
    methods = [m for m, _ in order if m in ("answerCallbackQuery", "editMessageText")]
    edits = methods.count("editMessageText")
    assert edits >= 4
    # Each press: its answer, then the edit of the question it answers.
    assert methods == ["answerCallbackQuery", "editMessageText"] * edits


async def test_command_menu_comes_from_the_engine_and_what_telegram_refuses_is_left_out(bot: Bot) -> None:
    assert bot.app is not None and bot.channel is not None
    menus = {
        "fr": [("besoin", "Exprimer un besoin"), ("Bad-Name", "refusé par Telegram"), ("vide", "  ")],
        "en": [("need", "Express a need"), ("help", "x" * 300)],
    }
    asked: list[str] = []

    def command_menu(locale: str) -> list[tuple[str, str]]:
        asked.append(locale)
        return menus[locale]

    bot.app.engine.command_menu = command_menu  # type: ignore[attr-defined]
    await bot.channel.publish_commands()
    assert asked == ["fr", "en", "fr"]  # French, English, and the default (the territory's French)
    assert bot.tg.commands_for("fr") == [{"command": "besoin", "description": "Exprimer un besoin"}]
    assert bot.tg.commands_for("") == bot.tg.commands_for("fr")
    en = bot.tg.commands_for("en")
    assert en is not None and [c["command"] for c in en] == ["need", "help"]
    assert en[1]["description"] == "x" * 256
