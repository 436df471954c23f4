"""Matrix payloads ↔ the channel contract: what a resident types becomes the right event, and
what the bot says is shown as they should read it (numbered choices, nothing typed as markup)."""

from __future__ import annotations

import pytest

from bots.matrix.render import (
    POLL_START,
    command_or_text,
    file_content,
    image_content,
    messages,
    parse_geo_uri,
    parse_message,
    parse_poll_response,
    png_size,
    reply_content,
    strip_reply_fallback,
)
from dialogs.contract import (
    Command,
    FileReply,
    ImageReply,
    Location,
    Markup,
    Option,
    Photo,
    PollReply,
    PollVote,
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


async def _no_upload(data: bytes, mime: str, filename: str) -> str:
    raise AssertionError("nothing to upload")


async def test_a_file_is_uploaded_then_sent_as_m_file_and_its_caption_follows() -> None:
    uploaded: list[tuple[bytes, str, str]] = []

    async def upload(data: bytes, mime: str, filename: str) -> str:
        uploaded.append((data, mime, filename))
        return "mxc://hs/ics"

    document = FileReply(
        b"BEGIN:VCALENDAR", "repair-cafe.ics", "text/calendar", Markup("Your <b>invitation</b>")
    )
    sent = await messages(document, upload)
    assert uploaded == [(b"BEGIN:VCALENDAR", "text/calendar", "repair-cafe.ics")]
    assert [m.type for m in sent] == ["m.room.message", "m.room.message"]
    assert sent[0].content == {
        "msgtype": "m.file",
        "body": "repair-cafe.ics",
        "filename": "repair-cafe.ics",
        "url": "mxc://hs/ics",
        "info": {"mimetype": "text/calendar", "size": len(b"BEGIN:VCALENDAR")},
    }
    assert sent[1].content["body"] == "Your invitation"
    assert sent[1].content["formatted_body"] == "Your <b>invitation</b>"
    bare = await messages(FileReply(b"{}", "mydata.json", "application/json"), upload)
    assert [m.content["msgtype"] for m in bare] == ["m.file"]
    assert (
        file_content(FileReply(b"", "x.bin"), "mxc://hs/x")["info"]["mimetype"] == "application/octet-stream"
    )


async def test_a_poll_is_an_msc3381_start_whose_fallback_is_the_numbered_reply() -> None:
    fallback = Reply(
        Markup("<b>Vote</b>: which day?"), (Option("v.1.0", "Monday"), Option("v.1.1", "Tuesday & after"))
    )
    poll = PollReply("poll:1", "Which day?", ("Monday", "Tuesday & after"), fallback)
    [start] = await messages(poll, _no_upload)
    assert start.type == POLL_START == "org.matrix.msc3381.poll.start"
    assert start.poll_ref == "poll:1" and start.options == fallback.options
    text = "Vote: which day?\n\n1. Monday\n2. Tuesday & after"
    assert start.content == {
        "org.matrix.msc3381.poll.start": {
            "question": {"org.matrix.msc1767.text": "Which day?"},
            "kind": "org.matrix.msc3381.poll.disclosed",
            "max_selections": 1,
            "answers": [
                {"id": "0", "org.matrix.msc1767.text": "Monday"},
                {"id": "1", "org.matrix.msc1767.text": "Tuesday & after"},
            ],
        },
        "org.matrix.msc1767.text": text,
        "body": text,
    }
    several = PollReply("poll:2", "Which days?", ("Mo", "Tu", "We"), fallback, multiple=True)
    [start] = await messages(several, _no_upload)
    assert start.content[POLL_START]["max_selections"] == 3


def test_poll_responses_become_votes_for_their_start_event() -> None:
    relates = {"m.relates_to": {"rel_type": "m.reference", "event_id": "$start"}}
    unstable = {**relates, "org.matrix.msc3381.poll.response": {"answers": ["1"]}}
    assert parse_poll_response(unstable) == PollVote("$start", (1,))
    stable = {**relates, "m.selections": ["2", "0", "2"]}
    assert parse_poll_response(stable) == PollVote("$start", (2, 0))
    older_stable = {**relates, "m.poll.response": {"answers": ["0"]}}
    assert parse_poll_response(older_stable) == PollVote("$start", (0,))
    withdrawn = {**relates, "org.matrix.msc3381.poll.response": {"answers": []}}
    assert parse_poll_response(withdrawn) == PollVote("$start", ())
    foreign = {**relates, "m.selections": ["pizza", "²", "-1", 3, "12345"]}
    assert parse_poll_response(foreign) == PollVote("$start", ())
    assert parse_poll_response({"m.selections": ["0"]}) is None  # answers nothing
    assert parse_poll_response({**relates}) is None  # not a response
    assert parse_poll_response({"m.relates_to": "x", "m.selections": ["0"]}) is None
