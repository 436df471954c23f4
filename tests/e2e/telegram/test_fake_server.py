"""End-to-end checks of FakeTelegram against the real python-telegram-bot stack (no ptb mocks)."""

from __future__ import annotations

import asyncio
import datetime as dtm
import html
import re
import struct
import sys
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    PollAnswerHandler,
    filters,
)

# Make ``tests.support`` importable however pytest was started (pytest's rootdir-relative
# import mode only puts ``tests/`` on sys.path, since ``tests`` has no __init__.py).
_REPO_ROOT = str(Path(__file__).resolve().parents[3])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

from tests.support.fake_telegram import EntityParseError, FakeTelegram, parse_html  # noqa: E402

pytestmark = pytest.mark.e2e

TOKEN = "123456:TEST-token"
ALICE = 42


def _png(width: int = 3, height: int = 2) -> bytes:
    """A tiny valid PNG, so the upload carries realistic bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


PNG = _png()


# ---------------------------------------------------------------------------- bot under test


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_user
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Oui", callback_data="yes"), InlineKeyboardButton("Non", callback_data="no")]]
    )
    await update.effective_message.reply_text(
        f"Bonjour <b>{html.escape(update.effective_user.first_name)}</b> &amp; bienvenue",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard,
    )


async def echo_raw(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The classic bug: user text interpolated into HTML without escaping."""
    assert update.effective_message
    await update.effective_message.reply_html(f"<i>Tu as écrit :</i> {' '.join(context.args or [])}")


async def echo_safe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message
    await update.effective_message.reply_html(
        f"<i>Tu as écrit :</i> {html.escape(' '.join(context.args or []))}"
    )


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message
    await update.effective_message.reply_photo(PNG, caption="<i>carte</i> du quartier", parse_mode="HTML")


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer(text=f"Choix {query.data} noté")
    await query.edit_message_text(f"Tu as choisi : {query.data}")


async def on_location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_message.location
    loc = update.effective_message.location
    await update.effective_message.reply_text(f"Position {loc.latitude:.4f},{loc.longitude:.4f}")


async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_message.photo
    file = await update.effective_message.photo[-1].get_file()
    data = await file.download_as_bytearray()
    await update.effective_message.reply_text(f"Photo reçue ({len(data)} octets)")


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message and update.effective_chat
    await update.effective_message.reply_text(
        f"{update.effective_chat.type}: {update.effective_message.text}"
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=TOKEN) as fake:
        yield fake


class ErrorLog:
    """Errors seen by the application's error handler, awaitable."""

    def __init__(self) -> None:
        self.items: list[BaseException] = []
        self._cond = asyncio.Condition()

    def __getitem__(self, index: int) -> BaseException:
        return self.items[index]

    async def add(self, error: BaseException) -> None:
        async with self._cond:
            self.items.append(error)
            self._cond.notify_all()

    async def wait(self, count: int = 1) -> None:
        async with asyncio.timeout(5), self._cond:
            await self._cond.wait_for(lambda: len(self.items) >= count)


@pytest.fixture
async def errors() -> ErrorLog:
    return ErrorLog()


@pytest.fixture
async def app(tg: FakeTelegram, errors: ErrorLog) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .get_updates_read_timeout(2)
        .build()
    )
    application.add_handler(CommandHandler("start", start))
    application.add_handler(CommandHandler("brut", echo_raw))
    application.add_handler(CommandHandler("sur", echo_safe))
    application.add_handler(CommandHandler("photo", photo))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_handler(MessageHandler(filters.LOCATION, on_location))
    application.add_handler(MessageHandler(filters.PHOTO, on_photo))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert context.error is not None
        await errors.add(context.error)

    application.add_error_handler(on_error)
    await application.initialize()
    await application.start()
    assert application.updater is not None
    # A real long poll: the fake holds getUpdates open until an update arrives.
    await application.updater.start_polling(poll_interval=0, timeout=dtm.timedelta(seconds=10))
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


# ---------------------------------------------------------------------------- tests


async def test_bootstrap_calls_and_get_me(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    assert app.bot.username == "lte_test_bot"
    assert app.bot.id == 123456
    methods = [c.method for c in tg.sent]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    await tg.wait_polling()
    assert tg.get_updates_calls >= 1


async def test_long_polling_waits_then_delivers_fast(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    await tg.wait_polling()
    await asyncio.sleep(0.2)
    # Idle: one getUpdates stays parked on the server instead of a busy loop.
    assert tg.get_updates_calls == 1
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    tg.user_message(ALICE, "bonjour")
    await tg.wait_sent("sendMessage", chat_id=ALICE)
    assert loop.time() - t0 < 1.0
    assert tg.texts_to(ALICE) == ["private: bonjour"]
    # The next poll confirms the update through its offset, then parks again.
    await tg.wait_polling()
    assert tg.pending_updates == 0


async def test_command_entity_and_keyboard(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    update = tg.user_message(ALICE, "/start du texte")
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert tg.user_message(7, "/besoin du texte")["message"]["entities"][0]["length"] == 7

    (call,) = await tg.wait_sent("sendMessage", chat_id=ALICE)
    assert call.text == "Bonjour <b>Alice</b> &amp; bienvenue"
    assert call.plain == "Bonjour Alice & bienvenue"
    (msg,) = tg.messages_to(ALICE)
    assert msg.text == "Bonjour Alice & bienvenue"
    assert msg.html == "Bonjour <b>Alice</b> &amp; bienvenue"
    assert msg.entities == [{"type": "bold", "offset": 8, "length": 5}]
    assert msg.button_data == ["yes", "no"]
    # Message ids are per chat and shared with the user's own messages, like a private chat.
    assert msg.message_id == update["message"]["message_id"] + 1


async def test_callback_answered_and_message_edited(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    tg.user_message(ALICE, "/start")
    await tg.wait_sent("sendMessage", chat_id=ALICE)
    menu = tg.last_message(ALICE)

    query_id = tg.user_press(ALICE, menu.message_id, "yes")
    await tg.wait_sent("editMessageText", chat_id=ALICE)

    assert tg.callback_answers[query_id]["text"] == "Choix yes noté"
    (msg,) = tg.messages_to(ALICE)
    assert msg.message_id == menu.message_id
    assert msg.text == "Tu as choisi : yes"
    assert msg.edited and msg.history == ["Bonjour Alice & bienvenue"]
    # Editing without reply_markup removes the keyboard, as on Telegram.
    assert msg.reply_markup is None
    with pytest.raises(AssertionError, match="has no button"):
        tg.user_press(ALICE, menu.message_id, "yes")

    # Answering the same query twice fails like an expired query.
    with pytest.raises(BadRequest, match="Query is too old"):
        await app.bot.answer_callback_query(query_id)


async def test_edit_with_identical_content_is_rejected(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    sent = await app.bot.send_message(ALICE, "Étape <b>1</b>", parse_mode="HTML")
    assert sent.text == "Étape 1"
    assert sent.text_html == "Étape <b>1</b>"
    with pytest.raises(BadRequest, match="Message is not modified"):
        await app.bot.edit_message_text("Étape <b>1</b>", ALICE, sent.message_id, parse_mode="HTML")
    edited = await app.bot.edit_message_text("Étape <b>2</b>", ALICE, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, type(sent)) and edited.edit_date is not None
    assert tg.last_message(ALICE).text == "Étape 2"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await app.bot.edit_message_text("x", ALICE, 999)


async def test_unescaped_user_text_in_html_is_rejected(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any], errors: ErrorLog
) -> None:
    typed = "3 <bananes & 2 pommes"
    tg.user_message(ALICE, f"/brut {typed}")
    await errors.wait()
    (failed,) = tg.calls("sendMessage", chat_id=ALICE, ok=False)
    assert failed.error_code == 400
    assert failed.description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "bananes" at byte offset 24'
    )
    assert isinstance(errors[0], BadRequest)
    # ptb strips "Bad Request: " and str.capitalize()s the rest (lower-casing "Unsupported").
    assert errors[0].message.startswith("Can't parse entities: unsupported start tag")

    tg.user_message(ALICE, f"/sur {typed}")
    (ok,) = await tg.wait_sent("sendMessage", chat_id=ALICE)
    assert ok.plain == f"Tu as écrit : {typed}"
    assert tg.texts_to(ALICE) == [f"Tu as écrit : {typed}"]


async def test_text_limits_and_button_data(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(ALICE, "é" * 4097)
    # The limit applies after entity parsing: markup does not count.
    await bot.send_message(ALICE, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(ALICE, "<b> </b>", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(BadRequest, match="Button_data_invalid"):
        await bot.send_message(ALICE, "choix", reply_markup=too_long)
    just_fits = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 32)]])
    await bot.send_message(ALICE, "choix", reply_markup=just_fits)
    assert len(tg.messages_to(ALICE)) == 2


async def test_retry_after_from_injected_429(
    tg: FakeTelegram,
    app: Application[Any, Any, Any, Any, Any, Any],
    errors: ErrorLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # ptb 22 warns on int retry_after unless the timedelta behaviour is opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    tg.fail_next("sendMessage", chat_id=ALICE, retry_after=3)
    with pytest.raises(RetryAfter) as excinfo:
        await app.bot.send_message(ALICE, "salut")
    assert excinfo.value.retry_after == dtm.timedelta(seconds=3)
    (failed,) = tg.calls("sendMessage", ok=False)
    assert failed.error_code == 429 and failed.description == "Too Many Requests: retry after 3"
    # Only the next call failed.
    await app.bot.send_message(ALICE, "salut")

    # Inside a handler it surfaces in the error handler.
    tg.fail_next("sendMessage", chat_id=ALICE, retry_after=7)
    tg.user_message(ALICE, "hé")
    await errors.wait()
    assert isinstance(errors[0], RetryAfter) and errors[0].retry_after == dtm.timedelta(seconds=7)


async def test_blocked_user_is_forbidden(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    tg.block(ALICE)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await app.bot.send_message(ALICE, "coucou")
    await app.bot.send_message(ALICE + 1, "coucou")
    tg.unblock(ALICE)
    await app.bot.send_message(ALICE, "coucou")
    tg.fail_next("sendMessage", error_code=403, description="Forbidden: user is deactivated")
    with pytest.raises(Forbidden, match="user is deactivated"):
        await app.bot.send_message(ALICE, "coucou")


async def test_send_photo_multipart_records_bytes(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    tg.user_message(ALICE, "/photo")
    (call,) = await tg.wait_sent("sendPhoto", chat_id=ALICE)
    assert call.files["photo"].data == PNG
    assert call.params["chat_id"] == ALICE  # form values are decoded back to their JSON types
    assert call.plain == "carte du quartier"
    (msg,) = tg.messages_to(ALICE)
    assert msg.kind == "photo" and msg.photo_bytes == PNG
    assert msg.text == "carte du quartier" and msg.html == "<i>carte</i> du quartier"
    assert msg.extra["photo"][-1]["width"] == 3  # read from the PNG header

    # Re-sending by file_id works; unknown file ids are refused like Telegram does.
    file_id = msg.extra["photo"][-1]["file_id"]
    await app.bot.send_photo(ALICE, file_id)
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await app.bot.send_photo(ALICE, "nope")


async def test_user_photo_download_and_location(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    tg.user_photo(ALICE, "AgACuserphoto", data=b"\xff\xd8jpegdata")
    (call,) = await tg.wait_sent("sendMessage", chat_id=ALICE)
    assert call.plain == "Photo reçue (10 octets)"
    tg.user_location(ALICE, 48.8566, 2.3522)
    await tg.wait_sent("sendMessage", chat_id=ALICE, count=2)
    assert tg.texts_to(ALICE)[-1] == "Position 48.8566,2.3522"


async def test_send_poll_and_votes(tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    votes: list[tuple[str, tuple[int, ...], int]] = []
    third = asyncio.Event()

    async def on_vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        answer = update.poll_answer
        assert answer is not None and answer.user is not None
        votes.append((answer.poll_id, answer.option_ids, answer.user.id))
        if len(votes) == 3:
            third.set()

    app.add_handler(PollAnswerHandler(on_vote))
    message = await app.bot.send_poll(
        ALICE,
        "Quel jour ?",
        ["Samedi", "Dimanche", "Les deux"],
        is_anonymous=False,
        allows_multiple_answers=True,
    )
    assert message.poll is not None and [o.text for o in message.poll.options] == [
        "Samedi",
        "Dimanche",
        "Les deux",
    ]
    assert message.poll.is_anonymous is False and message.poll.allows_multiple_answers is True
    (shown,) = tg.messages_to(ALICE)
    assert (shown.kind, shown.text) == ("poll", "Quel jour ?")
    poll_id = message.poll.id
    tg.user_poll_answer(ALICE, poll_id, [0, 2])
    tg.user_poll_answer(ALICE + 1, poll_id, [2])
    tg.user_poll_answer(ALICE, poll_id, [])  # withdrawn
    await asyncio.wait_for(third.wait(), 5)
    assert votes == [(poll_id, (0, 2), ALICE), (poll_id, (2,), ALICE + 1), (poll_id, (), ALICE)]
    assert [o["voter_count"] for o in tg.polls[poll_id]["options"]] == [0, 0, 1]
    assert tg.polls[poll_id]["total_voter_count"] == 1
    # Only what Telegram would send: votes on the bot's own polls, open and not anonymous.
    with pytest.raises(AssertionError, match="one answer only"):
        single = await app.bot.send_poll(ALICE, "Oui ?", ["Oui", "Non"], is_anonymous=False)
        assert single.poll is not None
        tg.user_poll_answer(ALICE, single.poll.id, [0, 1])
    anonymous = await app.bot.send_poll(ALICE, "Anonyme ?", ["Oui", "Non"])
    assert anonymous.poll is not None
    with pytest.raises(AssertionError, match="anonymous"):
        tg.user_poll_answer(ALICE, anonymous.poll.id, [0])
    with pytest.raises(AssertionError, match="no such options"):
        tg.user_poll_answer(ALICE, poll_id, [3])
    with pytest.raises(AssertionError, match="no poll"):
        tg.user_poll_answer(ALICE, "123", [0])


@pytest.mark.parametrize(
    ("question", "options", "error"),
    [
        ("", ["a", "b"], "poll question must be non-empty"),
        ("?" * 301, ["a", "b"], "poll question length must not exceed 300"),
        ("?", [], "poll must have at least one answer option"),
        ("?", [str(i) for i in range(13)], "poll can't have more than 12 options"),
        ("?", ["a", " "], "poll options must be non-empty"),
        ("?", ["a", "b" * 101], "poll options length must not exceed 100"),
    ],
)
async def test_send_poll_limits(
    tg: FakeTelegram,
    app: Application[Any, Any, Any, Any, Any, Any],
    question: str,
    options: list[str],
    error: str,
) -> None:
    with pytest.raises(BadRequest, match="(?i)" + re.escape(error)):
        await app.bot.send_poll(ALICE, question, options)
    assert tg.polls == {} and tg.messages_to(ALICE) == []
    # The limits themselves pass.
    await app.bot.send_poll(ALICE, "?" * 300, [chr(97 + i) * 100 for i in range(12)])


async def test_simulated_round_trip(tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    tg.latency = 0.2
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await app.bot.send_message(ALICE, "lent")
    assert loop.time() - t0 >= 0.2


async def test_group_message(tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    tg.group_message(ALICE, "salut le groupe", chat_id=-555)
    (call,) = await tg.wait_sent("sendMessage", chat_id=-555)
    assert call.plain == "group: salut le groupe"
    assert tg.messages_to(ALICE) == []
    # Group messages count towards the chat's own message ids.
    assert tg.messages_to(-555, include_user=True)[0].from_bot is False


async def test_set_my_commands_per_language_and_scope(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any]
) -> None:
    bot = app.bot
    await bot.set_my_commands([BotCommand("besoin", "Exprimer un besoin")], language_code="fr")
    await bot.set_my_commands([BotCommand("need", "Post a need")], language_code="en")
    await bot.set_my_commands([BotCommand("start", "Démarrer")], scope=BotCommandScopeAllPrivateChats())
    assert tg.commands_for("fr") == [{"command": "besoin", "description": "Exprimer un besoin"}]
    assert tg.commands_for("en") == [{"command": "need", "description": "Post a need"}]
    assert tg.commands_for("", "all_private_chats") == [{"command": "start", "description": "Démarrer"}]
    assert tg.commands_for("de") is None
    (cmd,) = await bot.get_my_commands(language_code="en")
    assert cmd.command == "need"
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Besoin-X", "invalide")])


async def test_rate_limit_and_unknown_methods(
    tg: FakeTelegram, app: Application[Any, Any, Any, Any, Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    tg.rate_limit(per_second=30, per_chat_per_second=1, per_chat_burst=3)
    for i in range(3):
        await app.bot.send_message(ALICE, f"m{i}")
    with pytest.raises(RetryAfter):
        await app.bot.send_message(ALICE, "m3")
    await app.bot.send_message(ALICE + 1, "other chat is fine")
    assert tg.throttled == 1
    tg.no_rate_limit()
    await app.bot.send_message(ALICE, "m4")

    assert await app.bot.do_api_request("setFooBar", api_kwargs={"x": 1}) is True
    assert tg.unknown_methods == ["setFooBar"]
    assert await app.bot.set_chat_menu_button()
    tg.reset()
    assert tg.sent == [] and tg.throttled == 0


async def test_wait_for_times_out_with_context(tg: FakeTelegram) -> None:
    with pytest.raises(AssertionError, match="timed out"):
        await tg.wait_sent("sendMessage", timeout=0.05)


# ---------------------------------------------------------------------------- HTML parser


@pytest.mark.parametrize(
    ("source", "plain", "entities"),
    [
        ("a &lt;b&gt; &amp; &quot;c&quot; &#233;&#x1F600;", 'a <b> & "c" é😀', []),
        ("Tom & Jerry", "Tom & Jerry", []),
        (
            "<b>x</b> <i>y</i>",
            "x y",
            [{"type": "bold", "offset": 0, "length": 1}, {"type": "italic", "offset": 2, "length": 1}],
        ),
        ("😀<u>z</u>", "😀z", [{"type": "underline", "offset": 2, "length": 1}]),
        (
            '<a href="https://e.x/?a=1&amp;b=2">lien</a>',
            "lien",
            [{"type": "text_link", "offset": 0, "length": 4, "url": "https://e.x/?a=1&b=2"}],
        ),
        (
            '<span class="tg-spoiler">s</span><tg-spoiler>t</tg-spoiler>',
            "st",
            [{"type": "spoiler", "offset": 0, "length": 1}, {"type": "spoiler", "offset": 1, "length": 1}],
        ),
        (
            '<pre><code class="language-python">x=1</code></pre>',
            "x=1",
            [{"type": "pre", "offset": 0, "length": 3, "language": "python"}],
        ),
        (
            "<blockquote expandable>q</blockquote>",
            "q",
            [{"type": "expandable_blockquote", "offset": 0, "length": 1}],
        ),
        ("<B>x</b>", "x", [{"type": "bold", "offset": 0, "length": 1}]),
    ],
)
def test_parse_html_accepts(source: str, plain: str, entities: list[dict[str, Any]]) -> None:
    assert parse_html(source) == (plain, entities)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<b>gras", 'Can\'t find end tag corresponding to start tag "b"'),
        ("gras</b>", "Unexpected end tag at byte offset 4"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<b x>y</b>", 'Expected equal sign in declaration of an attribute of the tag "b" at byte offset 0'),
        ('<span class="x">y</span>', 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("caf&eacute;", 'Unsupported HTML entity "&eacute;" at byte offset 3'),
        ("é <x>", 'Unsupported start tag "x" at byte offset 3'),
    ],
)
def test_parse_html_rejects(source: str, error: str) -> None:
    with pytest.raises(EntityParseError) as excinfo:
        parse_html(source)
    assert str(excinfo.value) == error
