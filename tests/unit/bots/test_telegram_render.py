"""Replies as Telegram messages, and Telegram messages as dialog inputs: pure functions, no network.

Every part the renderer makes is checked with the fake Bot API server's HTML parser, which
refuses what Telegram refuses."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup, escape
from telegram import Chat, Location, Message, MessageEntity, PhotoSize, Sticker, User, Venue
from telegram.error import BadRequest, RetryAfter

from bots.telegram import api_urls
from bots.telegram.parse import CAPABILITIES, event_of, incoming
from bots.telegram.render import MAX_CAPTION, MAX_TEXT, NativePoll, keyboard, plain_length, plan, split_html
from bots.telegram.sender import TelegramSender, is_gone, retry_seconds
from dialogs.contract import (
    OUTGOING_KINDS,
    Command,
    FileReply,
    ImageReply,
    Option,
    Outgoing,
    Photo,
    PollReply,
    Reply,
    Text,
    Unreadable,
)
from dialogs.contract import Location as Where

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from tests.support.fake_telegram import parse_html


def parts_ok(parts: list[str], limit: int = MAX_TEXT) -> str:
    """Each part is valid Telegram HTML within the limit; returns the plain texts joined."""
    plains = []
    for part in parts:
        plain, _ = parse_html(part)
        assert plain_length(part) <= limit
        plains.append(plain)
    return "".join(plains)


# Cutting long texts ------------------------------------------------------------------------------------


def test_short_text_is_one_part() -> None:
    assert split_html("<b>B-1</b> &lt;3") == ["<b>B-1</b> &lt;3"]


def test_long_text_is_cut_at_line_ends_with_tags_carried_over() -> None:
    lines = [f"<b>Ligne {i}</b> — " + "mot " * 20 for i in range(400)]
    text = "<i>" + "\n".join(lines) + "</i>"
    parts = split_html(text)
    assert len(parts) > 1
    assert parts_ok(parts).replace("\n", "") == parse_html(text)[0].replace("\n", "")
    for part in parts[:-1]:
        assert part.endswith("\n</i>")  # cut after a line, the italics closed
    for part in parts[1:]:
        assert part.startswith("<i>")  # and opened again


def test_one_long_line_is_cut_at_spaces_never_inside_an_entity() -> None:
    text = "<b>" + "&amp;&lt; " * 3000 + "</b>"
    parts = split_html(text)
    assert len(parts) >= 2
    assert parts_ok(parts) == parse_html(text)[0]
    assert all(p.startswith("<b>") and p.endswith("</b>") for p in parts)


def test_length_counts_utf16_units() -> None:
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_html(text)
    assert len(parts) == 2
    assert "".join(parts) == text


def test_a_cut_at_a_space_leaves_room_for_a_character_outside_the_basic_plane() -> None:
    """Found by the property below: after a cut at the space, « 000000𐀀𐀀 » (10 UTF-16 units, as
    Telegram counts) was kept whole under a limit of 9."""
    parts = split_html(" 000000𐀀𐀀", 9)
    assert "".join(parts) == " 000000𐀀𐀀" and all(plain_length(p) <= 9 for p in parts)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
            st.sampled_from(["", "b", "i", "code"]),
            st.booleans(),
        ),
        max_size=30,
    ),
    st.integers(min_value=8, max_value=60),
)
def test_any_escaped_markup_is_cut_into_valid_parts(pieces: list[tuple[str, str, bool]], limit: int) -> None:
    text = Markup("")
    for words, tag, newline in pieces:
        chunk = escape(words)
        if tag:
            chunk = Markup(f"<{tag}>") + chunk + Markup(f"</{tag}>")
        text += chunk + (Markup("\n") if newline else Markup(""))
    source = str(text)
    parts = split_html(source, limit)
    joined = "".join(parse_html(p)[0] for p in parts)
    assert joined == parse_html(source)[0]
    for part in parts:
        parse_html(part)
        assert plain_length(part) <= limit


# Buttons, images ---------------------------------------------------------------------------------------


def test_buttons_pair_short_labels_and_keep_text_plain() -> None:
    markup = keyboard(
        [
            Option("a.fr", "Français"),
            Option("a.en", "English"),
            Option("g.cmd.express", "<b>Express</b> a need, right now"),
            Option("x" * 65, "too long a token"),
        ]
    )
    assert markup is not None
    rows = [[(b.text, b.callback_data) for b in row] for row in markup.inline_keyboard]
    assert rows == [
        [("Français", "a.fr"), ("English", "a.en")],
        [("<b>Express</b> a need, right now", "g.cmd.express")],
    ]
    assert keyboard([]) is None


def test_token_of_exactly_64_bytes_is_kept() -> None:
    markup = keyboard([Option("é" * 32, "ok")])
    assert markup is not None and markup.inline_keyboard[0][0].callback_data == "é" * 32


def test_keyboard_goes_under_the_last_part() -> None:
    long = Markup("\n").join([Markup("ligne ") + escape("x" * 100)] * 100)
    parts = plan(Reply(long, (Option("t.1", "OK"),)))
    assert len(parts) >= 3
    assert [p.keyboard is not None for p in parts] == [False] * (len(parts) - 1) + [True]


def test_image_with_a_long_caption() -> None:
    (short,) = plan(ImageReply(b"png", Markup("<b>Affiche</b>"), "a.png"))
    assert (short.photo, short.text, short.filename) == (b"png", "<b>Affiche</b>", "a.png")
    photo, *texts = plan(ImageReply(b"png", Markup("y" * 2000)))
    assert photo.photo == b"png" and photo.text == "" and texts and texts[0].photo is None


def test_empty_text_with_buttons_still_shows_them() -> None:
    (part,) = plan(Reply(Markup(" "), (Option("t.1", "OK"),)))
    assert part.text == "…" and part.keyboard is not None
    assert plan(Reply(Markup(""))) == []


FALLBACK = Reply(Markup("Quel jour ?"), (Option("p.0", "Samedi"), Option("p.1", "Dimanche")))
SAMPLES: list[Outgoing] = [
    Reply(Markup("<b>B-1</b>"), (Option("t.1", "OK"),)),
    ImageReply(b"png", Markup("Affiche")),
    FileReply(b"BEGIN:VCALENDAR", "mission.ics", "text/calendar", Markup("<i>Agenda</i>")),
    PollReply("poll:1", "Quel jour ?", ("Samedi", "Dimanche"), FALLBACK, multiple=True),
]


def test_every_kind_of_reply_is_rendered() -> None:
    assert {type(r) for r in SAMPLES} == set(OUTGOING_KINDS)
    for reply in SAMPLES:
        parts = plan(reply)
        assert parts, reply
        for part in parts:
            if part.text:
                parse_html(part.text)


def test_a_document_and_its_caption() -> None:
    (part,) = plan(FileReply(b"{}", "mesdonnees.json", "application/json", Markup("<b>Vos</b> données")))
    assert (part.document, part.filename, part.mime, part.text) == (
        b"{}",
        "mesdonnees.json",
        "application/json",
        "<b>Vos</b> données",
    )
    assert not part.is_text and part.photo is None
    caption = Markup("\n").join([Markup("<i>ligne</i> ") + "x" * 50] * 30)
    assert plain_length(str(caption)) > MAX_CAPTION
    document, *texts = plan(FileReply(b"{}", "a.json", caption=caption))
    assert document.document == b"{}" and document.text == ""
    assert texts and all(t.is_text for t in texts)
    assert parts_ok([t.text for t in texts]).replace("\n", "") == parse_html(str(caption))[0].replace(
        "\n", ""
    )


def test_a_poll_is_native_within_telegram_limits() -> None:
    (part,) = plan(PollReply("poll:1", " Quel jour ? ", ("Samedi", " Dimanche  matin "), FALLBACK, True))
    assert part.poll == NativePoll("poll:1", "Quel jour ?", ("Samedi", "Dimanche matin"), True)
    assert not part.is_text
    twelve = tuple(f"Option {i}" for i in range(12))
    assert plan(PollReply("p", "?" * 300, twelve, FALLBACK))[0].poll is not None
    assert plan(PollReply("p", "?", ("a", "é" * 100), FALLBACK))[0].poll is not None


@pytest.mark.parametrize(
    ("question", "options"),
    [
        ("Quel jour ?", ("Samedi",)),
        ("Quel jour ?", ()),
        ("Quel jour ?", tuple(f"Jour {i}" for i in range(13))),
        ("Quel jour ?", ("Samedi", "x" * 101)),
        ("Quel jour ?", ("Samedi", "😀" * 51)),  # 102 UTF-16 units
        ("Quel jour ?", ("Samedi", " ")),
        ("?" * 301, ("Samedi", "Dimanche")),
        ("  ", ("Samedi", "Dimanche")),
    ],
)
def test_a_poll_telegram_cannot_show_is_its_fallback(question: str, options: tuple[str, ...]) -> None:
    assert plan(PollReply("poll:1", question, options, FALLBACK)) == plan(FALLBACK)


# Messages in -----------------------------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
USER = User(42, "Zoé", False, language_code="en-GB")
CHAT = Chat(42, Chat.PRIVATE)


def message(**kwargs: object) -> Message:
    return Message(1, NOW, CHAT, from_user=USER, **kwargs)  # type: ignore[arg-type]


def command(text: str) -> Message:
    length = len(text.split(" ", 1)[0])
    return message(text=text, entities=(MessageEntity(MessageEntity.BOT_COMMAND, 0, length),))


def test_commands_in_french_and_english_and_addressed_to_the_bot() -> None:
    assert event_of(command("/besoin du pain  frais")) == Command("besoin", "du pain  frais")
    assert event_of(command("/need")) == Command("need", "")
    assert event_of(command("/aide@lte_test_bot")) == Command("aide", "")
    assert event_of(command("/start need_12")) == Command("start", "need_12")
    # Without the entity Telegram adds, it is text (the engine reads a leading slash itself).
    assert event_of(message(text="/besoin x")) == Text("/besoin x")
    assert event_of(message(text="bonjour")) == Text("bonjour")


def test_photo_location_and_the_rest() -> None:
    sizes = (PhotoSize("small", "s", 90, 90, 100), PhotoSize("big", "b", 1280, 960, 90_000))
    assert event_of(message(photo=sizes, caption="la fontaine")) == Photo("big", "la fontaine")
    assert event_of(message(location=Location(4.83, 45.76))) == Where(45.76, 4.83)
    venue = Venue(Location(2.35, 48.85), "Mairie", "Place de l'Hôtel de Ville")
    assert event_of(message(venue=venue, location=venue.location)) == Where(48.85, 2.35)
    sticker = Sticker("f", "u", 512, 512, False, False, Sticker.REGULAR)
    assert event_of(message(sticker=sticker)) == Unreadable("sticker")
    assert event_of(message()) == Unreadable()


def test_incoming_carries_identity_language_and_capabilities() -> None:
    got = incoming(USER, Text("x"))
    assert (got.channel, got.user_id, got.locale_hint, got.display_name) == ("telegram", "42", "en-GB", "Zoé")
    assert got.capabilities == CAPABILITIES


# Settings and errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_url", "urls"),
    [
        (None, None),
        ("http://127.0.0.1:8081", ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")),
        ("http://127.0.0.1:8081/bot/", ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")),
        (
            "https://api.telegram.org/bot{token}/test",
            ("https://api.telegram.org/bot{token}/test", "https://api.telegram.org/file/bot{token}/test"),
        ),
    ],
)
def test_local_bot_api_urls(given_url: str | None, urls: tuple[str, str] | None) -> None:
    assert api_urls(given_url) == urls


def test_telegram_answers_read() -> None:
    assert retry_seconds(RetryAfter(7)) == 7.0
    assert is_gone(BadRequest("Bad Request: chat not found"))
    assert not is_gone(BadRequest("Bad Request: can't parse entities"))


def test_429s_from_several_chats_pause_the_whole_channel() -> None:
    sender = TelegramSender(None, None)  # type: ignore[arg-type]
    assert not sender._flooded("1")
    assert not sender._flooded("1")
    assert sender._flooded("2")
