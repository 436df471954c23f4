"""Matrix payloads ↔ the channel contract: what a resident types becomes the right event, and
what the bot says is shown as they should read it (numbered choices, nothing typed as markup)."""

from __future__ import annotations

import pytest

from bots.matrix.render import (
    command_or_text,
    image_content,
    parse_geo_uri,
    parse_message,
    png_size,
    reply_content,
    strip_reply_fallback,
)
from dialogs.contract import (
    Command,
    ImageReply,
    Location,
    Markup,
    Option,
    Photo,
    Reply,
    Text,
    Unreadable,
    escape,
)
from dialogs.qr import qr_png


def text(body: str, **extra: object) -> dict[str, object]:
    return {"msgtype": "m.text", "body": body, **extra}


@pytest.mark.parametrize(
    ("body", "event"),
    [
        ("!start", Command("start")),
        ("/start", Command("start")),
        ("!besoin du texte", Command("besoin", "du texte")),
        ("  !besoin   un jardin\npartagé  ", Command("besoin", "un jardin\npartagé")),
        ("!aide", Command("aide")),
        ("bonjour", Text("bonjour")),
        ("2", Text("2")),
        ("! pas une commande", Text("! pas une commande")),
        ("!", Text("!")),
    ],
)
def test_commands_start_with_a_bang_or_a_slash(body: str, event: object) -> None:
    assert parse_message(text(body)) == event
    assert command_or_text(body) == event


def test_what_the_bot_must_not_answer() -> None:
    assert parse_message({"msgtype": "m.notice", "body": "another bot"}) is None
    assert parse_message({}) is None  # a redacted message
    edit = text("* corrected", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$e"}})
    assert parse_message(edit) is None


def test_a_reply_is_read_without_the_quoted_message() -> None:
    body = "> <@bot:example.org> Which theme?\n> 1. Food\n\n2"
    reply = text(body, **{"m.relates_to": {"m.in_reply_to": {"event_id": "$q"}}})
    assert parse_message(reply) == Text("2")
    assert strip_reply_fallback("no quote") == "no quote"


def test_location_photo_and_the_rest() -> None:
    assert parse_message({"msgtype": "m.location", "body": "here", "geo_uri": "geo:48.85,2.35;u=20"}) == (
        Location(48.85, 2.35)
    )
    assert parse_message({"msgtype": "m.location", "body": "?", "geo_uri": "geo:nowhere"}) == Unreadable(
        "location"
    )
    assert parse_message({"msgtype": "m.image", "body": "garden.jpg", "url": "mxc://hs/abc"}) == Photo(
        "mxc://hs/abc"
    )
    captioned = {"msgtype": "m.image", "body": "the garden", "filename": "g.jpg", "url": "mxc://hs/abc"}
    assert parse_message(captioned) == Photo("mxc://hs/abc", "the garden")
    encrypted = {"msgtype": "m.image", "body": "x.jpg", "file": {"url": "mxc://hs/enc"}}
    assert parse_message(encrypted) == Unreadable("image")
    assert parse_message({"msgtype": "m.audio", "body": "voice", "url": "mxc://hs/v"}) == Unreadable(
        "m.audio"
    )
    assert parse_message({"msgtype": "m.text", "body": 3}) == Unreadable("text")


@pytest.mark.parametrize(
    ("uri", "point"),
    [
        ("geo:48.8566,2.3522", (48.8566, 2.3522)),
        ("geo:-33.9,151.2,30;crs=wgs84;u=35", (-33.9, 151.2)),
        ("GEO:1,2", (1.0, 2.0)),
        ("geo:48.8566", None),
        ("geo:nan,2", None),
        ("https://maps.example/1,2", None),
    ],
)
def test_geo_uris(uri: str, point: tuple[float, float] | None) -> None:
    assert parse_geo_uri(uri) == point


def test_a_reply_with_choices_is_a_numbered_list_in_both_bodies() -> None:
    reply = Reply(
        Markup("Which theme?\nChoose <b>one</b> for “{t}”").format(t="<i>me</i>"),
        (Option("n.food", "Food & drink"), Option("n.x", "<script>no</script>")),
    )
    content = reply_content(reply)
    assert content["msgtype"] == "m.text"
    assert content["format"] == "org.matrix.custom.html"
    assert content["body"] == (
        "Which theme?\nChoose one for “<i>me</i>”\n\n1. Food & drink\n2. <script>no</script>"
    )
    assert content["formatted_body"] == (
        "Which theme?<br>Choose <b>one</b> for “&lt;i&gt;me&lt;/i&gt;”"
        "<ol><li>Food &amp; drink</li><li>&lt;script&gt;no&lt;/script&gt;</li></ol>"
    )


def test_a_reply_without_choices() -> None:
    content = reply_content(Reply(escape("<b>typed</b>") + Markup("\n<b>B-3</b>")))
    assert content["body"] == "<b>typed</b>\nB-3"
    assert content["formatted_body"] == "&lt;b&gt;typed&lt;/b&gt;<br><b>B-3</b>"


def test_an_image_with_its_caption() -> None:
    data = qr_png("https://example.org/")
    size = png_size(data)
    assert size is not None and size[0] == size[1] > 20
    content = image_content(ImageReply(data, Markup("Poster of <b>B-1</b>"), "b1.png"), "mxc://hs/qr")
    assert content == {
        "msgtype": "m.image",
        "body": "Poster of B-1",
        "filename": "b1.png",
        "url": "mxc://hs/qr",
        "info": {"mimetype": "image/png", "size": len(data), "w": size[0], "h": size[1]},
        "format": "org.matrix.custom.html",
        "formatted_body": "Poster of <b>B-1</b>",
    }
    bare = image_content(ImageReply(b"GIF89a", Markup(""), "x.gif", "image/gif"), "mxc://hs/x")
    assert bare["body"] == "x.gif" and "formatted_body" not in bare and "w" not in bare["info"]
